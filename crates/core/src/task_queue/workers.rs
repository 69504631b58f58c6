//! Each worker's lifecycle, and the pool's grow and idle policy.
//!
//! A worker is recorded from its spawn ([`TaskQueue::spawned`]) until it is
//! gone ([`TaskQueue::worker_gone`]):
//!
//! ```text
//! Starting --register/take--> Serving --retire--> Retiring --take, queue empty--> Stopping
//!                               ^  |                 |
//!                               |  +-- stop, expire --)--------------------------> Stopping
//!                               +---- take, work queued
//! ```
//!
//! Every state ends with `worker_gone` (the thread exited). `Stopping`
//! workers never take another task. A worker that completed its
//! `max_tasks`-th task goes straight to `Stopping` ([`TaskQueue::set_max_tasks`]):
//! its result is queued first, and its next take tells it to leave. The owner's JS keeps no copy of these
//! states: it asks [`TaskQueue::counts`], [`TaskQueue::should_start_worker`]
//! and [`TaskQueue::retire_idle`].

use super::running::RunningSet;
use super::{Inner, TaskQueue};
use std::time::{Duration, Instant};

/// Where a worker is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    /// Spawned; its script is loading (it has not registered yet).
    Starting,
    /// Takes tasks.
    Serving,
    /// Asked to leave the next time it asks for work; work queued before
    /// then cancels that (it serves again).
    Retiring,
    /// Leaving for good (retired, its task timed out, or the owner stops
    /// it): it takes no task again, even if its running one returns.
    Stopping,
}

#[derive(Debug)]
pub(super) struct Worker {
    pub(super) state: State,
    /// It got as far as registering (its script loaded).
    pub(super) registered: bool,
    /// The tasks it runs now (up to the pool's `concurrent`).
    pub(super) running: RunningSet,
    /// When it last took or finished a task (or started).
    pub(super) last_active: Instant,
    /// A taken payload that did not fit the worker's buffer.
    pub(super) held: Option<Vec<u8>>,
    /// Tasks it completed (for the `max_tasks` retire rule).
    pub(super) completed: u64,
}

impl Worker {
    fn new(now: Instant) -> Self {
        Self {
            state: State::Starting,
            registered: false,
            running: RunningSet::default(),
            last_active: now,
            held: None,
            completed: 0,
        }
    }

    /// A worker first seen when it registers or asks for work.
    pub(super) fn started(now: Instant) -> Self {
        Self {
            state: State::Serving,
            registered: true,
            ..Self::new(now)
        }
    }

    fn idle(&self) -> bool {
        self.registered && self.running.is_empty() && self.state != State::Stopping
    }
}

/// How many workers the pool keeps, at least and at most.
#[derive(Debug, Clone, Copy)]
pub(super) struct Limits {
    pub(super) min: usize,
    pub(super) max: usize,
    /// A worker leaves after completing this many tasks (`None`: never).
    pub(super) max_tasks: Option<u64>,
    /// Tasks a worker runs at once (at least 1).
    pub(super) concurrent: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            min: 0,
            max: usize::MAX,
            max_tasks: None,
            concurrent: 1,
        }
    }
}

/// The pool's workers, by what they can do now.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Counts {
    /// May still take a task (not `Stopping`): what counts against the
    /// maximum, so the pool's size never exceeds it.
    pub taking: usize,
    /// Neither retiring nor stopping: what counts towards the minimum.
    pub staying: usize,
    /// Spawned and not registered yet.
    pub starting: usize,
    /// Registered, not running a task, not stopping: they take queued work
    /// by themselves.
    pub idle: usize,
    /// Registered and not stopping: a started worker serves the queue.
    pub serving: usize,
    /// Tasks the serving workers would take now, by themselves: `idle`
    /// when each runs one task at a time, more when they run several.
    pub free: usize,
}

/// What [`TaskQueue::retire_idle`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IdleCheck {
    /// Workers asked to retire now (the owner rings the doorbell so they ask).
    pub retired: usize,
    /// Whether the owner should check again later: more workers than the
    /// minimum stay, or a retirement is not final yet.
    pub watching: bool,
}

/// The outcome of [`TaskQueue::worker_gone`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Gone {
    /// The tasks it was running, now written off (the owner rejects them).
    pub tasks: Vec<u64>,
    /// It had registered; if not, it died while starting.
    pub started: bool,
}

impl Inner {
    /// `worker` completed a task: counts it, and retires the worker for good
    /// if that was its last one under `max_tasks`. Returns whether it did.
    pub(super) fn count_completed(&mut self, worker: u32) -> bool {
        let max_tasks = self.limits.max_tasks;
        let Some(w) = self.workers.get_mut(&worker) else {
            return false;
        };
        w.completed += 1;
        if max_tasks.is_some_and(|m| w.completed >= m) && w.state != State::Stopping {
            w.state = State::Stopping;
            return true;
        }
        false
    }

    pub(super) fn counts(&self) -> Counts {
        let mut c = Counts::default();
        for w in self.workers.values() {
            if w.state != State::Stopping {
                c.taking += 1;
            }
            match w.state {
                State::Starting => {
                    c.starting += 1;
                    c.staying += 1;
                }
                State::Serving => c.staying += 1,
                State::Retiring | State::Stopping => {}
            }
            if w.idle() {
                c.idle += 1;
            }
            if w.registered && w.state != State::Stopping {
                c.serving += 1;
                c.free += self.limits.concurrent.saturating_sub(w.running.len());
            }
        }
        c
    }

