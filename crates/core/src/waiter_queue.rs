//! A FIFO queue with O(1) push, pop and removal of any element by key.
//!
//! Waiters that time out or are aborted must leave the queue at once, without
//! a linear scan and without leaving tombstones behind (a lock held for a long
//! time with many timed-out waiters would otherwise grow without bound). The
//! queue is an intrusive doubly linked list whose nodes live in a [`Slab`].
//!
//! Priorities: [`push`](WaiterQueue::push) places an element after every
//! element of a lower or equal priority (lower first, FIFO within one). The
//! tail of each priority's run is kept in a `BTreeMap`, so a push is
//! O(log p) for p priorities in use. While every element has priority 0 the
//! map stays empty and [`push_back`](WaiterQueue::push_back) costs what it did.
//!
//! Keys are reused after removal, so a key alone does not identify a waiter
//! forever; callers that hold keys across unlocks must check the value they
//! get back (the semaphore compares the owner and token).

use slab::Slab;
use std::collections::BTreeMap;

/// Handle to an element of a [`WaiterQueue`].
pub type WaiterKey = usize;

const NIL: usize = usize::MAX;

struct Node<T> {
    value: T,
    prev: usize,
    next: usize,
    priority: i32,
}

/// FIFO (by priority, then arrival) with O(1) removal by key.
pub struct WaiterQueue<T> {
    nodes: Slab<Node<T>>,
    head: usize,
    tail: usize,
    /// Priority -> the last node of its run; empty while every node has priority 0.
    tails: BTreeMap<i32, usize>,
}

impl<T> Default for WaiterQueue<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T> WaiterQueue<T> {
    pub fn new() -> Self {
        Self {
            nodes: Slab::new(),
            head: NIL,
            tail: NIL,
            tails: BTreeMap::new(),
        }
    }

    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    /// Queues `value` with priority 0 (at the back while no other priority
    /// is queued) and returns its key.
    pub fn push_back(&mut self, value: T) -> WaiterKey {
        self.push(value, 0)
    }

    /// Queues `value` after every element whose priority is lower or equal,
    /// and returns its key.
    pub fn push(&mut self, value: T, priority: i32) -> WaiterKey {
        if self.tails.is_empty() && priority != 0 && self.tail != NIL {
            // Until now all were 0: the run of 0 ends at the tail.
            self.tails.insert(0, self.tail);
        }
        let after = if self.tails.is_empty() {
            self.tail
        } else {
            self.tails.range(..=priority).next_back().map_or(NIL, |(_, &k)| k)
        };
        let next = if after == NIL {
            self.head
        } else {
            self.nodes[after].next
        };
        let key = self.nodes.insert(Node {
            value,
            prev: after,
            next,
            priority,
        });
        if after == NIL {
            self.head = key;
        } else {
            self.nodes[after].next = key;
        }
        if next == NIL {
            self.tail = key;
        } else {
            self.nodes[next].prev = key;
        }
        if priority != 0 || !self.tails.is_empty() {
            self.tails.insert(priority, key);
        }
        key
    }

    pub fn front(&self) -> Option<&T> {
        if self.head == NIL {
            None
        } else {
            Some(&self.nodes[self.head].value)
        }
    }

    pub fn pop_front(&mut self) -> Option<T> {
        if self.head == NIL {
            None
        } else {
            self.remove(self.head)
        }
    }

    pub fn get(&self, key: WaiterKey) -> Option<&T> {
        self.nodes.get(key).map(|n| &n.value)
    }

    /// Removes the element with `key`, wherever it is. `None` if absent.
    pub fn remove(&mut self, key: WaiterKey) -> Option<T> {
        let node = self.nodes.try_remove(key)?;
        if self.tails.get(&node.priority) == Some(&key) {
            if node.prev != NIL && self.nodes[node.prev].priority == node.priority {
                self.tails.insert(node.priority, node.prev);
            } else {
                self.tails.remove(&node.priority);
            }
        }
        if self.nodes.is_empty() {
            self.tails.clear();
        }
        if node.prev == NIL {
            self.head = node.next;
        } else {
            self.nodes[node.prev].next = node.next;
        }
        if node.next == NIL {
            self.tail = node.prev;
        } else {
            self.nodes[node.next].prev = node.prev;
        }
        Some(node.value)
    }

    /// Removes every element for which `pred` is true, keeping the order of
    /// the others. O(n); used only when a thread dies.
    pub fn remove_where(&mut self, mut pred: impl FnMut(&T) -> bool) -> Vec<T> {
        let mut removed = Vec::new();
        let mut cur = self.head;
        while cur != NIL {
            let next = self.nodes[cur].next;
            if pred(&self.nodes[cur].value) {
                removed.extend(self.remove(cur));
            }
            cur = next;
        }
        removed
    }

