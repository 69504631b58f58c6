//! Node's functions outside Node-API, looked up at run time.
//!
//! The addon imports only Node-API and the C runtime at link time (checked
//! by `__test__/node-symbols.spec.ts`), so it links on every platform and
//! loads in any Node that has the Node-API version it needs. Three features
//! use more than Node-API, through functions the node executable exports to
//! addons: the watchdog stops a worker with Node's C++ `node::Stop`
//! ([`crate::node_env`]), the spin uses a libuv prepare handle
//! ([`crate::spin`]), and owners are woken through a libuv async handle
//! ([`crate::owner_wake`]). They are looked up once, on first use, in the running
//! process: `dlopen(NULL)` + `dlsym` on Unix, `GetModuleHandleW(NULL)` +
//! `GetProcAddress` on Windows (both through `libloading`).
//!
//! A group whose lookup fails is `None`, and its feature falls back (the
//! README says what is lost):
//! - no [`NodeStop`]: the watchdog still ends timed-out tasks, but the
//!   owner thread terminates their workers (`worker.terminate()`), so a
//!   stuck worker is stopped only once the owner's event loop runs;
//! - no [`Uv`]: no spin before sleeping, and owners are woken through a
//!   Node-API threadsafe function ([`crate::owner_wake`]).
//!
//! `node::Stop` and friends are C++: they are called through the Itanium
//! C++ ABI (see [`crate::node_env`]), so they are looked up only where
//! Node uses it with the calling convention assumed there: x86-64 and
//! arm64, not Windows (MSVC mangles names differently and returns a
//! `Local` from a member function through a hidden pointer). On Windows the
//! watchdog therefore always uses the fallback. libuv's functions are plain
//! C and are looked up everywhere.
//!
//! The same lookup finds glibc's `malloc_trim` for [`crate::allocator`]
//! (absent on musl, macOS and Windows, where trimming is skipped).

use napi::sys;
use std::ffi::{c_int, c_void};
use std::sync::LazyLock;

#[cfg(unix)]
use libloading::os::unix::Library;
#[cfg(windows)]
use libloading::os::windows::Library;

// Safety (every `unsafe extern "C" fn` type in this file, the fields of
// `NodeStop` and `Uv` and the two type aliases): these are types, not unsafe
// operations. Calling such a pointer is unsafe, and each call site (node_env,
// spin, allocator) has its own note. A value of them is made only by `sym`,
// whose callers below vouch that the type is the symbol's real one.

/// The functions behind [`crate::node_env`] (see there for their C++ signatures).
// Safety: function pointer types only (see the note above).
pub(crate) struct NodeStop {
    /// `v8::Isolate::GetCurrent()`
    pub isolate_get_current: unsafe extern "C" fn() -> *mut c_void,
    /// `v8::Isolate::GetCurrentContext()` (`this` first; a `Local` is one pointer)
    pub isolate_get_current_context: unsafe extern "C" fn(*mut c_void) -> *mut c_void,
    /// `node::GetCurrentEnvironment(v8::Local<v8::Context>)`
    pub get_current_environment: unsafe extern "C" fn(*mut c_void) -> *mut c_void,
    /// `node::Stop(node::Environment*, node::StopFlags::Flags)`
    pub stop: unsafe extern "C" fn(*mut c_void, c_int) -> c_int,
}

/// A libuv callback taking the handle (`uv_prepare_cb`, `uv_async_cb`, `uv_close_cb`).
// Safety: a function pointer type only (see the note above `NodeStop`).
pub(crate) type UvHandleCb = unsafe extern "C" fn(*mut c_void);

/// The libuv functions behind [`crate::spin`] and [`crate::owner_wake`].
// Safety: function pointer types only (see the note above `NodeStop`).
pub(crate) struct Uv {
    pub handle_size: unsafe extern "C" fn(c_int) -> usize,
    pub prepare_init: unsafe extern "C" fn(*mut sys::uv_loop_s, *mut c_void) -> c_int,
    pub prepare_start: unsafe extern "C" fn(*mut c_void, UvHandleCb) -> c_int,
    pub prepare_stop: unsafe extern "C" fn(*mut c_void) -> c_int,
    pub async_init: unsafe extern "C" fn(*mut sys::uv_loop_s, *mut c_void, UvHandleCb) -> c_int,
    pub async_send: unsafe extern "C" fn(*mut c_void) -> c_int,
    pub ref_: unsafe extern "C" fn(*mut c_void),
    pub unref: unsafe extern "C" fn(*mut c_void),
    pub close: unsafe extern "C" fn(*mut c_void, UvHandleCb),
    pub backend_timeout: unsafe extern "C" fn(*const sys::uv_loop_s) -> c_int,
}

/// `env`'s libuv loop, and zeroed 8-aligned memory for a handle of `kind`
/// (`uv_handle_size`), leaked for the caller to init and, once closed, free
/// with `Box::from_raw`. `None` if either cannot be had.
///
/// # Safety
/// `env` must be the calling thread's env.
pub(crate) unsafe fn handle_memory(uv: &Uv, env: &napi::Env, kind: c_int) -> Option<(*mut sys::uv_loop_s, *mut [u64])> {
    let mut lp = std::ptr::null_mut();
    if sys::napi_get_uv_event_loop(env.raw(), &mut lp) != sys::Status::napi_ok || lp.is_null() {
        return None;
    }
    let words = (uv.handle_size)(kind).div_ceil(8);
    if words == 0 {
        return None;
    }
    Some((lp, Box::into_raw(vec![0u64; words].into_boxed_slice())))
}

