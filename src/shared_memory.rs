//! Raw access to typed arrays over `SharedArrayBuffer`s, and strong
//! references that keep those buffers alive.
//!
//! napi-rs' typed-array types assume an `ArrayBuffer`; a `SharedArrayBuffer`
//! is not one for `napi_get_arraybuffer_info`, but `napi_get_typedarray_info`
//! gives its data pointer, which is stable (shared backing stores never move)
//! and the same in every isolate of the process.

use napi::{sys, Env};
use std::ptr;
use std::sync::atomic::AtomicI32;

/// The data pointer and length of an `Int32Array`, or `None` if `value` is not one.
pub(crate) fn int32_array(env: &Env, value: sys::napi_value) -> Option<(*mut AtomicI32, usize)> {
    let mut is_typed = false;
    unsafe {
        if sys::napi_is_typedarray(env.raw(), value, &mut is_typed) != sys::Status::napi_ok || !is_typed {
            return None;
        }
        let mut kind = 0;
        let mut len = 0usize;
        let mut data = ptr::null_mut();
        let mut buffer = ptr::null_mut();
        let mut offset = 0usize;
        let status = sys::napi_get_typedarray_info(
            env.raw(),
            value,
            &mut kind,
            &mut len,
            &mut data,
            &mut buffer,
            &mut offset,
        );
        if status != sys::Status::napi_ok || kind != sys::TypedarrayType::int32_array || data.is_null() {
            return None;
        }
        Some((data as *mut AtomicI32, len))
    }
}

/// A strong reference to a JS value, owned by one env. Deleted explicitly
/// with [`StrongRef::delete`] on that env's thread; if the env is torn down
/// first, Node frees it with the env.
pub(crate) struct StrongRef(sys::napi_ref);

// The raw pointer is only dereferenced by napi on the owning env's thread.
unsafe impl Send for StrongRef {}

impl StrongRef {
    pub(crate) fn new(env: &Env, value: sys::napi_value) -> Option<Self> {
        let mut r = ptr::null_mut();
        let ok = unsafe { sys::napi_create_reference(env.raw(), value, 1, &mut r) } == sys::Status::napi_ok;
        ok.then_some(Self(r))
    }

    pub(crate) fn delete(self, env: &Env) {
        unsafe {
            sys::napi_delete_reference(env.raw(), self.0);
        }
    }
}
