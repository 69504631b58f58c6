//! The prelude that every exported function on a handle shares: look the
//! handle up, and if it names nothing this thread is attached to, return
//! `STATUS_NOT_ATTACHED` in whatever shape the function returns. Each feature
//! wraps [`with_handle`] around its own look-up (`semaphore::with_core`,
//! `channel_registry::with_channel`).

use crate::protocol::STATUS_NOT_ATTACHED;
use napi::bindgen_prelude::Either;

/// A return type of exported functions that can carry a negative status.
pub(crate) trait Status {
    fn status(code: i32) -> Self;
}

impl Status for i32 {
    fn status(code: i32) -> Self {
        code
    }
}

/// Counts returned as JS numbers (possibly above `i32::MAX`).
impl Status for f64 {
    fn status(code: i32) -> Self {
        code as f64
    }
}

/// A value, or a status where there is none.
impl<A> Status for Either<A, i32> {
    fn status(code: i32) -> Self {
        Either::B(code)
    }
}

/// `null` in JS: the function documents that it returns nothing for an
/// unknown handle, so the status itself is not passed on.
impl<T> Status for Option<T> {
    fn status(_code: i32) -> Self {
        None
    }
}

/// `f(found)`, or `STATUS_NOT_ATTACHED` if the look-up found nothing.
pub(crate) fn with_handle<C, R: Status>(found: Option<C>, f: impl FnOnce(C) -> R) -> R {
    match found {
        Some(c) => f(c),
        None => R::status(STATUS_NOT_ATTACHED),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unknown_handle_gives_not_attached_in_each_return_shape() {
        assert_eq!(with_handle(None::<u8>, |_| 7i32), STATUS_NOT_ATTACHED);
        assert_eq!(with_handle(None::<u8>, |_| 7.0f64), STATUS_NOT_ATTACHED as f64);
        assert!(matches!(
            with_handle(None::<u8>, |_| Either::<u8, i32>::A(1)),
            Either::B(STATUS_NOT_ATTACHED)
        ));
        assert_eq!(with_handle(None::<u8>, |_| Some(1)), None);
        assert_eq!(with_handle(Some(3u8), |c| c as i32 * 2), 6);
    }
}
