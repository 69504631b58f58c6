//! The fair, weighted, closable FIFO semaphore that every threadkit lock is
//! built on.
//!
//! # Contract
//! - `max` is the bound: at most `max` permits are free at once. A semaphore
//!   may start with fewer free (`new Semaphore(0, { max: 1 })`). A waiter asks
//!   for `1..=max` permits at once.
//! - Strict order: a waiter is served only when everyone ahead of it has been
//!   served, so a large request at the head is never overtaken by small ones,
//!   and nobody barges past the queue. The queue is FIFO within a priority,
//!   and a lower priority is ahead of a higher one (default 0; see
//!   [`acquire_with_priority`](Semaphore::acquire_with_priority)).
//! - A waiter can be cancelled at any time in O(1). If the cancelled waiter
//!   was blocking the head, the waiters behind it are served at once.
//! - `close` rejects every queued waiter and every later acquire. Releases
//!   still work after close, so guards can be dropped normally.
//! - A release that would make more than `max` permits free is an error,
//!   never a silent increase.
//! - [`set_max`](Semaphore::set_max) changes the bound at run time. Raising it
//!   frees the difference and serves the waiters that now fit. Lowering it
//!   takes the difference from the free permits; what they cannot cover
//!   (permits held above the new bound) is a debt that the next releases pay
//!   before any permit becomes free again. `available` never goes negative.
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
//! `WAITERS` really means "the slow path must run": it is set exactly when the
//! queue is not empty **or** a debt is owed, so that every release reaches
//! this code while the debt lasts. A debt implies no free permits.
//!
//! The bound word sits beside the state word (see [`word`]). It is written
//! only under `inner`'s lock. Lowering stores it before changing the state
//! word and raising stores it after, so a JS fast release that checks the
//! bound it read can only be stricter than the truth, and falls back here.
//!
//! Waking is not done here. Every grant or rejection is handed to a
//! `deliver` callback while the lock is held. The callback returns `false`
//! when the waiter's owner (a thread/isolate) is gone; the grant is then
//! skipped and its permits stay available for the next waiter, so a dead
//! thread can never swallow a lock.
//!
//! One thread's waiters may queue without native calls while nobody else
//! waits: the queue lease (`lease.rs`). Every call that takes `inner`'s lock
//! breaks a lease first, so the rest of this file sees a plain queue (with
//! at most one group entry, served one waiter at a time).
//!
//! Files: this one (the queue and its fast/slow paths), `word.rs` (the
//! shared words' layout and where they live), `lease.rs` (the queue lease),
//! `bound.rs` (`set_max`), `tests.rs`.

mod bound;
mod lease;
pub mod word;

pub use word::{BoundWord, OwnedWord, StateWord};

