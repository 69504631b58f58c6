//! loom models of the Barrier and KeyedMutex cores: a waiter giving up
//! (timeout, abort) while another thread trips the barrier or hands the key
//! over. Exactly one of the two wins, and nothing is left behind.

use loom::sync::atomic::{AtomicBool, Ordering};
use loom::sync::Arc;
use loom::thread;
use threadkit_core::barrier::{Arrival, ArriveOutcome, Barrier, BarrierWake};
use threadkit_core::keyed::{KeyWaiter, KeyedLocks, LockOutcome};

#[test]
fn keyed_cancel_racing_the_hand_off_either_leaves_or_gets_the_key() {
    loom::model(|| {
        let k = Arc::new(KeyedLocks::<u8>::new());
        assert_eq!(k.lock(1, KeyWaiter { owner: 0, token: 0 }), LockOutcome::Acquired);
        let me = KeyWaiter { owner: 1, token: 1 };
        let LockOutcome::Queued(at) = k.lock(1, me) else {
            panic!("the key is held")
        };
        let got = Arc::new(AtomicBool::new(false));
        let holder = {
            let (k, got) = (k.clone(), got.clone());
            thread::spawn(move || {
                k.unlock(&1, 0, |w| {
                    assert_eq!(*w, me);
                    got.store(true, Ordering::SeqCst);
                    true
                })
                .unwrap();
            })
        };
        let left = k.cancel(&1, at, me);
        holder.join().unwrap();
        let got = got.load(Ordering::SeqCst);
        assert_ne!(left, got, "exactly one of: it left the queue, it was handed the key");
        if got {
            // The caller gives a late grant back (lib/isolate.js settleWakes).
            k.unlock(&1, 1, |_| true).unwrap();
        }
        assert!(k.is_empty());
    });
}

#[test]
fn barrier_leave_racing_the_last_arrival_either_breaks_or_passes() {
    loom::model(|| {
        let b = Arc::new(Barrier::new(2));
        let first = Arrival { owner: 0, token: 0 };
        let passed = Arc::new(AtomicBool::new(false));
        let d = {
            let passed = passed.clone();
            move |w: &Arrival, k| {
                assert_eq!(
                    (*w, k),
                    (first, BarrierWake::Passed),
                    "only the first party waits, and it passes"
                );
                passed.store(true, Ordering::SeqCst);
                true
            }
        };
        assert_eq!(b.arrive(first, d.clone()), ArriveOutcome::Waiting(0));
        let last = {
            let (b, d) = (b.clone(), d.clone());
            thread::spawn(move || b.arrive(Arrival { owner: 1, token: 0 }, d))
        };
        let left = b.leave(first, d);
        let outcome = last.join().unwrap();
        if left {
            assert_eq!(outcome, ArriveOutcome::Broken);
            assert!(b.is_broken() && !passed.load(Ordering::SeqCst));
        } else {
            assert_eq!(outcome, ArriveOutcome::Tripped(1));
            assert!(!b.is_broken() && passed.load(Ordering::SeqCst));
        }
        assert_eq!(b.waiting(), 0);
    });
}
