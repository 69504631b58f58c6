//! loom models of the queue lease (`crates/core/src/semaphore/lease.rs`):
//! thread T runs the JS side exactly as `lib/sync/lease.js` does (its waiters
//! join its lease by `lease_join`, its releases hand off by
//! `lease_hand_off`), while thread B acquires and releases natively, so that
//! every break of the lease is explored. Checked: mutual exclusion, no lost
//! wake-up (everyone finishes), permits conserved, nothing left queued, the
//! lease word back to 0, and FIFO across threads: a waiter of T that queued
//! after B's waiter is never served before it.

use loom::sync::atomic::{AtomicBool, AtomicI32, AtomicUsize, Ordering};
use loom::sync::{Arc, Notify};
use loom::thread;
use threadkit_core::{AcquireOutcome, BoundWord, Delivery, OwnedWord, Semaphore, Waiter};

const T: u32 = 1;
const B: u32 = 2;

struct Model {
    sem: Semaphore<OwnedWord>,
    /// Grants delivered to T, not yet taken by its JS.
    t_grants: AtomicUsize,
    b_granted: AtomicBool,
    wake_t: Notify,
    wake_b: Notify,
    holders: AtomicUsize,
    /// Serving order: each holder's entry takes the next value.
    clock: AtomicI32,
    /// Queuing order: B takes a ticket once its waiter is queued, each of T's waiters before it queues.
    ticket: AtomicI32,
    b_queued_at: AtomicI32,
    b_served_at: AtomicI32,
}

impl Model {
    fn deliver(&self) -> impl FnMut(&Waiter, Delivery) -> bool + '_ {
        move |w, d| {
            assert_ne!(d, Delivery::Closed);
            if w.owner == T {
                self.t_grants.fetch_add(1, Ordering::SeqCst);
                self.wake_t.notify();
            } else {
                self.b_granted.store(true, Ordering::SeqCst);
                self.wake_b.notify();
            }
            true
        }
    }

    fn enter(&self) -> i32 {
        let now = self.holders.fetch_add(1, Ordering::SeqCst) + 1;
        assert_eq!(now, 1, "two holders of a mutex");
        self.clock.fetch_add(1, Ordering::SeqCst)
    }

    fn exit(&self) {
        self.holders.fetch_sub(1, Ordering::SeqCst);
    }

    fn release_native(&self) {
        if !self.sem.try_release(1).unwrap() {
            self.sem.release(1, self.deliver()).unwrap();
        }
    }
}

/// T's JS: its lease as `lib/sync/lease.js` keeps it (the group's size while it believes the lease holds).
struct TSide {
    lease: Option<u32>,
    /// T's waiters not yet served, with the clock value when each queued.
    waiting: std::collections::VecDeque<i32>,
}

impl TSide {
    /// A plain acquire of T that finds the lock held: join the lease, or go native.
    fn queue(&mut self, m: &Model, token: u32) {
        let at = m.ticket.fetch_add(1, Ordering::SeqCst);
        if let Some(c) = self.lease {
            if m.sem.lease_join(T, c) {
                self.lease = Some(c + 1);
                self.waiting.push_back(at);
                return;
            }
            self.lease = None;
        }
        match m.sem.try_acquire(1) {
            Some(false) => {}
            other => panic!("T's holder still holds: {other:?}"),
        }
        match m.sem.acquire_leasing(1, T, token) {
            AcquireOutcome::Leased => self.lease = Some(1),
            AcquireOutcome::Queued(_) => {}
            other => panic!("T's holder still holds: {other:?}"),
        }
        self.waiting.push_back(at);
    }

    /// T's holder releases: hand off to T's next waiter on the lease, or release natively.
    /// True if one of T's waiters now holds.
    fn release(&mut self, m: &Model) -> bool {
        if let Some(c) = self.lease {
            if m.sem.lease_hand_off(T, c) {
                self.lease = if c == 1 {
                    m.sem.lease_end(T);
                    None
                } else {
                    Some(c - 1)
                };
                return true;
            }
            self.lease = None;
        }
        m.release_native();
        false
    }
}

/// T's first task holds; `early` of T's waiters queue before B starts, one more races B.
fn run(early: usize) {
    let m = Arc::new(Model {
        sem: Semaphore::new(OwnedWord::new(1)),
        t_grants: AtomicUsize::new(0),
        b_granted: AtomicBool::new(false),
        wake_t: Notify::new(),
        wake_b: Notify::new(),
        holders: AtomicUsize::new(0),
        clock: AtomicI32::new(1),
        ticket: AtomicI32::new(1),
        b_queued_at: AtomicI32::new(0),
        b_served_at: AtomicI32::new(0),
    });
    // T's first task holds the lock before B starts, so B must wait.
    assert_eq!(m.sem.try_acquire(1), Some(true));
    m.enter();
    let mut t = TSide {
        lease: None,
        waiting: Default::default(),
    };
    for token in 0..early {
        t.queue(&m, 10 + token as u32);
    }
    let b = {
        let m = m.clone();
        thread::spawn(move || {
            let got = match m.sem.try_acquire(1) {
                Some(true) => true,
                _ => match m.sem.acquire(1, B, 7) {
                    AcquireOutcome::Acquired => true,
                    AcquireOutcome::Queued(_) => false,
                    other => panic!("{other:?}"),
                },
            };
            if !got {
                m.b_queued_at
                    .store(m.ticket.fetch_add(1, Ordering::SeqCst), Ordering::SeqCst);
                while !m.b_granted.load(Ordering::SeqCst) {
                    m.wake_b.wait();
                }
            }
            let served = m.enter();
            m.b_served_at.store(served, Ordering::SeqCst);
            m.exit();
            m.release_native();
        })
    };
    t.queue(&m, 2);
    // T's holder releases; then each of T's waiters in turn holds and releases.
    let mut holding = true;
    let mut served_after_b_queued = Vec::new();
    while holding || !t.waiting.is_empty() {
        if holding {
            m.exit();
            holding = t.release(&m);
        } else {
            while m.t_grants.load(Ordering::SeqCst) == 0 {
                m.wake_t.wait();
            }
            m.t_grants.fetch_sub(1, Ordering::SeqCst);
            holding = true;
        }
        if holding {
            let queued_at = t.waiting.pop_front().unwrap();
            let served = m.enter();
            served_after_b_queued.push((queued_at, served));
        }
    }
    b.join().unwrap();
    // FIFO: a waiter of T that began to queue after B's waiter was queued is served after it.
    let (b_queued, b_served) = (
        m.b_queued_at.load(Ordering::SeqCst),
        m.b_served_at.load(Ordering::SeqCst),
    );
    if b_queued > 0 {
        for (queued_at, served) in served_after_b_queued {
            if queued_at > b_queued {
                assert!(
                    served > b_served,
                    "T's waiter queued at {queued_at} overtook B's queued at {b_queued}"
                );
            }
        }
    }
    assert_eq!(m.sem.available(), 1, "permits conserved");
    assert_eq!(m.sem.waiting(), 0);
    assert_eq!(m.sem.state().lease().load(Ordering::SeqCst), 0, "the lease ended");
    assert_eq!(m.t_grants.load(Ordering::SeqCst), 0);
}

#[test]
fn lease_with_a_waiter_queued_before_another_thread_comes() {
    let mut builder = loom::model::Builder::new();
    builder.preemption_bound = Some(3);
    builder.check(|| run(1));
}

#[test]
fn lease_started_while_another_thread_comes() {
    let mut builder = loom::model::Builder::new();
    builder.preemption_bound = Some(3);
    builder.check(|| run(0));
}
