//! loom models of the core: the semaphore, including the JS fast paths
//! (`try_acquire` / `try_release` are the exact algorithm of `lib/`), the wake
//! mailbox and the pool's completion wake-up here, the channel in `channel.rs`.
//! The Barrier and KeyedMutex cores are in `prim.rs`.
//!
//! Run with: `RUSTFLAGS="--cfg loom" cargo test -p threadkit-core --release --test loom`
#![cfg(loom)]

use loom::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use loom::sync::{Arc, Notify};
use loom::thread;
use threadkit_core::{AcquireOutcome, Delivery, OwnedWord, Semaphore, Waiter};

mod channel;
mod lease;
mod prim;

struct Model {
    sem: Semaphore<OwnedWord>,
    granted: Vec<AtomicBool>,
    closed: Vec<AtomicBool>,
    wake: Vec<Notify>,
    holders: AtomicUsize,
}

impl Model {
    fn new(max: u32, threads: usize) -> Arc<Self> {
        Arc::new(Self {
            sem: Semaphore::new(OwnedWord::new(max)),
            granted: (0..threads).map(|_| AtomicBool::new(false)).collect(),
            closed: (0..threads).map(|_| AtomicBool::new(false)).collect(),
            wake: (0..threads).map(|_| Notify::new()).collect(),
            holders: AtomicUsize::new(0),
        })
    }

    fn deliver(&self) -> impl FnMut(&Waiter, Delivery) -> bool + '_ {
        move |w, d| {
            let flags = if d == Delivery::Granted {
                &self.granted
            } else {
                &self.closed
            };
            flags[w.owner as usize].store(true, Ordering::Release);
            self.wake[w.owner as usize].notify();
            true
        }
    }

    /// Returns false if the semaphore was closed.
    fn acquire(&self, me: u32, permits: u32) -> bool {
        match self.sem.try_acquire(permits) {
            Some(true) => return true,
            None => return false,
            Some(false) => {}
        }
        match self.sem.acquire(permits, me, 0) {
            AcquireOutcome::Acquired => true,
            AcquireOutcome::Closed => false,
            AcquireOutcome::Leased => unreachable!("only acquire_leasing leases (lease.rs)"),
            AcquireOutcome::Queued(_) => loop {
                if self.granted[me as usize].load(Ordering::Acquire) {
                    self.granted[me as usize].store(false, Ordering::Relaxed);
                    return true;
                }
                if self.closed[me as usize].load(Ordering::Acquire) {
                    return false;
                }
                self.wake[me as usize].wait();
            },
        }
    }

    fn release(&self, permits: u32) {
        if !self.sem.try_release(permits).unwrap() {
            self.sem.release(permits, self.deliver()).unwrap();
        }
    }

    fn critical_section(&self, limit: usize) {
        let now = self.holders.fetch_add(1, Ordering::SeqCst) + 1;
        assert!(now <= limit, "{now} holders, limit {limit}");
        self.holders.fetch_sub(1, Ordering::SeqCst);
    }
}

#[test]
fn mutex_excludes_and_never_loses_a_wakeup() {
    // Three threads explode the state space; bound the preemptions as tokio does.
    let mut builder = loom::model::Builder::new();
    builder.preemption_bound = Some(3);
    builder.check(|| {
        let m = Model::new(1, 3);
        let threads: Vec<_> = (0..2)
            .map(|me| {
                let m = m.clone();
                thread::spawn(move || {
                    assert!(m.acquire(me, 1));
                    m.critical_section(1);
                    m.release(1);
                })
            })
            .collect();
        assert!(m.acquire(2, 1));
        m.critical_section(1);
        m.release(1);
        for t in threads {
            t.join().unwrap();
        }
        assert_eq!(m.sem.available(), 1, "permits conserved");
        assert_eq!(m.sem.waiting(), 0);
    });
}

