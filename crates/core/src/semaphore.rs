//! The fair, weighted, closable FIFO semaphore that every threadkit lock is
//! built on.
//!
//! # Contract
//! - `max` permits exist. A waiter asks for `1..=max` of them at once.
//! - Strict FIFO: a waiter is served only when everyone queued before it has
//!   been served, so a large request at the head is never overtaken by small
//!   ones, and nobody barges past the queue.
//! - A waiter can be cancelled at any time in O(1). If the cancelled waiter
//!   was blocking the head, the waiters behind it are served at once.
//! - `close` rejects every queued waiter and every later acquire. Releases
//!   still work after close, so guards can be dropped normally.
//! - Releasing more than `max` in total is an error, never a silent increase.
//!
//! # Implementation details
//! The whole state a fast path needs is one `i32` word, shared with
//! JavaScript through a `SharedArrayBuffer` (see [`word`]):
//! `permits << 2 | CLOSED | WAITERS`.
//!
//! This is the futex split. While `WAITERS` is clear, anybody (JS on any
//! thread, or this code) may move permits with a compare-and-swap. The
//! fast paths in JS refuse to touch the word while `WAITERS` or `CLOSED` is
//! set, and fall back to these methods. The `WAITERS` bit is only ever set
//! and cleared here, under `inner`'s lock, and it is set exactly when the
//! queue is not empty. So while it is set, the holder of the lock is the only
//! writer of the word and may store to it directly; while it is clear, this
//! code must use compare-and-swap like everyone else.
//!
//! Waking is not done here. Every grant or rejection is handed to a
//! `deliver` callback while the lock is held. The callback returns `false`
//! when the waiter's owner (a thread/isolate) is gone; the grant is then
//! skipped and its permits stay available for the next waiter, so a dead
//! thread can never swallow a lock.

use crate::sync::{lock, AtomicI32, Mutex, Ordering};
use crate::waiter_queue::{WaiterKey, WaiterQueue};

/// Layout of the shared state word. JS reads it through `src/protocol.rs`.
pub mod word {
    /// Set while at least one waiter is queued. Fast paths must fail.
    pub const WAITERS: i32 = 1;
    /// Set once the semaphore is closed.
    pub const CLOSED: i32 = 2;
    /// Permits are stored above the two flag bits.
    pub const SHIFT: u32 = 2;
    /// Largest permit count the word can hold.
    pub const MAX_PERMITS: u32 = (i32::MAX >> SHIFT) as u32;

    pub fn permits(s: i32) -> u32 {
        (s >> SHIFT) as u32
    }

    pub fn encode(permits: u32, flags: i32) -> i32 {
        ((permits as i32) << SHIFT) | flags
    }
}

/// Where the state word lives: a `SharedArrayBuffer` in production, an owned
/// atomic in tests.
pub trait StateWord: Send + Sync {
    fn word(&self) -> &AtomicI32;
}

/// A state word owned by Rust (tests, and anything that needs no JS view).
pub struct OwnedWord(AtomicI32);

impl OwnedWord {
    pub fn new(permits: u32) -> Self {
        Self(AtomicI32::new(word::encode(permits, 0)))
    }
}

impl StateWord for OwnedWord {
    fn word(&self) -> &AtomicI32 {
        &self.0
    }
}

/// A queued request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Waiter {
    /// The thread (isolate) that waits, so its waiters can be skipped or
    /// removed when it dies.
    pub owner: u32,
    /// Identifies the waiter within its owner.
    pub token: u32,
    pub permits: u32,
}

