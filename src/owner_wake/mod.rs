//! How another thread wakes an owning thread's event loop: a thread's wake
//! mailbox (`threadkit.wake`, [`crate::isolate`]) and each pool's completion
//! wake-up (`threadkit.pool`, [`crate::pool`]) are both an [`OwnerWake`].
//!
//! Both are long-lived and carry no data: what is delivered waits in the
//! owner's mailbox or queue, and a call only schedules the owner's drain.
//! A call is non-blocking from any thread and allocates nothing. The owner
//! refs the wake while it waits for something, so an idle thread is not kept
//! alive, and passes an async resource whose `hasRef()` says so (what jest's
//! `--detectOpenHandles` reads). A panic in the owner's callback is caught
//! and reported to JS as an uncaught exception instead of aborting.
//!
//! Two ways to do it, chosen once per wake at creation:
//! - [`uv`] (the default): the addon's own libuv async handle. `uv_async_send`
//!   is one atomic exchange and, only when it wins, one write to the loop's
//!   wake fd: no lock. Measured (issue 19, `perf sched`): Node's threadsafe
//!   function holds its mutex while it calls `uv_async_send`, and the owner's
//!   loop, woken by that very send, then blocks on the same mutex. On a
//!   2-core machine with every core busy that was 508 of the main thread's
//!   519 futex sleeps in 2 s. The handle needs libuv's functions from the
//!   node executable ([`crate::node_symbols`]).
//! - [`tsfn`] (the fallback): a Node-API threadsafe function, where libuv's
//!   functions cannot be found, or with `THREADKIT_OWNER_WAKE=tsfn`.
//!
//! The rule both keep: a caller calls [`OwnerWake::call`] only under the
//! owner's lock, and only until the owner's [`Owner::finalized`] (which
//! takes that lock) or its own [`OwnerWake::release`] (made under it).

mod tsfn;
mod uv;

use napi::{sys, Env};
use std::any::Any;
use std::ffi::CStr;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::ptr;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, LazyLock};

/// What owns a wake: its state, and what runs on its thread.
pub(crate) trait Owner: Send + Sync + 'static {
    /// The async resource's type name (async_hooks, `--detectOpenHandles`).
    const NAME: &'static CStr;
    /// Runs on the owning thread after one or more successful
    /// [`OwnerWake::call`]s (calls made before it started may be coalesced
    /// into it; a call made after it started gets another run). `js_cb` is
    /// the function the owner passed to [`OwnerWake::create`].
    fn call_js(&self, env: &Env, js_cb: sys::napi_value);
    /// The wake is gone (released, or its env torn down): no call of it
    /// will succeed from now on. Runs on the owning thread, once.
    fn finalized(&self);
}

/// The way an owning thread is woken (see the module).
#[derive(Clone, Copy)]
pub(crate) enum OwnerWake {
    Uv(uv::UvWake),
    Tsfn(tsfn::Tsfn),
}

/// `THREADKIT_OWNER_WAKE=tsfn` picks the fallback (for comparison and tests);
/// anything else, or unset, the libuv handle where it can be had. Read once.
static FORCE_TSFN: LazyLock<bool> =
    LazyLock::new(|| std::env::var("THREADKIT_OWNER_WAKE").is_ok_and(|v| v.trim().eq_ignore_ascii_case("tsfn")));

/// How many wakes each way has made in this process: `[uv, tsfn]`.
static MADE: [AtomicU32; 2] = [AtomicU32::new(0), AtomicU32::new(0)];

/// `[uv, tsfn]`: the wakes made each way so far in this process (a native
/// export for the tests of the fallback, not public API).
#[napi_derive::napi]
pub fn owner_wakes_made() -> Vec<u32> {
    MADE.iter().map(|m| m.load(Ordering::Relaxed)).collect()
}

impl OwnerWake {
    /// Creates `owner`'s wake around `js_cb`, with `resource` as its async
    /// resource, unref'd. It holds a strong count of `owner` until it is
    /// finalized. `None` if neither way could be made.
    pub(crate) fn create<O: Owner>(
        env: &Env,
        js_cb: sys::napi_value,
        resource: sys::napi_value,
        owner: &Arc<O>,
    ) -> Option<OwnerWake> {
        if !*FORCE_TSFN {
            if let Some(w) = uv::UvWake::create(env, js_cb, resource, owner) {
                MADE[0].fetch_add(1, Ordering::Relaxed);
                return Some(OwnerWake::Uv(w));
            }
        }
        let t = tsfn::Tsfn::create(env, js_cb, resource, owner)?;
        MADE[1].fetch_add(1, Ordering::Relaxed);
        Some(OwnerWake::Tsfn(t))
    }

    /// Schedules a `call_js` on the owning thread, from any thread, without
    /// blocking. `false` if it is closing (its thread is going away).
    pub(crate) fn call(self) -> bool {
        match self {
            OwnerWake::Uv(w) => w.call(),
            OwnerWake::Tsfn(t) => t.call(),
        }
    }

