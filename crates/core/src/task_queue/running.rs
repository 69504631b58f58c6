//! The tasks a worker runs at once, and the rules for a worker that runs
//! more than one (`concurrentTasksPerWorker`).
//!
//! # Contract
//! - A worker holds up to [`TaskQueue::set_concurrency`] tasks (default 1):
//!   [`TaskQueue::take`] gives it another while it runs fewer. With a
//!   `max_tasks` limit it never takes more than that many in its life.
//! - With one task per worker, a timeout ends the task and stops the worker
//!   (the watchdog does both). With more than one, stopping the worker would
//!   also kill its other tasks, so [`TaskQueue::expire`] only ends the task
//!   (the owner rejects it with a timeout) and the owner asks the worker to
//!   abort it. The task keeps its slot until its function returns (its
//!   result is then dropped) or it is abandoned (below), so the limit still
//!   bounds what runs.
//! - An aborted or timed-out task on a worker that runs several: the worker
//!   confirms from its event loop that it saw the abort
//!   ([`TaskQueue::abort_seen`]). If it has not within the grace period, it
//!   is stuck in synchronous code and must be stopped
//!   ([`TaskQueue::must_stop`]); its other tasks then fail as in a crash.
//!   With one task per worker the rule is unchanged: stop it if the task
//!   still runs after the grace period.
//! - A task that ignores its abort past the grace, on a worker that saw the
//!   abort, gives up its slot ([`TaskQueue::abandon`]): it may never return,
//!   and the worker's other slots must not be lost to it.
//!
//! # Implementation details
//! A `Vec` searched by id: it holds at most `concurrency` entries (one by
//! default, where it costs what the former `Option` did), and keeps its
//! capacity, so a take allocates nothing after the first.

use super::TaskQueue;
use std::time::{Duration, Instant};

/// A task a worker took and has not returned yet.
#[derive(Debug)]
pub(super) struct Running {
    pub(super) id: u64,
    pub(super) started: Instant,
    pub(super) wait: Duration,
    pub(super) timeout: Option<Duration>,
    pub(super) deadline: Option<Instant>,
    /// Settled for the caller already (it timed out on a worker that runs
    /// several tasks): it keeps its slot until it returns; its result is dropped.
    pub(super) ended: bool,
    /// The worker saw the abort of this task on its event loop.
    pub(super) abort_seen: bool,
}

/// The tasks one worker runs now.
#[derive(Debug, Default)]
pub(super) struct RunningSet(Vec<Running>);

impl RunningSet {
    /// Slots taken, by live and ended tasks alike.
    pub(super) fn len(&self) -> usize {
        self.0.len()
    }

    pub(super) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Tasks not settled yet (what the pool reports as running).
    pub(super) fn live(&self) -> impl Iterator<Item = &Running> {
        self.0.iter().filter(|r| !r.ended)
    }

    pub(super) fn get(&self, id: u64) -> Option<&Running> {
        self.0.iter().find(|r| r.id == id)
    }

    pub(super) fn get_mut(&mut self, id: u64) -> Option<&mut Running> {
        self.0.iter_mut().find(|r| r.id == id)
    }

    pub(super) fn push(&mut self, r: Running) {
        self.0.push(r);
    }

    pub(super) fn remove(&mut self, id: u64) -> Option<Running> {
        let i = self.0.iter().position(|r| r.id == id)?;
        Some(self.0.swap_remove(i))
    }

    pub(super) fn iter_mut(&mut self) -> impl Iterator<Item = &mut Running> {
        self.0.iter_mut()
    }

    pub(super) fn into_live_ids(self) -> Vec<u64> {
        self.0.into_iter().filter(|r| !r.ended).map(|r| r.id).collect()
    }
}

impl TaskQueue {
    /// Each worker runs up to `n` tasks at once (at least 1). Set it before
    /// workers take tasks.
    pub fn set_concurrency(&self, n: usize) {
        self.lock().limits.concurrent = n.max(1);
    }

    /// The worker that runs task `id` now (not settled yet), if any.
    pub fn runner_of(&self, id: u64) -> Option<u32> {
        let g = self.lock();
        g.workers
            .iter()
            .find(|(_, w)| w.running.live().any(|r| r.id == id))
            .map(|(&slot, _)| slot)
    }

    /// `worker` saw the abort of task `id` on its event loop: it is not stuck
    /// (see [`Self::must_stop`]). False if it no longer runs that task.
    pub fn abort_seen(&self, worker: u32, id: u64) -> bool {
        let mut g = self.lock();
        let Some(r) = g.workers.get_mut(&worker).and_then(|w| w.running.get_mut(id)) else {
            return false;
        };
        r.abort_seen = true;
        true
    }

    /// After an abort's (or a timeout's) grace period: whether the owner must
    /// stop `worker` for task `id`. One task per worker: if the task still
    /// runs. Several: if the worker has not confirmed the abort from its
    /// event loop (it is stuck in synchronous code), since stopping it fails
    /// its other tasks too.
    pub fn must_stop(&self, worker: u32, id: u64) -> bool {
        let g = self.lock();
        let Some(r) = g.workers.get(&worker).and_then(|w| w.running.get(id)) else {
            return false;
        };
        g.limits.concurrent == 1 || !r.abort_seen
    }

    /// `worker` gives up task `id`'s slot: the task was aborted (or timed
    /// out), the worker saw it, and it still had not returned after the
    /// grace period. Its result, if it ever comes, is dropped. False if the
    /// worker no longer runs it.
    pub fn abandon(&self, worker: u32, id: u64) -> bool {
        let mut g = self.lock();
        g.workers.get_mut(&worker).and_then(|w| w.running.remove(id)).is_some()
    }

    /// The tasks `worker` runs now and has not settled (in no set order).
    pub fn running_tasks(&self, worker: u32) -> Vec<u64> {
        let g = self.lock();
        g.workers
            .get(&worker)
            .map_or_else(Vec::new, |w| w.running.live().map(|r| r.id).collect())
    }
}
