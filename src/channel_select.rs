//! The exported function behind a `select` with a default on shared
//! channels: one call that decides over all the select's channels at one
//! moment (see `threadkit_core::channel::try_select`), instead of one try
//! per case, which another thread could interleave with.

use crate::channel::{deliver, entry, WOULD_BLOCK};
use crate::channel_fast::{take_back_reserved, uint8_array, TOO_BIG};
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
    let mut sends = values.iter();
    let mut sides = Vec::with_capacity(entries.len());
    for pair in cases.chunks_exact(2) {
        sides.push(match pair[1] {
            0 => match sends.next() {
                Some(v) => Some(&v[..]),
                None => return status::BAD_ARGUMENT,
            },
            _ => None,
        });
    }
    let ops = || -> Vec<_> {
        let to_op = |side: &Option<&[u8]>| side.map_or(TryOp::Recv, |v| TryOp::Send(v.to_vec()));
        entries
            .iter()
            .zip(&sides)
            .map(|(e, side)| (&e.chan, to_op(side)))
            .collect()
    };
    let mut wake: Vec<_> = ids.iter().map(|&id| deliver(id)).collect();
    let mut outcome = try_select(ops(), |i, w, k| wake[i](w, k));
    if outcome.is_none() {
        // As for a try-send: slots other threads reserved and left unused
        // count as room for a send case (then it decides again, at a new moment).
        let mut took = false;
        for ((e, &id), side) in entries.iter().zip(&ids).zip(&sides) {
            if side.is_some() {
                took |= take_back_reserved(e, id, iso);
            }
        }
        if took {
            outcome = try_select(ops(), |i, w, k| wake[i](w, k));
        }
    }
    let Some((index, result)) = outcome else {
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
