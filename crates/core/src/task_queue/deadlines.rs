//! Task deadlines and the watchdog that enforces them.
//!
//! The [`Watchdog`] is one loop for every pool of the process: it sleeps
//! until the earliest deadline it has been told about ([`Watchdog::due`]),
//! then [`Watchdog::sweep`]s the pools: each running task whose deadline
//! passed ends with [`Outcome::TimedOut`], its worker is stopped (through
//! [`Supervised::stop_worker`]), the owner is woken, and the pool's next
//! deadline is re-armed. So it works while every JS thread is blocked, and
//! costs nothing while no task has a deadline.
//!
//! No deadline is missed: a take records its task (under the queue lock)
//! before it calls `due`. If that `due` comes before the loop clears its
//! alarm, the sweep that follows sees the task and re-arms it; if after, the
//! alarm keeps it.

use super::{CompleteResult, Completion, Outcome, Running, State, TaskQueue};
use crate::sync::Mutex;
use std::ops::Deref;
use std::time::Instant;

impl TaskQueue {
    /// Starts the run time of task `id` on `worker` now (a task taken with
    /// `deferred_clock`, once its data arrived). Returns its new deadline.
    pub fn start_clock(&self, worker: u32, id: u64, now: Instant) -> Option<Instant> {
        let mut g = self.lock();
        let r = g.workers.get_mut(&worker)?.running.as_mut().filter(|r| r.id == id)?;
        r.started = now;
        r.deadline = r.timeout.and_then(|t| now.checked_add(t));
        r.deadline
    }

    /// Ends every running task whose deadline is at or before `now` with
    /// [`Outcome::TimedOut`]; their workers are stopping. Returns `(worker,
    /// task)` pairs (the caller stops those threads) and whether the owner
    /// must be woken.
    pub fn expire(&self, now: Instant) -> (Vec<(u32, u64)>, bool) {
        let expired: Vec<(u32, Running)> = {
            let mut g = self.lock();
            g.workers
                .iter_mut()
                .filter(|(_, w)| w.running.as_ref().is_some_and(|r| r.deadline.is_some_and(|d| d <= now)))
                .map(|(&slot, w)| {
                    w.state = State::Stopping;
                    (slot, w.running.take().unwrap())
                })
                .collect()
        };
        let mut wake = false;
        let mut out = Vec::with_capacity(expired.len());
        for (worker, r) in expired {
            out.push((worker, r.id));
            // The values it yielded before its deadline go first.
            self.send_batch(worker, r.id, r.batch);
            let res = self.finish(Completion {
                id: r.id,
                outcome: Outcome::TimedOut,
                payload: Vec::new(),
                wait: r.wait,
                run: now.saturating_duration_since(r.started),
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
            .filter_map(|w| w.running.as_ref()?.deadline)
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
