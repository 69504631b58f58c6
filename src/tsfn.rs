//! The threadsafe functions threadkit creates, made one way: a thread's wake
//! mailbox (`threadkit.wake`, [`crate::isolate`]) and each pool's completion
//! wake-up (`threadkit.pool`, [`crate::pool`]).
//!
//! Both are long-lived and carry no data: what is delivered waits in the
//! owner's mailbox or queue, and a call only schedules the owner's drain.
//! A call is non-blocking from any thread and allocates nothing. The owner
//! refs the function while it waits for something, so an idle thread is not
//! kept alive, and passes an async resource whose `hasRef()` says so (what
//! jest's `--detectOpenHandles` reads). The `call_js` trampoline catches a
//! panic and reports it to JS as an uncaught exception instead of letting it
//! abort the process.
//!
//! Why not napi-rs's `ThreadsafeFunction` (napi 3.16): it passes no async
//! resource and names every function `napi_rs_threadsafe_function`, so
//! neither the name nor `hasRef()` above can be had (open-handles.spec fails
//! with it); it boxes each call's data (a heap allocation per call, which
//! these calls do not need); its `call_js` calls the JS function exactly once
//! per call, where the wake mailbox calls it once per buffer-full; its
//! `ref`/`unref` are deprecated; and a panic in its callback is not caught.
//! Measured against it (the pool's wake-up built on it, same workloads, in
//! instructions under callgrind): about 300 more instructions per wake-up,
//! a fraction of a percent of a pool round trip; see `tsfn-cost.mjs` in
//! `benchmark/README.md`. The cost is small: the missing features decide.

use napi::{sys, Env};
use std::any::Any;
use std::ffi::{c_void, CStr};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::ptr;
use std::sync::{Arc, LazyLock};

/// What owns a threadsafe function: its state, and what runs on its thread.
pub(crate) trait Owner: Send + Sync + 'static {
    /// The async resource's type name (async_hooks, `--detectOpenHandles`).
    const NAME: &'static CStr;
    /// Runs on the owning thread once per successful [`Tsfn::call`]. `js_cb`
    /// is the function the owner passed to [`Tsfn::create`].
    fn call_js(&self, env: &Env, js_cb: sys::napi_value);
    /// The function is gone (released, or its env torn down): no call of it
    /// will succeed from now on. Runs on the owning thread.
    fn finalized(&self);
}

/// A threadsafe function created by [`Tsfn::create`].
#[derive(Clone, Copy)]
pub(crate) struct Tsfn(sys::napi_threadsafe_function);

// Safety: Node-API lets any thread call and release a threadsafe function
// until it is released; `set_ref` needs the owner's `Env`, so it can only run
// on the owning thread.
unsafe impl Send for Tsfn {}
// Safety: as for `Send`: every method that `&Tsfn` allows from any thread
// (`call`, `release`) is one Node-API allows from any thread.
unsafe impl Sync for Tsfn {}

impl Tsfn {
    /// Creates `owner`'s threadsafe function around `js_cb`, with `resource`
    /// as its async resource, unref'd. The function holds a strong count of
    /// `owner` until it is finalized. `None` if Node-API refused.
    pub(crate) fn create<O: Owner>(
        env: &Env,
        js_cb: sys::napi_value,
        resource: sys::napi_value,
        owner: &Arc<O>,
    ) -> Option<Tsfn> {
        let mut name = ptr::null_mut();
        let mut raw = ptr::null_mut();
        let context = Arc::into_raw(owner.clone()) as *mut c_void;
        // Safety: `env` is the calling thread's env, and `js_cb`/`resource`
        // are values of this call. `context` is one strong count of `owner`:
        // `finalize::<O>` takes it back, and Node runs `call_js::<O>` (which
        // borrows it) only before that. If the creation fails, nothing else
        // holds it, so it is taken back here.
        let status = unsafe {
            sys::napi_create_string_utf8(
                env.raw(),
                O::NAME.as_ptr(),
                O::NAME.to_bytes().len() as isize,
                &mut name,
            );
            sys::napi_create_threadsafe_function(
                env.raw(),
                js_cb,
                resource,
                name,
                0,
                1,
                context,
                Some(finalize::<O>),
                context,
                Some(call_js::<O>),
                &mut raw,
            )
        };
        if status != sys::Status::napi_ok {
            // Safety: see above; Node did not take `context`.
            drop(unsafe { Arc::from_raw(context as *const O) });
            return None;
        }
        let tsfn = Tsfn(raw);
        tsfn.set_ref(env, false);
        Some(tsfn)
    }

