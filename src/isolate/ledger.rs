//! The napi side of a thread's permit ledger: its words are the thread's JS
//! `Int32Array` over a `SharedArrayBuffer` (`lib/isolate.js`). The
//! bookkeeping itself (slots, credits, what a dead thread gives back) is
//! `threadkit_core::ledger`.

use super::Isolate;
use crate::shared_memory::{int32_array, StrongRef};
use napi::{sys, Env};
use std::sync::atomic::AtomicI32;
use threadkit_core::ledger::LedgerWords;

/// The words of a thread's permit ledger: its JS `Int32Array` over a
/// `SharedArrayBuffer` (see `init`), kept alive by `buf_ref`.
pub(super) struct LedgerBuf {
    ptr: *mut AtomicI32,
    len: usize,
    buf_ref: StrongRef,
}

impl LedgerWords for LedgerBuf {
    fn words(&self) -> &[AtomicI32] {
        if self.len == 0 {
            return &[];
        }
        // Safety: `ptr` and `len` describe an `Int32Array` (so non-null and
        // 4-aligned when `len > 0`) whose buffer `buf_ref` keeps alive; a
        // `SharedArrayBuffer`'s memory never moves, and it is only accessed
        // through atomics.
        unsafe { std::slice::from_raw_parts(self.ptr, self.len) }
    }
}

impl LedgerBuf {
    /// The words of the `Int32Array` `value`, kept alive from now on; `None`
    /// if `value` is not an `Int32Array`.
    pub(super) fn new(env: &Env, value: sys::napi_value) -> Option<Self> {
        let (ptr, len) = int32_array(env, value)?;
        let buf_ref = StrongRef::new(env, value)?;
        Some(Self { ptr, len, buf_ref })
    }
}

/// Replaces the ledger (JS grew it and copied the old contents).
pub(crate) fn set_ledger(env: &Env, me: &Isolate, ledger: sys::napi_value) -> Result<(), i32> {
    let words = LedgerBuf::new(env, ledger).ok_or(crate::protocol::STATUS_BAD_ARGUMENT)?;
    // Whichever buffer is not kept loses its reference.
    let (dropped, result) = match me.local().ledger.set_words(words) {
        Ok(old) => (old, Ok(())),
        Err(refused) => (refused, Err(crate::protocol::STATUS_BAD_ARGUMENT)),
    };
    dropped.buf_ref.delete(env);
    result
}