    /// Iterates front to back.
    pub fn iter(&self) -> impl Iterator<Item = &T> + '_ {
        let mut cur = self.head;
        std::iter::from_fn(move || {
            if cur == NIL {
                return None;
            }
            let node = &self.nodes[cur];
            cur = node.next;
            Some(&node.value)
        })
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    fn drain(q: &mut WaiterQueue<u32>) -> Vec<u32> {
        std::iter::from_fn(|| q.pop_front()).collect()
    }

    #[test]
    fn fifo_order() {
        let mut q = WaiterQueue::new();
        for i in 0..5 {
            q.push_back(i);
        }
        assert_eq!(q.len(), 5);
        assert_eq!(drain(&mut q), vec![0, 1, 2, 3, 4]);
        assert!(q.is_empty());
    }

    #[test]
    fn remove_head_middle_tail() {
        let mut q = WaiterQueue::new();
        let keys: Vec<_> = (0..6).map(|i| q.push_back(i)).collect();
        assert_eq!(q.remove(keys[0]), Some(0));
        assert_eq!(q.remove(keys[3]), Some(3));
        assert_eq!(q.remove(keys[5]), Some(5));
        assert_eq!(q.remove(keys[5]), None, "second removal finds nothing");
        assert_eq!(q.iter().copied().collect::<Vec<_>>(), vec![1, 2, 4]);
        q.push_back(9);
        assert_eq!(drain(&mut q), vec![1, 2, 4, 9]);
    }

    #[test]
    fn remove_where_keeps_order() {
        let mut q = WaiterQueue::new();
        for i in 0..10 {
            q.push_back(i);
        }
        let removed = q.remove_where(|v| v % 3 == 0);
        assert_eq!(removed, vec![0, 3, 6, 9]);
        assert_eq!(drain(&mut q), vec![1, 2, 4, 5, 7, 8]);
    }

    #[test]
    fn lower_priority_first_fifo_within_one() {
        let mut q = WaiterQueue::new();
        q.push_back(1);
        q.push(2, 5);
        q.push_back(3);
        q.push(4, -1);
        let k = q.push(5, 5);
        q.push(6, -1);
        assert_eq!(q.iter().copied().collect::<Vec<_>>(), vec![4, 6, 1, 3, 2, 5]);
        assert_eq!(q.remove(k), Some(5));
        q.push(7, 5);
        q.push(8, 2);
        assert_eq!(drain(&mut q), vec![4, 6, 1, 3, 8, 2, 7]);
        q.push_back(9);
        q.push_back(10);
        assert_eq!(drain(&mut q), vec![9, 10], "an emptied queue is plain FIFO again");
    }

    #[test]
    fn priorities_match_a_model_under_random_operations() {
        let mut seed = 0x2545_F491_u32;
        let mut rnd = move || {
            seed ^= seed << 13;
            seed ^= seed >> 17;
            seed ^= seed << 5;
            seed
        };
        let mut q = WaiterQueue::new();
        // (priority, arrival, key), kept sorted by (priority, arrival).
        let mut model: Vec<(i32, u32, WaiterKey)> = Vec::new();
        for step in 0..20_000u32 {
            match rnd() % 3 {
                0 => {
                    let p = (rnd() % 5) as i32 - 2;
                    let p = if rnd() % 2 == 0 { 0 } else { p };
                    let key = q.push(step, p);
                    model.push((p, step, key));
                    model.sort_by_key(|m| (m.0, m.1));
                }
                1 => assert_eq!(q.pop_front(), (!model.is_empty()).then(|| model.remove(0).1)),
                _ if !model.is_empty() => {
                    let i = rnd() as usize % model.len();
                    let (_, v, key) = model.remove(i);
                    assert_eq!(q.remove(key), Some(v));
                }
                _ => {}
            }
            assert_eq!(q.len(), model.len());
        }
        assert_eq!(
            q.iter().copied().collect::<Vec<_>>(),
            model.iter().map(|m| m.1).collect::<Vec<_>>()
        );
    }

    #[test]
    fn matches_a_model_under_random_operations() {
        // Deterministic xorshift so the test needs no dependency.
        let mut seed = 0x9E37_79B9_u32;
        let mut rnd = move || {
            seed ^= seed << 13;
            seed ^= seed >> 17;
            seed ^= seed << 5;
            seed
        };
        let mut q = WaiterQueue::new();
        let mut model: Vec<(WaiterKey, u32)> = Vec::new();
        for step in 0..20_000u32 {
            match rnd() % 3 {
                0 => model.push((q.push_back(step), step)),
                1 => assert_eq!(q.pop_front(), (!model.is_empty()).then(|| model.remove(0).1)),
                _ if !model.is_empty() => {
                    let i = rnd() as usize % model.len();
                    let (key, v) = model.remove(i);
                    assert_eq!(q.remove(key), Some(v));
                }
                _ => {}
            }
            assert_eq!(q.len(), model.len());
        }
        assert_eq!(
            q.iter().copied().collect::<Vec<_>>(),
            model.iter().map(|m| m.1).collect::<Vec<_>>()
        );
    }
}
