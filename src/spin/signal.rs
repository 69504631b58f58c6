//! A thread's wake-up signal: whether a wake-up is scheduled for it and not
//! yet run, read by its spin ([`super`]) and by pool workers' hand-over
//! ([`super::handover`]).

use std::sync::atomic::{AtomicI32, AtomicU32, Ordering};

/// Whether a wake-up is scheduled for one thread and not yet run there.
/// Shared with the threads that post them.
///
/// A flag, not a count: the libuv wake-up (`owner_wake`) runs once for any
/// number of sends made before it started, so a count of sends would never
/// come back to zero. A send made after `drained` gets a run of its own.
#[derive(Default)]
pub(crate) struct Signal {
    ready: AtomicI32,
    /// Wake-ups ever scheduled (wrapping): tells one pending wake-up from the
    /// next, for the workers' hand-over ([`super::after_completion`]).
    pub(super) posts: AtomicU32,
}

impl Signal {
    /// A poster scheduled a wake-up (its call of the owner's wake-up succeeded).
    pub(crate) fn posted(&self) {
        self.posts.fetch_add(1, Ordering::Relaxed);
        self.ready.store(1, Ordering::Release);
    }

    /// The owning thread is running a scheduled wake-up.
    pub(crate) fn drained(&self) {
        self.ready.store(0, Ordering::Relaxed);
    }

    pub(super) fn is_ready(&self) -> bool {
        self.ready.load(Ordering::Acquire) > 0
    }
}

#[cfg(test)]
mod tests {
    use super::Signal;

    #[test]
    fn sends_coalesced_into_one_run_leave_no_wake_up_pending() {
        // The libuv wake-up runs once for both sends: one `drained`.
        let s = Signal::default();
        s.posted();
        s.posted();
        assert!(s.is_ready());
        s.drained();
        assert!(
            !s.is_ready(),
            "a wake-up counted twice and run once stayed pending forever"
        );
        s.posted();
        assert!(s.is_ready(), "a send after the run is pending again");
    }
}
