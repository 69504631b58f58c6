//! The worker pool's scheduler: a priority queue of serialized tasks that
//! workers pull from themselves, the one record of each worker (its
//! lifecycle, its running tasks), and a completion queue that the pool's
//! owner drains in batches.
//!
//! # Contract
//! - [`TaskQueue::push`] queues a task. Lower `priority` numbers are taken
//!   first, and tasks of equal priority are taken in push order.
//! - [`TaskQueue::take`] hands the next task to a worker and records it as
//!   one of that worker's running tasks. A worker runs one task at a time,
//!   or up to [`TaskQueue::set_concurrency`] ([`running`]).
//! - Every task that was taken ends in exactly one of: [`TaskQueue::complete`]
//!   (the worker's result), [`TaskQueue::expire`] (its deadline passed; the
//!   caller must stop the worker, unless it runs several tasks), or [`TaskQueue::worker_gone`] (the worker
//!   died; the caller rejects the task with the cause it knows). Whichever
//!   comes first wins, and the others find nothing, so a task is never
//!   settled twice and never lost.
//! - A queued task can be cancelled in O(log n) ([`TaskQueue::cancel`]).
//! - Each worker's state (starting → serving → retiring/stopping → gone) and
//!   the pool's grow and idle policy are decided here ([`workers`]); the
//!   owner's JS only asks. Deadlines and the watchdog loop are in
//!   [`deadlines`], the task-name registry in [`names`].
//!
//! # Implementation details
//! The queue is a `BTreeMap` keyed by `(priority, sequence)`, plus an index
//! from task id to key for cancellation. A crossbeam channel would give FIFO
//! only; priorities and O(log n) removal need an ordered map, and the lock is
//! held for a few hundred nanoseconds per operation. Completions go through
//! a crossbeam channel (many workers push, one owner drains), and a
//! `wake_scheduled` flag makes sure the owner is woken once per batch rather
//! than once per completion: the pusher that flips it from false to true
//! must wake the owner; the owner clears it before draining.

use crate::sync::{AtomicBool, Mutex, Ordering};
use running::Running;
use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant};
use workers::{Limits, State, Worker};

pub mod deadlines;
pub mod names;
pub mod running;
pub mod workers;

#[cfg(test)]
mod concurrent_tests;
#[cfg(test)]
mod lifecycle_tests;
#[cfg(test)]
mod max_tasks_tests;
#[cfg(test)]
mod tests;

/// How a task ended. The numbers are part of the contract with `lib/pool/`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Outcome {
    /// The task function returned; the payload is its serialized result.
    Fulfilled = 0,
    /// The task function threw; the payload is the serialized error.
    Rejected = 1,
    /// The task ran past its deadline; the worker must be stopped.
    TimedOut = 2,
    /// Not an end: a value the running task reported (`context.progress`).
    /// It reaches the owner in order with the task's other items, and
    /// always before the task's own completion.
    Progress = 3,
}

/// A task waiting in the queue.
#[derive(Debug)]
pub struct Task {
    pub id: u64,
    pub priority: i32,
    /// Index of the exported function to call (0 = the default export).
    pub name: u32,
    pub payload: Vec<u8>,
    /// Longest run time, counted from when a worker takes it (or, with
    /// `deferred_clock`, from when the worker starts it).
    pub timeout: Option<Duration>,
    /// Its run time starts with [`TaskQueue::start_clock`], not at the take:
    /// the worker must first fetch its data from the owner thread, which may
    /// be busy, and that wait is not the task's run time.
    pub deferred_clock: bool,
    pub submitted: Instant,
}

/// What a worker gets from [`TaskQueue::take`].
#[derive(Debug)]
pub struct Taken {
    pub id: u64,
    pub name: u32,
    pub payload: Vec<u8>,
    pub deadline: Option<Instant>,
}

/// A settled task, as the owner drains it.
#[derive(Debug)]
pub struct Completion {
    pub id: u64,
    pub outcome: Outcome,
    pub payload: Vec<u8>,
    /// Time spent queued.
    pub wait: Duration,
    /// Time spent running (until the deadline, for a timed-out task).
    pub run: Duration,
    pub worker: u32,
}

/// What [`TaskQueue::push`] did.
#[derive(Debug, PartialEq, Eq)]
pub enum Pushed {
    /// Queued; `start_worker` is [`TaskQueue::should_start_worker`] at that
    /// moment, so the owner learns it with no second call.
    Queued { len: usize, start_worker: bool },
    /// A task with that id is already queued.
    Duplicate,
}

/// What [`TaskQueue::complete`] did with a result.
#[derive(Debug, PartialEq, Eq)]
pub enum CompleteResult {
    /// Queued for the owner; `wake` says the owner must be woken.
    Accepted { wake: bool },
    /// The worker was not running that task any more (it had timed out or
    /// been written off); the result was dropped.
    Stale,
}

#[derive(Debug, Default)]
struct Inner {
    queued: BTreeMap<(i32, u64), Task>,
    keys: HashMap<u64, (i32, u64)>,
    next_seq: u64,
    /// Every worker from its spawn (or first call) until it is gone.
    workers: HashMap<u32, Worker>,
    limits: Limits,
}

