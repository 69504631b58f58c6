//! A thread's ledger of held permits: how many permits of each shared
//! semaphore (Semaphore, Mutex, RwLock) the thread holds, so that a thread
//! that dies gives back exactly what it had.
//!
//! # Contract
//! - A thread attached to a semaphore has a slot in its ledger
//!   ([`Ledger::attach`]). A slot freed by a detach is reused; a slot is 0
//!   when it is handed out.
//! - Native code counts every permit it hands to the thread ([`Ledger::credit`])
//!   before the thread's JS hears of it, and every permit the thread gives
//!   back through native code ([`Ledger::debit`]). JS counts its own fast-path
//!   acquires and releases in the same word.
//! - When the thread detaches from a semaphore, or dies, the ledger says what
//!   goes back: [`Ledger::detach`] and [`Ledger::give_back`] (which adds the
//!   grants posted to the thread that it never received).
//!
//! # Implementation details
//! The words are an `Int32Array` over a `SharedArrayBuffer` ([`LedgerWords`])
//! that the thread's JS writes too, but only that thread touches them: its JS,
//! its native calls and its env cleanup hook all run on it. So `Relaxed`
//! atomics are enough, and there is no loom model (no two threads meet here).
//! JS grows the array when a slot does not fit ([`Ledger::set_words`]); until
//! then a slot past the end counts nothing.

use crate::sync::{AtomicI32, Ordering};
use std::collections::HashMap;

/// Where a ledger's words live: a JS `Int32Array` in the binding, a `Vec`
/// in tests.
pub trait LedgerWords {
    fn words(&self) -> &[AtomicI32];
}

impl LedgerWords for Vec<AtomicI32> {
    fn words(&self) -> &[AtomicI32] {
        self
    }
}

/// See the module docs.
#[derive(Debug)]
pub struct Ledger<W> {
    words: W,
    /// Semaphore id -> slot.
    slots: HashMap<u32, usize>,
    free: Vec<usize>,
    next: usize,
}

impl<W: LedgerWords> Ledger<W> {
    pub fn new(words: W) -> Self {
        Self {
            words,
            slots: HashMap::new(),
            free: Vec::new(),
            next: 0,
        }
    }

    /// The slot of semaphore `core`, if the thread is attached to it.
    pub fn slot(&self, core: u32) -> Option<usize> {
        self.slots.get(&core).copied()
    }

    /// Gives semaphore `core` a slot (its own if it has one), zeroed when new.
    pub fn attach(&mut self, core: u32) -> usize {
        if let Some(slot) = self.slot(core) {
            return slot;
        }
        let slot = self.free.pop().unwrap_or_else(|| {
            self.next += 1;
            self.next - 1
        });
        if let Some(w) = self.words.words().get(slot) {
            w.store(0, Ordering::Relaxed);
        }
        self.slots.insert(core, slot);
        slot
    }

    /// Frees `core`'s slot and returns what the thread held on it (`None` if
    /// it was not attached).
    pub fn detach(&mut self, core: u32) -> Option<u32> {
        let slot = self.slots.remove(&core)?;
        let held = self.held_at(slot);
        self.free.push(slot);
        Some(held)
    }

    /// The thread now holds `permits` more of `core`.
    pub fn credit(&self, core: u32, permits: u32) {
        self.adjust(core, permits as i32);
    }

    /// The thread gave back `permits` of `core`.
    pub fn debit(&self, core: u32, permits: u32) {
        self.adjust(core, -(permits as i32));
    }

    fn adjust(&self, core: u32, delta: i32) {
        if let Some(w) = self.slot(core).and_then(|slot| self.words.words().get(slot)) {
            w.fetch_add(delta, Ordering::Relaxed);
        }
    }

    /// What the thread holds of `core` (0 if not attached).
    pub fn held(&self, core: u32) -> u32 {
        self.slot(core).map_or(0, |slot| self.held_at(slot))
    }

    fn held_at(&self, slot: usize) -> u32 {
        self.words
            .words()
            .get(slot)
            .map_or(0, |w| w.load(Ordering::Relaxed).max(0) as u32)
    }

    /// Replaces the words with a bigger copy that JS made; returns the old
    /// ones, or refuses (`Err`) words shorter than the current ones.
    pub fn set_words(&mut self, words: W) -> Result<W, W> {
        if words.words().len() < self.words.words().len() {
            return Err(words);
        }
        Ok(std::mem::replace(&mut self.words, words))
    }

