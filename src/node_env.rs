//! Stopping another thread's JavaScript from a native thread.
//!
//! Node-API cannot stop a worker from outside its own thread, and the main
//! thread may be blocked when a task's deadline passes. Node exports its C++
//! embedder API to addons, and `node::Stop(env)` is what
//! `worker.terminate()` calls internally: it is written to be called from
//! another thread (it sets the env's stopping flag, terminates JS execution
//! and stops the loop through a thread-safe immediate). So the watchdog
//! calls it directly. A bare `v8::Isolate::TerminateExecution` is not
//! enough: Node then runs its callbacks' epilogues with a terminated isolate
//! and aborts ("async hook stack has become corrupted"); we tried it.
//!
//! These are C++ functions. `Local<Context>` is a single pointer passed and
//! returned in a register, and `GetCurrentContext` is a non-virtual member
//! function taking `this` first, so all of them can be declared as C
//! functions on the platforms napi-rs builds for here (x86-64 and arm64,
//! Itanium C++ ABI). The symbols are resolved against the node binary when
//! the addon loads.

use std::ffi::c_void;

extern "C" {
    #[link_name = "_ZN2v87Isolate10GetCurrentEv"]
    fn v8_isolate_get_current() -> *mut c_void;
    #[link_name = "_ZN2v87Isolate17GetCurrentContextEv"]
    fn v8_isolate_get_current_context(isolate: *mut c_void) -> *mut c_void;
    #[link_name = "_ZN4node21GetCurrentEnvironmentEN2v85LocalINS0_7ContextEEE"]
    fn node_get_current_environment(context: *mut c_void) -> *mut c_void;
    #[link_name = "_ZN4node4StopEPNS_11EnvironmentENS_9StopFlags5FlagsE"]
    fn node_stop(env: *mut c_void, flags: i32) -> i32;
}

/// The calling JS thread's `node::Environment`, as an opaque pointer. Call
/// only from inside a JS call (a handle scope and a context are active).
pub(crate) fn current() -> *mut c_void {
    unsafe {
        let isolate = v8_isolate_get_current();
        if isolate.is_null() {
            return std::ptr::null_mut();
        }
        node_get_current_environment(v8_isolate_get_current_context(isolate))
    }
}

/// Stops the env's JavaScript and event loop; its thread then exits like a
/// terminated worker.
///
/// # Safety
/// `env` must still be alive: the caller holds the lock that the env's
/// cleanup hook takes before the env can be freed.
pub(crate) unsafe fn stop(env: *mut c_void) {
    node_stop(env, 0);
}
