//! The buffered values of a shared channel, numbered so that receivers can
//! take them **without a native call**.
//!
//! # Contract
//! Each buffered value has a sequence number (mod 2^29); the value at the
//! front has number `head`, which lives in a 32-bit word that JavaScript
//! also sees (a `SharedArrayBuffer`): `head << 2 | NATIVE_ONLY | SENDERS_WAITING`.
//! Taking the front value is one compare-and-swap of that word from `head`
//! to `head + 1`, by whoever wins it: native code (under the channel lock,
//! through [`SeqBuffer::pop`]) or a JS receiver that holds a copy of the
//! value numbered `head` (fetched earlier in a batch). So every value is
//! taken exactly once, in order, even while several threads race for it.
//!
//! Values stay here until the head has passed them; native code drops them
//! lazily ([`SeqBuffer::collect`]). A JS receiver that takes a value while
//! `SENDERS_WAITING` is set must soon let native code run `collect` (a
//! "sync" call), so that queued senders move into the freed slots.
//!
//! Values that come back (from a receiver whose thread died before taking a
//! value handed to it) go to a separate `returned` list that is served
//! first; while it is not empty `NATIVE_ONLY` is set and JS must not take
//! values by itself (their numbers would no longer be the oldest). A value
//! that comes back while every slot is taken goes to `unslotted`, served
//! right after `returned` but holding no slot: it was outside the buffer
//! while handed to its receiver and stays outside, so the buffer never
//! holds more than the channel's capacity.
//! `NATIVE_ONLY` is also set while the buffer is [frozen](SeqBuffer::freeze):
//! then only native code, under the channel lock, changes what it holds.
//!
//! This is the futex split of the semaphore engine, applied to a queue:
//! the uncontended take is a CAS in user space; native code plays the
//! kernel for everything that waits or wakes.

use crate::sync::{AtomicI32, Ordering};
use std::collections::VecDeque;

/// Layout of the head word. JS reads it through `src/protocol.rs`.
pub mod head {
    /// Senders are queued: a JS take must be followed by a sync call.
    pub const SENDERS_WAITING: i32 = 1;
    /// JS must not take by itself (values were returned, which are served
    /// first, or the buffer is frozen).
    pub const NATIVE_ONLY: i32 = 2;
    pub const SHIFT: u32 = 2;
    pub const SEQ_MASK: u32 = (1 << 29) - 1;

    pub fn seq(word: i32) -> u32 {
        (word >> SHIFT) as u32 & SEQ_MASK
    }

    /// `word` with its sequence number advanced by one (flags kept).
    pub fn advanced(word: i32) -> i32 {
        ((((seq(word) + 1) & SEQ_MASK) << SHIFT) as i32) | (word & 3)
    }
}

pub struct SeqBuffer<V> {
    /// Values numbered `base`, `base + 1`, ...; those below the head word's
    /// number are already taken.
    items: VecDeque<V>,
    base: u32,
    returned: VecDeque<V>,
    /// Given back while no slot was free: not counted by [`len`](Self::len).
    unslotted: VecDeque<V>,
    frozen: bool,
}

impl<V> Default for SeqBuffer<V> {
    fn default() -> Self {
        Self::new()
    }
}

impl<V> SeqBuffer<V> {
    pub fn new() -> Self {
        Self {
            items: VecDeque::new(),
            base: 0,
            returned: VecDeque::new(),
            unslotted: VecDeque::new(),
            frozen: false,
        }
    }

    /// Drops the values that receivers took by themselves.
    pub fn collect(&mut self, word: &AtomicI32) {
        let h = head::seq(word.load(Ordering::Acquire));
        let taken = (h.wrapping_sub(self.base) & head::SEQ_MASK) as usize;
        let taken = taken.min(self.items.len());
        self.items.drain(..taken);
        self.base = (self.base + taken as u32) & head::SEQ_MASK;
    }

