//! Counting accepted values until they are marked done (Python's
//! `queue.Queue.task_done` / `join`, used by `AsyncQueue`): `unfinished`
//! counts values a send got in; `join` waiters are woken when it is 0.

use super::{Channel, Waiter, Wake};
use crate::semaphore::StateWord;
use crate::sync::lock;
use crate::waiter_queue::WaiterKey;

impl<V, W: StateWord> Channel<V, W> {
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
}