#[test]
fn weighted_permits_are_conserved() {
    loom::model(|| {
        let m = Model::new(3, 2);
        let t = {
            let m = m.clone();
            thread::spawn(move || {
                assert!(m.acquire(0, 2));
                m.release(2);
            })
        };
        assert!(m.acquire(1, 3));
        m.release(3);
        t.join().unwrap();
        assert_eq!(m.sem.available(), 3);
        assert_eq!(m.sem.waiting(), 0);
    });
}

#[test]
fn close_wakes_every_waiter() {
    loom::model(|| {
        let m = Model::new(1, 2);
        assert!(m.acquire(1, 1));
        let t = {
            let m = m.clone();
            // Either acquires after the release below, or sees the close.
            thread::spawn(move || {
                if m.acquire(0, 1) {
                    m.release(1);
                }
            })
        };
        m.sem.close(None, m.deliver());
        m.release(1);
        t.join().unwrap();
        assert_eq!(m.sem.available(), 1);
        assert_eq!(m.sem.waiting(), 0);
    });
}

/// The wake mailbox's once-per-batch handshake, as the binding uses it (the
/// mailbox behind a lock, the wake-up scheduled under it; a threadsafe-
/// function call is modelled by a counter of wake-ups pending on the owner).
/// Two threads post while the owner runs a wake-up: every item is drained
/// exactly once, by a wake-up that was scheduled for it (none is left with no
/// wake-up to come), and no post schedules a second wake-up for one batch.
#[test]
fn mailbox_wakes_its_owner_once_per_batch_and_loses_nothing() {
    use loom::sync::Mutex;
    use threadkit_core::mailbox::Mailbox;

    loom::model(|| {
        let mb = Arc::new(Mutex::new(Mailbox::<u32>::default()));
        let pending = Arc::new(AtomicUsize::new(0));
        let drained = Arc::new(Mutex::new(Vec::new()));
        // One wake-up on the owner's thread: what `call_js` does.
        let wake_up = |mb: &Mutex<Mailbox<u32>>, pending: &AtomicUsize, drained: &Mutex<Vec<u32>>| {
            pending.fetch_sub(1, Ordering::AcqRel);
            let (items, was_scheduled) = mb.lock().unwrap().drain();
            assert!(
                was_scheduled || items.is_empty(),
                "items drained with no wake-up scheduled"
            );
            drained.lock().unwrap().extend(items);
        };
        let posters: Vec<_> = (0..2u32)
            .map(|i| {
                let (mb, pending) = (mb.clone(), pending.clone());
                thread::spawn(move || {
                    let mut m = mb.lock().unwrap();
                    m.post(i, || {
                        // At most one wake-up is pending per batch.
                        assert_eq!(
                            pending.fetch_add(1, Ordering::AcqRel),
                            0,
                            "a second wake-up for one batch"
                        );
                        true
                    })
                    .unwrap();
                })
            })
            .collect();
        let owner = {
            let (mb, pending, drained) = (mb.clone(), pending.clone(), drained.clone());
            thread::spawn(move || {
                if pending.load(Ordering::Acquire) > 0 {
                    wake_up(&mb, &pending, &drained);
                }
            })
        };
        for p in posters {
            p.join().unwrap();
        }
        owner.join().unwrap();
        while pending.load(Ordering::Acquire) > 0 {
            wake_up(&mb, &pending, &drained);
        }
        let mut got = drained.lock().unwrap().clone();
        got.sort_unstable();
        assert_eq!(got, vec![0, 1], "an item lost or delivered twice");
        assert_eq!(
            mb.lock().unwrap().drain(),
            (vec![], false),
            "an item left with no wake-up to come"
        );
    });
}

