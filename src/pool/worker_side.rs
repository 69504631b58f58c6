//! The pool functions that worker threads call: register (so the watchdog
//! can stop the thread), lower the thread's priority, take a task, start a
//! direct task's clock, and hand back a result. The owner thread's side is
//! in the parent module.

use super::{pool, task_id, watchdog, with_task, Pool};
use crate::node_env;
use crate::protocol::{STATUS_NO_TASK, STATUS_RETIRE, STATUS_UNKNOWN_POOL, TAKE_ID, TAKE_NAME, TAKE_STRIDE};
use crate::shared_memory::{bytes, f64s};
use napi::bindgen_prelude::Unknown;
use napi::{sys, Env, JsValue};
use napi_derive::napi;
use std::ffi::c_void;
use std::sync::Arc;
use std::time::Instant;
use threadkit_core::task_queue::{CompleteResult, Next};

/// Worker side: task `id`'s run time (and timeout) starts now. For tasks
/// submitted with `deferred_clock` (direct tasks, once their data arrived).
#[napi(catch_unwind)]
pub fn pool_start_clock(pool_id: u32, slot: u32, id: f64) {
    let (Some(p), Some(id)) = (pool(pool_id), task_id(id)) else {
        return;
    };
    if let Some(deadline) = p.queue.start_clock(slot, id, Instant::now()) {
        watchdog().due(deadline);
    }
}

/// Worker side: registers the calling worker thread as `slot`, so the
/// watchdog can stop it (if `node::Stop` is available; otherwise the owner
/// terminates timed-out workers). Its env cleanup hook unregisters it.
/// False only if the pool is gone.
#[napi(catch_unwind)]
pub fn pool_worker_register(env: Env, pool_id: u32, slot: u32) -> bool {
    let Some(p) = pool(pool_id) else { return false };
    p.queue.register(slot, Instant::now());
    let Some(node_env) = node_env::current() else {
        return true;
    };
    p.envs.lock().insert(slot, node_env as usize);
    // The hook holds the pool itself, not its id: after pool_destroy the id
    // is gone from POOLS, but the watchdog may still hold the pool and must
    // never see this env once it is freed.
    let data = Box::into_raw(Box::new((p, slot)));
    // Safety: `env` is this worker's; the hook frees `data` exactly once.
    unsafe { sys::napi_add_env_cleanup_hook(env.raw(), Some(worker_cleanup), data as *mut c_void) };
    true
}

/// # Safety
/// Called by Node once, with the box `pool_worker_register` leaked.
unsafe extern "C" fn worker_cleanup(arg: *mut c_void) {
    let (p, slot) = *Box::from_raw(arg as *mut (Arc<Pool>, u32));
    p.envs.lock().remove(&slot);
}

/// Worker side: lowers the calling thread's scheduling priority by
/// `increment` nice levels (Linux; elsewhere it does nothing and returns
/// false), so the main thread wins the CPU when both want it.
#[napi(catch_unwind)]
pub fn pool_nice_current_thread(increment: i32) -> bool {
    nice_current_thread(increment)
}

#[cfg(target_os = "linux")]
fn nice_current_thread(increment: i32) -> bool {
    // On Linux, PRIO_PROCESS with a thread id sets that thread's nice value.
    // (`gettid` through `syscall`: glibc has a wrapper only since 2.30.)
    // Safety: plain syscalls on the calling thread, no pointers.
    unsafe {
        let tid = libc::syscall(libc::SYS_gettid) as libc::id_t;
        let now = libc::getpriority(libc::PRIO_PROCESS as _, tid);
        libc::setpriority(libc::PRIO_PROCESS as _, tid, (now + increment).clamp(-20, 19)) == 0
    }
}

/// Elsewhere a nice value belongs to the whole process, so workers keep
/// the main thread's priority.
#[cfg(not(target_os = "linux"))]
fn nice_current_thread(_increment: i32) -> bool {
    false
}

