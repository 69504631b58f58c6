//! Unit tests of the channel core.

use super::*;
use crate::semaphore::StateWord;
use crate::seq_buffer::head;
use std::cell::RefCell;
use std::sync::atomic::Ordering;

type Log = RefCell<Vec<(u32, u32, Wake)>>;

fn rec(log: &Log) -> impl FnMut(&Waiter, Wake) -> bool + '_ {
    move |w, k| {
        log.borrow_mut().push((w.owner, w.token, k));
        true
    }
}

fn w(owner: u32, token: u32) -> Option<Waiter> {
    Some(Waiter::new(owner, token, None))
}

fn queued<V: std::fmt::Debug>(o: RecvOutcome<V>) -> WaiterKey {
    match o {
        RecvOutcome::Queued(k) => k,
        other => panic!("expected to queue, got {other:?}"),
    }
}

#[test]
fn buffered_fifo_and_backpressure() {
    let log = Log::default();
    let c = Channel::new(2, 0);
    assert_eq!(c.send(1, None, rec(&log)), SendOutcome::Sent);
    assert_eq!(c.send(2, None, rec(&log)), SendOutcome::Sent);
    assert_eq!(c.send(3, None, rec(&log)), SendOutcome::Full);
    assert!(matches!(c.send(3, w(1, 7), rec(&log)), SendOutcome::Queued(_)));
    assert_eq!(c.recv(None, rec(&log)), RecvOutcome::Value(1));
    // The queued sender moved into the freed slot and was told so.
    assert_eq!(*log.borrow(), vec![(1, 7, Wake::Done)]);
    assert_eq!(c.recv(None, rec(&log)), RecvOutcome::Value(2));
    assert_eq!(c.recv(None, rec(&log)), RecvOutcome::Value(3));
    assert_eq!(c.recv(None, rec(&log)), RecvOutcome::Empty);
    assert_eq!(c.unfinished(), 3);
}

#[test]
fn a_send_never_overtakes_queued_senders() {
    let log = Log::default();
    let c = Channel::new(2, 0);
    assert_eq!(c.send(1, None, rec(&log)), SendOutcome::Sent);
    assert_eq!(c.send(2, None, rec(&log)), SendOutcome::Sent);
    assert!(matches!(c.send(3, w(1, 7), rec(&log)), SendOutcome::Queued(_)));
    // A JS receiver takes 1 by itself: one CAS of the head word, no native call.
    let word = c.w();
    word.store(head::advanced(word.load(Ordering::SeqCst)), Ordering::SeqCst);
    // The freed slot is the queued sender's, not this later send's.
    assert!(matches!(c.send(4, w(2, 1), rec(&log)), SendOutcome::Queued(_)));
    assert_eq!(*log.borrow(), vec![(1, 7, Wake::Done)]);
    assert_eq!(c.send(5, None, rec(&log)), SendOutcome::Full);
    assert_eq!(c.recv(None, rec(&log)), RecvOutcome::Value(2));
    assert_eq!(c.recv(None, rec(&log)), RecvOutcome::Value(3));
    assert_eq!(c.recv(None, rec(&log)), RecvOutcome::Value(4));
    assert_eq!(c.recv(None, rec(&log)), RecvOutcome::Empty);
}

#[test]
fn close_first_lets_in_senders_that_fit_in_freed_slots() {
    let log = Log::default();
    let c = Channel::new(2, 0);
    assert_eq!(c.send(1, None, rec(&log)), SendOutcome::Sent);
    assert_eq!(c.send(2, None, rec(&log)), SendOutcome::Sent);
    assert!(matches!(c.send(3, w(1, 7), rec(&log)), SendOutcome::Queued(_)));
    assert!(matches!(c.send(4, w(1, 8), rec(&log)), SendOutcome::Queued(_)));
    assert!(matches!(c.send(5, w(1, 9), rec(&log)), SendOutcome::Queued(_)));
    // JS receivers take 1 and 2 by themselves; then the channel closes.
    let word = c.w();
    for _ in 0..2 {
        word.store(head::advanced(word.load(Ordering::SeqCst)), Ordering::SeqCst);
    }
    assert!(c.close(rec(&log)));
    // 3 and 4 had room before the close: they are sent; 5 is not.
    assert_eq!(
        *log.borrow(),
        vec![(1, 7, Wake::Done), (1, 8, Wake::Done), (1, 9, Wake::Closed)]
    );
    assert_eq!(c.recv(None, rec(&log)), RecvOutcome::Value(3));
    assert_eq!(c.recv(None, rec(&log)), RecvOutcome::Value(4));
    assert_eq!(c.recv(None, rec(&log)), RecvOutcome::Closed);
}