    /// Lets the wake keep the owner's event loop alive (`on`) or not. On the
    /// owning thread, before the wake is released or finalized.
    pub(crate) fn set_ref(self, env: &Env, on: bool) {
        match self {
            OwnerWake::Uv(w) => w.set_ref(on),
            OwnerWake::Tsfn(t) => t.set_ref(env, on),
        }
    }

    /// Gives up this (the only) handle, on the owning thread: `finalized`
    /// runs once pending work is done. It must not be used again.
    pub(crate) fn release(self) {
        match self {
            OwnerWake::Uv(w) => w.release(),
            OwnerWake::Tsfn(t) => t.release(),
        }
    }
}

/// Runs `owner.call_js(env, js_cb)` with its panic caught and reported (both
/// ways' callbacks come here).
fn run_call_js<O: Owner>(owner: &O, env: &Env, js_cb: sys::napi_value) {
    let outcome = catch_unwind(AssertUnwindSafe(|| {
        owner.call_js(env, js_cb);
        if hook_panics(O::NAME) {
            panic!("test hook THREADKIT_TEST_PANIC_IN_CALL_JS");
        }
    }));
    if let Err(payload) = outcome {
        report_panic(env, O::NAME, payload);
    }
}

/// Calls `js_cb(...args)` with `this` undefined; `false` if it threw. A JS
/// exception there is a threadkit bug: it goes to Node's uncaught-exception
/// handling instead of being swallowed. While the thread is being stopped,
/// JS cannot run and nothing is pending: that is not reported.
pub(crate) fn call_function(env: &Env, js_cb: sys::napi_value, args: &[sys::napi_value]) -> bool {
    let mut undefined = ptr::null_mut();
    let mut result = ptr::null_mut();
    // Safety: called from `Owner::call_js`, on the owning thread with its env
    // and callback; `args` are values of this call.
    unsafe {
        sys::napi_get_undefined(env.raw(), &mut undefined);
        if sys::napi_call_function(env.raw(), undefined, js_cb, args.len(), args.as_ptr(), &mut result)
            == sys::Status::napi_ok
        {
            return true;
        }
        let mut pending = false;
        sys::napi_is_exception_pending(env.raw(), &mut pending);
        let mut exception = ptr::null_mut();
        if pending
            && sys::napi_get_and_clear_last_exception(env.raw(), &mut exception) == sys::Status::napi_ok
            && !exception.is_null()
        {
            sys::napi_fatal_exception(env.raw(), exception);
        }
    }
    false
}

/// Test hook, not an API: `THREADKIT_TEST_PANIC_IN_CALL_JS=threadkit.pool`
/// (or `threadkit.wake`, or both, comma-separated) makes that owner's
/// `call_js` panic after its work, so that tests can see the panic caught.
/// Read once.
static PANIC_HOOK: LazyLock<Option<String>> = LazyLock::new(|| std::env::var("THREADKIT_TEST_PANIC_IN_CALL_JS").ok());

fn hook_panics(name: &CStr) -> bool {
    hook_names(PANIC_HOOK.as_deref(), name)
}

fn hook_names(value: Option<&str>, name: &CStr) -> bool {
    value.is_some_and(|v| v.split(',').any(|n| n.trim().as_bytes() == name.to_bytes()))
}

/// Hands a caught panic to Node as an uncaught `Error` naming the owner,
/// so it is seen (and can be handled) instead of aborting the process.
fn report_panic(env: &Env, name: &CStr, payload: Box<dyn Any + Send>) {
    let what = payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic".to_string());
    let message = format!("threadkit internal error in {}: {what}", name.to_string_lossy());
    let mut text = ptr::null_mut();
    let mut error = ptr::null_mut();
    // Safety: on the owning thread with its env (from a callback); `message`
    // outlives the call that copies it.
    unsafe {
        if sys::napi_create_string_utf8(env.raw(), message.as_ptr().cast(), message.len() as isize, &mut text)
            == sys::Status::napi_ok
            && sys::napi_create_error(env.raw(), ptr::null_mut(), text, &mut error) == sys::Status::napi_ok
        {
            sys::napi_fatal_exception(env.raw(), error);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::hook_names;

    #[test]
    fn the_panic_hook_names_owners_separated_by_commas() {
        assert!(!hook_names(None, c"threadkit.pool"));
        assert!(!hook_names(Some(""), c"threadkit.pool"));
        assert!(hook_names(Some("threadkit.pool"), c"threadkit.pool"));
        assert!(!hook_names(Some("threadkit.pool"), c"threadkit.wake"));
        assert!(hook_names(Some("threadkit.wake, threadkit.pool"), c"threadkit.pool"));
        assert!(!hook_names(Some("threadkit"), c"threadkit.pool"));
    }
}
