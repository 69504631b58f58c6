//! Exported functions behind Semaphore, Mutex and RwLock (all three are the
//! one core semaphore; see `threadkit_core::semaphore`). JS calls these only
//! on slow paths: its fast paths work on the shared word directly.

use crate::handle::{with_handle, Status};
use crate::isolate::{self, deliver_from, with_isolate, Isolate};
use crate::protocol;
use napi::bindgen_prelude::Unknown;
use napi::{Env, JsValue};
use napi_derive::napi;
use std::sync::atomic::{AtomicU32, Ordering};
use threadkit_core::{AcquireOutcome, ReleaseError};

static NEXT_PRIMITIVE: AtomicU32 = AtomicU32::new(1);

/// Registers the calling JS thread; returns its id (or a negative status).
/// `resource` is the async resource of its wake-up threadsafe function (what
/// async_hooks, and so jest's `--detectOpenHandles`, see).
#[napi(catch_unwind)]
pub fn init_isolate(
    env: Env,
    wake_fn: Unknown,
    wake_buf: Unknown,
    ledger: Unknown,
    resource: Unknown,
    thread_id: Option<u32>,
) -> i32 {
    match isolate::init(
        &env,
        thread_id.unwrap_or(0),
        wake_fn.raw(),
        wake_buf.raw(),
        ledger.raw(),
        resource.raw(),
    ) {
        Ok(id) => id as i32,
        Err(code) => code,
    }
}

/// Whether the calling thread's wake-up function keeps its event loop alive
/// (some wait of this thread is queued in native code).
#[napi(catch_unwind)]
pub fn isolate_has_ref(iso: u32) -> bool {
    Isolate::get(iso).is_some_and(|me| me.local().has_ref())
}

/// Gives the calling thread a bigger held-permit ledger.
#[napi(catch_unwind)]
pub fn set_ledger(env: Env, iso: u32, ledger: Unknown) -> i32 {
    with_isolate(iso, |me| match isolate::set_ledger(&env, &me, ledger.raw()) {
        Ok(()) => 0,
        Err(code) => code,
    })
}

/// A process-wide unique id for a new primitive. Ids also give `acquireAll`
/// its global lock order.
#[napi]
pub fn new_primitive_id() -> u32 {
    NEXT_PRIMITIVE.fetch_add(1, Ordering::Relaxed)
}

/// Attaches the calling thread to primitive `id` whose state word is
/// `state[0]`; returns the ledger slot.
#[napi(catch_unwind)]
pub fn sem_attach(env: Env, iso: u32, id: u32, state: Unknown, max: u32, creating: bool) -> i32 {
    with_isolate(iso, |me| {
        match isolate::attach(&env, &me, id, state.raw(), max, creating) {
            Ok(slot) => slot as i32,
            Err(code) => code,
        }
    })
}

/// Detaches (the last JS object for `id` on this thread was collected).
#[napi(catch_unwind)]
pub fn sem_detach(env: Env, iso: u32, id: u32) -> i32 {
    with_isolate(iso, |me| isolate::detach(&env, &me, id) as i32)
}

/// Slow path of acquire, queueing by `priority` (lower first, default 0).
/// Returns 1 if acquired now (already counted in the
/// ledger), `QUEUED_KEY_BASE + key` if queued (the key is needed to cancel), or a negative
/// status.
#[napi(catch_unwind)]
pub fn sem_acquire(env: Env, iso: u32, id: u32, permits: u32, token: u32, priority: Option<i32>) -> i32 {
    with_core(iso, id, |_, local, core| {
        if permits == 0 || permits > threadkit_core::semaphore::word::MAX_PERMITS {
            return protocol::STATUS_BAD_ARGUMENT;
        }
        let outcome = core
            .sem
            .acquire_with_priority(permits, iso, token, priority.unwrap_or(0));
        acquire_status(&env, local, id, permits, outcome)
    })
}

/// Slow path of a plain acquire (priority 0, no timeout or signal): as
/// `sem_acquire`, but a waiter that queues on an empty queue starts this
/// thread's lease on the queue (`threadkit_core::semaphore`'s `lease.rs`)
/// and gets `SEM_LEASED`. The lease keeps the thread's loop alive until it
/// ends (`sem_lease_end`) or its group is served.
#[napi(catch_unwind)]
pub fn sem_acquire_leasing(env: Env, iso: u32, id: u32, permits: u32, token: u32) -> i32 {
    with_core(iso, id, |_, local, core| {
        if permits == 0 || permits > threadkit_core::semaphore::word::MAX_PERMITS {
            return protocol::STATUS_BAD_ARGUMENT;
        }
        let outcome = core.sem.acquire_leasing(permits, iso, token);
        acquire_status(&env, local, id, permits, outcome)
    })
}

