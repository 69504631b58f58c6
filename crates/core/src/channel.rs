//! The multi-producer, multi-consumer channel core behind `Channel` and
//! `AsyncQueue` once they are shared across threads.
//!
//! # Contract (Go's channel semantics)
//! - `cap` values can be buffered; `cap == 0` is a rendezvous (a send
//!   completes only when a receiver takes its value); [`UNBOUNDED`] never
//!   blocks a sender.
//! - A send hands its value to the first waiting receiver, else buffers it,
//!   else (full) queues the sender with its value. A receive takes the
//!   oldest buffered value (and lets the first queued sender into the freed
//!   slot), else takes a queued sender's value (rendezvous), else queues.
//!   Senders and receivers are served in FIFO order, so one sender's values
//!   arrive in the order it sent them.
//! - `close` rejects queued senders and later sends; buffered values are
//!   still delivered, then receivers get `Closed`.
//! - Every waiter can be cancelled in O(1). A cancel either removes the
//!   waiter (nothing happened) or reports that it was already served (its
//!   wake is on the way): an operation is never half done.
//! - `unfinished` counts accepted values not yet marked done
//!   ([`Channel::task_done`]); `join` waiters are woken when it reaches 0
//!   (Python's `queue.Queue.join`, used by `AsyncQueue`).
//!
//! # Implementation details
//! One mutex guards everything. Values never sit in a JS heap while the
//! channel owns them, so a thread that dies loses nothing the channel had:
//! a value handed to a receiver is parked in `handed` under the receiver's
//! `(owner, token)` until the receiver's thread claims it. If that thread dies
//! first, [`Channel::remove_owner`] puts the value back at the front of the
//! buffer and serves the next receiver (exactly once, never lost).
//!
//! Waking is not done here: each served waiter is handed to a `deliver`
//! callback (under the lock) that returns `false` if the waiter's thread is
//! gone; the value or slot then goes to the next waiter.
//!
//! `select` waits on several channels at once. Its waiters share a [`Group`]
//! that fires exactly once. Pairing two waiters (a select sender and a
//! select receiver) must fire both groups or neither, and a failed delivery
//! must fire neither, so every fire runs under one process-wide lock
//! (`FIRE`), together with the delivery it commits. That lock is only taken
//! for waiters that belong to a select. A waiter whose group already fired
//! elsewhere is stale: it is dropped with a [`Wake::Dropped`] so its thread
//! can forget it.

use crate::semaphore::{OwnedWord, StateWord};
use crate::seq_buffer::SeqBuffer;
use crate::sync::{lock, Mutex};
use crate::waiter_queue::{WaiterKey, WaiterQueue};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// Capacity of a channel whose senders never wait.
pub const UNBOUNDED: usize = usize::MAX;

/// The waiters of one `select`: at most one of them completes.
#[derive(Debug, Default)]
pub struct Group {
    fired: AtomicBool,
}

impl Group {
    pub fn new() -> Arc<Self> {
        Arc::new(Self::default())
    }

    pub fn is_fired(&self) -> bool {
        self.fired.load(Ordering::Acquire)
    }
}

static FIRE: std::sync::Mutex<()> = std::sync::Mutex::new(());

#[derive(Debug, PartialEq, Eq)]
enum FireError {
    /// The caller's own group already fired (another case of its select won).
    Own,
    /// The other waiter's group already fired: that waiter is stale.
    Other,
    /// The delivery failed (the other waiter's thread is gone).
    Delivery,
}

/// Fires `own` and `other` (either may be absent) together with `commit`,
/// all or nothing.
fn fire(own: Option<&Group>, other: Option<&Group>, commit: impl FnOnce() -> bool) -> Result<(), FireError> {
    if own.is_none() && other.is_none() {
        return if commit() { Ok(()) } else { Err(FireError::Delivery) };
    }
    let _guard = FIRE.lock().unwrap_or_else(|p| p.into_inner());
    if own.is_some_and(Group::is_fired) {
        return Err(FireError::Own);
    }
    if other.is_some_and(Group::is_fired) {
        return Err(FireError::Other);
    }
    if !commit() {
        return Err(FireError::Delivery);
    }
    for g in [own, other].into_iter().flatten() {
        g.fired.store(true, Ordering::Release);
    }
    Ok(())
}

fn same_group(a: Option<&Group>, b: Option<&Group>) -> bool {
    matches!((a, b), (Some(a), Some(b)) if std::ptr::eq(a, b))
}

