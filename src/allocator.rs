//! Giving memory that the C allocator keeps back to the operating system.
//!
//! Every worker thread that starts and dies allocates in glibc's malloc
//! arenas (its messages, its env, the pool's payload copies), and glibc keeps
//! freed memory in those arenas instead of returning it: measured after a
//! storm of 750 worker crashes, 30 MB of "system bytes" held 4 MB in use, and
//! `malloc_trim(0)` gave 20 MB of RSS back. That is free memory the
//! allocator holds, not a leak (the bytes in use grow by about 40 B per
//! crash, as with plain Workers), but it is memory a crashing pool keeps, so
//! the pool trims once its workers stop dying (see `lib/pool/trim.js`).
//!
//! `malloc_trim` is glibc's, so it is looked up at run time
//! ([`crate::node_symbols`]), and where it does not exist (musl, macOS,
//! Windows) nothing happens.

use crate::node_symbols::malloc_trim;
use napi_derive::napi;

/// Returns the C allocator's free memory to the operating system
/// (`malloc_trim(0)` on glibc). 1 if memory was released, 0 if there was
/// none to release, -1 where the allocator has no such call.
#[napi(catch_unwind)]
pub fn allocator_trim() -> i32 {
    match malloc_trim() {
        // Safety: glibc's `malloc_trim(size_t)`, callable from any thread.
        Some(trim) => unsafe { trim(0) },
        None => -1,
    }
}
