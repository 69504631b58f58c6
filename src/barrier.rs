//! Exported functions behind `Barrier` (see `threadkit_core::barrier`). Its
//! state is all native, in one [`Registry`]; every waiter, also one of the
//! calling thread, is woken through its thread's mailbox: a trip happens
//! once per generation, not on a hot path.

use crate::handle::with_handle;
use crate::isolate::{self, Isolate};
use crate::protocol::{self, WAKE_CLOSED, WAKE_GRANTED};
use crate::shared_registry::Registry;
use napi::Env;
use napi_derive::napi;
use std::sync::LazyLock;
use threadkit_core::barrier::{Arrival, ArriveOutcome, Barrier, BarrierWake};

static BARRIERS: LazyLock<Registry<Barrier>> = LazyLock::new(|| {
    // Registered once, with the table: before it exists no thread is attached.
    isolate::on_thread_gone(thread_gone);
    Registry::default()
});

fn thread_gone(iso: u32) {
    BARRIERS.thread_gone(iso, |id, b| {
        b.owner_gone(iso, deliver(id));
    });
}

/// Wakes a waiter through its thread's mailbox: `WAKE_GRANTED` when it
/// passed, `WAKE_CLOSED` when the barrier broke.
fn deliver(id: u32) -> impl FnMut(&Arrival, BarrierWake) -> bool {
    move |w, k| {
        let code = match k {
            BarrierWake::Passed => WAKE_GRANTED,
            BarrierWake::Broken => WAKE_CLOSED,
        };
        isolate::post_wake(w.owner, w.token, code, id)
    }
}

/// A new barrier of `parties` (1 to 2^31-1), attached to thread `iso`:
/// `[id, nonce]`, or `[status]`.
#[napi(catch_unwind)]
pub fn barrier_new(iso: u32, parties: u32) -> Vec<i32> {
    if parties == 0 || parties > i32::MAX as u32 || Isolate::get(iso).is_none() {
        return vec![protocol::STATUS_BAD_ARGUMENT];
    }
    let (id, nonce) = BARRIERS.create(iso, Barrier::new(parties));
    vec![id as i32, nonce as i32]
}

/// Attaches thread `iso` to barrier `id` (from a handle with `nonce`): its
/// party count, or `STATUS_FOREIGN_HANDLE`.
#[napi(catch_unwind)]
pub fn barrier_attach(iso: u32, id: u32, nonce: u32) -> i32 {
    match BARRIERS.attach(iso, id, nonce) {
        Ok(s) => s.core.parties() as i32,
        Err(code) => code,
    }
}

/// Detaches (the thread's last JS object for it was collected).
#[napi(catch_unwind)]
pub fn barrier_detach(iso: u32, id: u32) -> i32 {
    BARRIERS.detach(iso, id, |b| {
        b.owner_gone(iso, deliver(id));
    })
}

/// A party arrives. Returns its arrival index: `parties - 1` means it
/// tripped the barrier and passes now; a smaller one means it waits for a
/// wake under `token`. `STATUS_CLOSED` if the barrier is broken.
#[napi(catch_unwind)]
pub fn barrier_wait(env: Env, iso: u32, id: u32, token: u32) -> i32 {
    with_handle(BARRIERS.get(iso, id), |s| {
        match s.core.arrive(Arrival { owner: iso, token }, deliver(id)) {
            ArriveOutcome::Tripped(i) => i as i32,
            ArriveOutcome::Waiting(i) => {
                isolate::queued(&env, iso);
                i as i32
            }
            ArriveOutcome::Broken => protocol::STATUS_CLOSED,
        }
    })
}

/// A waiter gives up (abort, timeout): 1 if it left (the barrier is broken
/// for the others now), 0 if it had already passed or been broken (its wake
/// is on the way).
#[napi(catch_unwind)]
pub fn barrier_leave(env: Env, iso: u32, id: u32, token: u32) -> i32 {
    with_handle(BARRIERS.get(iso, id), |s| {
        if !s.core.leave(Arrival { owner: iso, token }, deliver(id)) {
            return 0;
        }
        isolate::settled(&env, iso);
        1
    })
}

/// Breaks the barrier (`abort`) or breaks and renews it (`reset`).
#[napi(catch_unwind)]
pub fn barrier_break(iso: u32, id: u32, renew: bool) -> i32 {
    with_handle(BARRIERS.get(iso, id), |s| {
        if renew {
            s.core.reset(deliver(id));
        } else {
            s.core.abort(deliver(id));
        }
        0
    })
}

/// `[waiting, broken (0 or 1)]`, or `[status]`.
#[napi(catch_unwind)]
pub fn barrier_state(iso: u32, id: u32) -> Vec<i32> {
    match BARRIERS.get(iso, id) {
        Some(s) => vec![s.core.waiting() as i32, s.core.is_broken() as i32],
        None => vec![protocol::STATUS_NOT_ATTACHED],
    }
}
