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
//! first, [`Channel::remove_owner`] puts the value back first in line and
//! serves the next receiver (exactly once, never lost). It goes into a free
//! slot if there is one; if the buffer is full it stays outside the buffer,
//! as it was while parked, so the buffer never holds more than `cap` values.
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
//!
//! A select with a default decides at one moment across all its channels:
//! see [`try_select`].
//!
//! Files: this one (the channel, sends and receives), `refill.rs` (moving
//! values between the queues and the buffer), `close.rs` (close, cancel,
//! dying threads), `select.rs` (groups and [`try_select`]), [`credits`]
//! (slots reserved by sending threads), [`outbox`] (a sending thread's batch
//! format), `tasks.rs` (`task_done`/`join`), `tests.rs`.

mod close;
pub mod credits;
pub mod outbox;
mod refill;
mod select;
mod tasks;

pub use select::{try_select, Group, TryOp, TryResult};

use crate::semaphore::{OwnedWord, StateWord};
use crate::seq_buffer::SeqBuffer;
use crate::sync::{lock, shim_static, Arc, AtomicU64, Mutex, Ordering};
use crate::waiter_queue::{WaiterKey, WaiterQueue};
use select::{fire, same_group, FireError};
use std::collections::HashMap;

/// Capacity of a channel whose senders never wait.
pub const UNBOUNDED: usize = usize::MAX;

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
    /// Creation order: the order in which [`try_select`] locks channels.
    rank: u64,
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
        shim_static! {
            static NEXT_RANK: AtomicU64 = AtomicU64::new(0);
        }
        Self {
            cap,
            rank: NEXT_RANK.fetch_add(1, Ordering::Relaxed),
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

    /// Senders wait for a slot.
    fn senders_waiting(g: &Inner<V>) -> bool {
        !g.senders.is_empty()
    }

    /// Buffered values (not counting values parked for woken receivers, nor
    /// values given back that wait outside a full buffer).
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
        self.send_in(&mut g, value, waiter, &mut deliver)
            .unwrap_or(SendOutcome::Full)
    }

    /// A try-send that gives `value` back (`Err`) if there is no room.
    pub fn try_send(&self, value: V, mut deliver: impl FnMut(&Waiter, Wake) -> bool) -> Result<SendOutcome, V> {
        let mut g = lock(&self.inner);
        self.send_in(&mut g, value, None, &mut deliver)
    }

    /// [`send`](Self::send) under the lock; a try-send that finds no room
    /// gives its value back (`Err`).
    fn send_in(
        &self,
        g: &mut Inner<V>,
        value: V,
        waiter: Option<Waiter>,
        deliver: &mut impl FnMut(&Waiter, Wake) -> bool,
    ) -> Result<SendOutcome, V> {
        let own = waiter.as_ref().and_then(|w| w.group.clone());
        if g.closed {
            // A select's send case completes (by failing) only if its select
            // has not completed otherwise.
            if fire(own.as_deref(), None, || true).is_err() {
                return Ok(SendOutcome::GroupFired);
            }
            return Ok(SendOutcome::Closed);
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
                return Ok(SendOutcome::Sent);
            }
            value = g.handed.remove(&key);
            match res {
                Err(FireError::Own) => return Ok(SendOutcome::GroupFired),
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
        if Self::senders_waiting(g) {
            self.refill(g, deliver);
        }
        if !Self::senders_waiting(g) && self.buffered(g) + g.reserved < self.cap {
            if fire(own.as_deref(), None, || true).is_err() {
                return Ok(SendOutcome::GroupFired);
            }
            g.buf.push(value);
            g.unfinished += 1;
            return Ok(SendOutcome::Sent);
        }
        if own.as_deref().is_some_and(Group::is_fired) {
            return Ok(SendOutcome::GroupFired);
        }
        match waiter {
            None => Err(value),
            Some(w) => {
                let key = g.senders.push_back((w, value));
                g.buf.publish(self.w(), true);
                Ok(SendOutcome::Queued(key))
            }
        }
    }

    /// Receives a value; `waiter` is `None` for a try-receive.
    pub fn recv(&self, waiter: Option<Waiter>, mut deliver: impl FnMut(&Waiter, Wake) -> bool) -> RecvOutcome<V> {
        let mut g = lock(&self.inner);
        self.recv_in(&mut g, waiter, &mut deliver)
    }

    /// [`recv`](Self::recv) under the lock.
    fn recv_in(
        &self,
        g: &mut Inner<V>,
        waiter: Option<Waiter>,
        deliver: &mut impl FnMut(&Waiter, Wake) -> bool,
    ) -> RecvOutcome<V> {
        let own = waiter.as_ref().and_then(|w| w.group.clone());
        if Self::senders_waiting(g) {
            // Receivers on the JS fast path may have freed slots: queued
            // senders' values go behind the buffered ones first.
            self.refill_inner(g, deliver);
        }
        if let Some(v) = g.buf.pop(self.w()) {
            if fire(own.as_deref(), None, || true).is_err() {
                // Another case of this select won: the value goes back first in line.
                // It was in a slot a moment ago, and still has it.
                g.buf.push_returned(v, true);
                g.buf.publish(self.w(), Self::senders_waiting(g));
                return RecvOutcome::GroupFired;
            }
            self.refill(g, deliver);
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
}

#[cfg(all(test, not(loom)))]
mod tests;
