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
//! `malloc_trim` is glibc's, so it is looked up at run time (`dlsym`), and
//! where it does not exist (musl, macOS, Windows) nothing happens.

use napi_derive::napi;

type TrimFn = unsafe extern "C" fn(usize) -> i32;

#[cfg(target_os = "linux")]
fn malloc_trim() -> Option<TrimFn> {
    use std::ffi::{c_char, c_void};
    use std::sync::OnceLock;
    extern "C" {
        fn dlsym(handle: *mut c_void, symbol: *const c_char) -> *mut c_void;
    }
    static TRIM: OnceLock<Option<TrimFn>> = OnceLock::new();
    *TRIM.get_or_init(|| {
        // RTLD_DEFAULT is the null handle on Linux (glibc and musl).
        let addr = unsafe { dlsym(std::ptr::null_mut(), c"malloc_trim".as_ptr()) };
        // Safe: glibc's `int malloc_trim(size_t pad)`.
        (!addr.is_null()).then(|| unsafe { std::mem::transmute::<*mut c_void, TrimFn>(addr) })
    })
}

#[cfg(not(target_os = "linux"))]
fn malloc_trim() -> Option<TrimFn> {
    None
}

/// Returns the C allocator's free memory to the operating system
/// (`malloc_trim(0)` on glibc). 1 if memory was released, 0 if there was
/// none to release, -1 where the allocator has no such call.
#[napi(catch_unwind)]
pub fn allocator_trim() -> i32 {
    match malloc_trim() {
        Some(trim) => unsafe { trim(0) },
        None => -1,
    }
}
