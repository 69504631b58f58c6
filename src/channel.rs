//! Exported functions behind shared-mode `Channel` and `AsyncQueue` (see
//! `threadkit_core::channel` for the semantics and `lib/channel/shared.js`
//! for the JS side). Values are opaque bytes (serialized in JS).
//!
//! Every waiter is woken through its thread's mailbox (`isolate::post_wake`),
//! also when the waker is on the same thread: a channel call therefore never
//! writes into the caller's wake buffer, and JS never has to settle wakes
//! after a channel call. Wake codes: `protocol::WAKE_*`.
//!
//! The hot paths (values through per-thread scratch buffers, receive
//! batches, the send outbox) are in [`crate::channel_fast`]; the table of
//! channels, each thread's attachment and the channel's lifetime are in
//! [`crate::channel_registry`].

use crate::channel_registry::{self as registry, deliver, group, send_status, with_channel};
use crate::isolate::{queued, settled};
use crate::protocol::{self, STATUS_GROUP_FIRED, STATUS_NOTHING_UNFINISHED, STATUS_NOT_QUEUED, STATUS_WOULD_BLOCK};
use napi::bindgen_prelude::{Buffer, Either, Unknown};
use napi::{Env, JsValue};
use napi_derive::napi;
use std::sync::atomic::Ordering;
use threadkit_core::channel::{RecvOutcome, Side, Waiter};

/// Creates (`creating`) or attaches to channel `id` with capacity `cap`
/// (-1 = unbounded), head word `state[0]` and closed flag `state[1]` (an
/// `Int32Array` over a `SharedArrayBuffer`). `unfinished` carries over the count of a queue
/// that was local until now. Returns 0 or a negative status.
#[napi(catch_unwind)]
pub fn chan_open(env: Env, iso: u32, id: u32, cap: i64, creating: bool, unfinished: f64, state: Unknown) -> i32 {
    registry::open(&env, iso, id, cap, creating, unfinished, state.raw())
}

/// Detaches the calling thread (its last JS object for `id` was collected).
#[napi(catch_unwind)]
pub fn chan_detach(env: Env, iso: u32, id: u32) -> i32 {
    registry::detach(&env, iso, id)
}

/// Sends the serialized `value`. `token` 0 makes it a try-send. Returns 0
/// (sent), `QUEUED_KEY_BASE + key` (queued), or a negative status.
#[napi(catch_unwind)]
pub fn chan_send(env: Env, iso: u32, id: u32, value: Buffer, token: u32, gid: u32) -> i32 {
    with_channel(iso, id, |e| {
        let group = match group(gid) {
            Ok(g) => g,
            Err(s) => return s,
        };
        // A try (token 0) never queues and belongs to no select (a select polls
        // before its group has any waiter).
        let waiter = (token != 0).then(|| Waiter::new(iso, token, group));
        let outcome = e.chan.send(value.to_vec(), waiter, deliver(id));
        send_status(&env, iso, outcome)
    })
}

/// Receives. `token` 0 makes it a try-receive. Returns the value's bytes, or
/// `QUEUED_KEY_BASE + key` (queued), or a negative status (`CLOSED` once closed and drained).
#[napi(catch_unwind)]
pub fn chan_recv(env: Env, iso: u32, id: u32, token: u32, gid: u32) -> Either<Buffer, i32> {
    with_channel(iso, id, |e| {
        let group = match group(gid) {
            Ok(g) => g,
            Err(s) => return Either::B(s),
        };
        let waiter = (token != 0).then(|| Waiter::new(iso, token, group));
        match e.chan.recv(waiter, deliver(id)) {
            RecvOutcome::Value(v) => Either::A(v.into()),
            RecvOutcome::Queued(key) => {
                queued(&env, iso);
                Either::B(protocol::QUEUED_KEY_BASE + key as i32)
            }
            RecvOutcome::Empty => Either::B(STATUS_WOULD_BLOCK),
            RecvOutcome::Closed => Either::B(protocol::STATUS_CLOSED),
            RecvOutcome::GroupFired => Either::B(STATUS_GROUP_FIRED),
        }
    })
}

/// The value parked for this thread's woken receiver `token` (`null` if
/// there is none, or the thread is not attached).
#[napi(catch_unwind)]
pub fn chan_claim(iso: u32, id: u32, token: u32) -> Option<Buffer> {
    with_channel(iso, id, |e| e.chan.claim(iso, token).map(Buffer::from))
}

/// Cancels a queued waiter (`side`: `SIDE_SEND`, `SIDE_RECEIVE` or
/// `SIDE_JOIN`). Returns `CANCEL_REMOVED` if removed, `STATUS_NOT_QUEUED` if it
/// was already served (its wake is on the way).
#[napi(catch_unwind)]
pub fn chan_cancel(env: Env, iso: u32, id: u32, side: u32, key: u32, token: u32) -> i32 {
    with_channel(iso, id, |e| {
        let side = match side {
            protocol::SIDE_SEND => Side::Send,
            protocol::SIDE_RECEIVE => Side::Receive,
            _ => Side::Join,
        };
        if e.chan.cancel(side, key as usize, iso, token) {
            settled(&env, iso);
            protocol::CANCEL_REMOVED
        } else {
            STATUS_NOT_QUEUED
        }
    })
}

/// Closes. Returns 1 if this call closed it, 0 if it was closed already.
#[napi(catch_unwind)]
pub fn chan_close(iso: u32, id: u32) -> i32 {
    with_channel(iso, id, |e| {
        // First the flag that JS senders check before they use a slot
        // they reserved earlier (see lib/channel/outbox.js).
        e.chan.word().closed_flag().store(1, Ordering::SeqCst);
        e.chan.close(deliver(id)) as i32
    })
}

/// `[buffered values, closed (0/1)]` packed as `len * 2 + closed`, or a negative status.
#[napi(catch_unwind)]
pub fn chan_state(iso: u32, id: u32) -> f64 {
    with_channel(iso, id, |e| {
        // Let queued senders into slots that JS receivers freed, first.
        e.chan.sync(deliver(id));
        (e.chan.len() as f64) * 2.0 + if e.chan.is_closed() { 1.0 } else { 0.0 }
    })
}

/// Values accepted and not yet marked done.
#[napi(catch_unwind)]
pub fn chan_unfinished(iso: u32, id: u32) -> f64 {
    with_channel(iso, id, |e| e.chan.unfinished() as f64)
}

/// Marks one value done. Returns the count left, or a negative status.
#[napi(catch_unwind)]
pub fn chan_task_done(iso: u32, id: u32) -> f64 {
    with_channel(iso, id, |e| match e.chan.task_done(deliver(id)) {
        Some(left) => left as f64,
        None => STATUS_NOTHING_UNFINISHED as f64,
    })
}

/// Waits until nothing is unfinished: 0 if that is already so, else `QUEUED_KEY_BASE + key`.
#[napi(catch_unwind)]
pub fn chan_join(env: Env, iso: u32, id: u32, token: u32) -> i32 {
    with_channel(iso, id, |e| match e.chan.join(Waiter::new(iso, token, None)) {
        None => 0,
        Some(key) => {
            queued(&env, iso);
            protocol::QUEUED_KEY_BASE + key as i32
        }
    })
}

/// A new select group (its waiters complete at most once).
#[napi(catch_unwind)]
pub fn chan_group_new() -> u32 {
    registry::new_group()
}

/// Forgets a select group id (its queued waiters keep the group alive).
#[napi(catch_unwind)]
pub fn chan_group_end(gid: u32) {
    registry::end_group(gid);
}
