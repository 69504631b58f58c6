//! A cyclic barrier shared by any number of threads (Python's
//! `threading.Barrier`): `parties` callers of [`arrive`](Barrier::arrive)
//! pass together, and the barrier is then ready for the next generation.
//!
//! # Contract
//! - Each arrival gets its index, `0..parties`, in arrival order; the one with
//!   index `parties - 1` trips the barrier: every waiter of that generation is
//!   delivered [`BarrierWake::Passed`] and the next generation starts empty.
//!   Waiters of two generations never mix: a trip takes exactly the waiters
//!   that arrived since the previous trip.
//! - A waiter that gives up ([`leave`](Barrier::leave): abort, timeout) or
//!   whose thread dies ([`owner_gone`](Barrier::owner_gone)) breaks the
//!   barrier: every other waiter is delivered [`BarrierWake::Broken`], and
//!   every later arrival is refused until [`reset`](Barrier::reset).
//! - [`abort`](Barrier::abort) breaks it on purpose; `reset` breaks the
//!   current waiters (they were waiting for a generation that will not come)
//!   and makes the barrier usable again.
//!
//! # Implementation details
//! One lock around the generation's waiters (a `Vec`: `parties` is small,
//! and a waiter leaving is found by its `(owner, token)`). Waking is the
//! caller's `deliver` callback, called under the lock as the semaphore does;
//! its `false` (the owner is gone) changes nothing here, since a passed or
//! broken waiter holds nothing.

use crate::sync::{lock, Mutex};

/// A waiting party: the thread it waits on and its token there.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Arrival {
    pub owner: u32,
    pub token: u32,
}

/// What a waiter is told.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BarrierWake {
    /// All parties arrived.
    Passed,
    /// The barrier broke (a party gave up or died, `abort`, `reset`).
    Broken,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ArriveOutcome {
    /// Queued with this arrival index; it is delivered a [`BarrierWake`] later.
    Waiting(u32),
    /// The last party: it passes now with this index (`parties - 1`), and
    /// every waiter of its generation was delivered `Passed`.
    Tripped(u32),
    /// The barrier is broken; nothing was queued.
    Broken,
}

struct Inner {
    waiting: Vec<Arrival>,
    broken: bool,
    /// Completed generations (trips and resets), for tests and diagnostics.
    generation: u64,
}

/// See the module docs.
pub struct Barrier {
    parties: u32,
    inner: Mutex<Inner>,
}

impl Barrier {
    /// `parties` must be at least 1.
    pub fn new(parties: u32) -> Self {
        assert!(parties >= 1, "a barrier needs at least one party");
        Self {
            parties,
            inner: Mutex::new(Inner {
                waiting: Vec::new(),
                broken: false,
                generation: 0,
            }),
        }
    }

    pub fn parties(&self) -> u32 {
        self.parties
    }

    /// Parties waiting in the current generation.
    pub fn waiting(&self) -> u32 {
        lock(&self.inner).waiting.len() as u32
    }

    pub fn is_broken(&self) -> bool {
        lock(&self.inner).broken
    }

    /// Generations completed so far (trips and resets).
    pub fn generation(&self) -> u64 {
        lock(&self.inner).generation
    }

    /// A party arrives (see the contract).
    pub fn arrive(&self, who: Arrival, mut deliver: impl FnMut(&Arrival, BarrierWake) -> bool) -> ArriveOutcome {
        let mut inner = lock(&self.inner);
        if inner.broken {
            return ArriveOutcome::Broken;
        }
        let index = inner.waiting.len() as u32;
        if index + 1 < self.parties {
            inner.waiting.push(who);
            return ArriveOutcome::Waiting(index);
        }
        for w in std::mem::take(&mut inner.waiting) {
            deliver(&w, BarrierWake::Passed);
        }
        inner.generation += 1;
        ArriveOutcome::Tripped(index)
    }

    /// A waiter gives up (abort, timeout). If it was still waiting it leaves,
    /// the barrier breaks for the others, and this returns true; false if it
    /// had already passed or been broken (its wake is on the way).
    pub fn leave(&self, who: Arrival, deliver: impl FnMut(&Arrival, BarrierWake) -> bool) -> bool {
        let mut inner = lock(&self.inner);
        let Some(at) = inner.waiting.iter().position(|w| *w == who) else {
            return false;
        };
        inner.waiting.swap_remove(at);
        Self::break_inner(&mut inner, deliver);
        true
    }

