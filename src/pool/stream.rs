//! The pool function of `pool.stream()`. A stream's values do not cross the
//! binding: they go through a byte ring in shared memory that the worker's
//! JS writes and the caller's iterator reads (lib/pool/stream-ring.js). Only
//! the wake-up of a caller that waits for a value comes here: the owner's
//! wake, so that its spin (src/spin.rs) catches it and its drain serves the
//! stream.

use super::pool;
use napi_derive::napi;

/// Worker side: a caller of a stream of pool `pool_id` waits for a value
/// that was just written: wakes the pool's owner (its drain serves the
/// streams that wait). The ring's flag makes it once per wait.
#[napi(catch_unwind)]
pub fn pool_stream_wake(pool_id: u32) {
    if let Some(p) = pool(pool_id) {
        p.wake_owner();
    }
}