/// What a worker should do after asking for work.
#[derive(Debug)]
pub enum Next {
    Run(Taken),
    /// Nothing queued: wait for a doorbell.
    Empty,
    /// The owner retired this worker: exit.
    Retire,
}

pub struct TaskQueue {
    inner: Mutex<Inner>,
    done_tx: crossbeam_channel::Sender<Completion>,
    done_rx: crossbeam_channel::Receiver<Completion>,
    /// A completion too big for the owner's buffer, kept for its next drain.
    held: Mutex<Option<Completion>>,
    wake_scheduled: AtomicBool,
    /// The owner wants to hear of takes too (it has callers waiting for room).
    watch_takes: AtomicBool,
}

impl Default for TaskQueue {
    fn default() -> Self {
        Self::new()
    }
}

impl TaskQueue {
    pub fn new() -> Self {
        let (done_tx, done_rx) = crossbeam_channel::unbounded();
        Self {
            inner: Mutex::new(Inner::default()),
            done_tx,
            done_rx,
            held: Mutex::new(None),
            wake_scheduled: AtomicBool::new(false),
            watch_takes: AtomicBool::new(false),
        }
    }

    fn lock(&self) -> impl std::ops::DerefMut<Target = Inner> + '_ {
        // A panic while holding the lock cannot leave `Inner` half-updated in
        // a way that matters more than losing the pool, so keep going.
        crate::sync::lock(&self.inner)
    }

    /// Queues a task. A task id that is already queued is refused.
    pub fn push(&self, task: Task) -> Pushed {
        let mut g = self.lock();
        if g.keys.contains_key(&task.id) {
            return Pushed::Duplicate;
        }
        let key = (task.priority, g.next_seq);
        g.next_seq += 1;
        g.keys.insert(task.id, key);
        g.queued.insert(key, task);
        Pushed::Queued {
            len: g.queued.len(),
            start_worker: g.should_start_worker(),
        }
    }

    /// Removes a queued task. False if it is not queued (taken, or unknown).
    pub fn cancel(&self, id: u64) -> bool {
        let mut g = self.lock();
        match g.keys.remove(&id) {
            Some(key) => g.queued.remove(&key).is_some(),
            None => false,
        }
    }

    /// Removes every queued task; returns their ids in queue order.
    pub fn clear(&self) -> Vec<u64> {
        let mut g = self.lock();
        g.keys.clear();
        std::mem::take(&mut g.queued).into_values().map(|t| t.id).collect()
    }

    pub fn len(&self) -> usize {
        self.lock().queued.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Number of tasks being run (taken, not settled).
    pub fn running(&self) -> usize {
        self.lock().workers.values().map(|w| w.running.live().count()).sum()
    }

    /// Gives `worker` the next task. A worker that runs as many tasks as it
    /// may ([`Self::set_concurrency`]; with `max_tasks`, no more than that in
    /// its life) records nothing new: one must complete first (it gets
    /// `Empty`). A worker that asks for work has started, whether or not it
    /// registered.
    pub fn take(&self, worker: u32, now: Instant) -> Next {
        let mut guard = self.lock();
        let g = &mut *guard;
        let w = g.workers.entry(worker).or_insert_with(|| Worker::started(now));
        w.registered = true;
        match w.state {
            State::Stopping => return Next::Retire,
            // Work queued after the retirement was decided: still needed.
            State::Retiring if g.queued.is_empty() => {
                w.state = State::Stopping; // leaving for good
                return Next::Retire;
            }
            State::Retiring | State::Starting => w.state = State::Serving,
            State::Serving => {}
        }
        // Several at once: never more than max_tasks in its life, so it can
        // retire once they are done (one at a time, count_completed does it).
        if w.running.len() >= g.limits.concurrent
            || (g.limits.concurrent > 1
                && g.limits
                    .max_tasks
                    .is_some_and(|m| w.completed + w.running.len() as u64 >= m))
        {
            return Next::Empty;
        }
        let Some((_, task)) = g.queued.pop_first() else {
            return Next::Empty;
        };
        g.keys.remove(&task.id);
        let deadline = if task.deferred_clock {
            None
        } else {
            task.timeout.and_then(|t| now.checked_add(t))
        };
        w.last_active = now;
        w.running.push(Running {
            id: task.id,
            started: now,
            wait: now.saturating_duration_since(task.submitted),
            timeout: task.timeout,
            deadline,
            ended: false,
            abort_seen: false,
        });
        Next::Run(Taken {
            id: task.id,
            name: task.name,
            payload: task.payload,
            deadline,
        })
    }

    /// Keeps the payload of `worker`'s task that did not fit its buffer,
    /// until [`Self::take_held`] (or the worker is gone).
    pub fn hold_payload(&self, worker: u32, payload: Vec<u8>) {
        if let Some(w) = self.lock().workers.get_mut(&worker) {
            w.held = Some(payload);
        }
    }

    /// The payload [`Self::hold_payload`] kept for `worker`, if it fits
    /// `room` bytes (else it stays held and `None` is returned).
    pub fn take_held(&self, worker: u32, room: usize) -> Option<Vec<u8>> {
        let mut g = self.lock();
        let w = g.workers.get_mut(&worker)?;
        if w.held.as_ref()?.len() > room {
            return None;
        }
        w.held.take()
    }

    /// Whether the owner wants to be woken when a worker takes a task (the
    /// queue shrank: callers may be waiting for room).
    pub fn watch_takes(&self, on: bool) {
        self.watch_takes.store(on, Ordering::Release);
    }

    /// After a take: whether the caller must wake the owner (it watches
    /// takes, and no wake is scheduled yet).
    pub fn take_wakes_owner(&self) -> bool {
        self.watch_takes.load(Ordering::Acquire) && !self.wake_scheduled.swap(true, Ordering::AcqRel)
    }

    /// Records `worker`'s result for task `id`. A task that timed out while
    /// its worker ran others gives back its slot, and its result is dropped.
    pub fn complete(&self, worker: u32, id: u64, rejected: bool, payload: Vec<u8>, now: Instant) -> CompleteResult {
        let run = {
            let mut g = self.lock();
            let Some(w) = g.workers.get_mut(&worker) else {
                return CompleteResult::Stale;
            };
            let Some(run) = w.running.remove(id) else {
                return CompleteResult::Stale;
            };
            w.last_active = now;
            g.count_completed(worker);
            if run.ended {
                return CompleteResult::Stale;
            }
            run
        };
        let outcome = if rejected {
            Outcome::Rejected
        } else {
            Outcome::Fulfilled
        };
        self.finish(Completion {
            id,
            outcome,
            payload,
            wait: run.wait,
            run: now.saturating_duration_since(run.started),
            worker,
        })
    }

    /// A progress value from task `id`, still running on `worker`: queued
    /// for the owner like a completion (same queue, so in order and before
    /// the task's end), but the task goes on. `Stale` if the worker is no
    /// longer running that task (it ended, timed out or was written off).
    pub fn progress(&self, worker: u32, id: u64, payload: Vec<u8>) -> CompleteResult {
        {
            let g = self.lock();
            let running = g.workers.get(&worker).and_then(|w| w.running.get(id));
            if running.is_none_or(|r| r.ended) {
                return CompleteResult::Stale;
            }
            // Sent under the lock: a completion of the same task (which
            // needs it) cannot get ahead of this value.
            let _ = self.done_tx.send(Completion {
                id,
                outcome: Outcome::Progress,
                payload,
                wait: Duration::ZERO,
                run: Duration::ZERO,
                worker,
            });
        }
        CompleteResult::Accepted {
            wake: !self.wake_scheduled.swap(true, Ordering::AcqRel),
        }
    }

    fn finish(&self, c: Completion) -> CompleteResult {
        // The receiver lives as long as `self`, so sending cannot fail.
        let _ = self.done_tx.send(c);
        CompleteResult::Accepted {
            wake: !self.wake_scheduled.swap(true, Ordering::AcqRel),
        }
    }

    /// Clears the wake flag: after it, an item pushed before the clear is
    /// in the queue, and one pushed after it wakes the owner. An RMW, so
    /// that when it reads a pusher's `swap(true)` it synchronizes with it,
    /// and sees what it pushed.
    pub fn begin_drain(&self) {
        self.wake_scheduled.swap(false, Ordering::SeqCst);
    }

    /// The next settled task, if any.
    pub fn next_completion(&self) -> Option<Completion> {
        self.done_rx.try_recv().ok()
    }

    /// The owner's drain: hands up to `max` settled tasks to `write`, with
    /// the offset of each payload when they are laid out back to back in a
    /// buffer of `room` bytes. A completion that does not fit is kept for
    /// the next call (which starts with it); if it is the first one, the
    /// result is `Err(its length)`: the caller needs a larger buffer.
    ///
    /// The owner calls it until it returns `Ok(0)`. The wake flag stays set
    /// until then, so workers that complete or report progress while the owner is
    /// still draining do not wake it again: it will find their items. Only
    /// the call that finds nothing clears the flag (and looks once more).
    pub fn drain(&self, max: usize, room: usize, mut write: impl FnMut(&Completion, usize)) -> Result<usize, usize> {
        let mut held = crate::sync::lock(&self.held);
        let n = self.drain_into(&mut held, max, room, &mut write)?;
        if n > 0 {
            return Ok(n);
        }
        self.begin_drain();
        self.drain_into(&mut held, max, room, &mut write)
    }

    fn drain_into(
        &self,
        held: &mut Option<Completion>,
        max: usize,
        room: usize,
        write: &mut impl FnMut(&Completion, usize),
    ) -> Result<usize, usize> {
        let (mut count, mut offset) = (0, 0);
        while count < max {
            let Some(c) = held.take().or_else(|| self.next_completion()) else {
                break;
            };
            let len = c.payload.len();
            if offset + len > room {
                *held = Some(c);
                if count == 0 {
                    return Err(len);
                }
                break;
            }
            write(&c, offset);
            offset += len;
            count += 1;
        }
        Ok(count)
    }
}
