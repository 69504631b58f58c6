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
//! function taking `this` first, so all of them can be called as C
//! functions on x86-64 and arm64 under the Itanium C++ ABI (Linux, macOS).
//! They are not linked: [`crate::node_symbols`] looks them up in the node
//! executable at run time. Where that fails (and on Windows), [`current`]
//! is `None` and [`can_stop`] false: the owner thread then terminates a
//! timed-out worker itself (`lib/pool/drain.js`).

use crate::node_symbols::node_stop;
use std::ffi::c_void;

/// Whether [`stop`] can stop a worker in this process.
pub(crate) fn can_stop() -> bool {
    node_stop().is_some()
}

/// The calling JS thread's `node::Environment`, as an opaque pointer, or
/// `None` if `node::Stop` is not available. Call only from inside a JS call
/// (a handle scope and a context are active).
pub(crate) fn current() -> Option<*mut c_void> {
    let f = node_stop()?;
    // Safety: called on a JS thread inside a JS call (see above), so V8 has a
    // current isolate with an entered context; both are checked for null.
    unsafe {
        let isolate = (f.isolate_get_current)();
        if isolate.is_null() {
            return None;
        }
        let env = (f.get_current_environment)((f.isolate_get_current_context)(isolate));
        (!env.is_null()).then_some(env)
    }
}

/// Stops the env's JavaScript and event loop; its thread then exits like a
/// terminated worker.
///
/// # Safety
/// `env` must come from [`current`] and still be alive: the caller holds
/// the lock that the env's cleanup hook takes before the env can be freed.
pub(crate) unsafe fn stop(env: *mut c_void) {
    if let Some(f) = node_stop() {
        (f.stop)(env, 0);
    }
}
