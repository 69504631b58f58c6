//! Moving values between a channel's queues and its buffer: queued senders
//! into free slots, buffered values to queued receivers, and the closed
//! state once drained. Every function here runs under the channel's lock.

use super::select::{fire, FireError};
use super::{Channel, Inner, Waiter, Wake};
use crate::semaphore::StateWord;

impl<V, W: StateWord> Channel<V, W> {
    /// Moves queued senders' values into free buffer slots.
    pub(super) fn refill(&self, g: &mut Inner<V>, deliver: &mut impl FnMut(&Waiter, Wake) -> bool) {
        self.refill_inner(g, deliver);
        g.buf.publish(self.w(), Self::senders_waiting(g));
    }

    pub(super) fn refill_inner(&self, g: &mut Inner<V>, deliver: &mut impl FnMut(&Waiter, Wake) -> bool) {
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
    pub(super) fn pump(&self, g: &mut Inner<V>, deliver: &mut impl FnMut(&Waiter, Wake) -> bool) {
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
                    self.give_back(g, v);
                    if e == FireError::Other {
                        deliver(&r, Wake::Dropped);
                    }
                }
            }
        }
        self.refill(g, deliver);
    }

    /// Puts a value that a receiver did not take back first in line, in a
    /// free slot if there is one (see [`SeqBuffer::push_returned`]).
    pub(super) fn give_back(&self, g: &mut Inner<V>, v: V) {
        let in_slot = self.buffered(g) + g.reserved < self.cap;
        g.buf.push_returned(v, in_slot);
    }

    /// Closed, drained, and nothing reserved: queued receivers get `Closed`.
    pub(super) fn settle_closed(&self, g: &mut Inner<V>, deliver: &mut impl FnMut(&Waiter, Wake) -> bool) {
        if !g.closed || g.reserved > 0 || self.buffered(g) > 0 || g.buf.has_unslotted() {
            return;
        }
        while let Some(r) = g.receivers.pop_front() {
            if fire(None, r.group.as_deref(), || deliver(&r, Wake::Closed)) == Err(FireError::Other) {
                deliver(&r, Wake::Dropped);
            }
        }
    }
}
