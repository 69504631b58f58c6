//! loom models of the channel core: its buffer's futex split, selects with a
//! default, select groups, and reserved slots.

use loom::sync::atomic::{AtomicUsize, Ordering};
use loom::sync::Arc;
use loom::thread;
use threadkit_core::OwnedWord;

/// The channel buffer's futex split (`seq_buffer`): a JS receiver takes the
/// value at the head with a CAS on the shared word (it holds copies of the
/// values, here value == number), while native code pops under the channel
/// lock with the same CAS. Every value must be taken exactly once, and each
/// taker must see values in increasing order.
#[test]
fn channel_values_are_taken_once_by_js_cas_or_native_pop() {
    use threadkit_core::seq_buffer::{head, SeqBuffer};
    use threadkit_core::StateWord;

    loom::model(|| {
        let word = Arc::new(OwnedWord::new(0));
        let buf = Arc::new(loom::sync::Mutex::new(SeqBuffer::new()));
        {
            let mut b = buf.lock().unwrap();
            for v in 0..3u32 {
                b.push(v);
            }
        }
        let js = {
            let word = word.clone();
            thread::spawn(move || {
                let w = word.word();
                let mut got = Vec::new();
                for _ in 0..2 {
                    let s = w.load(Ordering::Acquire);
                    let h = head::seq(s);
                    if h >= 3 || s & head::NATIVE_ONLY != 0 {
                        break;
                    }
                    if w.compare_exchange(s, head::advanced(s), Ordering::AcqRel, Ordering::Acquire)
                        .is_ok()
                    {
                        got.push(h);
                    }
                }
                got
            })
        };
        let native: Vec<u32> = {
            let mut g = buf.lock().unwrap();
            let mut out = Vec::new();
            while out.len() < 2 {
                match g.pop(word.word()) {
                    Some(v) => out.push(v),
                    None => break,
                }
            }
            out
        };
        let from_js = js.join().unwrap();
        let mut rest = Vec::new();
        {
            let mut g = buf.lock().unwrap();
            while let Some(v) = g.pop(word.word()) {
                rest.push(v);
            }
            g.collect(word.word());
            assert!(g.is_empty());
        }
        for list in [&from_js, &native, &rest] {
            assert!(list.windows(2).all(|p| p[0] < p[1]), "out of order: {list:?}");
        }
        let mut all: Vec<u32> = from_js.iter().chain(&native).chain(&rest).copied().collect();
        all.sort_unstable();
        assert_eq!(all, vec![0, 1, 2], "js {from_js:?} native {native:?} rest {rest:?}");
    });
}

/// A JS receiver's take without a native call (`takeCopy` in
/// lib/channel/shared.js) of the value numbered `seq`, falling back to a
/// native try-receive when the buffer says `NATIVE_ONLY`.
fn js_take(c: &threadkit_core::channel::Channel<u32>, seq: u32) -> bool {
    use threadkit_core::channel::RecvOutcome;
    use threadkit_core::seq_buffer::head;
    use threadkit_core::StateWord;
    let w = c.word().word();
    loop {
        let s = w.load(Ordering::Acquire);
        if s & head::NATIVE_ONLY != 0 {
            return matches!(c.recv(None, |_, _| true), RecvOutcome::Value(_));
        }
        if head::seq(s) != seq {
            return false;
        }
        if w.compare_exchange(s, head::advanced(s), Ordering::AcqRel, Ordering::Acquire)
            .is_ok()
        {
            return true;
        }
    }
}

/// Go's TestNonblockSelectRace: c1 holds a value; another thread fills c2
/// and then empties c1, so one of them is ready at every moment. A select
/// with a default over both must never find neither, whether the other
/// thread uses native calls (`native`) or JS takes.
#[test]
fn select_with_default_decides_at_one_moment() {
    use threadkit_core::channel::{try_select, Channel, SendOutcome, TryOp};

    for native in [true, false] {
        loom::model(move || {
            let c1 = Arc::new(Channel::<u32>::new(1, 0));
            let c2 = Arc::new(Channel::<u32>::new(1, 0));
            assert_eq!(c1.send(1, None, |_, _| true), SendOutcome::Sent);
            let other = {
                let (c1, c2) = (c1.clone(), c2.clone());
                thread::spawn(move || {
                    assert_eq!(c2.send(2, None, |_, _| true), SendOutcome::Sent);
                    // (It finds c1 empty if the select took its value first.)
                    if native {
                        c1.recv(None, |_, _| true);
                    } else {
                        js_take(&c1, 0);
                    }
                })
            };
            // c2 first: a select that polls the cases one by one misses both.
            let r = try_select(vec![(&*c2, TryOp::Recv), (&*c1, TryOp::Recv)], |_, _, _| true);
            assert!(r.is_some(), "the select saw neither value");
            other.join().unwrap();
        });
    }
}

