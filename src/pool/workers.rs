//! Owner side of the worker lifecycle: the owner tells the core when it
//! spawned a worker, stopped one, or saw one exit, and asks it what to do
//! (start a worker? retire idle ones?). Each worker's state is the core's
//! alone (`threadkit_core::task_queue::workers`).

use super::{pool, with_task};
use napi_derive::napi;
use std::time::{Duration, Instant};

/// The pool's workers by what they can do now (see `Counts` in the core).
#[napi(object)]
pub struct PoolWorkerCounts {
    /// Workers that may still take a task (starting, serving or asked to
    /// retire; not being stopped): the pool's size, never above maxWorkers.
    pub taking: u32,
    /// Workers neither retiring nor being stopped: these count towards minWorkers.
    pub staying: u32,
    /// Workers whose script is still loading.
    pub starting: u32,
    /// Started workers that run no task and are not being stopped.
    pub idle: u32,
    /// Started workers that are not being stopped.
    pub serving: u32,
    /// Tasks the started workers would take now by themselves: `idle` when
    /// each runs one task at a time, their free slots when they run several.
    pub free: u32,
}

/// Workers by what they can do now; all 0 if the pool is gone.
#[napi(catch_unwind)]
pub fn pool_worker_counts(pool_id: u32) -> PoolWorkerCounts {
    let c = pool(pool_id).map(|p| p.queue.counts()).unwrap_or_default();
    let n = |v: usize| v.min(u32::MAX as usize) as u32;
    PoolWorkerCounts {
        taking: n(c.taking),
        staying: n(c.staying),
        starting: n(c.starting),
        idle: n(c.idle),
        serving: n(c.serving),
        free: n(c.free),
    }
}

/// Whether the pool should start a worker now: none is starting, fewer than
/// maxWorkers take tasks, and fewer than minWorkers stay or more tasks are
/// queued than idle workers will take.
#[napi(catch_unwind)]
pub fn pool_should_start_worker(pool_id: u32) -> bool {
    pool(pool_id).is_some_and(|p| p.queue.should_start_worker())
}

/// The owner created the thread of worker `slot`: it is starting.
#[napi(catch_unwind)]
pub fn pool_worker_spawned(pool_id: u32, slot: u32) {
    if let Some(p) = pool(pool_id) {
        p.queue.spawned(slot, Instant::now());
    }
}

/// The slot of the worker that runs task `id` now, or -1.
#[napi(catch_unwind)]
pub fn pool_runner_of(pool_id: u32, id: f64) -> f64 {
    with_task(pool_id, id, -1.0, |p, id| p.queue.runner_of(id).map_or(-1.0, f64::from))
}

/// After the grace period of task `id`'s abort or timeout: whether the owner
/// must stop worker `slot` (the core's rule, `task_queue::running`).
#[napi(catch_unwind)]
pub fn pool_must_stop(pool_id: u32, slot: u32, id: f64) -> bool {
    with_task(pool_id, id, false, |p, id| p.queue.must_stop(slot, id))
}

/// Each worker runs up to `n` tasks at once (at least 1). False if the pool is gone.
#[napi(catch_unwind)]
pub fn pool_set_concurrency(pool_id: u32, n: u32) -> bool {
    pool(pool_id).is_some_and(|p| {
        p.queue.set_concurrency(n as usize);
        true
    })
}

/// What `poolRetireIdle` did.
#[napi(object)]
pub struct PoolIdleCheck {
    /// Workers asked to retire now: ring the doorbell so they ask for work
    /// and hear it.
    pub retired: u32,
    /// Whether to check again later (more than minWorkers stay, or a
    /// retirement is not final yet).
    pub watching: bool,
}

/// The idle policy: asks started workers idle for at least
/// `idle_timeout_ms` to leave, keeping minWorkers.
#[napi(catch_unwind)]
pub fn pool_retire_idle(pool_id: u32, idle_timeout_ms: f64) -> PoolIdleCheck {
    let Some(p) = pool(pool_id) else {
        return PoolIdleCheck {
            retired: 0,
            watching: false,
        };
    };
    let idle_for = Duration::try_from_secs_f64(idle_timeout_ms.max(0.0) / 1000.0).unwrap_or(Duration::MAX);
    let check = p.queue.retire_idle(Instant::now(), idle_for);
    PoolIdleCheck {
        retired: check.retired as u32,
        watching: check.watching,
    }
}

/// Marks worker `slot` as being stopped: it takes no other task.
#[napi(catch_unwind)]
pub fn pool_stop(pool_id: u32, slot: u32) {
    if let Some(p) = pool(pool_id) {
        p.queue.stop(slot);
    }
}

/// True while worker `slot` is started (it registered) and not gone.
#[napi(catch_unwind)]
pub fn pool_worker_started(pool_id: u32, slot: u32) -> bool {
    pool(pool_id).is_some_and(|p| p.queue.started(slot))
}

/// What `poolWorkerGone` found.
#[napi(object)]
pub struct PoolWorkerGone {
    /// The tasks it was running, now written off (the owner rejects them
    /// with the cause).
    pub tasks: Vec<f64>,
    /// It had started (registered); if not, it died while starting.
    pub started: bool,
}

/// Owner side: worker `slot` died; the core forgets it. Native state is the
/// source of truth here: the worker's "ready" message may arrive after its
/// exit event.
#[napi(catch_unwind)]
pub fn pool_worker_gone(pool_id: u32, slot: u32) -> PoolWorkerGone {
    let Some(p) = pool(pool_id) else {
        return PoolWorkerGone {
            tasks: Vec::new(),
            started: false,
        };
    };
    p.envs.lock().remove(&slot);
    let gone = p.queue.worker_gone(slot);
    PoolWorkerGone {
        tasks: gone.tasks.into_iter().map(|id| id as f64).collect(),
        started: gone.started,
    }
}

/// The retire rule for leaky task code: a worker leaves after completing
/// `max_tasks` tasks (0: never). False if the pool is gone.
#[napi(catch_unwind)]
pub fn pool_set_max_tasks(pool_id: u32, max_tasks: u32) -> bool {
    pool(pool_id).is_some_and(|p| {
        p.queue.set_max_tasks(Some(u64::from(max_tasks)));
        true
    })
}
