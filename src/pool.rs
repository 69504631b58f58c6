//! Exported functions behind `WorkerPool` (see `threadkit_core::task_queue`).
//!
//! - The owner (the thread that created the pool) pushes serialized tasks
//!   with `poolSubmit`. Workers pull them with `poolTake` and hand results
//!   back with `poolComplete` (the worker-side functions are in
//!   `worker_side`), with no hop through the owner, so dispatch goes on
//!   while the owner's event loop is blocked.
//! - Completions are drained by the owner with `poolDrain` into a buffer it
//!   provides. The owner is woken through one threadsafe function per pool,
//!   once per batch.
//! - A watchdog thread (one per process, the core's deadline loop) ends
//!   tasks whose deadline passed and stops their worker with `node::Stop`
//!   (see [`crate::node_env`]), which works while the owner is blocked.
//!   Where `node::Stop` is not found ([`crate::node_symbols`]; always on
//!   Windows), `poolWatchdogStops()` is false and the owner terminates the
//!   worker when it drains the timeout. A worker's env pointer is only used
//!   under the lock its env cleanup hook takes, so it is never used after
//!   the env is gone.
//! - Each worker's state and the grow/idle policy are the core's
//!   (`task_queue::workers`); the owner's side of them is in `workers`.
//!
//! Payloads cross as `Uint8Array`s; task ids are JS numbers (integers below
//! 2^53). Negative return values are status codes.

use crate::owner_wake::{self, OwnerWake};
use crate::protocol::{
    self, COMPLETION_ID, COMPLETION_LENGTH, COMPLETION_OFFSET, COMPLETION_OUTCOME, COMPLETION_RUN_US,
    COMPLETION_WAIT_US, COMPLETION_WORKER, DRAIN_OVERSIZE_BASE, DRAIN_OVERSIZE_MAX, STATUS_UNKNOWN_POOL, SUBMIT_QUEUED,
    SUBMIT_START_WORKER,
};
use crate::shared_memory::{bytes, f64s};
use crate::spin;
use napi::bindgen_prelude::Unknown;
use napi::{sys, Env, JsValue};
use napi_derive::napi;
use parking_lot::{Mutex, RwLock};
use std::collections::HashMap;
use std::ffi::CStr;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, LazyLock};
use std::time::{Duration, Instant};
use threadkit_core::task_queue::names::Names;
use threadkit_core::task_queue::{Pushed, Task, TaskQueue};
use watchdog::watchdog;

mod stream;
mod watchdog;
mod worker_side;
mod workers;

const STRIDE: usize = protocol::COMPLETION_STRIDE as usize;

struct Waker {
    /// `None` until `pool_create` created it.
    wake_fn: Option<OwnerWake>,
    /// Not released by `pool_destroy` nor finalized: calls may be made.
    alive: bool,
    /// The owner has tasks outstanding (the threadsafe function is ref'd).
    reffed: bool,
}

struct Pool {
    queue: TaskQueue,
    waker: Mutex<Waker>,
    /// The owner thread's spin signal (see `spin`).
    signal: Option<Arc<spin::Signal>>,
    /// slot → the worker's `node::Environment`, while its env is alive
    /// (what the watchdog needs to stop it; the worker's state is the queue's).
    envs: Mutex<HashMap<u32, usize>>,
    /// Names of exported task functions.
    names: Names,
}

impl Pool {
    fn wake_owner(&self) {
        let w = self.waker.lock();
        if w.alive && w.wake_fn.is_some_and(OwnerWake::call) {
            if let Some(s) = &self.signal {
                s.posted();
            }
        }
    }
}

static POOLS: LazyLock<RwLock<HashMap<u32, Arc<Pool>>>> = LazyLock::new(Default::default);
static NEXT_POOL: AtomicU32 = AtomicU32::new(1);

fn pool(id: u32) -> Option<Arc<Pool>> {
    POOLS.read().get(&id).cloned()
}

/// `f(pool, task id)` for a live pool and a valid task id; `otherwise` if
/// either is not (the prelude of every call about one task).
fn with_task<T>(pool_id: u32, id: f64, otherwise: T, f: impl FnOnce(&Pool, u64) -> T) -> T {
    match (pool(pool_id), task_id(id)) {
        (Some(p), Some(id)) => f(&p, id),
        _ => otherwise,
    }
}

fn task_id(id: f64) -> Option<u64> {
    (id.fract() == 0.0 && (0.0..9_007_199_254_740_992.0).contains(&id)).then_some(id as u64)
}

/// The number of CPUs this process may use (num_cpus), the default pool size.
#[napi]
pub fn available_parallelism() -> u32 {
    num_cpus::get().max(1) as u32
}

