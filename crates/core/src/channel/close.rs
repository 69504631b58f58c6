//! Ending waits: `close`, cancelling one waiter, and a thread that died.

use super::select::{fire, FireError};
use super::{Channel, Side, Waiter, Wake};
use crate::semaphore::StateWord;
use crate::sync::lock;
use crate::waiter_queue::WaiterKey;

impl<V, W: StateWord> Channel<V, W> {
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
        if g.reserved == 0 && !g.buf.has_unslotted() {
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
        g.buf.publish(self.w(), Self::senders_waiting(&g));
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
                    g.buf.publish(self.w(), Self::senders_waiting(&g));
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

    /// A thread died: forget its waiters, and put values parked for it back
    /// first in line for the next receiver. Each takes a free slot if there
    /// is one; one that finds the buffer full stays outside it, as it was
    /// while parked, so the buffer never holds more than its capacity (see
    /// [`SeqBuffer::push_returned`]). Returns how many waiters were removed.
    pub fn remove_owner(&self, owner: u32, mut deliver: impl FnMut(&Waiter, Wake) -> bool) -> usize {
        let mut g = lock(&self.inner);
        let mut removed = g.senders.remove_where(|(w, _)| w.owner == owner).len();
        removed += g.receivers.remove_where(|w| w.owner == owner).len();
        removed += g.joiners.remove_where(|w| w.owner == owner).len();
        let mut keys: Vec<(u32, u32)> = g.handed.keys().filter(|k| k.0 == owner).copied().collect();
        // Tokens grow over time: the oldest parked value goes back first.
        keys.sort_unstable();
        let room = self.cap.saturating_sub(self.buffered(&mut g) + g.reserved);
        for (i, k) in keys.iter().enumerate().rev() {
            let v = g.handed.remove(k).expect("parked");
            g.buf.push_returned(v, i < room);
        }
        self.pump(&mut g, &mut deliver);
        removed
    }
}