/// What an acquire's outcome tells JS (`sem_acquire`, `sem_acquire_leasing`):
/// 1 if acquired (counted in this thread's ledger), `QUEUED_KEY_BASE + key`,
/// `SEM_LEASED`, or `STATUS_CLOSED`.
fn acquire_status(env: &Env, local: &mut isolate::Local, id: u32, permits: u32, outcome: AcquireOutcome) -> i32 {
    match outcome {
        AcquireOutcome::Acquired => {
            local.credit(id, permits);
            1
        }
        AcquireOutcome::Closed => protocol::STATUS_CLOSED,
        AcquireOutcome::Queued(key) => {
            local.queued(env);
            protocol::QUEUED_KEY_BASE + key as i32
        }
        AcquireOutcome::Leased => {
            local.queued(env);
            protocol::SEM_LEASED
        }
    }
}

/// This thread handed off the last waiter of its lease: ends the lease and
/// lets its loop go. Returns 0 or a negative status.
#[napi(catch_unwind)]
pub fn sem_lease_end(env: Env, iso: u32, id: u32) -> i32 {
    with_core(iso, id, |_, local, core| {
        core.sem.lease_end(iso);
        local.settled(&env);
        0
    })
}

/// Slow path of release (the ledger is debited here). Returns how many of
/// this thread's waiters were woken (their pairs are in the wake buffer), or
/// a negative status.
#[napi(catch_unwind)]
pub fn sem_release(env: Env, iso: u32, id: u32, permits: u32) -> i32 {
    with_core(iso, id, |me, local, core| {
        local.begin_call();
        let result = core.sem.release(permits, deliver_from(&env, me, local, id));
        match result {
            Ok(()) => {
                local.debit(id, permits);
                local.wakes_written()
            }
            Err(ReleaseError::OverRelease { .. }) => protocol::STATUS_OVER_RELEASE,
        }
    })
}

/// Cancels a queued waiter. Returns the number of this thread's waiters
/// woken as a result (>= 0), or `protocol::STATUS_NOT_QUEUED` if the waiter had already been
/// served (its wake is on the way).
#[napi(catch_unwind)]
pub fn sem_cancel(env: Env, iso: u32, id: u32, key: u32, token: u32) -> i32 {
    with_core(iso, id, |me, local, core| {
        local.begin_call();
        let removed = core
            .sem
            .cancel(key as usize, iso, token, deliver_from(&env, me, local, id));
        if !removed {
            return protocol::STATUS_NOT_QUEUED;
        }
        local.settled(&env);
        local.wakes_written()
    })
}

/// Closes; every queued waiter (on any thread) is rejected. Returns how many
/// of this thread's waiters were woken, or a negative status.
#[napi(catch_unwind)]
pub fn sem_close(env: Env, iso: u32, id: u32, reason: Option<String>) -> i32 {
    with_core(iso, id, |me, local, core| {
        local.begin_call();
        core.sem.close(reason, deliver_from(&env, me, local, id));
        local.wakes_written()
    })
}

/// Changes the bound to `max` (see `Semaphore::set_max`); waiters that now
/// fit are served. Returns how many of this thread's waiters were woken, or a
/// negative status.
#[napi(catch_unwind)]
pub fn sem_set_permits(env: Env, iso: u32, id: u32, max: u32) -> i32 {
    with_core(iso, id, |me, local, core| {
        if max == 0 || max > threadkit_core::semaphore::word::MAX_PERMITS {
            return protocol::STATUS_BAD_ARGUMENT;
        }
        local.begin_call();
        core.sem.set_max(max, deliver_from(&env, me, local, id));
        local.wakes_written()
    })
}

/// The reason given to `close`, if any.
#[napi(catch_unwind)]
pub fn sem_close_reason(iso: u32, id: u32) -> Option<String> {
    with_core(iso, id, |_, _, core| core.sem.close_reason())
}

/// Number of queued waiters, on all threads.
#[napi(catch_unwind)]
pub fn sem_waiting(iso: u32, id: u32) -> i32 {
    with_core(iso, id, |_, _, core| core.sem.waiting() as i32)
}

/// The prelude of every call on an attached primitive: the calling isolate,
/// its thread-local state (locked for the call) and core `id`, or
/// `STATUS_NOT_ATTACHED` (in `R`'s shape) if the thread or the attachment is
/// unknown.
fn with_core<R: Status>(iso: u32, id: u32, f: impl FnOnce(&Isolate, &mut isolate::Local, &isolate::Core) -> R) -> R {
    with_isolate(iso, |me| {
        let mut local = me.local();
        let core = local.core(id);
        with_handle(core, |core| f(&me, &mut local, &core))
    })
}