use crate::sync::{lock, AtomicI32, Mutex, Ordering};
use crate::waiter_queue::{WaiterKey, WaiterQueue};

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
    /// One waiter of a group (a broken lease, see `lease.rs`) now holds its
    /// permits; the group stays queued for the others.
    GrantedPart,
    /// The semaphore was closed; it holds nothing.
    Closed,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AcquireOutcome {
    /// The permits were taken at once.
    Acquired,
    /// Queued; `deliver` will be called with this waiter later.
    Queued(WaiterKey),
    /// Queued on a lease the caller now holds (see `lease.rs`).
    Leased,
    Closed,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReleaseError {
    /// Releasing would make more than `max` permits free.
    OverRelease { available: u32, releasing: u32, max: u32 },
}

struct Inner {
    queue: WaiterQueue<Waiter>,
    close_reason: Option<String>,
    /// Permits held above a lowered bound that releases must retire first.
    debt: u32,
    /// The queue's lease, while one thread holds it (`lease.rs`).
    lease: Option<lease::Lease>,
    /// The queued entry that stands for a broken lease's waiters.
    group: Option<lease::Group>,
}

/// See the module docs.
pub struct Semaphore<W: BoundWord> {
    state: W,
    inner: Mutex<Inner>,
}

impl<W: BoundWord> Semaphore<W> {
    /// `state` must already hold valid words: a bound in `1..=MAX_PERMITS`
    /// and at most that many free permits.
    pub fn new(state: W) -> Self {
        let max = (state.bound().load(Ordering::Acquire) & word::BOUND_MASK) as u32;
        assert!((1..=word::MAX_PERMITS).contains(&max), "max permits out of range");
        Self {
            state,
            inner: Mutex::new(Inner {
                queue: WaiterQueue::new(),
                close_reason: None,
                debt: 0,
                lease: None,
                group: None,
            }),
        }
    }

    /// The bound: at most this many permits are free at once.
    pub fn max(&self) -> u32 {
        (self.state.bound().load(Ordering::Acquire) & word::BOUND_MASK) as u32
    }

    /// Whether `release` is allowed on threads that hold no permit.
    pub fn releases_anywhere(&self) -> bool {
        self.state.bound().load(Ordering::Acquire) & word::RELEASE_ANYWHERE != 0
    }

    /// Permits held above a lowered bound, still to be retired by releases.
    pub fn debt(&self) -> u32 {
        lock(&self.inner).debt
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

    /// Waiters queued, on every thread (a group counts as its waiters, a lease as its count).
    pub fn waiting(&self) -> usize {
        let inner = lock(&self.inner);
        let in_group = inner.group.map_or(0, |g| g.left as usize - 1);
        inner.queue.len() + in_group + self.lease_count(&inner)
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
            let max = self.max();
            if available as u64 + permits as u64 > max as u64 {
                return Err(ReleaseError::OverRelease {
                    available,
                    releasing: permits,
                    max,
                });
            }
            match w.compare_exchange(s, s + word::encode(permits, 0), Ordering::AcqRel, Ordering::Acquire) {
                Ok(_) => return Ok(true),
                Err(actual) => s = actual,
            }
        }
    }

    /// The slow path of acquire: takes the permits if possible, otherwise
    /// queues a waiter. `permits` must be in `1..=MAX_PERMITS`; a request
    /// above the bound waits until the bound is raised (or it is cancelled).
    pub fn acquire(&self, permits: u32, owner: u32, token: u32) -> AcquireOutcome {
        self.acquire_with_priority(permits, owner, token, 0)
    }

    /// [`acquire`](Self::acquire) that queues, if it must, behind every
    /// waiter of a lower or equal `priority` and ahead of the others.
    pub fn acquire_with_priority(&self, permits: u32, owner: u32, token: u32, priority: i32) -> AcquireOutcome {
        self.acquire_inner(permits, owner, token, priority, false)
    }

    fn acquire_inner(&self, permits: u32, owner: u32, token: u32, priority: i32, leasing: bool) -> AcquireOutcome {
        assert!((1..=word::MAX_PERMITS).contains(&permits), "permits out of range");
        let mut inner = lock(&self.inner);
        self.break_lease(&mut inner);
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
        if leasing && lease::may_lease(&inner, owner, self.releases_anywhere()) {
            self.state.lease().store(word::lease(owner, 1), Ordering::SeqCst);
            inner.lease = Some(lease::Lease { owner, token, permits });
            return AcquireOutcome::Leased;
        }
        AcquireOutcome::Queued(inner.queue.push(Waiter { owner, token, permits }, priority))
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
        self.break_lease(&mut inner);
        let w = self.word();
        let mut s = w.load(Ordering::Acquire);
        let max = self.max();
        loop {
            let available = word::permits(s);
            // A debt is paid first; it implies WAITERS, so the CAS below never sees one.
            let paid = permits.min(inner.debt);
            let mut releasing = permits - paid;
            if available as u64 + releasing as u64 > max as u64 {
                if !saturate {
                    return Err(ReleaseError::OverRelease {
                        available,
                        releasing,
                        max,
                    });
                }
                releasing = max.saturating_sub(available);
            }
            if s & word::WAITERS != 0 {
                // We own the word (module docs): serve the queue.
                inner.debt -= paid;
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
        self.break_lease(&mut inner);
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
        self.break_lease(&mut inner);
        let removed = inner.queue.remove_where(|w| w.owner == owner).len();
        if inner.group.is_some_and(|g| g.owner == owner) {
            inner.group = None;
        }
        if removed > 0 {
            self.reserve_after_removal(&mut inner, deliver);
        }
        removed
    }

    /// The thread `owner` is gone: removes its queued waiters, and gives back
    /// what [`given_back`](Self::given_back) says, clamped at `max`, so that
    /// its death loses no permit.
    pub fn owner_gone(
        &self,
        owner: u32,
        held: u32,
        undelivered: u32,
        mut deliver: impl FnMut(&Waiter, Delivery) -> bool,
    ) {
        self.remove_owner(owner, &mut deliver);
        let back = self.given_back(held, undelivered);
        if back > 0 {
            self.release_saturating(back, &mut deliver);
        }
    }

    /// What a thread that is gone gives back: the grants posted to it that it
    /// never received, and what it `held`, except on a semaphore that
    /// releases anywhere. There permits have no owner: another thread may
    /// already have released them for it, or it took them as signals that
    /// are consumed (a thread that waits for a signal and exits must not
    /// send it again), so giving them back could make permits out of nothing.
    pub fn given_back(&self, held: u32, undelivered: u32) -> u32 {
        let held = if self.releases_anywhere() { 0 } else { held };
        held.saturating_add(undelivered)
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
        self.break_lease(&mut inner);
        let w = self.word();
        let mut s = w.load(Ordering::Acquire);
        if s & word::CLOSED != 0 {
            return false;
        }
        inner.close_reason = reason;
        if s & word::WAITERS != 0 {
            // A group is told once: its thread rejects all of its waiters.
            inner.group = None;
            while let Some(waiter) = inner.queue.pop_front() {
                deliver(&waiter, Delivery::Closed);
            }
            w.store(
                Self::settle(&inner, word::permits(s), s | word::CLOSED),
                Ordering::Release,
            );
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
            if let Some(g) = inner.group.as_mut().filter(|g| g.is(&head)) {
                if g.left > 1 {
                    // One waiter of the group; the others stay at the head.
                    if deliver(&head, Delivery::GrantedPart) {
                        available -= head.permits;
                        g.left -= 1;
                        continue;
                    }
                    // Its thread is gone, and all of the group's waiters with it.
                    inner.group = None;
                    inner.queue.pop_front();
                    continue;
                }
                inner.group = None;
            }
            inner.queue.pop_front();
            if deliver(&head, Delivery::Granted) {
                available -= head.permits;
            }
        }
        available
    }

    /// The word to store after serving: keeps CLOSED, sets WAITERS iff a
    /// waiter is queued or a debt is owed (module docs).
    fn settle(inner: &Inner, available: u32, old: i32) -> i32 {
        let waiters = if inner.queue.is_empty() && inner.debt == 0 {
            0
        } else {
            word::WAITERS
        };
        word::encode(available, (old & word::CLOSED) | waiters)
    }
}

#[cfg(all(test, not(loom)))]
mod tests;