/// The same with a send case, whose readiness (a free slot) JS receivers
/// can raise without the channel lock: c1 is full and c2 holds a value;
/// another thread frees c1 and then empties c2, both by JS takes. A select
/// with a default over "send on c1" and "receive from c2" must run one.
#[test]
fn select_with_default_sees_slots_freed_by_js_takes_at_one_moment() {
    use threadkit_core::channel::{try_select, Channel, SendOutcome, TryOp};

    loom::model(|| {
        let c1 = Arc::new(Channel::<u32>::new(1, 0));
        let c2 = Arc::new(Channel::<u32>::new(1, 0));
        assert_eq!(c1.send(1, None, |_, _| true), SendOutcome::Sent);
        assert_eq!(c2.send(2, None, |_, _| true), SendOutcome::Sent);
        let other = {
            let (c1, c2) = (c1.clone(), c2.clone());
            thread::spawn(move || {
                js_take(&c1, 0);
                js_take(&c2, 0);
            })
        };
        let r = try_select(vec![(&*c1, TryOp::Send(3)), (&*c2, TryOp::Recv)], |_, _, _| true);
        assert!(r.is_some(), "the select saw c1 full and c2 empty");
        other.join().unwrap();
    });
}

/// A sending thread's JS claims reserved slots (CAS on `avail`) and commits
/// a value into each, while another thread's try-send takes back the
/// unclaimed ones. At the owner's flush every committed value has a slot,
/// and every granted slot is filled, given back or taken back exactly once.
#[test]
fn reserved_slots_taken_back_are_never_also_used() {
    use loom::sync::atomic::AtomicI32;
    use threadkit_core::channel::credits::{claim, Credits};

    loom::model(|| {
        let avail = Arc::new(AtomicI32::new(0));
        let credits = Arc::new(loom::sync::Mutex::new(Credits::default()));
        credits.lock().unwrap().grant(2, &avail);
        let committed = Arc::new(AtomicUsize::new(0));
        let owner = {
            let (avail, committed) = (avail.clone(), committed.clone());
            thread::spawn(move || {
                for _ in 0..2 {
                    if claim(&avail) {
                        committed.fetch_add(1, Ordering::Release);
                    }
                }
            })
        };
        let taken = credits.lock().unwrap().take_back(&avail);
        owner.join().unwrap();
        let committed = committed.load(Ordering::Acquire);
        let (filled, released) = credits.lock().unwrap().settle(committed, false, &avail);
        assert_eq!(filled, committed, "a committed value without a slot");
        assert_eq!(filled + released + taken, 2, "slots lost or counted twice");
    });
}

/// A select waits to receive on two rendezvous channels (one group, two
/// queued waiters), and two threads send on them at once. The select
/// completes exactly once: one send pairs with it, the other finds its
/// waiter stale (dropped) and takes its value back, and the value parked for
/// the select is the one that was sent. The group's fire runs under the
/// process-wide `FIRE` lock, which loom models through the sync shim.
#[test]
fn a_select_completes_once_when_two_senders_race() {
    use threadkit_core::channel::{Channel, Group, RecvOutcome, SendOutcome, Waiter, Wake};

    loom::model(|| {
        let chans = [Arc::new(Channel::<u32>::new(0, 0)), Arc::new(Channel::<u32>::new(0, 0))];
        let group = Group::new();
        for (token, c) in (1..).zip(&chans) {
            let waiter = Waiter::new(1, token, Some(group.clone()));
            assert!(matches!(c.recv(Some(waiter), |_, _| true), RecvOutcome::Queued(_)));
        }
        let done = Arc::new(AtomicUsize::new(0));
        let dropped = Arc::new(AtomicUsize::new(0));
        let senders: Vec<_> = chans
            .iter()
            .zip([10, 20])
            .map(|(c, value)| {
                let (c, done, dropped) = (c.clone(), done.clone(), dropped.clone());
                thread::spawn(move || {
                    c.send(value, None, move |_, k| {
                        let n = if k == Wake::Done { &done } else { &dropped };
                        n.fetch_add(1, Ordering::Relaxed);
                        true
                    })
                })
            })
            .collect();
        let outcomes: Vec<SendOutcome> = senders.into_iter().map(|t| t.join().unwrap()).collect();
        let sent: Vec<usize> = (0..2).filter(|&i| outcomes[i] == SendOutcome::Sent).collect();
        assert_eq!(sent.len(), 1, "the select completed {} times: {outcomes:?}", sent.len());
        let lost = 1 - sent[0];
        assert_eq!(outcomes[lost], SendOutcome::Full, "the other send keeps its value");
        assert_eq!(done.load(Ordering::Relaxed), 1);
        assert_eq!(dropped.load(Ordering::Relaxed), 1, "the stale waiter is dropped");
        assert!(group.is_fired());
        assert_eq!(chans[sent[0]].claim(1, sent[0] as u32 + 1), Some([10, 20][sent[0]]));
        assert_eq!(chans[lost].claim(1, lost as u32 + 1), None);
    });
}