/// A queued sender, receiver or joiner.
#[derive(Clone, Debug)]
pub struct Waiter {
    /// The thread (isolate) that waits.
    pub owner: u32,
    /// Identifies the waiter within its owner.
    pub token: u32,
    /// Set for the waiters of a `select`.
    pub group: Option<Arc<Group>>,
}

impl Waiter {
    pub fn new(owner: u32, token: u32, group: Option<Arc<Group>>) -> Self {
        Self { owner, token, group }
    }

    fn key(&self) -> (u32, u32) {
        (self.owner, self.token)
    }
}

/// What happened to a queued waiter.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Wake {
    /// Sender: its value was accepted. Receiver: a value is parked for it
    /// ([`Channel::claim`]). Joiner: every accepted value was marked done.
    Done,
    /// The channel was closed (sender: rejected; receiver: no more values).
    Closed,
    /// Its select completed through another case; it did nothing.
    Dropped,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SendOutcome {
    /// Buffered or handed to a receiver.
    Sent,
    Queued(WaiterKey),
    /// A try-send found no room.
    Full,
    Closed,
    /// The sender's select already completed through another case.
    GroupFired,
}

#[derive(Debug, PartialEq, Eq)]
pub enum RecvOutcome<V> {
    Value(V),
    Queued(WaiterKey),
    /// A try-receive found nothing.
    Empty,
    /// Closed and drained.
    Closed,
    GroupFired,
}

/// Which queue a key belongs to, for [`Channel::cancel`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Side {
    Send,
    Receive,
    Join,
}

struct Inner<V> {
    buf: SeqBuffer<V>,
    senders: WaiterQueue<(Waiter, V)>,
    receivers: WaiterQueue<Waiter>,
    joiners: WaiterQueue<Waiter>,
    handed: HashMap<(u32, u32), V>,
    /// Slots promised to senders that batch values on their own thread
    /// ([`Channel::reserve`]); they count as occupied.
    reserved: usize,
    closed: bool,
    unfinished: u64,
}

/// See the module docs.
pub struct Channel<V, W: StateWord = OwnedWord> {
    cap: usize,
    /// The buffer's head word (see [`crate::seq_buffer`]), shared with JS.
    word: W,
    inner: Mutex<Inner<V>>,
}

impl<V> Channel<V, OwnedWord> {
    /// A channel whose head word only Rust sees (tests).
    pub fn new(cap: usize, unfinished: u64) -> Self {
        Self::with_word(cap, unfinished, OwnedWord::new(0))
    }
}

impl<V, W: StateWord> Channel<V, W> {
    /// `unfinished` carries over the count of a queue that was local before;
    /// `word` must hold 0.
    pub fn with_word(cap: usize, unfinished: u64, word: W) -> Self {
        Self {
            cap,
            word,
            inner: Mutex::new(Inner {
                buf: SeqBuffer::new(),
                senders: WaiterQueue::new(),
                receivers: WaiterQueue::new(),
                joiners: WaiterQueue::new(),
                handed: HashMap::new(),
                reserved: 0,
                closed: false,
                unfinished,
            }),
        }
    }

    pub fn capacity(&self) -> usize {
        self.cap
    }

    pub fn word(&self) -> &W {
        &self.word
    }

    fn w(&self) -> &crate::sync::AtomicI32 {
        self.word.word()
    }

    /// Buffered values not taken yet, after dropping those JS took.
    fn buffered(&self, g: &mut Inner<V>) -> usize {
        g.buf.collect(self.w());
        g.buf.len()
    }

