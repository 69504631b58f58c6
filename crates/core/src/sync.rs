//! Switches the atomics, the lock and `Arc` to loom's under `cfg(loom)`. Every atomic,
//! lock and `Arc` in this crate comes from here (statics through [`shim_static!`]),
//! so loom models all of them.

#[cfg(loom)]
pub(crate) use loom::sync::atomic::{AtomicBool, AtomicI32, AtomicU64, Ordering};
#[cfg(loom)]
pub(crate) use loom::sync::{Arc, Mutex};

#[cfg(not(loom))]
pub(crate) use std::sync::atomic::{AtomicBool, AtomicI32, AtomicU64, Ordering};
#[cfg(not(loom))]
pub(crate) use std::sync::{Arc, Mutex};

/// Locks, ignoring poisoning: the protected state is kept consistent by
/// construction (no user code runs under these locks).
#[cfg(not(loom))]
pub(crate) fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

#[cfg(loom)]
pub(crate) fn lock<T>(m: &Mutex<T>) -> loom::sync::MutexGuard<'_, T> {
    m.lock().unwrap()
}

/// A process-wide `static` of a shim type. A loom atomic or lock cannot be
/// built in a `const`, so under loom it is a `loom::lazy_static!`, made anew
/// in each model execution (and so modelled like any other); otherwise a
/// plain `static`.
macro_rules! shim_static {
    ($(#[$attr:meta])* static $name:ident: $ty:ty = $init:expr;) => {
        #[cfg(not(loom))]
        $(#[$attr])*
        static $name: $ty = $init;
        #[cfg(loom)]
        loom::lazy_static! {
            $(#[$attr])*
            static ref $name: $ty = $init;
        }
    };
}
pub(crate) use shim_static;