    /// A thread is gone: its waiters leave, and if it had any the barrier
    /// breaks for the others. Returns how many of its waiters were removed.
    pub fn owner_gone(&self, owner: u32, deliver: impl FnMut(&Arrival, BarrierWake) -> bool) -> usize {
        let mut inner = lock(&self.inner);
        let before = inner.waiting.len();
        inner.waiting.retain(|w| w.owner != owner);
        let removed = before - inner.waiting.len();
        if removed > 0 {
            Self::break_inner(&mut inner, deliver);
        }
        removed
    }

    /// Breaks the barrier: current waiters are delivered `Broken`, later
    /// arrivals are refused until `reset`.
    pub fn abort(&self, deliver: impl FnMut(&Arrival, BarrierWake) -> bool) {
        Self::break_inner(&mut lock(&self.inner), deliver);
    }

    /// Current waiters are delivered `Broken`; the barrier is then whole and
    /// empty again.
    pub fn reset(&self, deliver: impl FnMut(&Arrival, BarrierWake) -> bool) {
        let mut inner = lock(&self.inner);
        Self::break_inner(&mut inner, deliver);
        inner.broken = false;
        inner.generation += 1;
    }

    fn break_inner(inner: &mut Inner, mut deliver: impl FnMut(&Arrival, BarrierWake) -> bool) {
        inner.broken = true;
        for w in std::mem::take(&mut inner.waiting) {
            deliver(&w, BarrierWake::Broken);
        }
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    fn a(owner: u32, token: u32) -> Arrival {
        Arrival { owner, token }
    }

    type Log = std::rc::Rc<std::cell::RefCell<Vec<(Arrival, BarrierWake)>>>;

    /// A delivery log, and a function that takes what it holds.
    /// The delivery callback that records each wake in `l` (and accepts it).
    fn recorder(l: &Log) -> impl Fn(&Arrival, BarrierWake) -> bool + Copy + '_ {
        move |w, k| {
            l.borrow_mut().push((*w, k));
            true
        }
    }

    fn log() -> (Log, impl Fn() -> Vec<(Arrival, BarrierWake)>) {
        let l = Log::default();
        let l2 = l.clone();
        (l, move || l2.borrow_mut().drain(..).collect())
    }

    #[test]
    fn the_last_party_trips_and_each_gets_its_arrival_index() {
        let b = Barrier::new(3);
        let (l, take) = log();
        let d = recorder(&l);
        assert_eq!(b.arrive(a(1, 1), d), ArriveOutcome::Waiting(0));
        assert_eq!(b.arrive(a(2, 1), d), ArriveOutcome::Waiting(1));
        assert!(take().is_empty());
        assert_eq!(b.arrive(a(1, 2), d), ArriveOutcome::Tripped(2));
        assert_eq!(
            take(),
            vec![(a(1, 1), BarrierWake::Passed), (a(2, 1), BarrierWake::Passed)]
        );
        assert_eq!((b.waiting(), b.generation()), (0, 1));
    }

    #[test]
    fn generations_do_not_mix() {
        let b = Barrier::new(2);
        let (l, take) = log();
        let d = recorder(&l);
        for g in 0..5u32 {
            assert_eq!(b.arrive(a(1, g), d), ArriveOutcome::Waiting(0));
            assert_eq!(b.arrive(a(2, g), d), ArriveOutcome::Tripped(1));
            assert_eq!(take(), vec![(a(1, g), BarrierWake::Passed)]);
        }
        assert_eq!(b.generation(), 5);
    }

    #[test]
    fn one_party_passes_alone() {
        let b = Barrier::new(1);
        assert_eq!(b.arrive(a(1, 1), |_, _| true), ArriveOutcome::Tripped(0));
    }

