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