    /// Buffered values (not counting values parked for woken receivers).
    pub fn len(&self) -> usize {
        let mut g = lock(&self.inner);
        self.buffered(&mut g)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn is_closed(&self) -> bool {
        lock(&self.inner).closed
    }

    pub fn unfinished(&self) -> u64 {
        lock(&self.inner).unfinished
    }

    /// Sends `value`; `waiter` is `None` for a try-send (never queues).
    pub fn send(
        &self,
        value: V,
        waiter: Option<Waiter>,
        mut deliver: impl FnMut(&Waiter, Wake) -> bool,
    ) -> SendOutcome {
        let mut g = lock(&self.inner);
        let own = waiter.as_ref().and_then(|w| w.group.clone());
        if g.closed {
            // A select's send case completes (by failing) only if its select
            // has not completed otherwise.
            if fire(own.as_deref(), None, || true).is_err() {
                return SendOutcome::GroupFired;
            }
            return SendOutcome::Closed;
        }
        let mut value = Some(value);
        while let Some(r) = g.receivers.front().cloned() {
            if same_group(own.as_deref(), r.group.as_deref()) {
                // A select's send case never pairs with its own receive case
                // (as in Go); it waits behind it instead.
                break;
            }
            let key = r.key();
            g.handed.insert(key, value.take().expect("value present"));
            let res = fire(own.as_deref(), r.group.as_deref(), || deliver(&r, Wake::Done));
            if res.is_ok() {
                g.receivers.pop_front();
                g.unfinished += 1;
                return SendOutcome::Sent;
            }
            value = g.handed.remove(&key);
            match res {
                Err(FireError::Own) => return SendOutcome::GroupFired,
                Err(FireError::Other) => {
                    g.receivers.pop_front();
                    deliver(&r, Wake::Dropped);
                }
                _ => {
                    g.receivers.pop_front();
                }
            }
        }
        let value = value.expect("value present");
        // Senders queued earlier go first (FIFO, so one sender's values keep
        // their order): slots that receivers freed on the JS fast path are
        // theirs, and this send queues behind them if none is left.
        if !g.senders.is_empty() {
            self.refill(&mut g, &mut deliver);
        }
        if g.senders.is_empty() && self.buffered(&mut g) + g.reserved < self.cap {
            if fire(own.as_deref(), None, || true).is_err() {
                return SendOutcome::GroupFired;
            }
            g.buf.push(value);
            g.unfinished += 1;
            return SendOutcome::Sent;
        }
        if own.as_deref().is_some_and(Group::is_fired) {
            return SendOutcome::GroupFired;
        }
        match waiter {
            None => SendOutcome::Full,
            Some(w) => {
                let key = g.senders.push_back((w, value));
                g.buf.publish(self.w(), true);
                SendOutcome::Queued(key)
            }
        }
    }

    /// Receives a value; `waiter` is `None` for a try-receive.
    pub fn recv(&self, waiter: Option<Waiter>, mut deliver: impl FnMut(&Waiter, Wake) -> bool) -> RecvOutcome<V> {
        let mut g = lock(&self.inner);
        let own = waiter.as_ref().and_then(|w| w.group.clone());
        if !g.senders.is_empty() {
            // Receivers on the JS fast path may have freed slots: queued
            // senders' values go behind the buffered ones first.
            self.refill_inner(&mut g, &mut deliver);
        }
        if let Some(v) = g.buf.pop(self.w()) {
            if fire(own.as_deref(), None, || true).is_err() {
                // Another case of this select won: the value goes back first in line.
                g.buf.push_returned(v);
                g.buf.publish(self.w(), !g.senders.is_empty());
                return RecvOutcome::GroupFired;
            }
            self.refill(&mut g, &mut deliver);
            return RecvOutcome::Value(v);
        }
        // Rendezvous with a queued sender: capacity 0 only. With a buffer,
        // queued senders moved into free slots above, so an empty buffer with
        // senders still queued means slots are reserved, and the values due
        // in them were sent first: wait for those.
        while let Some((s, _)) = g.senders.front().filter(|_| self.cap == 0) {
            let s = s.clone();
            if same_group(own.as_deref(), s.group.as_deref()) {
                break;
            }
            match fire(own.as_deref(), s.group.as_deref(), || deliver(&s, Wake::Done)) {
                Ok(()) => {
                    let (_, v) = g.senders.pop_front().expect("front");
                    g.unfinished += 1;
                    return RecvOutcome::Value(v);
                }
                Err(FireError::Own) => return RecvOutcome::GroupFired,
                Err(FireError::Other) => {
                    g.senders.pop_front();
                    deliver(&s, Wake::Dropped);
                }
                Err(FireError::Delivery) => {
                    // Its thread is gone: its send never completed.
                    g.senders.pop_front();
                }
            }
        }
        // Values sent before the close may still arrive through reserved slots.
        if g.closed && g.reserved == 0 {
            if fire(own.as_deref(), None, || true).is_err() {
                return RecvOutcome::GroupFired;
            }
            return RecvOutcome::Closed;
        }
        if own.as_deref().is_some_and(Group::is_fired) {
            return RecvOutcome::GroupFired;
        }
        match waiter {
            None => RecvOutcome::Empty,
            Some(w) => RecvOutcome::Queued(g.receivers.push_back(w)),
        }
    }

    /// Parks `value` for `(owner, token)` (a value taken that the binding
    /// could not hand out at once); it counts as handed to that thread.
    pub fn park(&self, owner: u32, token: u32, value: V) {
        lock(&self.inner).handed.insert((owner, token), value);
    }

    /// The value parked for a woken receiver.
    pub fn claim(&self, owner: u32, token: u32) -> Option<V> {
        lock(&self.inner).handed.remove(&(owner, token))
    }

    /// Lets queued senders into the slots freed by receivers that took
    /// values by themselves (JS fast path).
    pub fn sync(&self, mut deliver: impl FnMut(&Waiter, Wake) -> bool) {
        let mut g = lock(&self.inner);
        self.refill(&mut g, &mut deliver);
    }

    /// Calls `f` on copies-to-be of the untaken values, oldest first, while
    /// it returns true and at most `max` times; returns the number of the
    /// first one and how many `f` accepted.
    pub fn peek(&self, max: usize, mut f: impl FnMut(&V) -> bool) -> (u32, usize) {
        let mut g = lock(&self.inner);
        g.buf.collect(self.w());
        let (first, values) = g.buf.peek();
        let mut n = 0;
        for v in values.take(max) {
            if !f(v) {
                break;
            }
            n += 1;
        }
        (first, n)
    }

    /// Moves queued senders' values into free buffer slots.
    fn refill(&self, g: &mut Inner<V>, deliver: &mut impl FnMut(&Waiter, Wake) -> bool) {
        self.refill_inner(g, deliver);
        g.buf.publish(self.w(), !g.senders.is_empty());
    }

    fn refill_inner(&self, g: &mut Inner<V>, deliver: &mut impl FnMut(&Waiter, Wake) -> bool) {
        while self.buffered(g) + g.reserved < self.cap {
            let Some((s, _)) = g.senders.front() else { break };
            let s = s.clone();
            let res = fire(None, s.group.as_deref(), || deliver(&s, Wake::Done));
            let (_, v) = g.senders.pop_front().expect("front");
            match res {
                Ok(()) => {
                    g.buf.push(v);
                    g.unfinished += 1;
                }
                Err(FireError::Other) => {
                    deliver(&s, Wake::Dropped);
                }
                Err(_) => {}
            }
        }
    }

    /// Moves queued senders into free slots, and hands buffered values to
    /// queued receivers, oldest first.
    fn pump(&self, g: &mut Inner<V>, deliver: &mut impl FnMut(&Waiter, Wake) -> bool) {
        while !g.receivers.is_empty() {
            // Each value handed out frees a slot for the next queued sender.
            self.refill_inner(g, deliver);
            let Some(v) = g.buf.pop(self.w()) else { break };
            let r = g.receivers.pop_front().expect("not empty");
            let key = r.key();
            g.handed.insert(key, v);
            match fire(None, r.group.as_deref(), || deliver(&r, Wake::Done)) {
                Ok(()) => {}
                Err(e) => {
                    let v = g.handed.remove(&key).expect("parked");
                    g.buf.push_returned(v);
                    if e == FireError::Other {
                        deliver(&r, Wake::Dropped);
                    }
                }
            }
        }
        self.refill(g, deliver);
    }

    /// Promises up to `want` slots to a sender that will fill them later with
    /// [`push_reserved`](Self::push_reserved) (values it batches on its own
    /// thread). None while other senders are queued (no barging), none for a
    /// rendezvous channel. `None` if closed.
    pub fn reserve(&self, want: usize) -> Option<usize> {
        let mut g = lock(&self.inner);
        if g.closed {
            return None;
        }
        if !g.senders.is_empty() {
            return Some(0);
        }
        let used = self.buffered(&mut g) + g.reserved;
        let grant = want.min(self.cap.saturating_sub(used));
        g.reserved += grant;
        Some(grant)
    }

    /// Fills one reserved slot with `value` (accepted even after a close: its
    /// send completed before). Hands it to a queued receiver if there is one.
    pub fn push_reserved(&self, value: V, mut deliver: impl FnMut(&Waiter, Wake) -> bool) {
        let mut g = lock(&self.inner);
        debug_assert!(g.reserved > 0);
        g.reserved = g.reserved.saturating_sub(1);
        g.unfinished += 1;
        g.buf.push(value);
        self.pump(&mut g, &mut deliver);
        self.settle_closed(&mut g, &mut deliver);
    }

    /// Gives back `n` reserved slots that were not used.
    pub fn release_reserved(&self, n: usize, mut deliver: impl FnMut(&Waiter, Wake) -> bool) {
        if n == 0 {
            return;
        }
        let mut g = lock(&self.inner);
        g.reserved = g.reserved.saturating_sub(n);
        self.pump(&mut g, &mut deliver);
        self.settle_closed(&mut g, &mut deliver);
    }

    /// Closed, drained, and nothing reserved: queued receivers get `Closed`.
    fn settle_closed(&self, g: &mut Inner<V>, deliver: &mut impl FnMut(&Waiter, Wake) -> bool) {
        if !g.closed || g.reserved > 0 || self.buffered(g) > 0 {
            return;
        }
        while let Some(r) = g.receivers.pop_front() {
            if fire(None, r.group.as_deref(), || deliver(&r, Wake::Closed)) == Err(FireError::Other) {
                deliver(&r, Wake::Dropped);
            }
        }
    }

    /// Closes. Returns `false` if it was already closed.
    pub fn close(&self, mut deliver: impl FnMut(&Waiter, Wake) -> bool) -> bool {
        let mut g = lock(&self.inner);
        if g.closed {
            return false;
        }
        g.closed = true;
        // Senders that fit in slots freed on the JS fast path got in before
        // the close: move them into the buffer (and on to waiting receivers).
        self.pump(&mut g, &mut deliver);
        // Receivers wait (for values in reserved slots) while any are reserved.
        if g.reserved == 0 {
            while let Some(r) = g.receivers.pop_front() {
                if fire(None, r.group.as_deref(), || deliver(&r, Wake::Closed)) == Err(FireError::Other) {
                    deliver(&r, Wake::Dropped);
                }
            }
        }
        while let Some((s, _)) = g.senders.pop_front() {
            if fire(None, s.group.as_deref(), || deliver(&s, Wake::Closed)) == Err(FireError::Other) {
                deliver(&s, Wake::Dropped);
            }
        }
        g.buf.publish(self.w(), false);
        true
    }

    /// Removes a queued waiter. `false` if it is not queued any more (it was
    /// served or dropped, and its wake is on the way).
    pub fn cancel(&self, side: Side, key: WaiterKey, owner: u32, token: u32) -> bool {
        let mut g = lock(&self.inner);
        let matches = |w: &Waiter| w.owner == owner && w.token == token;
        match side {
            Side::Send => {
                if g.senders.get(key).is_some_and(|(w, _)| matches(w)) {
                    g.senders.remove(key);
                    g.buf.publish(self.w(), !g.senders.is_empty());
                    return true;
                }
            }
            Side::Receive => {
                if g.receivers.get(key).is_some_and(matches) {
                    return g.receivers.remove(key).is_some();
                }
            }
            Side::Join => {
                if g.joiners.get(key).is_some_and(matches) {
                    return g.joiners.remove(key).is_some();
                }
            }
        }
        false
    }

    /// Marks one accepted value done. Returns the count left, or `None` if
    /// nothing was unfinished.
    pub fn task_done(&self, mut deliver: impl FnMut(&Waiter, Wake) -> bool) -> Option<u64> {
        let mut g = lock(&self.inner);
        if g.unfinished == 0 {
            return None;
        }
        g.unfinished -= 1;
        if g.unfinished == 0 {
            while let Some(j) = g.joiners.pop_front() {
                deliver(&j, Wake::Done);
            }
        }
        Some(g.unfinished)
    }

    /// `None` if nothing is unfinished (join completes now), else queues.
    pub fn join(&self, waiter: Waiter) -> Option<WaiterKey> {
        let mut g = lock(&self.inner);
        if g.unfinished == 0 {
            return None;
        }
        Some(g.joiners.push_back(waiter))
    }

    /// A thread died: forget its waiters, and put values parked for it back
    /// at the front of the buffer for the next receiver. Returns how many
    /// waiters were removed.
    pub fn remove_owner(&self, owner: u32, mut deliver: impl FnMut(&Waiter, Wake) -> bool) -> usize {
        let mut g = lock(&self.inner);
        let mut removed = g.senders.remove_where(|(w, _)| w.owner == owner).len();
        removed += g.receivers.remove_where(|w| w.owner == owner).len();
        removed += g.joiners.remove_where(|w| w.owner == owner).len();
        let mut keys: Vec<(u32, u32)> = g.handed.keys().filter(|k| k.0 == owner).copied().collect();
        // Tokens grow over time: the oldest parked value goes back first.
        keys.sort_unstable();
        for k in keys.into_iter().rev() {
            let v = g.handed.remove(&k).expect("parked");
            g.buf.push_returned(v);
        }
        self.pump(&mut g, &mut deliver);
        removed
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use crate::seq_buffer::head;
    use std::cell::RefCell;

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
}
