//! The queue lease: how the waiters of one thread queue without native calls.
//!
//! While every waiter of a semaphore is on one thread, that thread may hold
//! the queue's *lease*: its JS keeps those waiters in its own FIFO list, the
//! native queue stays empty, and the lease word (`word::lease`, in shared
//! memory beside the state word) says `owner << LEASE_SHIFT | count`. The
//! owner's JS then queues another waiter by one compare-and-swap of the lease
//! word (`count + 1`, [`lease_join`](Semaphore::lease_join)), and a release on
//! the owner's thread hands its permits to the head of that list by another
//! (`count - 1`, [`lease_hand_off`](Semaphore::lease_hand_off)): the permits
//! pass from the thread to the thread, so neither the state word nor the
//! ledger changes. WAITERS stays set all along, so no other thread takes a
//! fast path while the lease lasts.
//!
//! Only this thread's plain waiters lease: the first one to queue on an empty
//! queue (no debt, priority 0, not a release-anywhere semaphore) starts it,
//! and only waiters asking for the same number of permits, without a timeout,
//! signal or priority, join it.
//!
//! Every other call that takes the semaphore's lock (another thread's
//! acquire, release, cancel, close, `set_max`, a thread's death) first
//! *breaks* the lease: it swaps the lease word to 0, which makes every later
//! compare-and-swap of the owner fail, and puts one queue entry, a *group*,
//! at the head of the queue for the `count` waiters the owner had. The queue
//! was empty (every push breaks the lease first), so the group is ahead of
//! everyone who came later, as its waiters are: cross-thread FIFO holds, and
//! from then on the core serves the group one waiter at a time
//! ([`Delivery::GrantedPart`] until its last, which gets
//! [`Delivery::Granted`]). The owner's JS learns of the break at its next
//! compare-and-swap, which fails, and goes native from then on.
//!
//! A lease whose last waiter was handed off is ended by its owner
//! ([`lease_end`](Semaphore::lease_end)); at most one lease or one group
//! exists at a time, since a lease starts only on an empty queue.

use super::word::{self, BoundWord};
use super::{AcquireOutcome, Inner, Semaphore, Waiter};
use crate::sync::{lock, Ordering};

/// The native half of a lease: whose it is and what its waiters ask for.
#[derive(Clone, Copy, Debug)]
pub(super) struct Lease {
    pub owner: u32,
    pub token: u32,
    pub permits: u32,
}

/// The queue entry that stands for a broken lease's waiters: `left` of them
/// are still to be served (at least 1 while it is queued).
#[derive(Clone, Copy, Debug)]
pub(super) struct Group {
    pub owner: u32,
    pub token: u32,
    pub left: u32,
}

impl Group {
    pub(super) fn is(&self, w: &Waiter) -> bool {
        self.owner == w.owner && self.token == w.token
    }
}

impl<W: BoundWord> Semaphore<W> {
    /// [`acquire`](Self::acquire), except that a waiter that must queue on an
    /// empty queue starts a lease for `owner` ([`AcquireOutcome::Leased`]):
    /// the lease word now says `owner` with 1 waiter, this one.
    pub fn acquire_leasing(&self, permits: u32, owner: u32, token: u32) -> AcquireOutcome {
        self.acquire_inner(permits, owner, token, 0, true)
    }

    /// The owner's JS queues one more waiter on its lease, which it believes
    /// holds `count` waiters. `false`: the lease is gone (broken), go native.
    /// This is exactly the JS algorithm (`lib/sync/lease.js`).
    pub fn lease_join(&self, owner: u32, count: u32) -> bool {
        if count as i32 >= word::LEASE_COUNT_MAX {
            return false;
        }
        let l = self.state.lease();
        let seen = word::lease(owner, count);
        l.compare_exchange(seen, seen + 1, Ordering::SeqCst, Ordering::SeqCst)
            .is_ok()
    }

    /// The owner's JS hands released permits to the first of the `count`
    /// waiters of its lease. `false`: the lease is gone, release natively.
    /// This is exactly the JS algorithm (`lib/sync/lease.js`).
    pub fn lease_hand_off(&self, owner: u32, count: u32) -> bool {
        if count == 0 {
            return false;
        }
        let l = self.state.lease();
        let seen = word::lease(owner, count);
        l.compare_exchange(seen, seen - 1, Ordering::SeqCst, Ordering::SeqCst)
            .is_ok()
    }

    /// The owner handed off the last waiter of its lease (the word says
    /// `owner` with 0): ends it, so the fast paths work again. Does nothing
    /// if another call broke it meanwhile (a lease with no waiter leaves no
    /// group).
    pub fn lease_end(&self, owner: u32) {
        let mut inner = lock(&self.inner);
        if inner.lease.is_some_and(|l| l.owner == owner) {
            self.break_lease(&mut inner);
        }
    }

    /// Waiters queued on the lease now.
    pub(super) fn lease_count(&self, inner: &Inner) -> usize {
        match inner.lease {
            Some(_) => (self.state.lease().load(Ordering::SeqCst) & word::LEASE_COUNT_MAX) as usize,
            None => 0,
        }
    }

    /// Turns the lease (if any) into a group at the head of the queue, as the
    /// module docs say. Called first by every call that takes the lock.
    pub(super) fn break_lease(&self, inner: &mut Inner) {
        let Some(lease) = inner.lease.take() else { return };
        let count = (self.state.lease().swap(0, Ordering::SeqCst) & word::LEASE_COUNT_MAX) as u32;
        debug_assert!(
            inner.queue.is_empty() && inner.group.is_none(),
            "a lease implies an empty queue"
        );
        if count > 0 {
            let waiter = Waiter {
                owner: lease.owner,
                token: lease.token,
                permits: lease.permits,
            };
            inner.queue.push(waiter, 0);
            inner.group = Some(Group {
                owner: lease.owner,
                token: lease.token,
                left: count,
            });
            return;
        }
        // No waiter left: WAITERS was set for the lease alone (we own the word).
        let w = self.word();
        let s = w.load(Ordering::Acquire);
        w.store(Self::settle(inner, word::permits(s), s), Ordering::Release);
    }
}

/// `AcquireOutcome::Leased` is only given where a lease may start.
pub(super) fn may_lease(inner: &Inner, owner: u32, anywhere: bool) -> bool {
    // Owner 0 would make "no lease" (a lease word of 0) ambiguous; real isolate ids start at 1.
    inner.queue.is_empty() && inner.debt == 0 && owner != 0 && owner <= word::LEASE_MAX_OWNER && !anywhere
}
