use super::*;
use std::cell::RefCell;

type Log = RefCell<Vec<(u32, Delivery)>>;

fn sem(max: u32) -> Semaphore<OwnedWord> {
    Semaphore::new(OwnedWord::new(max))
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
    s.owner_gone(1, 2, 0, recorder(&log));
    assert_eq!(*log.borrow(), vec![(20, Delivery::Granted)], "only thread 2 is served");
    assert_eq!(s.available(), 0);
    assert_eq!(s.waiting(), 0);
    // Permits it never saw (a grant posted to it) go back too, clamped at max.
    s.release(3, |_, _| true).unwrap();
    s.owner_gone(2, 0, 1, |_, _| unreachable!());
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

#[test]
fn a_semaphore_may_start_below_its_bound_and_is_filled_up_to_it() {
    let s = Semaphore::new(OwnedWord::bounded(0, 2, true));
    let log = Log::default();
    assert!(s.releases_anywhere());
    assert_eq!(s.try_acquire(1), Some(false));
    queued(s.acquire(1, 1, 10));
    s.release(1, recorder(&log)).unwrap();
    assert_eq!(
        *log.borrow(),
        vec![(10, Delivery::Granted)],
        "the signal wakes the waiter"
    );
    assert_eq!(s.try_release(2), Ok(true));
    assert_eq!(
        s.release(1, |_, _| true),
        Err(ReleaseError::OverRelease {
            available: 2,
            releasing: 1,
            max: 2
        }),
        "never more than max free"
    );
}

#[test]
fn raising_the_bound_serves_the_waiters_that_now_fit() {
    let s = sem(1);
    let log = Log::default();
    assert_eq!(s.acquire(1, 0, 1), AcquireOutcome::Acquired);
    queued(s.acquire(2, 1, 10));
    queued(s.acquire(1, 1, 11));
    s.set_max(2, recorder(&log));
    assert!(log.borrow().is_empty(), "the head wants 2 and only 1 is free");
    s.set_max(4, recorder(&log));
    assert_eq!(*log.borrow(), vec![(10, Delivery::Granted), (11, Delivery::Granted)]);
    assert_eq!((s.max(), s.available(), s.waiting()), (4, 0, 0));
}

#[test]
fn lowering_the_bound_below_what_is_held_owes_the_rest_to_the_next_releases() {
    let s = sem(4);
    let log = Log::default();
    assert_eq!(s.acquire(3, 0, 1), AcquireOutcome::Acquired);
    s.set_max(1, recorder(&log)); // 1 free is taken, 2 are owed
    assert_eq!((s.max(), s.available(), s.debt()), (1, 0, 2));
    assert_eq!(s.try_acquire(1), Some(false));
    assert_eq!(s.try_release(1), Ok(false), "a debt forces releases onto the slow path");
    queued(s.acquire(1, 1, 10));
    s.release(2, recorder(&log)).unwrap();
    assert!(log.borrow().is_empty(), "both released permits paid the debt");
    assert_eq!(s.debt(), 0);
    s.release(1, recorder(&log)).unwrap();
    assert_eq!(*log.borrow(), vec![(10, Delivery::Granted)]);
    assert_eq!((s.available(), s.max(), s.waiting()), (0, 1, 0));
    // Raising pays a debt before it frees anything.
    let t = sem(3);
    assert_eq!(t.acquire(3, 0, 1), AcquireOutcome::Acquired);
    t.set_max(1, |_, _| true);
    assert_eq!(t.debt(), 2);
    t.set_max(2, |_, _| true);
    assert_eq!((t.debt(), t.available()), (1, 0));
    t.set_max(5, |_, _| true);
    assert_eq!((t.debt(), t.available()), (0, 2));
    assert_eq!(t.try_release(3), Ok(true), "no debt: the fast path works again");
}

#[test]
fn close_keeps_the_slow_path_while_a_debt_is_owed() {
    let s = sem(2);
    assert_eq!(s.acquire(2, 0, 1), AcquireOutcome::Acquired);
    s.set_max(1, |_, _| true);
    assert!(s.close(None, |_, _| true));
    assert_eq!(s.try_release(1), Ok(false));
    s.release(2, |_, _| true).unwrap();
    assert_eq!((s.available(), s.debt()), (1, 0));
}

#[test]
fn a_gone_owner_of_a_release_anywhere_semaphore_gives_back_only_grants_it_never_received() {
    let s = Semaphore::new(OwnedWord::bounded(0, 3, true));
    let log = Log::default();
    // Thread 1 took 2 signals (consumed: another thread may release for it), and a third
    // grant was posted to it but never received.
    s.release(3, |_, _| true).unwrap();
    assert_eq!(s.acquire(3, 1, 10), AcquireOutcome::Acquired);
    queued(s.acquire(1, 2, 20));
    s.owner_gone(1, 2, 1, recorder(&log));
    assert_eq!(
        *log.borrow(),
        vec![(20, Delivery::Granted)],
        "the undelivered grant goes on"
    );
    assert_eq!(s.available(), 0, "the 2 it took are not made again");
    assert_eq!(s.given_back(5, 0), 0);
    assert_eq!(
        sem(2).given_back(1, 1),
        2,
        "an ordinary semaphore gets back what was held"
    );
}

#[test]
fn a_lower_priority_is_served_first_and_blocks_those_behind_it() {
    let s = sem(2);
    let log = Log::default();
    assert_eq!(s.acquire(2, 0, 1), AcquireOutcome::Acquired);
    queued(s.acquire_with_priority(1, 1, 10, 0));
    queued(s.acquire_with_priority(2, 1, 11, -1));
    queued(s.acquire_with_priority(1, 1, 12, 3));
    queued(s.acquire_with_priority(1, 1, 13, -1));
    s.release(1, recorder(&log)).unwrap();
    assert!(log.borrow().is_empty(), "the head (priority -1) wants 2");
    s.release(1, recorder(&log)).unwrap();
    assert_eq!(*log.borrow(), vec![(11, Delivery::Granted)]);
    s.release(2, recorder(&log)).unwrap();
    assert_eq!(
        *log.borrow(),
        vec![
            (11, Delivery::Granted),
            (13, Delivery::Granted),
            (10, Delivery::Granted)
        ]
    );
    s.release(1, recorder(&log)).unwrap();
    assert_eq!(log.borrow().last(), Some(&(12, Delivery::Granted)));
}