    /// Values not taken yet that hold a slot. Call [`collect`](Self::collect) first.
    pub fn len(&self) -> usize {
        self.items.len() + self.returned.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Values given back that hold no slot wait to be taken.
    pub fn has_unslotted(&self) -> bool {
        !self.unslotted.is_empty()
    }

    pub fn push(&mut self, v: V) {
        self.items.push_back(v);
    }

    /// Takes the oldest value (values given back first).
    pub fn pop(&mut self, word: &AtomicI32) -> Option<V> {
        if let Some(v) = self.returned.pop_front().or_else(|| self.unslotted.pop_front()) {
            return Some(v);
        }
        loop {
            self.collect(word);
            if self.items.is_empty() {
                return None;
            }
            let s = word.load(Ordering::Acquire);
            if head::seq(s) != self.base {
                continue; // taken by JS just now
            }
            if word
                .compare_exchange(s, head::advanced(s), Ordering::AcqRel, Ordering::Acquire)
                .is_ok()
            {
                self.base = (self.base + 1) & head::SEQ_MASK;
                return self.items.pop_front();
            }
        }
    }

    /// Puts a value back in front of everything else, in a slot of the
    /// buffer (`in_slot`: the caller saw one free) or else outside it.
    pub fn push_returned(&mut self, v: V, in_slot: bool) {
        if in_slot {
            self.returned.push_front(v);
        } else {
            self.unslotted.push_front(v);
        }
    }

    /// The number of the oldest untaken value, and the values from it on
    /// (for a JS receiver's batch of copies). Empty while values are returned.
    pub fn peek(&self) -> (u32, impl Iterator<Item = &V> + '_) {
        let n = if self.returned.is_empty() && self.unslotted.is_empty() {
            self.items.len()
        } else {
            0
        };
        (self.base, self.items.iter().take(n))
    }

    /// Stops JS receivers from taking values by themselves until
    /// [`thaw`](Self::thaw): once this returns, the values held change only
    /// under the caller's lock (a select with a default decides on them).
    pub fn freeze(&mut self, word: &AtomicI32, senders_waiting: bool) {
        self.frozen = true;
        self.publish(word, senders_waiting);
    }

    pub fn thaw(&mut self, word: &AtomicI32, senders_waiting: bool) {
        self.frozen = false;
        self.publish(word, senders_waiting);
    }

    /// Stores the flags in the word (keeping the number, which JS may move).
    pub fn publish(&self, word: &AtomicI32, senders_waiting: bool) {
        let native_only = self.frozen || !self.returned.is_empty() || !self.unslotted.is_empty();
        let flags =
            if senders_waiting { head::SENDERS_WAITING } else { 0 } | if native_only { head::NATIVE_ONLY } else { 0 };
        let mut s = word.load(Ordering::Acquire);
        while s & 3 != flags {
            match word.compare_exchange(s, (s & !3) | flags, Ordering::AcqRel, Ordering::Acquire) {
                Ok(_) => return,
                Err(actual) => s = actual,
            }
        }
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn js_and_native_takes_share_one_order() {
        let word = AtomicI32::new(0);
        let mut b = SeqBuffer::new();
        for v in 0..5 {
            b.push(v);
        }
        assert_eq!(b.pop(&word), Some(0));
        // A JS receiver takes #1 with a CAS.
        let s = word.load(Ordering::Acquire);
        assert_eq!(head::seq(s), 1);
        word.store(head::advanced(s), Ordering::Release);
        assert_eq!(b.pop(&word), Some(2));
        b.collect(&word);
        assert_eq!(b.len(), 2);
        let (first, rest) = b.peek();
        assert_eq!(first, 3);
        assert_eq!(rest.copied().collect::<Vec<_>>(), vec![3, 4]);
        b.push_returned(9, true);
        b.publish(&word, true);
        assert_eq!(
            word.load(Ordering::Acquire) & 3,
            head::NATIVE_ONLY | head::SENDERS_WAITING
        );
        assert_eq!(b.peek().1.count(), 0);
        assert_eq!(b.pop(&word), Some(9));
        b.publish(&word, false);
        assert_eq!(word.load(Ordering::Acquire) & 3, 0);
        assert_eq!(b.pop(&word), Some(3));
    }

    #[test]
    fn numbers_wrap() {
        let word = AtomicI32::new(((head::SEQ_MASK) << head::SHIFT) as i32);
        let mut b = SeqBuffer::new();
        b.base = head::SEQ_MASK;
        b.push('a');
        b.push('b');
        assert_eq!(b.pop(&word), Some('a'));
        assert_eq!(head::seq(word.load(Ordering::Acquire)), 0);
        assert_eq!(b.pop(&word), Some('b'));
        assert_eq!(b.pop(&word), None);
    }
}