#[test]
fn a_receiver_waits_for_values_due_in_reserved_slots_before_queued_senders() {
    let log = Log::default();
    let c = Channel::new(1, 0);
    // Another thread reserves the only slot; its send of "x" resolves into it.
    assert_eq!(c.reserve(1), Some(1));
    // A later send of "y" finds the channel full and queues.
    assert!(matches!(c.send("y", w(1, 1), rec(&log)), SendOutcome::Queued(_)));
    // A receiver must not take "y" ahead of "x".
    queued(c.recv(w(2, 1), rec(&log)));
    c.push_reserved("x", rec(&log));
    assert_eq!(c.claim(2, 1), Some("x"));
    assert_eq!(*log.borrow(), vec![(2, 1, Wake::Done), (1, 1, Wake::Done)]);
    assert_eq!(c.recv(None, rec(&log)), RecvOutcome::Value("y"));
}

#[test]
fn rendezvous_hands_over_directly() {
    let log = Log::default();
    let c = Channel::new(0, 0);
    assert_eq!(c.send(1, None, rec(&log)), SendOutcome::Full);
    let k = queued(c.recv(w(2, 1), rec(&log)));
    assert_eq!(c.send(5, None, rec(&log)), SendOutcome::Sent);
    assert_eq!(*log.borrow(), vec![(2, 1, Wake::Done)]);
    assert_eq!(c.claim(2, 1), Some(5));
    assert!(!c.cancel(Side::Receive, k, 2, 1));
    assert!(matches!(c.send(6, w(3, 1), rec(&log)), SendOutcome::Queued(_)));
    assert_eq!(c.recv(None, rec(&log)), RecvOutcome::Value(6));
    assert_eq!(log.borrow()[1], (3, 1, Wake::Done));
}

#[test]
fn close_drains_then_reports_closed() {
    let log = Log::default();
    let c = Channel::new(1, 0);
    assert_eq!(c.send(1, None, rec(&log)), SendOutcome::Sent);
    assert!(matches!(c.send(2, w(1, 1), rec(&log)), SendOutcome::Queued(_)));
    assert!(c.close(rec(&log)));
    assert!(!c.close(rec(&log)));
    assert_eq!(*log.borrow(), vec![(1, 1, Wake::Closed)]);
    assert_eq!(c.send(3, None, rec(&log)), SendOutcome::Closed);
    assert_eq!(c.recv(None, rec(&log)), RecvOutcome::Value(1));
    assert_eq!(c.recv(None, rec(&log)), RecvOutcome::Closed);
}

#[test]
fn cancel_removes_only_a_queued_waiter() {
    let log = Log::default();
    let c: Channel<u32> = Channel::new(0, 0);
    let k = queued(c.recv(w(1, 1), rec(&log)));
    assert!(!c.cancel(Side::Receive, k, 1, 2), "wrong token");
    assert!(c.cancel(Side::Receive, k, 1, 1));
    assert_eq!(c.send(1, None, rec(&log)), SendOutcome::Full);
}

#[test]
fn dead_receiver_gives_its_value_to_the_next() {
    let log = Log::default();
    let c = Channel::new(0, 0);
    queued(c.recv(w(1, 1), rec(&log)));
    queued(c.recv(w(2, 1), rec(&log)));
    // Owner 1 is dead: the delivery fails, owner 2 gets it.
    let mut deliver = |w: &Waiter, k: Wake| {
        log.borrow_mut().push((w.owner, w.token, k));
        w.owner != 1
    };
    assert_eq!(c.send(9, None, &mut deliver), SendOutcome::Sent);
    assert_eq!(c.claim(2, 1), Some(9));
    // A value parked for a thread that then dies goes back.
    queued(c.recv(w(3, 1), rec(&log)));
    assert_eq!(c.send(10, None, rec(&log)), SendOutcome::Sent);
    queued(c.recv(w(4, 1), rec(&log)));
    assert_eq!(c.remove_owner(3, rec(&log)), 0);
    assert_eq!(c.claim(3, 1), None);
    assert_eq!(c.claim(4, 1), Some(10));
}

