//! Exported functions behind `KeyedMutex` (see `threadkit_core::keyed`):
//! one native table of held keys per KeyedMutex, in a [`Registry`]. Keys
//! arrive as strings that JS made from the user's string or number keys.
//! Every waiter, also one of the calling thread, is woken through its
//! thread's mailbox.

use crate::handle::with_handle;
use crate::isolate::{self, Isolate};
use crate::protocol::{self, WAKE_GRANTED};
use crate::shared_registry::Registry;
use napi::Env;
use napi_derive::napi;
use std::sync::LazyLock;
use threadkit_core::keyed::{KeyWaiter, KeyedLocks, LockOutcome};

static KEYED: LazyLock<Registry<KeyedLocks<String>>> = LazyLock::new(|| {
    // Registered once, with the table: before it exists no thread is attached.
    isolate::on_thread_gone(thread_gone);
    Registry::default()
});

fn thread_gone(iso: u32) {
    KEYED.thread_gone(iso, |id, k| {
        k.owner_gone(iso, deliver(id));
    });
}

fn deliver(id: u32) -> impl FnMut(&KeyWaiter) -> bool {
    move |w| isolate::post_wake(w.owner, w.token, WAKE_GRANTED, id)
}

/// A new KeyedMutex attached to thread `iso`: `[id, nonce]`, or `[status]`.
#[napi(catch_unwind)]
pub fn keyed_new(iso: u32) -> Vec<i32> {
    if Isolate::get(iso).is_none() {
        return vec![protocol::STATUS_NOT_ATTACHED];
    }
    let (id, nonce) = KEYED.create(iso, KeyedLocks::new());
    vec![id as i32, nonce as i32]
}

/// Attaches thread `iso` to KeyedMutex `id` (from a handle with `nonce`):
/// 0, or `STATUS_FOREIGN_HANDLE`.
#[napi(catch_unwind)]
pub fn keyed_attach(iso: u32, id: u32, nonce: u32) -> i32 {
    match KEYED.attach(iso, id, nonce) {
        Ok(_) => 0,
        Err(code) => code,
    }
}

/// Detaches (the thread's last JS object for it was collected): the keys it
/// still held pass on, and its waiters leave.
#[napi(catch_unwind)]
pub fn keyed_detach(iso: u32, id: u32) -> i32 {
    KEYED.detach(iso, id, |k| {
        k.owner_gone(iso, deliver(id));
    })
}

/// Locks `key`: 1 if held now, `QUEUED_KEY_BASE + at` if queued (woken later
/// under `token`; `at` cancels it).
#[napi(catch_unwind)]
pub fn keyed_lock(env: Env, iso: u32, id: u32, key: String, token: u32) -> i32 {
    with_handle(KEYED.get(iso, id), |s| {
        match s.core.lock(key, KeyWaiter { owner: iso, token }) {
            LockOutcome::Acquired => 1,
            LockOutcome::Queued(at) => {
                isolate::queued(&env, iso);
                protocol::QUEUED_KEY_BASE + at as i32
            }
        }
    })
}

/// Locks `key` only if it is free: 1 if held now, 0 if not.
#[napi(catch_unwind)]
pub fn keyed_try_lock(iso: u32, id: u32, key: String) -> i32 {
    with_handle(KEYED.get(iso, id), |s| s.core.try_lock(key, iso) as i32)
}

/// Unlocks `key`: 0, or `STATUS_OVER_RELEASE` if this thread does not hold it.
#[napi(catch_unwind)]
pub fn keyed_unlock(iso: u32, id: u32, key: String) -> i32 {
    with_handle(KEYED.get(iso, id), |s| match s.core.unlock(&key, iso, deliver(id)) {
        Ok(()) => 0,
        Err(_) => protocol::STATUS_OVER_RELEASE,
    })
}

/// Cancels a queued lock: 1 if it left the queue, `STATUS_NOT_QUEUED` if it
/// was already served (its wake is on the way).
#[napi(catch_unwind)]
pub fn keyed_cancel(env: Env, iso: u32, id: u32, key: String, at: u32, token: u32) -> i32 {
    with_handle(KEYED.get(iso, id), |s| {
        if !s.core.cancel(&key, at as usize, KeyWaiter { owner: iso, token }) {
            return protocol::STATUS_NOT_QUEUED;
        }
        isolate::settled(&env, iso);
        1
    })
}

/// With a key: `[held (0 or 1), waiting]`; without: `[keys held]`; or `[status]`.
#[napi(catch_unwind)]
pub fn keyed_state(iso: u32, id: u32, key: Option<String>) -> Vec<i32> {
    match (KEYED.get(iso, id), key) {
        (Some(s), Some(key)) => {
            let (held, waiting) = s.core.state(&key);
            vec![held as i32, waiting as i32]
        }
        (Some(s), None) => vec![s.core.len() as i32],
        (None, _) => vec![protocol::STATUS_NOT_ATTACHED],
    }
}