    #[test]
    fn a_party_that_leaves_breaks_it_for_the_others_until_reset() {
        let b = Barrier::new(3);
        let (l, take) = log();
        let d = recorder(&l);
        b.arrive(a(1, 1), d);
        b.arrive(a(2, 1), d);
        assert!(b.leave(a(1, 1), d));
        assert_eq!(take(), vec![(a(2, 1), BarrierWake::Broken)]);
        assert!(!b.leave(a(2, 1), d), "already broken: its wake is on the way");
        assert!(b.is_broken());
        assert_eq!(b.arrive(a(3, 1), d), ArriveOutcome::Broken);
        b.reset(d);
        assert!(!b.is_broken());
        assert_eq!(b.arrive(a(3, 2), d), ArriveOutcome::Waiting(0));
    }

    #[test]
    fn leaving_after_passing_changes_nothing() {
        let b = Barrier::new(2);
        b.arrive(a(1, 1), |_, _| true);
        b.arrive(a(2, 1), |_, _| true);
        assert!(!b.leave(a(1, 1), |_, _| true));
        assert!(!b.is_broken());
    }

    #[test]
    fn a_dead_thread_breaks_it_only_if_it_was_waiting() {
        let b = Barrier::new(3);
        let (l, take) = log();
        let d = recorder(&l);
        b.arrive(a(1, 1), d);
        assert_eq!(b.owner_gone(9, d), 0);
        assert!(!b.is_broken());
        b.arrive(a(2, 1), d);
        assert_eq!(b.owner_gone(2, d), 1);
        assert_eq!(take(), vec![(a(1, 1), BarrierWake::Broken)]);
        assert!(b.is_broken());
    }

    #[test]
    fn reset_breaks_current_waiters_and_abort_breaks_it() {
        let b = Barrier::new(3);
        let (l, take) = log();
        let d = recorder(&l);
        b.arrive(a(1, 1), d);
        b.reset(d);
        assert_eq!(take(), vec![(a(1, 1), BarrierWake::Broken)]);
        assert!(!b.is_broken());
        b.abort(d);
        assert!(b.is_broken());
        assert_eq!(b.arrive(a(1, 2), d), ArriveOutcome::Broken);
    }
}

#[cfg(all(test, not(loom)))]
mod thread_tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};
    use std::sync::{Arc, Condvar, Mutex as StdMutex};

    /// Real threads, many generations: each generation passes exactly `parties`
    /// arrivals with distinct indexes, and nobody passes a generation early.
    #[test]
    fn threads_pass_generations_together() {
        const PARTIES: u32 = 4;
        const ROUNDS: u32 = 200;
        let b = Arc::new(Barrier::new(PARTIES));
        // (owner, token) -> passed?  One slot per party, since each waits for one wake at a time.
        let passed: Arc<Vec<(StdMutex<bool>, Condvar)>> =
            Arc::new((0..PARTIES).map(|_| (StdMutex::new(false), Condvar::new())).collect());
        let round_count = Arc::new(AtomicU32::new(0));
        let handles: Vec<_> = (0..PARTIES)
            .map(|p| {
                let (b, passed, round_count) = (b.clone(), passed.clone(), round_count.clone());
                std::thread::spawn(move || {
                    for r in 0..ROUNDS {
                        let before = round_count.load(Ordering::SeqCst);
                        assert!(
                            before >= r * PARTIES && before < (r + 1) * PARTIES,
                            "round {r}: {before}"
                        );
                        round_count.fetch_add(1, Ordering::SeqCst);
                        let wake = |w: &Arrival, k| {
                            assert_eq!(k, BarrierWake::Passed);
                            let (m, c) = &passed[w.owner as usize];
                            *m.lock().unwrap() = true;
                            c.notify_one();
                            true
                        };
                        match b.arrive(Arrival { owner: p, token: r }, wake) {
                            ArriveOutcome::Tripped(i) => assert_eq!(i, PARTIES - 1),
                            ArriveOutcome::Waiting(_) => {
                                let (m, c) = &passed[p as usize];
                                let mut g = c.wait_while(m.lock().unwrap(), |done| !*done).unwrap();
                                *g = false;
                            }
                            ArriveOutcome::Broken => panic!("broken"),
                        }
                        // Everyone of this round arrived before anyone passed.
                        assert!(round_count.load(Ordering::SeqCst) >= (r + 1) * PARTIES);
                    }
                })
            })
            .collect();
        for h in handles {
            h.join().unwrap();
        }
        assert_eq!(b.generation(), ROUNDS as u64);
    }
}