/// What happened to a queued waiter.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Delivery {
    /// It now holds its permits.
    Granted,
    /// The semaphore was closed; it holds nothing.
    Closed,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AcquireOutcome {
    /// The permits were taken at once.
    Acquired,
    /// Queued; `deliver` will be called with this waiter later.
    Queued(WaiterKey),
    Closed,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReleaseError {
    /// Releasing would make more than `max` permits available.
    OverRelease { available: u32, releasing: u32, max: u32 },
}

struct Inner {
    queue: WaiterQueue<Waiter>,
    close_reason: Option<String>,
}

/// See the module docs.
pub struct Semaphore<W: StateWord> {
    state: W,
    max: u32,
    inner: Mutex<Inner>,
}

impl<W: StateWord> Semaphore<W> {
    /// `state` must already hold a valid word (at most `max` permits).
    pub fn new(state: W, max: u32) -> Self {
        assert!((1..=word::MAX_PERMITS).contains(&max), "max permits out of range");
        Self {
            state,
            max,
            inner: Mutex::new(Inner {
                queue: WaiterQueue::new(),
                close_reason: None,
            }),
        }
    }

    pub fn max(&self) -> u32 {
        self.max
    }

    pub fn state(&self) -> &W {
        &self.state
    }

    fn word(&self) -> &AtomicI32 {
        self.state.word()
    }

    pub fn available(&self) -> u32 {
        word::permits(self.word().load(Ordering::Acquire))
    }

    pub fn waiting(&self) -> usize {
        lock(&self.inner).queue.len()
    }

    pub fn is_closed(&self) -> bool {
        self.word().load(Ordering::Acquire) & word::CLOSED != 0
    }

    pub fn close_reason(&self) -> Option<String> {
        lock(&self.inner).close_reason.clone()
    }

    /// Takes `permits` now if no one is queued and enough are free.
    /// This is exactly the JS fast path; `None` means "closed".
    pub fn try_acquire(&self, permits: u32) -> Option<bool> {
        let w = self.word();
        let mut s = w.load(Ordering::Acquire);
        loop {
            if s & word::CLOSED != 0 {
                return None;
            }
            if s & word::WAITERS != 0 || word::permits(s) < permits {
                return Some(false);
            }
            match w.compare_exchange(s, s - word::encode(permits, 0), Ordering::AcqRel, Ordering::Acquire) {
                Ok(_) => return Some(true),
                Err(actual) => s = actual,
            }
        }
    }

    /// Returns `permits` with one compare-and-swap if no one is queued. This
    /// is exactly the JS fast path of release; `Ok(false)` means "waiters are
    /// queued, use [`release`](Self::release)".
    pub fn try_release(&self, permits: u32) -> Result<bool, ReleaseError> {
        let w = self.word();
        let mut s = w.load(Ordering::Acquire);
        loop {
            if s & word::WAITERS != 0 {
                return Ok(false);
            }
            let available = word::permits(s);
            if available as u64 + permits as u64 > self.max as u64 {
                return Err(ReleaseError::OverRelease {
                    available,
                    releasing: permits,
                    max: self.max,
                });
            }
            match w.compare_exchange(s, s + word::encode(permits, 0), Ordering::AcqRel, Ordering::Acquire) {
                Ok(_) => return Ok(true),
                Err(actual) => s = actual,
            }
        }
    }

    /// The slow path of acquire: takes the permits if possible, otherwise
    /// queues a waiter. `permits` must be in `1..=max`.
    pub fn acquire(&self, permits: u32, owner: u32, token: u32) -> AcquireOutcome {
        assert!((1..=self.max).contains(&permits), "permits out of range");
        let mut inner = lock(&self.inner);
        let w = self.word();
        let mut s = w.load(Ordering::Acquire);
        loop {
            if s & word::CLOSED != 0 {
                return AcquireOutcome::Closed;
            }
            let next = if s & word::WAITERS == 0 && word::permits(s) >= permits {
                s - word::encode(permits, 0)
            } else if s & word::WAITERS == 0 {
                s | word::WAITERS
            } else {
                // We already own the word; nothing to change.
                break;
            };
            match w.compare_exchange(s, next, Ordering::AcqRel, Ordering::Acquire) {
                Ok(_) if next & word::WAITERS == 0 => return AcquireOutcome::Acquired,
                Ok(_) => break,
                Err(actual) => s = actual,
            }
        }
        AcquireOutcome::Queued(inner.queue.push_back(Waiter { owner, token, permits }))
    }

    /// Returns `permits` and serves queued waiters in order.
    pub fn release(&self, permits: u32, deliver: impl FnMut(&Waiter, Delivery) -> bool) -> Result<(), ReleaseError> {
        self.release_inner(permits, false, deliver)
    }

    /// Like [`release`](Self::release) but clamps at `max` instead of failing.
    /// Used to return what a dead thread held.
    pub fn release_saturating(&self, permits: u32, deliver: impl FnMut(&Waiter, Delivery) -> bool) {
        let _ = self.release_inner(permits, true, deliver);
    }

    fn release_inner(
        &self,
        permits: u32,
        saturate: bool,
        deliver: impl FnMut(&Waiter, Delivery) -> bool,
    ) -> Result<(), ReleaseError> {
        let mut inner = lock(&self.inner);
        let w = self.word();
        let mut s = w.load(Ordering::Acquire);
        loop {
            let available = word::permits(s);
            let mut releasing = permits;
            if available as u64 + permits as u64 > self.max as u64 {
                if !saturate {
                    return Err(ReleaseError::OverRelease {
                        available,
                        releasing: permits,
                        max: self.max,
                    });
                }
                releasing = self.max - available;
            }
            if s & word::WAITERS != 0 {
                // We own the word (module docs): serve the queue.
                let left = Self::serve(&mut inner, available + releasing, deliver);
                w.store(Self::settle(&inner, left, s), Ordering::Release);
                return Ok(());
            }
            match w.compare_exchange(s, s + word::encode(releasing, 0), Ordering::AcqRel, Ordering::Acquire) {
                Ok(_) => return Ok(()),
                Err(actual) => s = actual,
            }
        }
    }

    /// Removes a queued waiter. Returns `false` if it was not queued (it was
    /// already served, or the key is stale), in which case its delivery is
    /// on its way and will arrive.
    pub fn cancel(
        &self,
        key: WaiterKey,
        owner: u32,
        token: u32,
        deliver: impl FnMut(&Waiter, Delivery) -> bool,
    ) -> bool {
        let mut inner = lock(&self.inner);
        match inner.queue.get(key) {
            Some(w) if w.owner == owner && w.token == token => {}
            _ => return false,
        }
        inner.queue.remove(key);
        self.reserve_after_removal(&mut inner, deliver);
        true
    }

    /// Removes every waiter of a dead `owner`. Returns how many were removed.
    pub fn remove_owner(&self, owner: u32, deliver: impl FnMut(&Waiter, Delivery) -> bool) -> usize {
        let mut inner = lock(&self.inner);
        let removed = inner.queue.remove_where(|w| w.owner == owner).len();
        if removed > 0 {
            self.reserve_after_removal(&mut inner, deliver);
        }
        removed
    }

    /// The thread `owner` is gone: removes its queued waiters, and gives back
    /// `held` permits (what it held, and grants delivered to it that it never
    /// saw), clamped at `max`, so that its death loses no permit.
    pub fn owner_gone(&self, owner: u32, held: u32, mut deliver: impl FnMut(&Waiter, Delivery) -> bool) {
        self.remove_owner(owner, &mut deliver);
        if held > 0 {
            self.release_saturating(held, &mut deliver);
        }
    }

    /// After waiters left the queue, the new head may fit in what is free.
    fn reserve_after_removal(&self, inner: &mut Inner, deliver: impl FnMut(&Waiter, Delivery) -> bool) {
        let w = self.word();
        let s = w.load(Ordering::Acquire);
        debug_assert!(s & word::WAITERS != 0, "a queued waiter implies the WAITERS bit");
        let left = Self::serve(inner, word::permits(s), deliver);
        w.store(Self::settle(inner, left, s), Ordering::Release);
    }

    /// Closes: rejects every queued waiter and every later acquire.
    /// Returns `false` if it was already closed.
    pub fn close(&self, reason: Option<String>, mut deliver: impl FnMut(&Waiter, Delivery) -> bool) -> bool {
        let mut inner = lock(&self.inner);
        let w = self.word();
        let mut s = w.load(Ordering::Acquire);
        if s & word::CLOSED != 0 {
            return false;
        }
        inner.close_reason = reason;
        if s & word::WAITERS != 0 {
            while let Some(waiter) = inner.queue.pop_front() {
                deliver(&waiter, Delivery::Closed);
            }
            w.store((s & !word::WAITERS) | word::CLOSED, Ordering::Release);
            return true;
        }
        loop {
            match w.compare_exchange(s, s | word::CLOSED, Ordering::AcqRel, Ordering::Acquire) {
                Ok(_) => return true,
                Err(actual) => s = actual,
            }
        }
    }

    /// Grants to queue heads while they fit. Returns the permits left.
    fn serve(inner: &mut Inner, mut available: u32, mut deliver: impl FnMut(&Waiter, Delivery) -> bool) -> u32 {
        while let Some(head) = inner.queue.front().copied() {
            if head.permits > available {
                break;
            }
            inner.queue.pop_front();
            if deliver(&head, Delivery::Granted) {
                available -= head.permits;
            }
        }
        available
    }

    /// The word to store after serving: keeps CLOSED, sets WAITERS iff queued.
    fn settle(inner: &Inner, available: u32, old: i32) -> i32 {
        let waiters = if inner.queue.is_empty() { 0 } else { word::WAITERS };
        word::encode(available, (old & word::CLOSED) | waiters)
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use std::cell::RefCell;

    type Log = RefCell<Vec<(u32, Delivery)>>;

    fn sem(max: u32) -> Semaphore<OwnedWord> {
        Semaphore::new(OwnedWord::new(max), max)
    }

    fn recorder(log: &Log) -> impl FnMut(&Waiter, Delivery) -> bool + '_ {
        move |w, d| {
            log.borrow_mut().push((w.token, d));
            true
        }
    }

    fn queued(o: AcquireOutcome) -> WaiterKey {
        match o {
            AcquireOutcome::Queued(k) => k,
            other => panic!("expected to queue, got {other:?}"),
        }
    }

    #[test]
    fn uncontended_acquire_release() {
        let s = sem(3);
        assert_eq!(s.acquire(2, 0, 1), AcquireOutcome::Acquired);
        assert_eq!(s.available(), 1);
        assert_eq!(s.try_acquire(1), Some(true));
        assert_eq!(s.try_acquire(1), Some(false));
        s.release(3, |_, _| unreachable!()).unwrap();
        assert_eq!(s.available(), 3);
    }

    #[test]
    fn a_gone_owner_gives_back_what_it_held_and_leaves_the_queue() {
        let s = sem(3);
        let log = Log::default();
        // Thread 1 holds 2 and waits for 2 more; thread 2 waits for 3.
        assert_eq!(s.acquire(2, 1, 10), AcquireOutcome::Acquired);
        queued(s.acquire(2, 1, 11));
        queued(s.acquire(3, 2, 20));
        s.owner_gone(1, 2, recorder(&log));
        assert_eq!(*log.borrow(), vec![(20, Delivery::Granted)], "only thread 2 is served");
        assert_eq!(s.available(), 0);
        assert_eq!(s.waiting(), 0);
        // Permits it never saw (a grant posted to it) go back too, clamped at max.
        s.release(3, |_, _| true).unwrap();
        s.owner_gone(2, 1, |_, _| unreachable!());
        assert_eq!(s.available(), 3);
    }

    #[test]
    fn over_release_is_an_error() {
        let s = sem(2);
        assert_eq!(
            s.release(1, |_, _| true),
            Err(ReleaseError::OverRelease {
                available: 2,
                releasing: 1,
                max: 2
            })
        );
        assert_eq!(s.available(), 2);
        s.release_saturating(5, |_, _| true);
        assert_eq!(s.available(), 2);
    }

    #[test]
    fn fifo_and_weighted_head_is_not_overtaken() {
        let s = sem(3);
        let log = Log::default();
        assert_eq!(s.acquire(3, 0, 0), AcquireOutcome::Acquired);
        queued(s.acquire(3, 0, 1)); // big request at the head
        queued(s.acquire(1, 0, 2));
        queued(s.acquire(1, 0, 3));
        // With waiters queued, even a request that would fit must queue.
        assert_eq!(s.try_acquire(1), Some(false));
        s.release(1, recorder(&log)).unwrap();
        assert!(
            log.borrow().is_empty(),
            "1 free permit must not go past the head that needs 3"
        );
        s.release(2, recorder(&log)).unwrap();
        assert_eq!(*log.borrow(), vec![(1, Delivery::Granted)]);
        s.release(3, recorder(&log)).unwrap();
        assert_eq!(
            *log.borrow(),
            vec![(1, Delivery::Granted), (2, Delivery::Granted), (3, Delivery::Granted)]
        );
        assert_eq!(s.available(), 1);
        assert_eq!(s.word().load(Ordering::Relaxed) & word::WAITERS, 0);
    }

    #[test]
    fn cancelling_the_blocking_head_serves_the_rest() {
        let s = sem(2);
        let log = Log::default();
        assert_eq!(s.acquire(1, 0, 0), AcquireOutcome::Acquired);
        let big = queued(s.acquire(2, 0, 1));
        queued(s.acquire(1, 0, 2));
        assert!(s.cancel(big, 0, 1, recorder(&log)));
        assert_eq!(*log.borrow(), vec![(2, Delivery::Granted)]);
        assert!(!s.cancel(big, 0, 1, recorder(&log)), "already removed");
        assert_eq!(s.waiting(), 0);
        assert_eq!(s.available(), 0);
    }

    #[test]
    fn cancel_with_a_stale_key_does_nothing() {
        let s = sem(1);
        let log = Log::default();
        assert_eq!(s.acquire(1, 0, 0), AcquireOutcome::Acquired);
        let k = queued(s.acquire(1, 7, 1));
        s.release(1, recorder(&log)).unwrap(); // token 1 served, key freed
        let k2 = queued(s.acquire(1, 7, 2)); // slab may reuse the key
        assert_eq!(k, k2);
        assert!(
            !s.cancel(k, 7, 1, recorder(&log)),
            "token mismatch must not remove token 2"
        );
        assert_eq!(s.waiting(), 1);
    }

    #[test]
    fn close_rejects_waiters_and_later_acquires_but_allows_release() {
        let s = sem(1);
        let log = Log::default();
        assert_eq!(s.acquire(1, 0, 0), AcquireOutcome::Acquired);
        queued(s.acquire(1, 0, 1));
        queued(s.acquire(1, 0, 2));
        assert!(s.close(Some("shutting down".into()), recorder(&log)));
        assert_eq!(*log.borrow(), vec![(1, Delivery::Closed), (2, Delivery::Closed)]);
        assert_eq!(s.acquire(1, 0, 3), AcquireOutcome::Closed);
        assert_eq!(s.try_acquire(1), None);
        s.release(1, recorder(&log)).unwrap();
        assert_eq!(s.available(), 1);
        assert_eq!(s.close_reason().as_deref(), Some("shutting down"));
        assert!(!s.close(None, recorder(&log)));
    }

    #[test]
    fn dead_owner_is_skipped_and_removed() {
        let s = sem(1);
        let log = Log::default();
        assert_eq!(s.acquire(1, 0, 0), AcquireOutcome::Acquired);
        queued(s.acquire(1, 5, 1)); // owner 5 will die
        queued(s.acquire(1, 6, 2));
        // Delivery to owner 5 fails: the permit must go on to owner 6.
        s.release(1, |w, d| {
            log.borrow_mut().push((w.token, d));
            w.owner != 5
        })
        .unwrap();
        assert_eq!(*log.borrow(), vec![(1, Delivery::Granted), (2, Delivery::Granted)]);
        assert_eq!(s.available(), 0);

        queued(s.acquire(1, 5, 3));
        queued(s.acquire(1, 6, 4));
        assert_eq!(s.remove_owner(5, recorder(&log)), 1);
        assert_eq!(s.waiting(), 1);
    }

    #[test]
    fn real_threads_keep_mutual_exclusion_and_conserve_permits() {
        use std::sync::atomic::{AtomicBool, AtomicUsize};
        use std::sync::Arc;
        const THREADS: u32 = 4;
        const ROUNDS: u32 = 2_000;
        let s = Arc::new(sem(2));
        let holders = Arc::new(AtomicUsize::new(0));
        let granted: Arc<Vec<AtomicBool>> = Arc::new((0..THREADS).map(|_| AtomicBool::new(false)).collect());
        let deliver = {
            let granted = granted.clone();
            move |w: &Waiter, _d: Delivery| {
                granted[w.owner as usize].store(true, Ordering::Release);
                true
            }
        };
        let handles: Vec<_> = (0..THREADS)
            .map(|me| {
                let (s, holders, granted, deliver) = (s.clone(), holders.clone(), granted.clone(), deliver.clone());
                std::thread::spawn(move || {
                    for round in 0..ROUNDS {
                        if s.try_acquire(1) != Some(true) {
                            if let AcquireOutcome::Queued(_) = s.acquire(1, me, round) {
                                while !granted[me as usize].swap(false, Ordering::AcqRel) {
                                    std::thread::yield_now();
                                }
                            }
                        }
                        let now = holders.fetch_add(1, Ordering::SeqCst) + 1;
                        assert!(now <= 2, "{now} holders of a 2-permit semaphore");
                        if round % 7 == 0 {
                            std::thread::yield_now();
                        }
                        holders.fetch_sub(1, Ordering::SeqCst);
                        if !s.try_release(1).unwrap() {
                            s.release(1, deliver.clone()).unwrap();
                        }
                    }
                })
            })
            .collect();
        for h in handles {
            h.join().unwrap();
        }
        assert_eq!(s.available(), 2);
        assert_eq!(s.waiting(), 0);
    }
}
