//! The hot paths of shared channels (see `lib/channel/shared.js` and
//! `lib/channel/outbox.js`): values move through a per-thread scratch
//! `Uint8Array` instead of a `Buffer` per value, a receive brings copies of
//! the values behind it (taken later by a CAS in JS, see
//! `threadkit_core::seq_buffer`), and each thread's sends are batched in an
//! outbox in shared memory that native code flushes, also when the thread
//! dies.

use crate::channel_registry::{
    deliver, flush, flush_inner, group, send_status, take_back_reserved, with_channel, Attached, Entry, Outbox,
};
use crate::isolate::queued;
use crate::protocol::{self, QUEUED_BASE, STATUS_GROUP_FIRED, STATUS_TOO_BIG, STATUS_WOULD_BLOCK};
use crate::shared_memory::{uint8_array, StrongRef};
use napi::bindgen_prelude::Unknown;
use napi::{Env, JsValue};
use napi_derive::napi;
use threadkit_core::channel::{outbox, RecvOutcome, SendOutcome, Waiter};

// A Buffer argument plus an external Buffer result cost ~2 µs per value
// here: the paths below use the caller's scratch `Uint8Array` instead.

// `STATUS_TOO_BIG` from `chan_recv_batch`/`chan_claim_raw`: the value does
// not fit in the scratch buffer and is parked under `(thread, token)`; take
// it with `chan_claim`.

/// Copies `v` into the scratch buffer, or parks it for `chan_claim` if it does not fit.
fn hand_out(e: &Entry, iso: u32, token: u32, v: Vec<u8>, scratch: (*mut u8, usize)) -> i32 {
    if v.len() <= scratch.1 {
        // Safety: `scratch` is the caller's live `Uint8Array` (from
        // `uint8_array`, this call) of `scratch.1 >= v.len()` bytes; `v` is ours.
        unsafe { std::ptr::copy_nonoverlapping(v.as_ptr(), scratch.0, v.len()) };
        v.len() as i32
    } else {
        e.chan.park(iso, token, v);
        STATUS_TOO_BIG
    }
}

/// `chan_send` with the value's bytes in `scratch[0..len]`.
#[napi(catch_unwind)]
pub fn chan_send_raw(env: Env, iso: u32, id: u32, scratch: Unknown, len: u32, token: u32, gid: u32) -> i32 {
    with_channel(iso, id, |e| {
        let Some((ptr, cap)) = uint8_array(&env, scratch.raw()) else {
            return protocol::STATUS_BAD_ARGUMENT;
        };
        if len as usize > cap {
            return protocol::STATUS_BAD_ARGUMENT;
        }
        let group = match group(gid) {
            Ok(g) => g,
            Err(s) => return s,
        };
        // Safety: `ptr`/`cap` describe the scratch `Uint8Array`, alive for this
        // synchronous call, and `len <= cap` was checked.
        let value = unsafe { std::slice::from_raw_parts(ptr, len as usize) }.to_vec();
        let waiter = (token != 0).then(|| Waiter::new(iso, token, group));
        if waiter.is_some() {
            return send_status(&env, iso, e.chan.send(value, waiter, deliver(id)));
        }
        // A try-send: slots other threads reserved and left unused count as room.
        let outcome = match e.chan.try_send(value, deliver(id)) {
            Err(value) if take_back_reserved(&e, id, iso) => {
                e.chan.try_send(value, deliver(id)).unwrap_or(SendOutcome::Full)
            }
            Err(_) => SendOutcome::Full,
            Ok(outcome) => outcome,
        };
        send_status(&env, iso, outcome)
    })
}

/// `chan_claim` into `scratch`: the length, `STATUS_TOO_BIG`, or `NOT_ATTACHED` if
/// nothing is parked for `token`.
#[napi(catch_unwind)]
pub fn chan_claim_raw(env: Env, iso: u32, id: u32, token: u32, scratch: Unknown) -> i32 {
    with_channel(iso, id, |e| {
        let Some(buf) = uint8_array(&env, scratch.raw()) else {
            return protocol::STATUS_BAD_ARGUMENT;
        };
        match e.chan.claim(iso, token) {
            Some(v) => hand_out(&e, iso, token, v, buf),
            None => protocol::STATUS_NOT_ATTACHED,
        }
    })
}

/// Lets queued senders into slots freed by receivers that took values by
/// themselves (JS fast path; see `threadkit_core::seq_buffer`).
#[napi(catch_unwind)]
pub fn chan_sync(iso: u32, id: u32) -> i32 {
    with_channel(iso, id, |e| {
        e.chan.sync(deliver(id));
        0
    })
}

const BATCH_HEADER: usize = protocol::RECV_BATCH_HEADER as usize;