/// The worker pool's completion wake-up (`TaskQueue::complete` /
/// `begin_drain`): two workers complete while the owner runs a wake-up.
/// Every completion is drained, by a wake-up scheduled after it was queued
/// (none is left with no wake-up to come), and a batch schedules one wake-up.
/// The completion queue itself is a crossbeam channel, which loom does not
/// model; the model explores the interleavings of the `wake_scheduled`
/// handshake around it.
#[test]
fn pool_completions_wake_the_owner_once_per_batch_and_none_is_stranded() {
    use std::time::Instant;
    use threadkit_core::task_queue::{CompleteResult, Next, Task, TaskQueue};

    loom::model(|| {
        let q = Arc::new(TaskQueue::new());
        let now = Instant::now();
        let mut ids = Vec::new();
        for (worker, id) in [(1u32, 1u64), (2, 2)] {
            q.push(Task {
                id,
                priority: 0,
                name: 0,
                payload: vec![],
                timeout: None,
                deferred_clock: false,
                submitted: now,
            });
            match q.take(worker, now) {
                Next::Run(t) => ids.push((worker, t.id)),
                _ => panic!("a queued task was not taken"),
            }
        }
        let pending = Arc::new(AtomicUsize::new(0));
        let drained = Arc::new(AtomicUsize::new(0));
        let wake_up = |q: &TaskQueue, pending: &AtomicUsize, drained: &AtomicUsize| {
            pending.fetch_sub(1, Ordering::AcqRel);
            q.begin_drain();
            while q.next_completion().is_some() {
                drained.fetch_add(1, Ordering::Relaxed);
            }
        };
        let workers: Vec<_> = ids
            .into_iter()
            .map(|(worker, id)| {
                let (q, pending) = (q.clone(), pending.clone());
                thread::spawn(move || match q.complete(worker, id, false, vec![], Instant::now()) {
                    CompleteResult::Accepted { wake: true } => {
                        assert_eq!(
                            pending.fetch_add(1, Ordering::AcqRel),
                            0,
                            "a second wake-up for one batch"
                        );
                    }
                    CompleteResult::Accepted { wake: false } => {}
                    CompleteResult::Stale => panic!("a running task's completion was refused"),
                })
            })
            .collect();
        let owner = {
            let (q, pending, drained) = (q.clone(), pending.clone(), drained.clone());
            thread::spawn(move || {
                if pending.load(Ordering::Acquire) > 0 {
                    wake_up(&q, &pending, &drained);
                }
            })
        };
        for w in workers {
            w.join().unwrap();
        }
        owner.join().unwrap();
        while pending.load(Ordering::Acquire) > 0 {
            wake_up(&q, &pending, &drained);
        }
        assert_eq!(
            drained.load(Ordering::Relaxed),
            2,
            "a completion stranded with no wake-up to come"
        );
    });
}