#[test]
fn select_group_fires_once() {
    let log = Log::default();
    let a: Channel<u32> = Channel::new(0, 0);
    let b: Channel<u32> = Channel::new(0, 0);
    let g = Group::new();
    let sel = || Some(Waiter::new(1, 1, Some(g.clone())));
    queued(a.recv(sel(), rec(&log)));
    queued(b.recv(sel(), rec(&log)));
    assert_eq!(a.send(1, None, rec(&log)), SendOutcome::Sent);
    // b's waiter is stale: it is dropped and the sender does not complete.
    assert_eq!(b.send(2, None, rec(&log)), SendOutcome::Full);
    assert_eq!(*log.borrow(), vec![(1, 1, Wake::Done), (1, 1, Wake::Dropped)]);
    // A select whose group fired cannot complete another case.
    assert_eq!(b.send(3, sel(), rec(&log)), SendOutcome::GroupFired);
}

#[test]
fn select_pair_fires_both_or_neither() {
    let log = Log::default();
    let c: Channel<u32> = Channel::new(0, 0);
    let g1 = Group::new();
    let g2 = Group::new();
    queued(c.recv(Some(Waiter::new(1, 1, Some(g1.clone()))), rec(&log)));
    g1.fired.store(true, Ordering::Release);
    // The receiver is stale; the select sender queues with its group unfired.
    assert!(matches!(
        c.send(4, Some(Waiter::new(2, 1, Some(g2.clone()))), rec(&log)),
        SendOutcome::Queued(_)
    ));
    assert!(!g2.is_fired());
    assert_eq!(c.recv(None, rec(&log)), RecvOutcome::Value(4));
    assert!(g2.is_fired());
}

#[test]
fn a_select_never_pairs_with_itself() {
    let log = Log::default();
    let c: Channel<u32> = Channel::new(0, 0);
    let g = Group::new();
    queued(c.recv(Some(Waiter::new(1, 1, Some(g.clone()))), rec(&log)));
    assert!(matches!(
        c.send(5, Some(Waiter::new(1, 2, Some(g.clone()))), rec(&log)),
        SendOutcome::Queued(_)
    ));
    assert!(!g.is_fired());
    assert!(log.borrow().is_empty());
}

#[test]
fn reserved_slots_count_as_occupied_and_survive_close() {
    let log = Log::default();
    let c = Channel::new(3, 0);
    assert_eq!(c.reserve(2), Some(2));
    assert_eq!(c.reserve(5), Some(1));
    assert_eq!(c.send(9, None, rec(&log)), SendOutcome::Full);
    let k = queued(c.recv(w(1, 1), rec(&log)));
    c.close(rec(&log));
    assert!(log.borrow().is_empty(), "a receiver waits while slots are reserved");
    c.push_reserved(1, rec(&log));
    assert_eq!(*log.borrow(), vec![(1, 1, Wake::Done)]);
    assert_eq!(c.claim(1, 1), Some(1));
    assert!(!c.cancel(Side::Receive, k, 1, 1));
    queued(c.recv(w(1, 2), rec(&log)));
    c.push_reserved(2, rec(&log));
    assert_eq!(c.claim(1, 2), Some(2));
    queued(c.recv(w(1, 3), rec(&log)));
    c.release_reserved(1, rec(&log));
    assert_eq!(log.borrow()[2], (1, 3, Wake::Closed));
    assert_eq!(c.unfinished(), 2);
    assert_eq!(c.reserve(1), None);
}

#[test]
fn task_done_and_join() {
    let log = Log::default();
    let c = Channel::new(UNBOUNDED, 0);
    assert_eq!(c.join(Waiter::new(1, 1, None)), None);
    c.send(1, None, rec(&log));
    c.send(2, None, rec(&log));
    assert!(c.join(Waiter::new(1, 2, None)).is_some());
    assert_eq!(c.task_done(rec(&log)), Some(1));
    assert!(log.borrow().is_empty());
    assert_eq!(c.task_done(rec(&log)), Some(0));
    assert_eq!(*log.borrow(), vec![(1, 2, Wake::Done)]);
    assert_eq!(c.task_done(rec(&log)), None);
}

