//! One FIFO lock per key, created on demand and freed when unused: the core
//! of `KeyedMutex` (async-mutex#18/#42), shared by every thread.
//!
//! # Contract
//! - A key is held by at most one owner (a thread) at a time. `lock` takes a
//!   free key at once; otherwise the caller queues behind the key's other
//!   waiters, FIFO, and is delivered the key when it is its turn.
//! - Only the holder may `unlock`; the key then passes to its first waiter
//!   whose owner is alive (`deliver` returns false for a dead one).
//! - A key has an entry only while it is held: the entry goes when the last
//!   holder unlocks with nobody queued, so memory follows the keys in use,
//!   not the keys ever used.
//! - A waiter can be cancelled in O(1) (by the key `lock` returned). A thread
//!   that dies leaves every queue and unlocks every key it held.
//!
//! # Implementation details
//! One lock around a `HashMap<K, Entry>`; each entry is its holder and a
//! [`WaiterQueue`]. Deliveries are made under the lock, as the semaphore
//! makes them.

use crate::sync::{lock, Mutex};
use crate::waiter_queue::{WaiterKey, WaiterQueue};
use std::collections::HashMap;
use std::hash::Hash;

/// A queued request for a key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KeyWaiter {
    pub owner: u32,
    pub token: u32,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LockOutcome {
    /// The key was free and is held now.
    Acquired,
    /// Queued under this key; it is delivered the key later.
    Queued(WaiterKey),
}

/// `unlock` by an owner that does not hold the key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NotHeld;

struct Entry {
    holder: u32,
    queue: WaiterQueue<KeyWaiter>,
}

/// See the module docs.
pub struct KeyedLocks<K> {
    inner: Mutex<HashMap<K, Entry>>,
}

impl<K: Eq + Hash + Clone> Default for KeyedLocks<K> {
    fn default() -> Self {
        Self {
            inner: Mutex::new(HashMap::new()),
        }
    }
}

impl<K: Eq + Hash + Clone> KeyedLocks<K> {
    pub fn new() -> Self {
        Self::default()
    }

