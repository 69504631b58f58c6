//! The pool functions of `pool.stream()` (crates/core/src/task_queue/yields.rs):
//! a worker hands over each value its task's generator yields and learns the
//! caller's credit; the owner records what its caller has taken.

use super::{pool, task_id};
use crate::shared_memory::bytes;
use napi::bindgen_prelude::Unknown;
use napi::{Env, JsValue};
use napi_derive::napi;
use threadkit_core::task_queue::Yielded;

/// Worker side: a value the generator of task `id` yielded (serialized),
/// batched for the owner. Returns how many values the caller has taken, or
/// -1 if the task is no longer running here (the generator should stop).
#[napi(catch_unwind)]
pub fn pool_yield(env: Env, pool_id: u32, slot: u32, id: f64, payload: Unknown) -> f64 {
    let Some(p) = pool(pool_id) else { return -1.0 };
    // Safety: a value of this call, used only during it.
    let (Some(id), Some(data)) = (task_id(id), unsafe { bytes(&env, payload.raw()) }) else {
        return -1.0;
    };
    match p.queue.yielded(slot, id, data) {
        Yielded::Accepted { wake, consumed } => {
            if wake {
                p.wake_owner();
            }
            consumed as f64
        }
        Yielded::Stale => -1.0,
    }
}

/// Worker side: how many values of stream task `id` the caller has taken,
/// or -1 if the task is no longer running here.
#[napi(catch_unwind)]
pub fn pool_stream_consumed(pool_id: u32, slot: u32, id: f64) -> f64 {
    let (Some(p), Some(id)) = (pool(pool_id), task_id(id)) else {
        return -1.0;
    };
    p.queue.consumed(slot, id).map_or(-1.0, |n| n as f64)
}

/// Owner side: the caller of stream task `id` has taken `consumed` values.
/// Returns the slot of the worker running it (to be notified), or -1.
#[napi(catch_unwind)]
pub fn pool_stream_credit(pool_id: u32, id: f64, consumed: f64) -> i32 {
    let (Some(p), Some(id), Some(consumed)) = (pool(pool_id), task_id(id), task_id(consumed)) else {
        return -1;
    };
    p.queue.credit(id, consumed).map_or(-1, |slot| slot as i32)
}