#[test]
fn a_value_given_back_to_a_full_buffer_stays_outside_it() {
    let log = Log::default();
    let c = Channel::new(1, 0);
    queued(c.recv(w(1, 1), rec(&log)));
    assert_eq!(c.send("A", None, rec(&log)), SendOutcome::Sent); // handed to owner 1
    assert_eq!(c.send("B", None, rec(&log)), SendOutcome::Sent); // fills the buffer
    c.remove_owner(1, rec(&log));
    // The bound holds: "A" waits outside the full buffer, first in line.
    assert_eq!(c.len(), 1);
    assert_eq!(c.send("C", None, rec(&log)), SendOutcome::Full);
    assert_eq!(
        c.word().word().load(Ordering::SeqCst) & head::NATIVE_ONLY,
        head::NATIVE_ONLY
    );
    assert!(c.close(rec(&log)));
    assert_eq!(c.recv(None, rec(&log)), RecvOutcome::Value("A"));
    assert_eq!(c.word().word().load(Ordering::SeqCst) & head::NATIVE_ONLY, 0);
    assert_eq!(c.recv(None, rec(&log)), RecvOutcome::Value("B"));
    assert_eq!(c.recv(None, rec(&log)), RecvOutcome::Closed);
    assert_eq!(c.unfinished(), 2);
}

#[test]
fn a_value_given_back_on_a_rendezvous_goes_to_the_next_receiver() {
    let log = Log::default();
    let c = Channel::new(0, 0);
    queued(c.recv(w(1, 1), rec(&log)));
    assert_eq!(c.send(7, None, rec(&log)), SendOutcome::Sent);
    c.remove_owner(1, rec(&log));
    assert_eq!(c.len(), 0, "a rendezvous buffers nothing");
    assert_eq!(c.recv(w(2, 1), rec(&log)), RecvOutcome::Value(7));
    // A receiver already queued gets it at once.
    queued(c.recv(w(3, 1), rec(&log)));
    queued(c.recv(w(4, 1), rec(&log)));
    assert_eq!(c.send(8, None, rec(&log)), SendOutcome::Sent);
    c.remove_owner(3, rec(&log));
    assert_eq!(c.claim(4, 1), Some(8));
    assert_eq!(c.recv(None, rec(&log)), RecvOutcome::Empty);
}

#[test]
fn try_select_runs_the_first_ready_case_in_order() {
    let log = Log::default();
    let (a, b) = (Channel::new(1, 0), Channel::new(1, 0));
    let none = try_select(vec![(&a, TryOp::Recv), (&b, TryOp::Recv)], |_, _, _| true);
    assert_eq!(none, None);
    assert_eq!(b.send(5, None, rec(&log)), SendOutcome::Sent);
    let r = try_select(vec![(&a, TryOp::Recv), (&b, TryOp::Recv)], |_, _, _| true);
    assert_eq!(r, Some((1, TryResult::Value(5))));
    // The same channel twice: the send runs first and fills it.
    let r = try_select(vec![(&a, TryOp::Send(6)), (&a, TryOp::Recv)], |_, _, _| true);
    assert_eq!(r, Some((0, TryResult::Sent)));
    let r = try_select(vec![(&a, TryOp::Send(7)), (&a, TryOp::Recv)], |_, _, _| true);
    assert_eq!(r, Some((1, TryResult::Value(6))));
    // The buffers are thawed afterwards: JS may take by itself again.
    assert_eq!(a.word().word().load(Ordering::SeqCst) & head::NATIVE_ONLY, 0);
    b.close(rec(&log));
    let r = try_select(vec![(&b, TryOp::Send(8))], |_, _, _| true);
    assert_eq!(r, Some((0, TryResult::Closed)));
    let r = try_select(vec![(&a, TryOp::Recv), (&b, TryOp::Recv)], |_, _, _| true);
    assert_eq!(r, Some((1, TryResult::Closed)));
}

#[test]
fn try_select_pairs_with_a_queued_receiver_and_tells_which_case_woke_it() {
    let log = Log::default();
    let (a, b) = (Channel::new(0, 0), Channel::new(0, 0));
    queued(b.recv(w(4, 2), rec(&log)));
    let mut woken = Vec::new();
    let r = try_select(vec![(&a, TryOp::Send(1)), (&b, TryOp::Send(2))], |i, w, k| {
        woken.push((i, w.owner, k));
        true
    });
    assert_eq!(r, Some((1, TryResult::Sent)));
    assert_eq!(woken, vec![(1, 4, Wake::Done)]);
    assert_eq!(b.claim(4, 2), Some(2));
}
