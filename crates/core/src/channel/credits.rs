//! Slots a thread reserved for its outbox, and how another thread takes
//! back the ones that thread has not used (see `lib/channel/outbox.js`).
//!
//! # Contract
//! A sending thread reserves slots of a buffered channel in bulk
//! ([`Channel::reserve`](super::Channel::reserve)); each of its sends then
//! takes one without a native call and puts its value in the thread's
//! outbox, which native code flushes into the channel later. Reserved slots
//! count as occupied, so while a thread holds unused ones, another thread's
//! try-send could find a channel with room "full". That try-send takes the
//! unused ones back ([`Credits::take_back`]) and tries again; the reserving
//! thread's next send finds none left and reserves again or takes the
//! native path. A slot is always either used by its owner (filled, or
//! given back at its flush) or taken back, never both.
//!
//! # Implementation details
//! The owner's JS claims a slot by decrementing the shared word `avail`
//! (unclaimed slots) with a compare-and-swap ([`claim`], the algorithm of
//! `Outbox.claim` in JS), and only then writes its value. Taking back swaps
//! `avail` to 0, so a claim and a take-back never get the same slot.
//! [`Credits`] is the native count of the slots the owner holds, claimed or
//! not; it changes only under the lock of the owner's record, where flushes
//! ([`Credits::settle`]) and take-backs run.

use super::{Channel, Waiter, Wake};
use crate::semaphore::StateWord;
use crate::sync::{lock, AtomicI32, Ordering};

/// The channel's side: slots are taken from its capacity and come back
/// filled or unused.
impl<V, W: StateWord> Channel<V, W> {
    /// Promises up to `want` slots to a sender that will fill them later with
    /// [`push_reserved`](Self::push_reserved) (values it batches on its own
    /// thread). None while other senders are queued (no barging), none for a
    /// rendezvous channel. `None` if closed.
    pub fn reserve(&self, want: usize) -> Option<usize> {
        let mut g = lock(&self.inner);
        if g.closed {
            return None;
        }
        if Self::senders_waiting(&g) {
            return Some(0);
        }
        let used = self.buffered(&mut g) + g.reserved;
        let grant = want.min(self.cap.saturating_sub(used));
        g.reserved += grant;
        Some(grant)
    }

    /// Fills one reserved slot with `value` (accepted even after a close: its
    /// send completed before). Hands it to a queued receiver if there is one.
    pub fn push_reserved(&self, value: V, mut deliver: impl FnMut(&Waiter, Wake) -> bool) {
        let mut g = lock(&self.inner);
        debug_assert!(g.reserved > 0);
        g.reserved = g.reserved.saturating_sub(1);
        g.unfinished += 1;
        g.buf.push(value);
        self.pump(&mut g, &mut deliver);
        self.settle_closed(&mut g, &mut deliver);
    }

    /// Gives back `n` reserved slots that were not used.
    pub fn release_reserved(&self, n: usize, mut deliver: impl FnMut(&Waiter, Wake) -> bool) {
        if n == 0 {
            return;
        }
        let mut g = lock(&self.inner);
        g.reserved = g.reserved.saturating_sub(n);
        self.pump(&mut g, &mut deliver);
        self.settle_closed(&mut g, &mut deliver);
    }
}

/// The slots one thread holds for its outbox (claimed or not).
#[derive(Debug, Default)]
pub struct Credits {
    held: usize,
}

impl Credits {
    pub fn held(&self) -> usize {
        self.held
    }

    /// The owner was granted `n` new slots (it had given back all others).
    pub fn grant(&mut self, n: usize, avail: &AtomicI32) {
        self.held = n;
        avail.store(n.min(i32::MAX as usize) as i32, Ordering::Release);
    }

    /// Takes back the slots the owner has not claimed; returns how many
    /// (the caller gives them back to the channel).
    pub fn take_back(&mut self, avail: &AtomicI32) -> usize {
        let n = (avail.swap(0, Ordering::AcqRel).max(0) as usize).min(self.held);
        self.held -= n;
        n
    }

    /// The owner's flush found `committed` values in its outbox. Returns how
    /// many of them go into the channel (each fills a held slot) and how
    /// many held slots go back to it: all unused ones, or none if `keep`
    /// (the owner keeps its unclaimed slots).
    pub fn settle(&mut self, committed: usize, keep: bool, avail: &AtomicI32) -> (usize, usize) {
        let fill = committed.min(self.held);
        self.held -= fill;
        if keep {
            return (fill, 0);
        }
        avail.store(0, Ordering::Release);
        (fill, std::mem::take(&mut self.held))
    }
}

/// The owner's claim of one slot (mirrors `Outbox.claim` in
/// lib/channel/outbox.js): false if none is left.
pub fn claim(avail: &AtomicI32) -> bool {
    let mut c = avail.load(Ordering::Acquire);
    loop {
        if c <= 0 {
            return false;
        }
        match avail.compare_exchange(c, c - 1, Ordering::AcqRel, Ordering::Acquire) {
            Ok(_) => return true,
            Err(now) => c = now,
        }
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn taken_back_slots_are_neither_claimed_nor_given_back_twice() {
        let avail = AtomicI32::new(0);
        let mut c = Credits::default();
        c.grant(4, &avail);
        assert!(claim(&avail));
        assert_eq!(c.take_back(&avail), 3);
        assert!(!claim(&avail), "the owner notices: nothing left to claim");
        // The claimed slot is still the owner's: its value fills it.
        assert_eq!(c.settle(1, false, &avail), (1, 0));
        assert_eq!(c.held(), 0);
    }

    #[test]
    fn a_flush_gives_back_unused_slots_unless_it_keeps_them() {
        let avail = AtomicI32::new(0);
        let mut c = Credits::default();
        c.grant(5, &avail);
        assert!(claim(&avail) && claim(&avail));
        assert_eq!(c.settle(2, true, &avail), (2, 0));
        assert_eq!((c.held(), avail.load(Ordering::SeqCst)), (3, 3));
        assert!(claim(&avail));
        // A claimed slot whose value never came (too big: the send took the native path) goes back too.
        assert_eq!(c.settle(0, false, &avail), (0, 3));
        assert_eq!((c.held(), avail.load(Ordering::SeqCst)), (0, 0));
    }
}