    /// Schedules one `call_js` on the owning thread, from any thread, without
    /// blocking. `false` if the function is closing (its thread is going away).
    pub(crate) fn call(self) -> bool {
        // Safety: callers only call a function they have not released, and
        // stop calling once `finalized` ran (both under the owner's lock).
        let status = unsafe {
            sys::napi_call_threadsafe_function(self.0, ptr::null_mut(), sys::ThreadsafeFunctionCallMode::nonblocking)
        };
        status == sys::Status::napi_ok
    }

    /// Lets the function keep the owner's event loop alive (`on`) or not.
    pub(crate) fn set_ref(self, env: &Env, on: bool) {
        // Safety: `env` is the owner's (only the owning thread has it), and
        // the function is not finalized (callers check under their lock).
        unsafe {
            if on {
                sys::napi_ref_threadsafe_function(env.raw(), self.0);
            } else {
                sys::napi_unref_threadsafe_function(env.raw(), self.0);
            }
        }
    }

    /// Gives up this (the only) handle: Node finalizes the function once its
    /// queued calls have run. It must not be used again.
    pub(crate) fn release(self) {
        // Safety: called once, by the owner that has not released it yet.
        unsafe { sys::napi_release_threadsafe_function(self.0, sys::ThreadsafeFunctionReleaseMode::release) };
    }
}

/// Calls `js_cb(...args)` with `this` undefined; `false` if it threw. A JS
/// exception there is a threadkit bug: it goes to Node's uncaught-exception
/// handling instead of being swallowed.
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
        let mut exception = ptr::null_mut();
        if sys::napi_get_and_clear_last_exception(env.raw(), &mut exception) == sys::Status::napi_ok
            && !exception.is_null()
        {
            sys::napi_fatal_exception(env.raw(), exception);
        }
    }
    false
}

/// Test hook, not an API: `THREADKIT_TEST_PANIC_IN_CALL_JS=threadkit.pool`
/// (or `threadkit.wake`, or both, comma-separated) makes that function's
/// `call_js` panic after its work, so that tests can see the panic caught.
/// Read once.
static PANIC_HOOK: LazyLock<Option<String>> = LazyLock::new(|| std::env::var("THREADKIT_TEST_PANIC_IN_CALL_JS").ok());

fn hook_panics(name: &CStr) -> bool {
    hook_names(PANIC_HOOK.as_deref(), name)
}

fn hook_names(value: Option<&str>, name: &CStr) -> bool {
    value.is_some_and(|v| v.split(',').any(|n| n.trim().as_bytes() == name.to_bytes()))
}

/// # Safety
/// Called by Node on the owning thread, with the `context` that
/// [`Tsfn::create`] registered (see inside).
unsafe extern "C" fn call_js<O: Owner>(
    env: sys::napi_env,
    js_cb: sys::napi_value,
    context: *mut c_void,
    _data: *mut c_void,
) {
    // Both are null while the env is torn down: there is no JS to run.
    if env.is_null() || js_cb.is_null() {
        return;
    }
    // Safety: `context` is the strong count `Tsfn::create` gave the function,
    // taken back only by `finalize::<O>`, which Node runs after the last call.
    let owner = unsafe { &*(context as *const O) };
    // Node passes the owning thread's live env.
    let env = Env::from_raw(env);
    let outcome = catch_unwind(AssertUnwindSafe(|| {
        owner.call_js(&env, js_cb);
        if hook_panics(O::NAME) {
            panic!("test hook THREADKIT_TEST_PANIC_IN_CALL_JS");
        }
    }));
    if let Err(payload) = outcome {
        report_panic(&env, O::NAME, payload);
    }
}

/// # Safety
/// Called by Node once, after the last `call_js`, with that same pointer.
unsafe extern "C" fn finalize<O: Owner>(_env: sys::napi_env, data: *mut c_void, _hint: *mut c_void) {
    // Safety: `data` is the strong count `Tsfn::create` gave the function;
    // Node finalizes once, so it is taken back once.
    let owner = unsafe { Arc::from_raw(data as *const O) };
    // Nothing to report to: the env may be going away.
    let _ = catch_unwind(AssertUnwindSafe(|| owner.finalized()));
}

/// Hands a caught panic to Node as an uncaught `Error` naming the function,
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
    // Safety: on the owning thread with its env (from `call_js`); `message`
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
    fn the_panic_hook_names_functions_separated_by_commas() {
        assert!(!hook_names(None, c"threadkit.pool"));
        assert!(!hook_names(Some(""), c"threadkit.pool"));
        assert!(hook_names(Some("threadkit.pool"), c"threadkit.pool"));
        assert!(!hook_names(Some("threadkit.pool"), c"threadkit.wake"));
        assert!(hook_names(Some("threadkit.wake, threadkit.pool"), c"threadkit.pool"));
        assert!(!hook_names(Some("threadkit"), c"threadkit.pool"));
    }
}
