//! The fallback [`super::OwnerWake`]: a Node-API threadsafe function.
//!
//! Why not napi-rs's `ThreadsafeFunction` (napi 3.16): it passes no async
//! resource and names every function `napi_rs_threadsafe_function`, so
//! neither the name nor `hasRef()` can be had (open-handles.spec fails
//! with it); it boxes each call's data (a heap allocation per call, which
//! these calls do not need); its `call_js` calls the JS function exactly once
//! per call, where the wake mailbox calls it once per buffer-full; its
//! `ref`/`unref` are deprecated; and a panic in its callback is not caught.
//! Measured against it (the pool's wake-up built on it, same workloads, in
//! instructions under callgrind): about 300 more instructions per wake-up,
//! a fraction of a percent of a pool round trip; see `tsfn-cost.mjs` in
//! `benchmark/README.md`. The cost is small: the missing features decide.

use napi::{sys, Env};
use std::ffi::c_void;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::ptr;
use std::sync::Arc;

use super::{run_call_js, Owner};

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
    run_call_js(owner, &env, js_cb);
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