/// Creates a pool owned by the calling thread; `on_wake()` is called on that
/// thread when completions are ready. `resource` is the async resource of that
/// threadsafe function (what async_hooks, and so jest's `--detectOpenHandles`,
/// see). The pool keeps at least `min_workers` workers and at most
/// `max_workers` taking tasks (the grow policy is the core's). Returns the
/// pool id.
#[napi(catch_unwind)]
pub fn pool_create(env: Env, on_wake: Unknown, resource: Unknown, min_workers: u32, max_workers: u32) -> i32 {
    napi::bindgen_prelude::retain_current_module_for_unload_safety();
    let id = NEXT_POOL.fetch_add(1, Ordering::Relaxed);
    let queue = TaskQueue::new();
    queue.set_limits(min_workers as usize, max_workers as usize);
    let p = Arc::new(Pool {
        queue,
        waker: Mutex::new(Waker {
            wake_fn: None,
            alive: false,
            reffed: false,
        }),
        signal: spin::signal(&env),
        envs: Mutex::default(),
        names: Names::new(),
    });
    let Some(wake_fn) = OwnerWake::create(&env, on_wake.raw(), resource.raw(), &p) else {
        return crate::protocol::STATUS_BAD_ARGUMENT;
    };
    *p.waker.lock() = Waker {
        wake_fn: Some(wake_fn),
        alive: true,
        reffed: false,
    };
    POOLS.write().insert(id, p);
    id as i32
}

impl owner_wake::Owner for Pool {
    const NAME: &'static CStr = c"threadkit.pool";

    /// Calls the owner's `on_wake()`, which drains the completions.
    fn call_js(&self, env: &Env, js_cb: sys::napi_value) {
        if let Some(s) = &self.signal {
            s.drained();
        }
        owner_wake::call_function(env, js_cb, &[]);
    }

    fn finalized(&self) {
        self.waker.lock().alive = false;
    }
}

/// Worker side, when the queue was empty at `bell[BELL_SEQ]` == `seen`:
/// spins while that is so, if the spin policy allows (`spin::worker_spin`).
/// `true`: the doorbell moved, take again; `false`: sleep on it. Not public
/// API; a `bell` that is not an Int32Array, or a gone pool: `false`.
#[napi(
    catch_unwind,
    ts_args_type = "poolId: number, bell: Int32Array, seen: number, wokeSoon: boolean"
)]
pub fn pool_spin(env: Env, pool_id: u32, bell: Unknown, seen: i32, woke_soon: bool) -> bool {
    let Some(p) = pool(pool_id) else { return false };
    let Some((word, len)) = crate::shared_memory::int32_array(&env, bell.raw()) else {
        return false;
    };
    if len <= spin::BELL_SEQ as usize {
        return false;
    }
    // Safety: the doorbell's backing store is a SharedArrayBuffer, which
    // `bell` keeps alive for this call; it is only accessed atomically.
    let seq = unsafe { &*word.add(spin::BELL_SEQ as usize) };
    spin::worker_spin(seq, seen, woke_soon, p.queue.running())
}

/// Keeps the owner's event loop alive (`on`) or not, by ref'ing its
/// threadsafe function. The owner refs it while tasks are outstanding.
#[napi(catch_unwind)]
pub fn pool_ref(env: Env, pool_id: u32, on: bool) -> bool {
    let Some(p) = pool(pool_id) else { return false };
    let mut w = p.waker.lock();
    if !w.alive {
        return false;
    }
    if w.reffed != on {
        w.reffed = on;
        spin::want(on);
    }
    if let Some(t) = w.wake_fn {
        t.set_ref(&env, on);
    }
    true
}

/// Whether the pool's wake-up function keeps its owner's event loop alive.
#[napi(catch_unwind)]
pub fn pool_has_ref(pool_id: u32) -> bool {
    pool(pool_id).is_some_and(|p| {
        let w = p.waker.lock();
        w.alive && w.reffed
    })
}

/// Forgets the pool. Queued tasks are dropped; workers that still call in
/// get `STATUS_UNKNOWN_POOL` and leave.
#[napi(catch_unwind)]
pub fn pool_destroy(pool_id: u32) -> bool {
    let Some(p) = POOLS.write().remove(&pool_id) else {
        return false;
    };
    let mut w = p.waker.lock();
    if w.reffed {
        w.reffed = false;
        spin::want(false);
    }
    if w.alive {
        w.alive = false;
        if let Some(t) = w.wake_fn.take() {
            t.release();
        }
    }
    true
}

/// Queues a task. `timeout_ms <= 0` means no deadline; with
/// `deferred_clock` the run time starts at `poolStartClock`, not at the
/// take (direct tasks). Returns `SUBMIT_QUEUED`, or `SUBMIT_START_WORKER`
/// if the pool should start a worker now, or a negative status (unknown
/// pool, bad id, duplicate id).
#[napi(catch_unwind)]
#[allow(clippy::too_many_arguments)] // a napi call per task: flat arguments, no options object to build and read
pub fn pool_submit(
    env: Env,
    pool_id: u32,
    id: f64,
    priority: i32,
    name: u32,
    payload: Unknown,
    timeout_ms: f64,
    deferred_clock: bool,
) -> i32 {
    let Some(p) = pool(pool_id) else {
        return STATUS_UNKNOWN_POOL;
    };
    // Safety: `payload` is a value of this call; the slice is dropped before it returns.
    let (Some(id), Some(data)) = (task_id(id), unsafe { bytes(&env, payload.raw()) }) else {
        return crate::protocol::STATUS_BAD_ARGUMENT;
    };
    // Too large for a Duration, or for an Instant (checked later): no deadline.
    let timeout = (timeout_ms > 0.0)
        .then(|| Duration::try_from_secs_f64(timeout_ms / 1000.0).ok())
        .flatten();
    let task = Task {
        id,
        priority,
        name,
        payload: data.to_vec(),
        timeout,
        deferred_clock,
        submitted: Instant::now(),
    };
    match p.queue.push(task) {
        Pushed::Queued { start_worker: true, .. } => SUBMIT_START_WORKER,
        Pushed::Queued { .. } => SUBMIT_QUEUED,
        Pushed::Duplicate => crate::protocol::STATUS_BAD_ARGUMENT,
    }
}