/// glibc's `int malloc_trim(size_t pad)`.
// Safety: a function pointer type only (see the note above `NodeStop`).
pub(crate) type MallocTrim = unsafe extern "C" fn(usize) -> c_int;

struct Symbols {
    stop: Option<NodeStop>,
    uv: Option<Uv>,
    malloc_trim: Option<MallocTrim>,
}

/// Test hook, not an API: `THREADKIT_TEST_NO_NODE_SYMBOLS=stop,uv` (either
/// or both) makes those groups' lookups fail, so that tests can run the
/// fallbacks under a Node that does export the symbols. Read once, with the
/// lookup.
const TEST_HOOK: &str = "THREADKIT_TEST_NO_NODE_SYMBOLS";

static SYMBOLS: LazyLock<Symbols> = LazyLock::new(|| {
    let hook = std::env::var(TEST_HOOK).ok();
    // The handle may close after the lookup: the executable is never unloaded.
    let lib = this_process();
    let lib = lib.as_ref();
    Symbols {
        stop: lib
            .filter(|_| !hook_disables(hook.as_deref(), "stop"))
            .and_then(lookup_stop),
        uv: lib
            .filter(|_| !hook_disables(hook.as_deref(), "uv"))
            .and_then(lookup_uv),
        // Safety: the type is glibc's signature of `malloc_trim`.
        malloc_trim: lib.and_then(|lib| unsafe { sym(lib, "malloc_trim") }),
    }
});

/// `node::Stop` and what it needs, if found.
pub(crate) fn node_stop() -> Option<&'static NodeStop> {
    SYMBOLS.stop.as_ref()
}

/// libuv's prepare-handle functions, if found.
pub(crate) fn uv() -> Option<&'static Uv> {
    SYMBOLS.uv.as_ref()
}

/// glibc's `malloc_trim`, if this process has it.
pub(crate) fn malloc_trim() -> Option<MallocTrim> {
    SYMBOLS.malloc_trim
}

fn hook_disables(value: Option<&str>, group: &str) -> bool {
    value.is_some_and(|v| v.split(',').any(|g| g.trim().eq_ignore_ascii_case(group)))
}

/// The running process's global symbols (the node executable's exports).
#[cfg(unix)]
fn this_process() -> Option<Library> {
    Some(Library::this())
}

#[cfg(windows)]
fn this_process() -> Option<Library> {
    Library::this().ok()
}

/// Looks `name` up as a `T` (a function pointer type).
///
/// # Safety
/// `T` must be the symbol's real type.
unsafe fn sym<T: Copy>(lib: &Library, name: &str) -> Option<T> {
    // Safety: the caller vouches for `T` (above); the copy outlives the
    // `Symbol` borrow, which is fine because the executable is never unloaded.
    lib.get::<T>(name).ok().map(|s| *s)
}

#[cfg(all(unix, any(target_arch = "x86_64", target_arch = "aarch64")))]
fn lookup_stop(lib: &Library) -> Option<NodeStop> {
    // Safety: each field's type is the C++ function's ABI on these targets
    // (the mangled names pin the signatures; `this` and a `Local` are one
    // pointer each), as documented on `NodeStop`.
    unsafe {
        Some(NodeStop {
            isolate_get_current: sym(lib, "_ZN2v87Isolate10GetCurrentEv")?,
            isolate_get_current_context: sym(lib, "_ZN2v87Isolate17GetCurrentContextEv")?,
            get_current_environment: sym(lib, "_ZN4node21GetCurrentEnvironmentEN2v85LocalINS0_7ContextEEE")?,
            stop: sym(lib, "_ZN4node4StopEPNS_11EnvironmentENS_9StopFlags5FlagsE")?,
        })
    }
}

#[cfg(not(all(unix, any(target_arch = "x86_64", target_arch = "aarch64"))))]
fn lookup_stop(_lib: &Library) -> Option<NodeStop> {
    None
}

fn lookup_uv(lib: &Library) -> Option<Uv> {
    // Safety: each field's type is libuv's C signature of that function.
    unsafe {
        Some(Uv {
            handle_size: sym(lib, "uv_handle_size")?,
            prepare_init: sym(lib, "uv_prepare_init")?,
            prepare_start: sym(lib, "uv_prepare_start")?,
            prepare_stop: sym(lib, "uv_prepare_stop")?,
            async_init: sym(lib, "uv_async_init")?,
            async_send: sym(lib, "uv_async_send")?,
            ref_: sym(lib, "uv_ref")?,
            unref: sym(lib, "uv_unref")?,
            close: sym(lib, "uv_close")?,
            backend_timeout: sym(lib, "uv_backend_timeout")?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::hook_disables;

    #[test]
    fn the_test_hook_names_groups_separated_by_commas() {
        assert!(!hook_disables(None, "stop"));
        assert!(!hook_disables(Some(""), "stop"));
        assert!(hook_disables(Some("stop"), "stop"));
        assert!(!hook_disables(Some("stop"), "uv"));
        assert!(hook_disables(Some("stop, UV"), "uv"));
        assert!(!hook_disables(Some("stopper"), "stop"));
    }
}
