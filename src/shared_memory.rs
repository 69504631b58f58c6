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
    typed_array(env, value, sys::TypedarrayType::int32_array).map(|(p, len)| (p as *mut AtomicI32, len))
}

/// The data pointer and length of a `Uint8Array` (or a `Buffer`), or `None`
/// if `value` is not one or has no data (so the pointer is never null).
pub(crate) fn uint8_array(env: &Env, value: sys::napi_value) -> Option<(*mut u8, usize)> {
    typed_array(env, value, sys::TypedarrayType::uint8_array).filter(|(p, _)| !p.is_null())
}

/// The data pointer and element count of a typed array of `kind` (over an
/// `ArrayBuffer` or a `SharedArrayBuffer`), or `None` if `value` is not one.
/// The pointer is valid while `value` is reachable and not detached, that is
/// for the duration of the current call.
pub(crate) fn typed_array(
    env: &Env,
    value: sys::napi_value,
    kind: sys::napi_typedarray_type,
) -> Option<(*mut u8, usize)> {
    let mut is_typed = false;
    // Safety: `env` is the calling thread's env and `value` a value of this
    // call; every out-pointer is a local of the type Node-API writes.
    unsafe {
        if sys::napi_is_typedarray(env.raw(), value, &mut is_typed) != sys::Status::napi_ok || !is_typed {
            return None;
        }
        let mut actual = 0;
        let mut len = 0usize;
        let mut data = ptr::null_mut();
        let mut buffer = ptr::null_mut();
        let mut offset = 0usize;
        let status = sys::napi_get_typedarray_info(
            env.raw(),
            value,
            &mut actual,
            &mut len,
            &mut data,
            &mut buffer,
            &mut offset,
        );
        if status != sys::Status::napi_ok || actual != kind || (data.is_null() && len > 0) {
            return None;
        }
        Some((data as *mut u8, len))
    }
}

/// A `Uint8Array` as a byte slice, valid for the current call.
///
/// # Safety
/// `value` is a value of the current call, the slice is dropped before the
/// call returns, and no other live slice covers the same bytes.
pub(crate) unsafe fn bytes<'a>(env: &Env, value: sys::napi_value) -> Option<&'a mut [u8]> {
    let (p, len) = typed_array(env, value, sys::TypedarrayType::uint8_array)?;
    Some(if len == 0 {
        &mut []
    } else {
        std::slice::from_raw_parts_mut(p, len)
    })
}

/// A `Float64Array` as a slice, valid for the current call.
///
/// # Safety
/// As for [`bytes`].
pub(crate) unsafe fn f64s<'a>(env: &Env, value: sys::napi_value) -> Option<&'a mut [f64]> {
    let (p, len) = typed_array(env, value, sys::TypedarrayType::float64_array)?;
    Some(if len == 0 {
        &mut []
    } else {
        std::slice::from_raw_parts_mut(p as *mut f64, len)
    })
}

/// A strong reference to a JS value, owned by one env. Deleted explicitly
/// with [`StrongRef::delete`] on that env's thread; if the env is torn down
/// first, Node frees it with the env.
pub(crate) struct StrongRef(sys::napi_ref);

// Safety: the raw pointer is only dereferenced by napi on the owning env's thread.
unsafe impl Send for StrongRef {}

impl StrongRef {
    pub(crate) fn new(env: &Env, value: sys::napi_value) -> Option<Self> {
        let mut r = ptr::null_mut();
        // Safety: `env` is the calling thread's env, `value` a value of this call.
        let ok = unsafe { sys::napi_create_reference(env.raw(), value, 1, &mut r) } == sys::Status::napi_ok;
        ok.then_some(Self(r))
    }

    pub(crate) fn delete(self, env: &Env) {
        // Safety: `env` is the owning env (its thread), and `self` is consumed,
        // so the reference is deleted once.
        unsafe {
            sys::napi_delete_reference(env.raw(), self.0);
        }
    }
}
