//! The default [`super::OwnerWake`]: the addon's own libuv async handle on
//! the owner's loop.
//!
//! `uv_async_send` from any thread is lock-free; sends made before the
//! callback starts coalesce into one run of it. The callback runs the owner's
//! `call_js` the way Node's own threadsafe function does: in a handle scope
//! and a callback scope of the owner's async resource, so async_hooks see it
//! and the microtask and `nextTick` queues run when it returns.
//!
//! Closing: the handle must be closed on its loop before the loop is closed
//! (a worker's `uv_loop_close` with an open handle aborts the process). An
//! async cleanup hook closes it when the owner's env is torn down, and Node
//! keeps running the loop until the close callback has removed that hook. A
//! [`UvWake::release`] closes it earlier. Either way, the owner's
//! `finalized` runs before any other thread could call again: in the hook
//! before closing (the owner's lock then stops callers), and after a release
//! in the close callback (the owner stopped calling before it released).

use napi::{sys, Env};
use std::ffi::{c_int, c_void};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::ptr;
use std::sync::Arc;

use super::{run_call_js, Owner};
use crate::node_symbols::{self, Uv};

/// `UV_ASYNC` in libuv's `uv_handle_type`.
const UV_ASYNC: c_int = 1;

/// A libuv async handle made by [`UvWake::create`]: the handle, and the
/// release function of its owner's type.
#[derive(Clone, Copy)]
pub(crate) struct UvWake {
    uv: &'static Uv,
    handle: *mut c_void,
    release: unsafe fn(*mut c_void),
}

// Safety: `call` is `uv_async_send`, which libuv allows from any thread
// while the handle is open (callers stop before it closes, see the module).
// `set_ref` and `release` are only made on the owning thread (their callers'
// rule), which is the only thread that closes or frees the handle.
unsafe impl Send for UvWake {}
// Safety: as for `Send`.
unsafe impl Sync for UvWake {}

/// What the handle's `data` word points to; freed by [`on_closed`].
struct State<O> {
    /// The handle's memory (`uv_handle_size(UV_ASYNC)` bytes, 8-aligned).
    mem: *mut [u64],
    env: sys::napi_env,
    js_cb: sys::napi_ref,
    resource: sys::napi_ref,
    context: sys::napi_async_context,
    /// Set by `napi_add_async_cleanup_hook`; removed once closed.
    remove: sys::napi_async_cleanup_hook_handle,
    owner: Arc<O>,
    /// `uv_close` was called: nothing may be done with the handle now.
    closing: bool,
    /// `owner.finalized()` ran.
    finalized: bool,
}

impl UvWake {
    /// Opens an unref'd async handle on `env`'s loop whose callback runs
    /// `owner.call_js(env, js_cb)`. `None` where libuv's functions are not
    /// found or something failed (nothing is left behind then).
    pub(crate) fn create<O: Owner>(
        env: &Env,
        js_cb: sys::napi_value,
        resource: sys::napi_value,
        owner: &Arc<O>,
    ) -> Option<UvWake> {
        let uv = node_symbols::uv()?;
        // Safety: `env` is the calling (owning) thread's; every pointer passed
        // is to a local or to memory allocated here; on each failure what was
        // made is undone before returning (see `close`).
        unsafe {
            let (lp, mem) = node_symbols::handle_memory(uv, env, UV_ASYNC)?;
            let handle = mem as *mut u64 as *mut c_void;
            if (uv.async_init)(lp, handle, on_async::<O>) != 0 {
                drop(Box::from_raw(mem));
                return None;
            }
            (uv.unref)(handle);
            let mut name = ptr::null_mut();
            let mut state = Box::new(State {
                mem,
                env: env.raw(),
                js_cb: ptr::null_mut(),
                resource: ptr::null_mut(),
                context: ptr::null_mut(),
                remove: ptr::null_mut(),
                owner: owner.clone(),
                closing: false,
                finalized: true,
            });
            let made = sys::napi_create_reference(env.raw(), js_cb, 1, &mut state.js_cb) == sys::Status::napi_ok
                && sys::napi_create_reference(env.raw(), resource, 1, &mut state.resource) == sys::Status::napi_ok
                && sys::napi_create_string_utf8(
                    env.raw(),
                    O::NAME.as_ptr(),
                    O::NAME.to_bytes().len() as isize,
                    &mut name,
                ) == sys::Status::napi_ok
                && sys::napi_async_init(env.raw(), resource, name, &mut state.context) == sys::Status::napi_ok;
            let state = Box::into_raw(state);
            // `data` is the first field of every uv handle.
            *(handle as *mut *mut c_void) = state as *mut c_void;
            if !made
                || sys::napi_add_async_cleanup_hook(
                    env.raw(),
                    Some(on_cleanup::<O>),
                    state as *mut c_void,
                    &mut (*state).remove,
                ) != sys::Status::napi_ok
            {
                // `finalized` is preset: the owner never saw this wake.
                close::<O>(uv, handle);
                return None;
            }
            (*state).finalized = false;
            Some(UvWake {
                uv,
                handle,
                release: release::<O>,
            })
        }
    }

