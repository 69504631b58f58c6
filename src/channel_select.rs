//! The exported function behind a `select` with a default on shared
//! channels: one call that decides over all the select's channels at one
//! moment (see `threadkit_core::channel::try_select`), instead of one try
//! per case, which another thread could interleave with.

use crate::channel::{deliver, entry, WOULD_BLOCK};
use crate::channel_fast::{uint8_array, TOO_BIG};
use crate::status;
use napi::bindgen_prelude::{Buffer, Unknown};
use napi::{Env, JsValue};
use napi_derive::napi;
use threadkit_core::channel::{try_select, TryOp, TryResult};

/// Bytes before the received value in `scratch`: `[case index, result]` as u32.
const HEADER: usize = 8;
const RESULT_SENT: u32 = 0;
const RESULT_VALUE: u32 = 1;
const RESULT_CLOSED: u32 = 2;

/// Runs the first ready case of a select with a default, in the given
/// order, or none. `cases` is `[channel id, side (0 send, 1 receive)]` per
/// case; `values` holds the serialized values of the send cases, in order.
/// Returns `WOULD_BLOCK` if no case was ready; else writes `[case index,
/// result (0 sent, 1 received, 2 closed)]` at the start of `scratch`, a
/// received value after it, and returns the value's length (0 for no
/// value), or `TOO_BIG` if the value did not fit: it is parked under
/// `token` for `chan_claim` on that case's channel.
#[napi(catch_unwind)]
pub fn chan_select_try(env: Env, iso: u32, cases: Vec<u32>, values: Vec<Buffer>, scratch: Unknown, token: u32) -> i32 {
    let Some((ptr, cap)) = uint8_array(&env, scratch.raw()) else {
        return status::BAD_ARGUMENT;
    };
    if !cases.len().is_multiple_of(2) || cap < HEADER || cap > i32::MAX as usize {
        return status::BAD_ARGUMENT;
    }
    let mut ids = Vec::with_capacity(cases.len() / 2);
    let mut entries = Vec::with_capacity(cases.len() / 2);
    for pair in cases.chunks_exact(2) {
        let Some(e) = entry(iso, pair[0]) else {
            return status::NOT_ATTACHED;
        };
        ids.push(pair[0]);
        entries.push(e);
    }
    let mut values = values.into_iter();
    let mut ops = Vec::with_capacity(entries.len());
    for (e, pair) in entries.iter().zip(cases.chunks_exact(2)) {
        let op = match pair[1] {
            0 => match values.next() {
                Some(v) => TryOp::Send(v.to_vec()),
                None => return status::BAD_ARGUMENT,
            },
            _ => TryOp::Recv,
        };
        ops.push((&e.chan, op));
    }
    let mut wake: Vec<_> = ids.iter().map(|&id| deliver(id)).collect();
    let Some((index, result)) = try_select(ops, |i, w, k| wake[i](w, k)) else {
        return WOULD_BLOCK;
    };
    let out = unsafe { std::slice::from_raw_parts_mut(ptr, cap) };
    let (kind, len) = match result {
        TryResult::Sent => (RESULT_SENT, 0),
        TryResult::Closed => (RESULT_CLOSED, 0),
        TryResult::Value(v) => {
            if HEADER + v.len() > cap {
                entries[index].chan.park(iso, token, v);
                (RESULT_VALUE, TOO_BIG)
            } else {
                out[HEADER..HEADER + v.len()].copy_from_slice(&v);
                (RESULT_VALUE, v.len() as i32)
            }
        }
    };
    out[0..4].copy_from_slice(&(index as u32).to_le_bytes());
    out[4..8].copy_from_slice(&kind.to_le_bytes());
    len
}