    /// One worker starting at a time; never more than the maximum taking
    /// tasks; start one while fewer than the minimum stay, or while more
    /// tasks wait than the serving workers will take (their free slots).
    pub(super) fn should_start_worker(&self) -> bool {
        let c = self.counts();
        c.starting == 0 && c.taking < self.limits.max && (c.staying < self.limits.min || self.queued.len() > c.free)
    }
}

impl TaskQueue {
    /// The pool keeps at least `min` workers and at most `max` taking tasks.
    pub fn set_limits(&self, min: usize, max: usize) {
        let mut g = self.lock();
        g.limits.min = min;
        g.limits.max = max;
    }

    /// The retire rule for leaky task code: a worker leaves for good once it
    /// has completed `max_tasks` tasks (`None` or `Some(0)`: never). Its last
    /// result is queued for the owner before it is marked `Stopping`, so it
    /// is never lost; a task it would have taken stays queued for another
    /// worker (or for its replacement, which [`Self::should_start_worker`]
    /// asks for, since a stopping worker no longer counts as taking).
    pub fn set_max_tasks(&self, max_tasks: Option<u64>) {
        self.lock().limits.max_tasks = max_tasks.filter(|&n| n > 0);
    }

    /// The owner spawned worker `worker`: it is starting.
    pub fn spawned(&self, worker: u32, now: Instant) {
        self.lock().workers.entry(worker).or_insert_with(|| Worker::new(now));
    }

    /// Worker `worker` registered (its script loaded): it serves.
    pub fn register(&self, worker: u32, now: Instant) {
        let mut g = self.lock();
        let w = g.workers.entry(worker).or_insert_with(|| Worker::started(now));
        w.registered = true;
        if w.state == State::Starting {
            w.state = State::Serving;
            w.last_active = now;
        }
    }

    /// Whether `worker` registered and is not gone.
    pub fn started(&self, worker: u32) -> bool {
        self.lock().workers.get(&worker).is_some_and(|w| w.registered)
    }

    /// `worker`'s state, or `None` if it is unknown or gone.
    pub fn state(&self, worker: u32) -> Option<State> {
        self.lock().workers.get(&worker).map(|w| w.state)
    }

    /// The workers by what they can do now.
    pub fn counts(&self) -> Counts {
        self.lock().counts()
    }

    /// Whether the owner should start a worker now (see [`Inner::should_start_worker`]).
    pub fn should_start_worker(&self) -> bool {
        self.lock().should_start_worker()
    }

    /// Whether `worker` is on its way out: asked to retire (and no work came
    /// in since), retired, or being stopped. Such a worker is no capacity.
    pub fn leaving(&self, worker: u32) -> bool {
        matches!(self.state(worker), Some(State::Retiring | State::Stopping))
    }

    /// Whether `worker` will never take another task: its task timed out (it
    /// is being stopped) or it retired for good. Unlike [`Self::leaving`], a
    /// worker only asked to retire is not stopping: work that comes in before
    /// it asks again cancels the retirement.
    pub fn stopping(&self, worker: u32) -> bool {
        self.state(worker) == Some(State::Stopping)
    }

    /// Marks `worker` as being stopped by its owner (a task aborted past its
    /// grace): it takes no other task, even if the one it runs returns before
    /// the thread is stopped, so a replacement may start at once without more
    /// than the allowed number of tasks running.
    pub fn stop(&self, worker: u32) {
        if let Some(w) = self.lock().workers.get_mut(&worker) {
            w.state = State::Stopping;
        }
    }

    /// Asks `worker` to leave the next time it asks for work, unless it is
    /// not serving, running a task now, or work is queued (then it is still
    /// needed).
    pub fn retire(&self, worker: u32) -> bool {
        let mut guard = self.lock();
        let g = &mut *guard;
        let Some(w) = g.workers.get_mut(&worker) else {
            return false;
        };
        if w.state != State::Serving || !w.registered || !w.running.is_empty() || !g.queued.is_empty() {
            return false;
        }
        w.state = State::Retiring;
        true
    }

    /// The idle policy: retires serving workers that have been idle for
    /// `idle_for` or longer, oldest slot first, as long as more than the
    /// minimum stay.
    pub fn retire_idle(&self, now: Instant, idle_for: Duration) -> IdleCheck {
        let mut guard = self.lock();
        let g = &mut *guard;
        let mut staying = g.counts().staying;
        let mut retired = 0;
        if g.queued.is_empty() {
            let mut slots: Vec<u32> = g.workers.keys().copied().collect();
            slots.sort_unstable();
            for slot in slots {
                if staying <= g.limits.min {
                    break;
                }
                let w = g.workers.get_mut(&slot).unwrap();
                if w.state == State::Serving && w.idle() && now.saturating_duration_since(w.last_active) >= idle_for {
                    w.state = State::Retiring;
                    staying -= 1;
                    retired += 1;
                }
            }
        }
        let pending = g.workers.values().any(|w| w.state == State::Retiring);
        IdleCheck {
            retired,
            watching: staying > g.limits.min || pending,
        }
    }

    /// The worker died: forgets it. Its running tasks are written off (not
    /// those already settled: a timed-out one that had kept its slot).
    pub fn worker_gone(&self, worker: u32) -> Gone {
        match self.lock().workers.remove(&worker) {
            Some(w) => Gone {
                tasks: w.running.into_live_ids(),
                started: w.registered,
            },
            None => Gone {
                tasks: Vec::new(),
                started: false,
            },
        }
    }

    /// How many workers the queue keeps a record for. Every record goes with
    /// [`TaskQueue::worker_gone`], so this never exceeds the live workers:
    /// crashes and restarts leave nothing behind.
    pub fn tracked_workers(&self) -> usize {
        self.lock().workers.len()
    }
}