/// The number that stands for exported function `name` in tasks (from 1;
/// 0 is the default export), or 0 if the pool is gone.
#[napi(catch_unwind)]
pub fn pool_name_id(pool_id: u32, name: String) -> u32 {
    pool(pool_id).map_or(0, |p| p.names.id_of(&name))
}

/// The exported function name that `id` stands for.
#[napi(catch_unwind)]
pub fn pool_name_of(pool_id: u32, id: u32) -> Option<String> {
    pool(pool_id)?.names.name_of(id)
}

/// Removes a queued task; false if it is running, done or unknown.
#[napi(catch_unwind)]
pub fn pool_cancel(pool_id: u32, id: f64) -> bool {
    with_task(pool_id, id, false, |p, id| p.queue.cancel(id))
}

/// Removes every queued task; returns their ids.
#[napi(catch_unwind)]
pub fn pool_clear(pool_id: u32) -> Vec<f64> {
    pool(pool_id).map_or_else(Vec::new, |p| p.queue.clear().into_iter().map(|id| id as f64).collect())
}

/// The pool's tasks by where they are (named, not positional: callers read
/// `.queued`, never an index).
#[napi(object)]
pub struct PoolTaskCounts {
    /// Tasks waiting in the queue for a worker.
    pub queued: u32,
    /// Tasks a worker has taken and not completed yet.
    pub running: u32,
}

/// Tasks queued and running; both 0 if the pool is gone.
#[napi(catch_unwind)]
pub fn pool_task_counts(pool_id: u32) -> PoolTaskCounts {
    let n = |v: usize| v.min(u32::MAX as usize) as u32;
    pool(pool_id).map_or(PoolTaskCounts { queued: 0, running: 0 }, |p| PoolTaskCounts {
        queued: n(p.queue.len()),
        running: n(p.queue.running()),
    })
}

/// Wakes the owner (its `on_wake`) also when a worker takes a task, while
/// `on`: callers are waiting for room in the queue.
#[napi(catch_unwind)]
pub fn pool_watch_takes(pool_id: u32, on: bool) {
    if let Some(p) = pool(pool_id) {
        p.queue.watch_takes(on);
    }
}

/// Owner side: moves settled tasks into `meta` (`COMPLETION_STRIDE` doubles
/// each, at the `COMPLETION_*` offsets of [`protocol`]) and their payloads into
/// `scratch`, back to back. Returns how many were written; if the first one
/// does not fit `scratch`, returns `DRAIN_OVERSIZE_BASE - needed length`.
#[napi(catch_unwind)]
pub fn pool_drain(env: Env, pool_id: u32, meta: Unknown, scratch: Unknown) -> i32 {
    let Some(p) = pool(pool_id) else {
        return STATUS_UNKNOWN_POOL;
    };
    // Safety: values of this call, used only during it. JS hands in two
    // distinct arrays (a `Float64Array` and a `Uint8Array`), so the slices do
    // not alias.
    let (Some(meta), Some(scratch)) = (unsafe { f64s(&env, meta.raw()) }, unsafe { bytes(&env, scratch.raw()) }) else {
        return crate::protocol::STATUS_BAD_ARGUMENT;
    };
    let mut count = 0;
    let drained = p.queue.drain(meta.len() / STRIDE, scratch.len(), |c, offset| {
        let len = c.payload.len();
        scratch[offset..offset + len].copy_from_slice(&c.payload);
        let m = &mut meta[count * STRIDE..(count + 1) * STRIDE];
        m[COMPLETION_ID as usize] = c.id as f64;
        m[COMPLETION_OUTCOME as usize] = c.outcome as u8 as f64;
        m[COMPLETION_WAIT_US as usize] = c.wait.as_secs_f64() * 1e6;
        m[COMPLETION_RUN_US as usize] = c.run.as_secs_f64() * 1e6;
        m[COMPLETION_OFFSET as usize] = offset as f64;
        m[COMPLETION_LENGTH as usize] = len as f64;
        m[COMPLETION_WORKER as usize] = c.worker as f64;
        count += 1;
    });
    match drained {
        Ok(n) => n as i32,
        Err(needed) => DRAIN_OVERSIZE_BASE - needed.min(DRAIN_OVERSIZE_MAX) as i32,
    }
}