/// Worker side: takes the next task. Returns the payload length and writes
/// the task's id and name into `meta` (at `TAKE_ID`, `TAKE_NAME`), and the
/// payload into `scratch` if it fits; if it does not, call `poolTakeRest`
/// with a buffer of that length. Returns `STATUS_NO_TASK` if nothing is
/// queued, `STATUS_RETIRE` if this worker should leave, `STATUS_UNKNOWN_POOL`
/// if the pool is gone.
#[napi(catch_unwind)]
pub fn pool_take(env: Env, pool_id: u32, slot: u32, meta: Unknown, scratch: Unknown) -> i32 {
    let Some(p) = pool(pool_id) else {
        return STATUS_UNKNOWN_POOL;
    };
    // Safety: values of this call, used only during it; distinct arrays.
    let (Some(meta), Some(scratch)) = (unsafe { f64s(&env, meta.raw()) }, unsafe { bytes(&env, scratch.raw()) }) else {
        return crate::protocol::STATUS_BAD_ARGUMENT;
    };
    if meta.len() < TAKE_STRIDE as usize {
        return crate::protocol::STATUS_BAD_ARGUMENT;
    }
    match p.queue.take(slot, Instant::now()) {
        Next::Empty => STATUS_NO_TASK,
        Next::Retire => STATUS_RETIRE,
        Next::Run(t) => {
            if let Some(deadline) = t.deadline {
                watchdog().due(deadline);
            }
            if p.queue.take_wakes_owner() {
                p.wake_owner();
            }
            meta[TAKE_ID as usize] = t.id as f64;
            meta[TAKE_NAME as usize] = t.name as f64;
            let len = t.payload.len();
            if len <= scratch.len() {
                scratch[..len].copy_from_slice(&t.payload);
            } else {
                p.queue.hold_payload(slot, t.payload);
            }
            len.min(i32::MAX as usize) as i32
        }
    }
}

/// Worker side: copies the payload that did not fit `poolTake`'s scratch.
#[napi(catch_unwind)]
pub fn pool_take_rest(env: Env, pool_id: u32, slot: u32, scratch: Unknown) -> i32 {
    let Some(p) = pool(pool_id) else {
        return STATUS_UNKNOWN_POOL;
    };
    // Safety: a value of this call, used only during it.
    let Some(scratch) = (unsafe { bytes(&env, scratch.raw()) }) else {
        return crate::protocol::STATUS_BAD_ARGUMENT;
    };
    match p.queue.take_held(slot, scratch.len()) {
        Some(payload) => {
            scratch[..payload.len()].copy_from_slice(&payload);
            payload.len().min(i32::MAX as usize) as i32
        }
        None => crate::protocol::STATUS_BAD_ARGUMENT,
    }
}

/// Worker side: this worker saw the abort (or timeout) of task `id` on its
/// event loop, so it is not stuck in synchronous code (`poolMustStop`).
#[napi(catch_unwind)]
pub fn pool_abort_seen(pool_id: u32, slot: u32, id: f64) -> bool {
    with_task(pool_id, id, false, |p, id| p.queue.abort_seen(slot, id))
}

/// Worker side: gives up the slot of task `id`, aborted and still running
/// after the grace period (see `TaskQueue::abandon`). False if it had returned.
#[napi(catch_unwind)]
pub fn pool_abandon(pool_id: u32, slot: u32, id: f64) -> bool {
    with_task(pool_id, id, false, |p, id| p.queue.abandon(slot, id))
}

/// Worker side: a progress value of task `id` (serialized), queued for the
/// owner with the completions. False if the task is no longer running here.
#[napi(catch_unwind)]
pub fn pool_progress(env: Env, pool_id: u32, slot: u32, id: f64, payload: Unknown) -> bool {
    queue_for_owner(&env, pool_id, id, &payload, |p, id, data| {
        p.queue.progress(slot, id, data)
    })
}

/// Worker side: the result of task `id` (serialized). False if the task had
/// already been settled another way (it timed out).
#[napi(catch_unwind)]
pub fn pool_complete(env: Env, pool_id: u32, slot: u32, id: f64, rejected: bool, payload: Unknown) -> bool {
    queue_for_owner(&env, pool_id, id, &payload, |p, id, data| {
        p.queue.complete(slot, id, rejected, data, Instant::now())
    })
}

/// Hands task `id`'s serialized `payload` to `queue` (a completion or a
/// progress value) and wakes the owner when the queue says so. False if
/// the pool, the id or the bytes are bad, or the queue refused it (stale).
fn queue_for_owner(
    env: &Env,
    pool_id: u32,
    id: f64,
    payload: &Unknown,
    queue: impl FnOnce(&Pool, u64, Vec<u8>) -> CompleteResult,
) -> bool {
    let Some(p) = pool(pool_id) else { return false };
    // Safety: a value of this call, used only during it.
    let (Some(id), Some(data)) = (task_id(id), unsafe { bytes(env, payload.raw()) }) else {
        return false;
    };
    match queue(&p, id, data.to_vec()) {
        CompleteResult::Accepted { wake } => {
            if wake {
                p.wake_owner();
            }
            crate::spin::after_completion(wake, p.signal.as_deref());
            true
        }
        CompleteResult::Stale => false,
    }
}