    /// Keys held now (each has an entry; free keys have none).
    pub fn len(&self) -> usize {
        lock(&self.inner).len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether `key` is held, and how many wait for it.
    pub fn state(&self, key: &K) -> (bool, usize) {
        lock(&self.inner).get(key).map_or((false, 0), |e| (true, e.queue.len()))
    }

    /// Takes `key` if it is free; otherwise queues `who` behind its waiters.
    pub fn lock(&self, key: K, who: KeyWaiter) -> LockOutcome {
        let mut map = lock(&self.inner);
        match map.get_mut(&key) {
            Some(e) => LockOutcome::Queued(e.queue.push_back(who)),
            None => {
                map.insert(
                    key,
                    Entry {
                        holder: who.owner,
                        queue: WaiterQueue::new(),
                    },
                );
                LockOutcome::Acquired
            }
        }
    }

    /// Takes `key` only if it is free (nobody holds it, so nobody waits).
    pub fn try_lock(&self, key: K, owner: u32) -> bool {
        let mut map = lock(&self.inner);
        if map.contains_key(&key) {
            return false;
        }
        map.insert(
            key,
            Entry {
                holder: owner,
                queue: WaiterQueue::new(),
            },
        );
        true
    }

    /// `owner` gives `key` back; it passes to the first live waiter, or the
    /// entry goes.
    pub fn unlock(&self, key: &K, owner: u32, mut deliver: impl FnMut(&KeyWaiter) -> bool) -> Result<(), NotHeld> {
        let mut map = lock(&self.inner);
        match map.get(key) {
            Some(e) if e.holder == owner => {}
            _ => return Err(NotHeld),
        }
        Self::hand_off(&mut map, key, &mut deliver);
        Ok(())
    }

    /// Passes the held `key` to its first waiter whose owner is alive, or removes its entry.
    fn hand_off(map: &mut HashMap<K, Entry>, key: &K, deliver: &mut impl FnMut(&KeyWaiter) -> bool) {
        let Some(e) = map.get_mut(key) else { return };
        while let Some(w) = e.queue.pop_front() {
            if deliver(&w) {
                e.holder = w.owner;
                return;
            }
        }
        map.remove(key);
    }

    /// Removes the waiter queued under `at` if it is still `who`'s; false if
    /// it was already served (its delivery is on the way).
    pub fn cancel(&self, key: &K, at: WaiterKey, who: KeyWaiter) -> bool {
        let mut map = lock(&self.inner);
        let Some(e) = map.get_mut(key) else { return false };
        if e.queue.get(at) != Some(&who) {
            return false;
        }
        e.queue.remove(at);
        true
    }

    /// A thread is gone: its waiters leave every queue and every key it held
    /// passes on. Returns how many of its waiters were removed.
    pub fn owner_gone(&self, owner: u32, mut deliver: impl FnMut(&KeyWaiter) -> bool) -> usize {
        let mut map = lock(&self.inner);
        let mut removed = 0;
        let mut held = Vec::new();
        for (k, e) in map.iter_mut() {
            removed += e.queue.remove_where(|w| w.owner == owner).len();
            if e.holder == owner {
                held.push(k.clone());
            }
        }
        for k in held {
            Self::hand_off(&mut map, &k, &mut deliver);
        }
        removed
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    fn w(owner: u32, token: u32) -> KeyWaiter {
        KeyWaiter { owner, token }
    }

    #[test]
    fn one_holder_per_key_fifo_hand_off_and_the_entry_goes_when_free() {
        let k = KeyedLocks::<String>::new();
        assert_eq!(k.lock("a".into(), w(1, 1)), LockOutcome::Acquired);
        assert_eq!(k.lock("b".into(), w(1, 2)), LockOutcome::Acquired);
        assert!(matches!(k.lock("a".into(), w(2, 1)), LockOutcome::Queued(_)));
        assert!(matches!(k.lock("a".into(), w(3, 1)), LockOutcome::Queued(_)));
        assert_eq!(k.len(), 2);
        assert_eq!(k.unlock(&"a".into(), 2, |_| true), Err(NotHeld));
        let mut got = Vec::new();
        k.unlock(&"a".into(), 1, |x| {
            got.push(*x);
            true
        })
        .unwrap();
        k.unlock(&"a".into(), 2, |x| {
            got.push(*x);
            true
        })
        .unwrap();
        assert_eq!(got, vec![w(2, 1), w(3, 1)]);
        k.unlock(&"a".into(), 3, |_| true).unwrap();
        k.unlock(&"b".into(), 1, |_| true).unwrap();
        assert!(k.is_empty());
        assert_eq!(k.unlock(&"b".into(), 1, |_| true), Err(NotHeld));
    }

    #[test]
    fn memory_follows_the_keys_in_use() {
        let k = KeyedLocks::<u64>::new();
        for i in 0..100_000u64 {
            assert_eq!(k.lock(i, w(1, 0)), LockOutcome::Acquired);
            k.unlock(&i, 1, |_| true).unwrap();
        }
        assert!(k.is_empty());
        assert!(lock(&k.inner).capacity() < 64, "one key at a time never grows the map");
    }

    #[test]
    fn a_cancelled_waiter_is_skipped_and_a_served_one_cannot_be_cancelled() {
        let k = KeyedLocks::<u8>::new();
        k.lock(1, w(1, 1));
        let LockOutcome::Queued(a) = k.lock(1, w(2, 1)) else {
            panic!()
        };
        let LockOutcome::Queued(b) = k.lock(1, w(3, 1)) else {
            panic!()
        };
        assert!(k.cancel(&1, a, w(2, 1)));
        assert!(!k.cancel(&1, a, w(2, 1)));
        let mut got = Vec::new();
        k.unlock(&1, 1, |x| {
            got.push(*x);
            true
        })
        .unwrap();
        assert_eq!(got, vec![w(3, 1)]);
        assert!(!k.cancel(&1, b, w(3, 1)), "served: its delivery is on the way");
        assert_eq!(k.state(&1), (true, 0));
    }

    #[test]
    fn a_dead_thread_unlocks_what_it_held_and_leaves_the_queues() {
        let k = KeyedLocks::<u8>::new();
        k.lock(1, w(1, 1));
        k.lock(2, w(2, 1));
        k.lock(1, w(2, 2)); // thread 2 waits for key 1
        k.lock(2, w(3, 1)); // thread 3 waits for key 2, held by 2
        k.lock(2, w(2, 3)); // thread 2 also queued behind 3 (not re-entrant)
        let mut got = Vec::new();
        assert_eq!(
            k.owner_gone(2, |x| {
                got.push(*x);
                true
            }),
            2
        );
        assert_eq!(got, vec![w(3, 1)]);
        assert_eq!(k.state(&1), (true, 0));
        assert_eq!(k.state(&2), (true, 0));
    }

    #[test]
    fn a_grant_to_a_dead_owner_passes_to_the_next_or_frees_the_key() {
        let k = KeyedLocks::<u8>::new();
        k.lock(1, w(1, 1));
        k.lock(1, w(9, 1));
        k.lock(1, w(2, 1));
        k.unlock(&1, 1, |x| x.owner != 9).unwrap();
        assert_eq!(k.unlock(&1, 9, |_| true), Err(NotHeld));
        k.unlock(&1, 2, |_| true).unwrap();
        k.lock(2, w(1, 1));
        k.lock(2, w(9, 2));
        k.unlock(&2, 1, |_| false).unwrap();
        assert!(k.is_empty());
    }
}

#[cfg(all(test, not(loom)))]
mod thread_tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};
    use std::sync::mpsc;
    use std::sync::Arc;

    /// Real threads on 3 keys: at most one holder per key at any time, every
    /// request served exactly once, and nothing left afterwards.
    #[test]
    fn threads_exclude_each_other_per_key() {
        const THREADS: u32 = 4;
        const ROUNDS: u32 = 300;
        let k = Arc::new(KeyedLocks::<u32>::new());
        let inside: Arc<Vec<AtomicU32>> = Arc::new((0..3).map(|_| AtomicU32::new(0)).collect());
        let (senders, receivers): (Vec<_>, Vec<_>) = (0..THREADS).map(|_| mpsc::channel::<u32>()).unzip();
        let senders = Arc::new(senders);
        let handles: Vec<_> = receivers
            .into_iter()
            .enumerate()
            .map(|(me, rx)| {
                let (k, inside, senders) = (k.clone(), inside.clone(), senders.clone());
                std::thread::spawn(move || {
                    let me = me as u32;
                    for r in 0..ROUNDS {
                        let key = (r * 7 + me) % 3;
                        let deliver = |x: &KeyWaiter| senders[x.owner as usize].send(x.token).is_ok();
                        if let LockOutcome::Queued(_) = k.lock(key, KeyWaiter { owner: me, token: r }) {
                            assert_eq!(rx.recv().unwrap(), r, "exactly its own grant");
                        }
                        assert_eq!(
                            inside[key as usize].fetch_add(1, Ordering::SeqCst),
                            0,
                            "two holders of {key}"
                        );
                        std::thread::yield_now();
                        inside[key as usize].fetch_sub(1, Ordering::SeqCst);
                        k.unlock(&key, me, deliver).unwrap();
                    }
                })
            })
            .collect();
        for h in handles {
            h.join().unwrap();
        }
        assert!(k.is_empty());
    }
}