    /// The semaphores the thread is attached to.
    pub fn cores(&self) -> impl Iterator<Item = u32> + '_ {
        self.slots.keys().copied()
    }

    /// The thread is gone: for every semaphore it is attached to, in id
    /// order, `(semaphore, held, undelivered)`: what it held, and the
    /// `undelivered` grants `(semaphore, permits)` posted to it that it never
    /// received (grants for other semaphores are ignored). The semaphore
    /// decides what goes back ([`Semaphore::owner_gone`](crate::Semaphore::owner_gone)).
    /// Zeros are included: the caller still has to remove the thread's waiters there.
    pub fn give_back(&self, undelivered: impl IntoIterator<Item = (u32, u32)>) -> Vec<(u32, u32, u32)> {
        let mut owed: HashMap<u32, (u32, u32)> = self.cores().map(|c| (c, (self.held(c), 0))).collect();
        for (core, permits) in undelivered {
            if let Some((_, n)) = owed.get_mut(&core) {
                *n = n.saturating_add(permits);
            }
        }
        let mut owed: Vec<(u32, u32, u32)> = owed.into_iter().map(|(c, (h, u))| (c, h, u)).collect();
        owed.sort_unstable();
        owed
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    fn ledger(len: usize) -> Ledger<Vec<AtomicI32>> {
        Ledger::new((0..len).map(|_| AtomicI32::new(-7)).collect())
    }

    /// What JS does on its fast path: writes the word at the slot itself.
    fn js_add(l: &Ledger<Vec<AtomicI32>>, slot: usize, n: i32) {
        l.words.words()[slot].fetch_add(n, Ordering::Relaxed);
    }

    #[test]
    fn slots_are_zeroed_reused_and_stable() {
        let mut l = ledger(4);
        assert_eq!(l.attach(10), 0);
        assert_eq!(l.attach(20), 1);
        assert_eq!(l.attach(10), 0, "attaching again keeps the slot");
        assert_eq!(l.held(10), 0, "a new slot starts at 0 whatever the word held");
        l.credit(20, 3);
        assert_eq!(l.detach(20), Some(3));
        assert_eq!(l.detach(20), None);
        assert_eq!(l.attach(30), 1, "a freed slot is reused");
        assert_eq!(l.held(30), 0, "and zeroed");
        assert_eq!(l.slot(20), None);
    }

    #[test]
    fn credits_debits_and_js_writes_share_one_count() {
        let mut l = ledger(2);
        let slot = l.attach(5);
        l.credit(5, 2);
        js_add(&l, slot, 1);
        l.debit(5, 1);
        assert_eq!(l.held(5), 2);
        l.credit(6, 9); // not attached: nothing to count it in
        assert_eq!(l.held(6), 0);
        js_add(&l, slot, -5);
        assert_eq!(l.held(5), 0, "a negative word (JS released more) holds nothing");
    }

    #[test]
    fn a_slot_past_the_end_counts_nothing_until_js_grows_the_words() {
        let mut l = ledger(1);
        l.attach(1);
        assert_eq!(l.attach(2), 1);
        l.credit(2, 4);
        assert_eq!(l.held(2), 0);
        let bigger: Vec<AtomicI32> = (0..4).map(|_| AtomicI32::new(0)).collect();
        let old = l.set_words(bigger).expect("bigger words are taken");
        assert_eq!(old.len(), 1);
        l.credit(2, 4);
        assert_eq!(l.held(2), 4);
        assert!(
            l.set_words(vec![AtomicI32::new(0)]).is_err(),
            "shorter words are refused"
        );
        assert_eq!(l.held(2), 4);
    }

    #[test]
    fn a_gone_thread_gives_back_what_it_held_and_grants_it_never_saw() {
        let mut l = ledger(8);
        for core in [3, 1, 2] {
            l.attach(core);
        }
        l.credit(1, 2);
        l.credit(3, 1);
        let owed = l.give_back([(1, 1), (2, 5), (9, 4), (2, 1)]);
        assert_eq!(
            owed,
            vec![(1, 2, 1), (2, 0, 6), (3, 1, 0)],
            "per core, in id order; core 9 is not attached"
        );
        let none: [(u32, u32); 0] = [];
        assert_eq!(ledger(2).give_back(none), vec![]);
    }

    #[test]
    fn a_random_sequence_keeps_each_count_equal_to_a_model() {
        // Seeded (xorshift), printed, so a failure can be replayed.
        let seed: u64 = std::env::var("LEDGER_SEED")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(0x9e37_79b9_7f4a_7c15);
        println!("LEDGER_SEED={seed}");
        let mut x = seed | 1;
        let mut next = |n: u64| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x % n
        };
        let mut l = ledger(16);
        let mut model: HashMap<u32, u32> = HashMap::new();
        for _ in 0..5_000 {
            let core = next(6) as u32;
            match next(4) {
                0 => {
                    l.attach(core);
                    model.entry(core).or_insert(0);
                }
                1 => assert_eq!(l.detach(core), model.remove(&core), "seed {seed}"),
                2 => {
                    let n = next(3) as u32;
                    l.credit(core, n);
                    if let Some(m) = model.get_mut(&core) {
                        *m += n;
                    }
                }
                _ => {
                    let held = model.get(&core).copied().unwrap_or(0);
                    let n = next(held as u64 + 1) as u32;
                    l.debit(core, n);
                    if let Some(m) = model.get_mut(&core) {
                        *m -= n;
                    }
                }
            }
            let slots: std::collections::HashSet<usize> = l.cores().filter_map(|c| l.slot(c)).collect();
            assert_eq!(slots.len(), model.len(), "two cores share a slot (seed {seed})");
        }
        let mut expected: Vec<(u32, u32, u32)> = model.into_iter().map(|(c, h)| (c, h, 0)).collect();
        expected.sort_unstable();
        let none: [(u32, u32); 0] = [];
        assert_eq!(l.give_back(none), expected, "seed {seed}");
    }
}
