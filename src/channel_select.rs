//! The exported function behind a `select` with a default on shared
//! channels: one call that decides over all the select's channels at one
//! moment (see `threadkit_core::channel::try_select`), instead of one try
//! per case, which another thread could interleave with.

use crate::channel_registry::{deliver, entry, flush_inner, take_back_reserved};
use crate::protocol::{
    self, SELECT_CLOSED, SELECT_HEADER, SELECT_SENT, SELECT_VALUE, STATUS_TOO_BIG, STATUS_WOULD_BLOCK,
};
use crate::shared_memory::uint8_array;
use napi::bindgen_prelude::Unknown;
use napi::{Env, JsValue};
use napi_derive::napi;
use threadkit_core::channel::{try_select, TryOp, TryResult};

const HEADER: usize = SELECT_HEADER as usize;

/// Runs the first ready case of a select with a default, in the given
/// order, or none. `scratch` holds `[channel id, side (`SIDE_SEND` or `SIDE_RECEIVE`)]`
/// (u32 each) for each of the `n` cases, then `[u32 length][bytes]` for each
/// send case's serialized value, in order. Returns `STATUS_WOULD_BLOCK` if no case
/// was ready; else writes `[case index, result (`SELECT_SENT`,
/// `SELECT_VALUE` or `SELECT_CLOSED`)]` at the start of `scratch`, a received value after it, and
/// returns the value's length (0 for no value), or `STATUS_TOO_BIG` if the value
/// did not fit: it is parked under `token` for `chan_claim` on that case's
/// channel. It first flushes the calling thread's outboxes for these
/// channels, as `chan_recv_batch` does.
#[napi(catch_unwind)]
pub fn chan_select_try(env: Env, iso: u32, scratch: Unknown, n: u32, token: u32) -> i32 {
    let Some((ptr, cap)) = uint8_array(&env, scratch.raw()) else {
        return protocol::STATUS_BAD_ARGUMENT;
    };
    let n = n as usize;
    if cap < HEADER.max(8 * n) || cap > i32::MAX as usize {
        return protocol::STATUS_BAD_ARGUMENT;
    }
    // Safety: `ptr` and `cap` describe the scratch `Uint8Array`, which the
    // caller keeps alive for this synchronous call.
    let input = unsafe { std::slice::from_raw_parts(ptr, cap) };
    let u32_at = |at: usize| u32::from_le_bytes(input[at..at + 4].try_into().expect("4 bytes"));
    let mut ids = Vec::with_capacity(n);
    let mut entries = Vec::with_capacity(n);
    let mut sides = Vec::with_capacity(n);
    let mut at = 8 * n;
    for k in 0..n {
        let id = u32_at(8 * k);
        let Some(e) = entry(iso, id) else {
            return protocol::STATUS_NOT_ATTACHED;
        };
        ids.push(id);
        entries.push(e);
        sides.push(if u32_at(8 * k + 4) == protocol::SIDE_SEND {
            if at + 4 > cap || at + 4 + u32_at(at) as usize > cap {
                return protocol::STATUS_BAD_ARGUMENT;
            }
            let len = u32_at(at) as usize;
            let value = input[at + 4..at + 4 + len].to_vec();
            at += 4 + len;
            Some(value)
        } else {
            None
        });
    }
    // This thread's own sends on these channels go in first (program order).
    // It keeps its unused slots, except where a send case could use them.
    for (k, (e, &id)) in entries.iter().zip(&ids).enumerate() {
        if ids[..k].contains(&id) {
            continue;
        }
        let sends_here = ids
            .iter()
            .zip(&sides)
            .any(|(&other, side)| other == id && side.is_some());
        flush_inner(e, id, iso, !sends_here);
    }
    let ops = || -> Vec<_> {
        let to_op = |side: &Option<Vec<u8>>| side.as_ref().map_or(TryOp::Recv, |v| TryOp::Send(v.clone()));
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
        return STATUS_WOULD_BLOCK;
    };
    // Safety: as for `input`, which is not used any more.
    let out = unsafe { std::slice::from_raw_parts_mut(ptr, cap) };
    let (kind, len) = match result {
        TryResult::Sent => (SELECT_SENT, 0),
        TryResult::Closed => (SELECT_CLOSED, 0),
        TryResult::Value(v) => {
            if HEADER + v.len() > cap {
                entries[index].chan.park(iso, token, v);
                (SELECT_VALUE, STATUS_TOO_BIG)
            } else {
                out[HEADER..HEADER + v.len()].copy_from_slice(&v);
                (SELECT_VALUE, v.len() as i32)
            }
        }
    };
    out[0..4].copy_from_slice(&(index as u32).to_le_bytes());
    out[4..8].copy_from_slice(&kind.to_le_bytes());
    len
}
