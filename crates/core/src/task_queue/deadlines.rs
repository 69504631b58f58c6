//! Task deadlines and the watchdog that enforces them.
//!
//! The [`Watchdog`] is one loop for every pool of the process: it sleeps
//! until the earliest deadline it has been told about ([`Watchdog::due`]),
//! then [`Watchdog::sweep`]s the pools: each running task whose deadline
//! passed ends with [`Outcome::TimedOut`], its worker is stopped (through
//! [`Supervised::stop_worker`]; a worker that runs several tasks at once is
//! left to the owner's grace rule instead, see [`super::running`]), the owner is woken, and the pool's next
//! deadline is re-armed. So it works while every JS thread is blocked, and
//! costs nothing while no task has a deadline.
//!
//! No deadline is missed: a take records its task (under the queue lock)
//! before it calls `due`. If that `due` comes before the loop clears its
//! alarm, the sweep that follows sees the task and re-arms it; if after, the
//! alarm keeps it.

use super::running::RunningSet;
use super::{CompleteResult, Completion, Outcome, State, TaskQueue};
use crate::sync::Mutex;
use std::ops::Deref;
use std::time::{Duration, Instant};

impl TaskQueue {
    /// Starts the run time of task `id` on `worker` now (a task taken with
    /// `deferred_clock`, once its data arrived). Returns its new deadline.
    pub fn start_clock(&self, worker: u32, id: u64, now: Instant) -> Option<Instant> {
        let mut g = self.lock();
        let r = g.workers.get_mut(&worker)?.running.get_mut(id)?;
        r.started = now;
        r.deadline = r.timeout.and_then(|t| now.checked_add(t));
        r.deadline
    }

    /// Ends every running task whose deadline is at or before `now` with
    /// [`Outcome::TimedOut`]. A worker that runs one task at a time is
    /// stopping: returns its `(worker, task)` pair (the caller stops that
    /// thread). A worker that runs several is not stopped here (see
    /// [`super::running`]): its task keeps its slot until it returns (or is abandoned). Also
    /// returns whether the owner must be woken.
    pub fn expire(&self, now: Instant) -> (Vec<(u32, u64)>, bool) {
        let (expired, shared) = {
            let mut g = self.lock();
            let shared = g.limits.concurrent > 1;
            let mut expired: Vec<(u32, u64, Duration, Instant)> = Vec::new();
            for (&slot, w) in g.workers.iter_mut() {
                for r in w.running.iter_mut() {
                    if r.ended || r.deadline.is_none_or(|d| d > now) {
                        continue;
                    }
                    expired.push((slot, r.id, r.wait, r.started));
                    r.ended = true;
                    r.deadline = None;
                }
                if !shared && expired.last().is_some_and(|e| e.0 == slot) {
                    w.state = State::Stopping;
                    w.running = RunningSet::default();
                }
            }
            (expired, shared)
        };
        let mut wake = false;
        let mut out = Vec::with_capacity(expired.len());
        for (worker, id, wait, started) in expired {
            if !shared {
                out.push((worker, id));
            }
            let res = self.finish(Completion {
                id,
                outcome: Outcome::TimedOut,
                payload: Vec::new(),
                wait,
                run: now.saturating_duration_since(started),
                worker,
            });
            wake |= res == CompleteResult::Accepted { wake: true };
        }
        (out, wake)
    }

    /// The earliest deadline among running tasks.
    pub fn next_deadline(&self) -> Option<Instant> {
        self.lock()
            .workers
            .values()
            .flat_map(|w| w.running.live().filter_map(|r| r.deadline))
            .min()
    }
}

/// A pool as the watchdog sees it.
pub trait Supervised {
    fn queue(&self) -> &TaskQueue;
    /// Stops the thread of `worker`, whose task timed out.
    fn stop_worker(&self, worker: u32);
    /// Wakes the pool's owner: a timed-out task is waiting to be drained.
    fn wake_owner(&self);
}

/// What the watchdog loop does next (see [`Watchdog::poll`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Poll {
    /// No deadline known: sleep until one is.
    Idle,
    /// Sleep until then (or until an earlier deadline is due).
    Until(Instant),
    /// A deadline passed: sweep the pools now (the alarm is cleared).
    Sweep,
}

/// The deadline loop's state: the earliest deadline it has been told about.
pub struct Watchdog {
    next: Mutex<Option<Instant>>,
    #[cfg(not(loom))]
    cv: std::sync::Condvar,
}

impl Default for Watchdog {
    fn default() -> Self {
        Self::new()
    }
}

impl Watchdog {
    pub fn new() -> Self {
        Self {
            next: Mutex::new(None),
            #[cfg(not(loom))]
            cv: std::sync::Condvar::new(),
        }
    }

    /// A task's deadline: wake up by then.
    pub fn due(&self, deadline: Instant) {
        let mut next = crate::sync::lock(&self.next);
        if next.is_none_or(|n| deadline < n) {
            *next = Some(deadline);
            #[cfg(not(loom))]
            self.cv.notify_one();
        }
    }

    /// The alarm: the earliest deadline not swept yet.
    pub fn next(&self) -> Option<Instant> {
        *crate::sync::lock(&self.next)
    }

    /// What to do at `now`; clears the alarm when it says [`Poll::Sweep`].
    pub fn poll(&self, now: Instant) -> Poll {
        Self::poll_locked(&mut crate::sync::lock(&self.next), now)
    }

    fn poll_locked(next: &mut Option<Instant>, now: Instant) -> Poll {
        match *next {
            None => Poll::Idle,
            Some(at) if at > now => Poll::Until(at),
            Some(_) => {
                *next = None;
                Poll::Sweep
            }
        }
    }

    /// Ends the tasks of `pools` whose deadline is at or before `now`, stops
    /// their workers, wakes the owners, and re-arms the next deadlines.
    /// `pools` holds them by any pointer (`&Pool`, `Arc<Pool>`).
    pub fn sweep<P: Deref<Target: Supervised>>(&self, pools: &[P], now: Instant) {
        for p in pools {
            let q = p.queue();
            let (expired, wake) = q.expire(now);
            for (worker, _) in expired {
                p.stop_worker(worker);
            }
            if wake {
                p.wake_owner();
            }
            if let Some(d) = q.next_deadline() {
                self.due(d);
            }
        }
    }

    /// Blocks until a deadline passed; returns the time it woke.
    #[cfg(not(loom))]
    pub fn wait(&self) -> Instant {
        let mut next = crate::sync::lock(&self.next);
        loop {
            let now = Instant::now();
            next = match Self::poll_locked(&mut next, now) {
                Poll::Sweep => return now,
                Poll::Idle => self.cv.wait(next).unwrap_or_else(|e| e.into_inner()),
                Poll::Until(at) => {
                    self.cv
                        .wait_timeout(next, at - now)
                        .unwrap_or_else(|e| e.into_inner())
                        .0
                }
            };
        }
    }

    /// The loop: wait for a deadline, sweep the pools that `pools` lists
    /// then, forever.
    #[cfg(not(loom))]
    pub fn run<P: Deref<Target: Supervised>>(&self, mut pools: impl FnMut() -> Vec<P>) -> ! {
        loop {
            let now = self.wait();
            self.sweep(&pools(), now);
        }
    }
}