/// The watchdog against a completion and a new submit: worker 1's task is
/// past its deadline when the watchdog sweeps, while worker 1 completes it
/// and another thread submits a task with a later deadline that worker 2
/// takes. The task is settled exactly once (by its result or as timed out),
/// worker 1 is stopped only if it timed out, worker 2 never is, and the
/// watchdog still has an alarm for worker 2's deadline (none is lost between
/// its take and the sweep).
#[test]
fn watchdog_against_a_completion_and_a_submit_settles_once_and_loses_no_deadline() {
    use std::time::{Duration, Instant};
    use threadkit_core::task_queue::deadlines::{Poll, Supervised, Watchdog};
    use threadkit_core::task_queue::{CompleteResult, Next, Outcome, Task, TaskQueue};

    struct Pool {
        q: TaskQueue,
        stopped: loom::sync::Mutex<Vec<u32>>,
        wakes: AtomicUsize,
    }
    impl Supervised for Pool {
        fn queue(&self) -> &TaskQueue {
            &self.q
        }
        fn stop_worker(&self, worker: u32) {
            self.stopped.lock().unwrap().push(worker);
        }
        fn wake_owner(&self) {
            self.wakes.fetch_add(1, Ordering::AcqRel);
        }
    }
    let task = |id, timeout, submitted| Task {
        id,
        priority: 0,
        name: 0,
        payload: vec![],
        timeout: Some(timeout),
        deferred_clock: false,
        submitted,
    };

    loom::model(move || {
        let t0 = Instant::now();
        let p = Arc::new(Pool {
            q: TaskQueue::new(),
            stopped: loom::sync::Mutex::new(Vec::new()),
            wakes: AtomicUsize::new(0),
        });
        let w = Arc::new(Watchdog::new());
        p.q.push(task(1, Duration::ZERO, t0));
        let Next::Run(t1) = p.q.take(1, t0) else {
            panic!("task 1 was not taken")
        };
        w.due(t1.deadline.unwrap());
        let late = t0 + Duration::from_secs(3600);

        let worker1 = {
            let p = p.clone();
            thread::spawn(move || p.q.complete(1, 1, false, vec![], t0))
        };
        let submitter = {
            let (p, w) = (p.clone(), w.clone());
            thread::spawn(move || {
                p.q.push(task(2, Duration::from_secs(3600), t0));
                let Next::Run(t2) = p.q.take(2, t0) else {
                    panic!("task 2 was not taken")
                };
                w.due(t2.deadline.unwrap());
            })
        };
        let watchdog = {
            let (p, w) = (p.clone(), w.clone());
            thread::spawn(move || {
                let now = t0 + Duration::from_secs(1);
                if w.poll(now) == Poll::Sweep {
                    w.sweep(&[&*p], now);
                }
            })
        };
        let completed = worker1.join().unwrap();
        submitter.join().unwrap();
        watchdog.join().unwrap();

        let stopped = p.stopped.lock().unwrap().clone();
        p.q.begin_drain();
        let done: Vec<_> = std::iter::from_fn(|| p.q.next_completion())
            .map(|c| (c.id, c.outcome))
            .collect();
        match completed {
            CompleteResult::Accepted { .. } => {
                assert_eq!(done, [(1, Outcome::Fulfilled)]);
                assert!(stopped.is_empty(), "a worker stopped after its task completed");
            }
            CompleteResult::Stale => {
                assert_eq!(done, [(1, Outcome::TimedOut)]);
                assert_eq!(stopped, [1]);
                assert_eq!(p.wakes.load(Ordering::Acquire), 1, "the owner is woken for the timeout");
            }
        }
        assert_eq!(p.q.running_tasks(2), [2], "task 2 is not due");
        assert!(
            w.next().is_some_and(|at| at <= late),
            "no alarm left for task 2's deadline"
        );
    });
}

/// `set_max` racing a release on another thread (the JS fast path, then the
/// slow path if it refuses): the bound is never exceeded, a lowered bound's
/// debt is paid exactly once, and no permit is made or lost.
#[test]
fn a_bound_changed_during_a_release_keeps_every_permit() {
    use threadkit_core::semaphore::word::WAITERS;
    use threadkit_core::StateWord;

    let release = |sem: &Semaphore<OwnedWord>| match sem.try_release(1) {
        Ok(true) => {}
        _ => sem.release(1, |_, _| true).unwrap(),
    };
    loom::model(move || {
        // A release anywhere of a new permit while the bound drops from 3 to 2: always 2 free.
        let sem = Arc::new(Semaphore::new(OwnedWord::bounded(2, 3, true)));
        let t = {
            let sem = sem.clone();
            thread::spawn(move || release(&sem))
        };
        sem.set_max(2, |_, _| unreachable!());
        t.join().unwrap();
        assert_eq!((sem.available(), sem.max(), sem.debt()), (2, 2, 0));

        // A held permit released while the bound drops below what is held: the release pays the debt.
        let sem = Arc::new(Semaphore::new(OwnedWord::bounded(0, 2, false)));
        let t = {
            let sem = sem.clone();
            thread::spawn(move || release(&sem))
        };
        sem.set_max(1, |_, _| unreachable!());
        t.join().unwrap();
        assert_eq!((sem.available(), sem.max(), sem.debt()), (0, 1, 0));
        assert_eq!(
            sem.state().word().load(Ordering::Acquire) & WAITERS,
            0,
            "no debt, no waiter: fast paths work again"
        );
    });
}