    /// `uv_async_send`: never blocks, never fails while the handle is open.
    pub(crate) fn call(self) -> bool {
        // Safety: the handle is open (the callers' rule, see the module).
        unsafe { (self.uv.async_send)(self.handle) == 0 }
    }

    /// `uv_ref`/`uv_unref`, on the owning thread.
    pub(crate) fn set_ref(self, on: bool) {
        // Safety: on the owning (loop) thread, the handle open (callers' rule).
        unsafe {
            if on {
                (self.uv.ref_)(self.handle);
            } else {
                (self.uv.unref)(self.handle);
            }
        }
    }

    /// Closes the handle, on the owning thread, once no thread will call it.
    pub(crate) fn release(self) {
        // Safety: as `set_ref`; `release` is `release::<O>` for this handle.
        unsafe { (self.release)(self.handle) }
    }
}

/// # Safety
/// On the loop thread, with an open handle made by `create::<O>`.
unsafe fn release<O: Owner>(handle: *mut c_void) {
    if let Some(uv) = node_symbols::uv() {
        close::<O>(uv, handle);
    }
}

/// Lets go of the JS values (the env is alive: on the owning thread, from
/// `release` or the cleanup hook, which runs before Node-API's own
/// teardown) and closes the handle. Once per handle.
///
/// # Safety
/// On the loop thread, with a handle made by `create::<O>` whose `data` is set.
unsafe fn close<O: Owner>(uv: &Uv, handle: *mut c_void) {
    let state = &mut **(handle as *mut *mut State<O>);
    if state.closing {
        return;
    }
    state.closing = true;
    let env = state.env;
    if !state.js_cb.is_null() {
        sys::napi_delete_reference(env, state.js_cb);
    }
    if !state.resource.is_null() {
        sys::napi_delete_reference(env, state.resource);
    }
    if !state.context.is_null() {
        sys::napi_async_destroy(env, state.context);
    }
    (uv.close)(handle, on_closed::<O>);
}

/// # Safety
/// Called by libuv on the loop thread, with the open handle `create::<O>` made.
unsafe extern "C" fn on_async<O: Owner>(handle: *mut c_void) {
    let state = &**(handle as *mut *mut State<O>);
    if state.closing {
        return;
    }
    let env = state.env;
    let mut scope = ptr::null_mut();
    if sys::napi_open_handle_scope(env, &mut scope) != sys::Status::napi_ok {
        return;
    }
    let mut js_cb = ptr::null_mut();
    let mut resource = ptr::null_mut();
    let mut callback_scope = ptr::null_mut();
    if sys::napi_get_reference_value(env, state.js_cb, &mut js_cb) == sys::Status::napi_ok
        && sys::napi_get_reference_value(env, state.resource, &mut resource) == sys::Status::napi_ok
        && sys::napi_open_callback_scope(env, resource, state.context, &mut callback_scope) == sys::Status::napi_ok
    {
        run_call_js(&*state.owner, &Env::from_raw(env), js_cb);
        // Runs the microtasks and `nextTick`s the callback queued.
        sys::napi_close_callback_scope(env, callback_scope);
    }
    sys::napi_close_handle_scope(env, scope);
}

/// # Safety
/// Called by Node once, on the loop thread, with the `State` `create::<O>`
/// registered, while the env (and Node-API's) is alive.
unsafe extern "C" fn on_cleanup<O: Owner>(_remove: sys::napi_async_cleanup_hook_handle, arg: *mut c_void) {
    let state = &mut *(arg as *mut State<O>);
    // Released earlier: `on_closed` is coming and removes the hook.
    if state.closing {
        return;
    }
    // First, so that no thread calls again: `finalized` takes the owner's
    // lock, and callers call only under it while not finalized.
    let _ = catch_unwind(AssertUnwindSafe(|| state.owner.finalized()));
    state.finalized = true;
    let handle = state.mem as *mut u64 as *mut c_void;
    if let Some(uv) = node_symbols::uv() {
        close::<O>(uv, handle);
    }
}

/// # Safety
/// Called by libuv once the handle is closed; its first word points to the
/// `State` (set in `create`), freed here exactly once.
unsafe extern "C" fn on_closed<O: Owner>(handle: *mut c_void) {
    let state = Box::from_raw(*(handle as *mut *mut State<O>));
    if !state.finalized {
        let _ = catch_unwind(AssertUnwindSafe(|| state.owner.finalized()));
    }
    if !state.remove.is_null() {
        sys::napi_remove_async_cleanup_hook(state.remove);
    }
    drop(Box::from_raw(state.mem));
}