/// Flushes this thread's outbox (keeping its reserved slots), then
/// `chan_recv` into `scratch`, and on success it also copies up to `max` of the
/// values still buffered after the one received, with the number of the
/// first, so that this thread can take them later with a compare-and-swap
/// on the head word, without a native call. Layout in `scratch`: the header,
/// the received value, then `[u32 length][bytes]` per copy. Returns the
/// bytes used, `STATUS_TOO_BIG` (the value is parked), `QUEUED_BASE - key`, or a
/// negative status.
#[napi(catch_unwind)]
pub fn chan_recv_batch(env: Env, iso: u32, id: u32, scratch: Unknown, token: u32, gid: u32, max: u32) -> i32 {
    with_channel(iso, id, |e| {
        // This thread's own sends go in first (program order); it keeps its slots.
        flush_inner(&e, id, iso, true);
        let Some((ptr, cap)) = uint8_array(&env, scratch.raw()) else {
            return protocol::STATUS_BAD_ARGUMENT;
        };
        if cap < BATCH_HEADER || cap > i32::MAX as usize {
            return protocol::STATUS_BAD_ARGUMENT;
        }
        let group = match group(gid) {
            Ok(g) => g,
            Err(s) => return s,
        };
        let waiter = (token != 0).then(|| Waiter::new(iso, token, group));
        let v = match e.chan.recv(waiter, deliver(id)) {
            RecvOutcome::Value(v) => v,
            RecvOutcome::Queued(key) => {
                queued(&env, iso);
                return QUEUED_BASE - key as i32;
            }
            RecvOutcome::Empty => return STATUS_WOULD_BLOCK,
            RecvOutcome::Closed => return protocol::STATUS_CLOSED,
            RecvOutcome::GroupFired => return STATUS_GROUP_FIRED,
        };
        if BATCH_HEADER + v.len() > cap {
            e.chan.park(iso, token, v);
            return STATUS_TOO_BIG;
        }
        // Safety: `ptr`/`cap` describe the scratch `Uint8Array`, alive for this
        // synchronous call; no other slice of it exists here.
        let out = unsafe { std::slice::from_raw_parts_mut(ptr, cap) };
        out[BATCH_HEADER..BATCH_HEADER + v.len()].copy_from_slice(&v);
        let mut at = BATCH_HEADER + v.len();
        let (first, copies) = if max == 0 {
            (0, 0)
        } else {
            e.chan.peek(max as usize, |c| {
                if at + 4 + c.len() > cap {
                    return false;
                }
                out[at..at + 4].copy_from_slice(&(c.len() as u32).to_le_bytes());
                out[at + 4..at + 4 + c.len()].copy_from_slice(c);
                at += 4 + c.len();
                true
            })
        };
        out[0..4].copy_from_slice(&(v.len() as u32).to_le_bytes());
        out[4..8].copy_from_slice(&(copies as u32).to_le_bytes());
        out[8..12].copy_from_slice(&first.to_le_bytes());
        at as i32
    })
}

/// Registers the calling thread's outbox for channel `id` (a `Uint8Array`
/// over a `SharedArrayBuffer`; see [`Outbox`]).
#[napi(catch_unwind)]
pub fn chan_outbox(env: Env, iso: u32, id: u32, buf: Unknown) -> i32 {
    with_channel(iso, id, |e| {
        let Some((ptr, len)) = uint8_array(&env, buf.raw()) else {
            return protocol::STATUS_BAD_ARGUMENT;
        };
        if len < outbox::DATA || !(ptr as usize).is_multiple_of(4) {
            return protocol::STATUS_BAD_ARGUMENT;
        }
        let Some(buf_ref) = StrongRef::new(&env, buf.raw()) else {
            return protocol::STATUS_BAD_ARGUMENT;
        };
        flush(&e, id, iso);
        let mut a = e.attached.lock();
        let Some(at) = a.get_mut(&iso) else {
            buf_ref.delete(&env);
            return protocol::STATUS_NOT_ATTACHED;
        };
        if let Some(old) = at.outbox.replace(Outbox { ptr, len, buf_ref }) {
            old.buf_ref.delete(&env);
        }
        0
    })
}

/// Flushes the calling thread's outbox (and gives back unused reserved
/// slots), then reserves up to `want` slots for it. Returns the number
/// reserved, or `CLOSED`.
#[napi(catch_unwind)]
pub fn chan_flush(iso: u32, id: u32, want: u32) -> i32 {
    with_channel(iso, id, |e| {
        flush(&e, id, iso);
        if want == 0 {
            return 0;
        }
        let Some(reserved) = e.chan.reserve(want as usize) else {
            return protocol::STATUS_CLOSED;
        };
        let granted = {
            let mut a = e.attached.lock();
            match a.get_mut(&iso) {
                Some(Attached {
                    outbox: Some(outbox),
                    credits,
                    ..
                }) => {
                    credits.grant(reserved, outbox.avail());
                    reserved
                }
                // No outbox to put values in: nothing to reserve for.
                _ => 0,
            }
        };
        if granted < reserved {
            e.chan.release_reserved(reserved, deliver(id));
        }
        granted as i32
    })
}
