//! The worker pool's scheduler: a priority queue of serialized tasks that
//! workers pull from themselves, a record of what each worker is running,
//! and a completion queue that the pool's owner drains in batches.
//!
//! # Contract
//! - [`TaskQueue::push`] queues a task. Lower `priority` numbers are taken
//!   first, and tasks of equal priority are taken in push order.
//! - [`TaskQueue::take`] hands the next task to a worker and records it as
//!   that worker's running task. A worker runs one task at a time.
//! - Every task that was taken ends in exactly one of: [`TaskQueue::complete`]
//!   (the worker's result), [`TaskQueue::expire`] (its deadline passed; the
//!   caller must stop the worker), or [`TaskQueue::worker_gone`] (the worker
//!   died; the caller rejects the task with the cause it knows). Whichever
//!   comes first wins, and the others find nothing, so a task is never
//!   settled twice and never lost.
//! - A queued task can be cancelled in O(log n) ([`TaskQueue::cancel`]).
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
use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant};

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

/// What [`TaskQueue::complete`] did with a result.
#[derive(Debug, PartialEq, Eq)]
pub enum CompleteResult {
    /// Queued for the owner; `wake` says the owner must be woken.
    Accepted { wake: bool },
    /// The worker was not running that task any more (it had timed out or
    /// been written off); the result was dropped.
    Stale,
}

#[derive(Debug)]
struct Running {
    id: u64,
    started: Instant,
    wait: Duration,
    timeout: Option<Duration>,
    deadline: Option<Instant>,
}

#[derive(Debug, Default)]
struct Inner {
    queued: BTreeMap<(i32, u64), Task>,
    keys: HashMap<u64, (i32, u64)>,
    next_seq: u64,
    running: HashMap<u32, Running>,
    /// Workers told to leave the next time they ask for work.
    retiring: Vec<u32>,
    /// Workers whose task timed out: they are being stopped, and get no
    /// more work (a task handed to one now would die with it).
    stopping: Vec<u32>,
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
            wake_scheduled: AtomicBool::new(false),
            watch_takes: AtomicBool::new(false),
        }
    }

    fn lock(&self) -> impl std::ops::DerefMut<Target = Inner> + '_ {
        // A panic while holding the lock cannot leave `Inner` half-updated in
        // a way that matters more than losing the pool, so keep going.
        crate::sync::lock(&self.inner)
    }

    /// Queues a task; returns the queue length after the push. A task id
    /// that is already queued is refused (returns `None`).
    pub fn push(&self, task: Task) -> Option<usize> {
        let mut g = self.lock();
        if g.keys.contains_key(&task.id) {
            return None;
        }
        let key = (task.priority, g.next_seq);
        g.next_seq += 1;
        g.keys.insert(task.id, key);
        g.queued.insert(key, task);
        Some(g.queued.len())
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

    /// Number of tasks being run.
    pub fn running(&self) -> usize {
        self.lock().running.len()
    }

    /// Workers in `workers` that are not running a task and not being
    /// stopped: the ones that can take work now or very soon.
    pub fn idle_among(&self, workers: impl Iterator<Item = u32>) -> usize {
        let g = self.lock();
        workers
            .filter(|w| !g.running.contains_key(w) && !g.stopping.contains(w))
            .count()
    }

    /// The task `worker` is running, if any.
    pub fn running_task(&self, worker: u32) -> Option<u64> {
        self.lock().running.get(&worker).map(|r| r.id)
    }

    /// Gives `worker` the next task. A worker that still has a running task
    /// records nothing new: it must complete first (it gets `Empty`).
    pub fn take(&self, worker: u32, now: Instant) -> Next {
        let mut g = self.lock();
        if g.stopping.contains(&worker) {
            return Next::Retire;
        }
        if let Some(i) = g.retiring.iter().position(|&w| w == worker) {
            g.retiring.swap_remove(i);
            // Work queued after the retirement was decided: still needed.
            if g.queued.is_empty() {
                g.stopping.push(worker); // leaving for good
                return Next::Retire;
            }
        }
        if g.running.contains_key(&worker) {
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
        g.running.insert(
            worker,
            Running {
                id: task.id,
                started: now,
                wait: now.saturating_duration_since(task.submitted),
                timeout: task.timeout,
                deadline,
            },
        );
        Next::Run(Taken {
            id: task.id,
            name: task.name,
            payload: task.payload,
            deadline,
        })
    }

    /// Starts the run time of task `id` on `worker` now (a task taken with
    /// `deferred_clock`, once its data arrived). Returns its new deadline.
    pub fn start_clock(&self, worker: u32, id: u64, now: Instant) -> Option<Instant> {
        let mut g = self.lock();
        let r = g.running.get_mut(&worker).filter(|r| r.id == id)?;
        r.started = now;
        r.deadline = r.timeout.and_then(|t| now.checked_add(t));
        r.deadline
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

    /// Whether `worker` is on its way out: asked to retire (and no work came
    /// in since), retired, or being stopped. Such a worker is no capacity.
    pub fn leaving(&self, worker: u32) -> bool {
        let g = self.lock();
        g.retiring.contains(&worker) || g.stopping.contains(&worker)
    }

    /// Whether `worker` will never take another task: its task timed out (it
    /// is being stopped) or it retired for good. Unlike [`Self::leaving`], a
    /// worker only asked to retire is not stopping: work that comes in before
    /// it asks again cancels the retirement.
    pub fn stopping(&self, worker: u32) -> bool {
        self.lock().stopping.contains(&worker)
    }

    /// Marks `worker` as being stopped by its owner (a task aborted past its
    /// grace): it takes no other task, even if the one it runs returns before
    /// the thread is stopped, so a replacement may start at once without more
    /// than the allowed number of tasks running.
    pub fn stop(&self, worker: u32) {
        let mut g = self.lock();
        g.retiring.retain(|&w| w != worker);
        if !g.stopping.contains(&worker) {
            g.stopping.push(worker);
        }
    }

    /// Asks `worker` to leave the next time it asks for work, unless it is
    /// running a task now or work is queued (then it is still needed).
    pub fn retire(&self, worker: u32) -> bool {
        let mut g = self.lock();
        if g.running.contains_key(&worker) || !g.queued.is_empty() || g.retiring.contains(&worker) {
            return false;
        }
        g.retiring.push(worker);
        true
    }

    /// Records `worker`'s result for task `id`.
    pub fn complete(&self, worker: u32, id: u64, rejected: bool, payload: Vec<u8>, now: Instant) -> CompleteResult {
        let run = {
            let mut g = self.lock();
            match g.running.get(&worker) {
                Some(r) if r.id == id => g.running.remove(&worker).unwrap(),
                _ => return CompleteResult::Stale,
            }
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

    fn finish(&self, c: Completion) -> CompleteResult {
        // The receiver lives as long as `self`, so sending cannot fail.
        let _ = self.done_tx.send(c);
        CompleteResult::Accepted {
            wake: !self.wake_scheduled.swap(true, Ordering::AcqRel),
        }
    }

    /// The worker died. Returns the task it was running (now written off),
    /// so the owner can reject it with the cause.
    pub fn worker_gone(&self, worker: u32) -> Option<u64> {
        let mut g = self.lock();
        g.retiring.retain(|&w| w != worker);
        g.stopping.retain(|&w| w != worker);
        g.running.remove(&worker).map(|r| r.id)
    }

    /// Ends every running task whose deadline is at or before `now` with
    /// [`Outcome::TimedOut`]. Returns `(worker, task)` pairs (the caller
    /// stops those workers) and whether the owner must be woken.
    pub fn expire(&self, now: Instant) -> (Vec<(u32, u64)>, bool) {
        let expired: Vec<(u32, Running)> = {
            let mut g = self.lock();
            let workers: Vec<u32> = g
                .running
                .iter()
                .filter(|(_, r)| r.deadline.is_some_and(|d| d <= now))
                .map(|(w, _)| *w)
                .collect();
            g.stopping.extend(workers.iter().copied());
            workers
                .into_iter()
                .map(|w| (w, g.running.remove(&w).unwrap()))
                .collect()
        };
        let mut wake = false;
        let mut out = Vec::with_capacity(expired.len());
        for (worker, r) in expired {
            out.push((worker, r.id));
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

    /// How many workers the queue keeps a record for (running a task,
    /// retiring or being stopped). Every record goes with
    /// [`TaskQueue::worker_gone`], so this never exceeds the live workers:
    /// crashes and restarts leave nothing behind.
    pub fn tracked_workers(&self) -> usize {
        let g = self.lock();
        let mut ids: Vec<u32> = g
            .running
            .keys()
            .chain(&g.retiring)
            .chain(&g.stopping)
            .copied()
            .collect();
        ids.sort_unstable();
        ids.dedup();
        ids.len()
    }

    /// The earliest deadline among running tasks.
    pub fn next_deadline(&self) -> Option<Instant> {
        self.lock().running.values().filter_map(|r| r.deadline).min()
    }

    /// Clears the wake flag; call before draining, so a completion pushed
    /// during the drain schedules a new wake instead of being missed.
    pub fn begin_drain(&self) {
        self.wake_scheduled.store(false, Ordering::Release);
    }

    /// The next settled task, if any.
    pub fn next_completion(&self) -> Option<Completion> {
        self.done_rx.try_recv().ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn task(id: u64, priority: i32) -> Task {
        Task {
            id,
            priority,
            name: 0,
            payload: vec![id as u8],
            timeout: None,
            deferred_clock: false,
            submitted: Instant::now(),
        }
    }

    fn take_id(q: &TaskQueue, worker: u32) -> Option<u64> {
        match q.take(worker, Instant::now()) {
            Next::Run(t) => Some(t.id),
            _ => None,
        }
    }

    fn drain(q: &TaskQueue) -> Vec<(u64, Outcome)> {
        q.begin_drain();
        std::iter::from_fn(|| q.next_completion())
            .map(|c| (c.id, c.outcome))
            .collect()
    }

    #[test]
    fn lower_priority_numbers_first_fifo_within_a_priority() {
        let q = TaskQueue::new();
        for (id, p) in [(1, 5), (2, 0), (3, 5), (4, -1), (5, 0)] {
            q.push(task(id, p));
        }
        let order: Vec<u64> = (0..5)
            .map(|w| {
                let id = take_id(&q, w).unwrap();
                q.complete(w, id, false, vec![], Instant::now());
                id
            })
            .collect();
        assert_eq!(order, [4, 2, 5, 1, 3]);
        assert!(q.is_empty());
    }

    #[test]
    fn a_worker_runs_one_task_at_a_time() {
        let q = TaskQueue::new();
        q.push(task(1, 0));
        q.push(task(2, 0));
        assert_eq!(take_id(&q, 7), Some(1));
        assert_eq!(take_id(&q, 7), None);
        assert_eq!(
            q.complete(7, 1, false, vec![9], Instant::now()),
            CompleteResult::Accepted { wake: true }
        );
        assert_eq!(take_id(&q, 7), Some(2));
    }

    #[test]
    fn cancel_removes_only_queued_tasks() {
        let q = TaskQueue::new();
        q.push(task(1, 0));
        q.push(task(2, 0));
        assert_eq!(take_id(&q, 0), Some(1));
        assert!(!q.cancel(1), "a running task is not in the queue");
        assert!(q.cancel(2));
        assert!(!q.cancel(2));
        assert_eq!(take_id(&q, 1), None);
        assert!(q.push(task(3, 0)).is_some());
        assert!(q.push(task(3, 0)).is_none(), "duplicate ids are refused");
    }

    #[test]
    fn each_taken_task_settles_exactly_once() {
        let q = TaskQueue::new();
        let mut t = task(1, 0);
        t.timeout = Some(Duration::from_millis(5));
        q.push(t);
        q.push(task(2, 0));
        let start = Instant::now();
        assert_eq!(take_id(&q, 0), Some(1));
        assert_eq!(take_id(&q, 1), Some(2));
        let deadline = q.next_deadline().expect("task 1 has a deadline");
        assert!(deadline >= start + Duration::from_millis(5));
        assert_eq!(q.expire(start).0, vec![], "nothing is due yet");
        assert!(!q.stopping(0));
        let (expired, wake) = q.expire(start + Duration::from_secs(1));
        assert_eq!(expired, vec![(0, 1)]);
        assert!(q.stopping(0), "timed out: being stopped");
        assert!(wake);
        // The late result of the timed-out task is dropped, and the worker
        // being stopped gets no new task (it would die with the worker).
        assert_eq!(q.complete(0, 1, false, vec![], Instant::now()), CompleteResult::Stale);
        q.push(task(3, 0));
        assert!(matches!(q.take(0, Instant::now()), Next::Retire));
        assert_eq!(q.worker_gone(0), None);
        assert!(q.cancel(3));
        // Worker 1 dies: its task is written off once.
        assert_eq!(q.worker_gone(1), Some(2));
        assert_eq!(q.complete(1, 2, false, vec![], Instant::now()), CompleteResult::Stale);
        assert_eq!(drain(&q), vec![(1, Outcome::TimedOut)]);
    }

    #[test]
    fn one_wake_per_batch() {
        let q = TaskQueue::new();
        for id in 0..3 {
            q.push(task(id, 0));
        }
        let mut wakes = 0;
        for w in 0..3 {
            let id = take_id(&q, w).unwrap();
            if q.complete(w, id, w == 1, vec![], Instant::now()) == (CompleteResult::Accepted { wake: true }) {
                wakes += 1;
            }
        }
        assert_eq!(wakes, 1);
        let got = drain(&q);
        assert_eq!(got.len(), 3);
        assert_eq!(got[1].1, Outcome::Rejected);
        q.push(task(9, 0));
        let id = take_id(&q, 0).unwrap();
        assert_eq!(
            q.complete(0, id, false, vec![], Instant::now()),
            CompleteResult::Accepted { wake: true }
        );
    }

    #[test]
    fn retire_only_idle_workers_with_nothing_queued() {
        let q = TaskQueue::new();
        q.push(task(1, 0));
        assert!(!q.retire(0), "work is queued");
        assert_eq!(take_id(&q, 0), Some(1));
        assert!(!q.retire(0), "it is running a task");
        assert!(q.retire(1));
        assert!(q.leaving(1), "asked to leave: no capacity");
        assert!(!q.stopping(1), "asked to leave: it may still take work");
        assert!(matches!(q.take(1, Instant::now()), Next::Retire));
        assert!(q.leaving(1), "retired: still leaving until it is gone");
        assert!(q.stopping(1), "retired for good: it takes no more work");
        assert!(matches!(q.take(1, Instant::now()), Next::Retire));
        q.worker_gone(1);
        assert!(!q.leaving(1));
        assert!(!q.stopping(1));
        // Work queued after the decision cancels the retirement: the worker
        // serves it and counts as capacity again.
        assert!(q.retire(2));
        q.push(task(5, 0));
        assert_eq!(take_id(&q, 2), Some(5));
        assert!(!q.leaving(2));
        assert!(!q.stopping(2));
    }

    #[test]
    fn a_stopped_worker_takes_nothing_even_after_its_task_returns() {
        let q = TaskQueue::new();
        q.push(task(1, 0));
        q.push(task(2, 0));
        assert_eq!(take_id(&q, 0), Some(1));
        q.stop(0);
        assert!(q.stopping(0) && q.leaving(0));
        // Its task returns before the thread is stopped: accepted, but no
        // second task goes to it (a replacement may already run one).
        assert!(matches!(
            q.complete(0, 1, false, vec![], Instant::now()),
            CompleteResult::Accepted { .. }
        ));
        assert!(matches!(q.take(0, Instant::now()), Next::Retire));
        assert_eq!(take_id(&q, 1), Some(2));
        q.worker_gone(0);
        assert!(!q.stopping(0));
    }

    #[test]
    fn a_deferred_clock_starts_when_the_worker_starts_the_task() {
        let q = TaskQueue::new();
        let t0 = Instant::now();
        let ms = Duration::from_millis;
        q.push(Task {
            timeout: Some(ms(100)),
            deferred_clock: true,
            ..task(1, 0)
        });
        assert!(matches!(q.take(3, t0), Next::Run(Taken { deadline: None, .. })));
        // Fetching its data took long: no deadline passes meanwhile.
        assert!(q.expire(t0 + ms(500)).0.is_empty());
        assert_eq!(q.start_clock(3, 9, t0 + ms(500)), None, "not its task");
        assert_eq!(q.start_clock(3, 1, t0 + ms(500)), Some(t0 + ms(600)));
        assert!(q.expire(t0 + ms(599)).0.is_empty());
        assert_eq!(q.expire(t0 + ms(600)).0, vec![(3, 1)]);
    }

    #[test]
    fn takes_wake_the_owner_only_while_it_watches() {
        let q = TaskQueue::new();
        assert!(!q.take_wakes_owner());
        q.watch_takes(true);
        assert!(q.take_wakes_owner());
        assert!(!q.take_wakes_owner(), "one wake per batch");
        q.begin_drain();
        assert!(q.take_wakes_owner());
        q.begin_drain();
        q.watch_takes(false);
        assert!(!q.take_wakes_owner());
    }

    #[test]
    fn a_huge_timeout_means_no_deadline_instead_of_a_panic() {
        let q = TaskQueue::new();
        let mut t = task(1, 0);
        t.timeout = Some(Duration::MAX);
        q.push(t);
        assert_eq!(take_id(&q, 0), Some(1));
        assert_eq!(q.next_deadline(), None);
    }

    #[test]
    fn idle_among_counts_workers_free_for_work() {
        let q = TaskQueue::new();
        q.push(task(1, 0));
        q.push(task(2, 0));
        let mut t = task(3, 0);
        t.timeout = Some(Duration::ZERO);
        q.push(t);
        assert_eq!(take_id(&q, 0), Some(1));
        assert_eq!(q.idle_among([0, 1, 2].into_iter()), 2);
        take_id(&q, 1);
        take_id(&q, 2);
        q.expire(Instant::now() + Duration::from_secs(1));
        assert_eq!(
            q.idle_among([0, 1, 2].into_iter()),
            0,
            "1 runs, 0 and 2 run or are being stopped"
        );
    }

    #[test]
    fn no_task_lost_or_duplicated_across_threads() {
        use std::sync::Arc;
        let q = Arc::new(TaskQueue::new());
        let n = 20_000u64;
        let producer = {
            let q = q.clone();
            std::thread::spawn(move || {
                for id in 0..n {
                    q.push(task(id, (id % 3) as i32));
                }
            })
        };
        let taken_total = Arc::new(std::sync::atomic::AtomicU64::new(0));
        let workers: Vec<_> = (0..4u32)
            .map(|w| {
                let q = q.clone();
                let taken_total = taken_total.clone();
                std::thread::spawn(move || {
                    let mut done = 0u64;
                    while taken_total.load(Ordering::Relaxed) < n {
                        match q.take(w, Instant::now()) {
                            Next::Run(t) => {
                                // Worker 3 "dies" on every 100th task it takes.
                                if w == 3 && t.id % 100 == 0 {
                                    assert_eq!(q.worker_gone(w), Some(t.id));
                                } else {
                                    q.complete(w, t.id, false, t.payload, Instant::now());
                                }
                                done += 1;
                                taken_total.fetch_add(1, Ordering::Relaxed);
                            }
                            _ => std::thread::yield_now(),
                        }
                    }
                    done
                })
            })
            .collect();
        producer.join().unwrap();
        let taken: u64 = workers.into_iter().map(|h| h.join().unwrap()).sum();
        assert_eq!(taken, n);
        q.begin_drain();
        let mut seen = vec![false; n as usize];
        let mut completions = 0;
        while let Some(c) = q.next_completion() {
            assert!(!seen[c.id as usize], "task {} completed twice", c.id);
            seen[c.id as usize] = true;
            completions += 1;
        }
        let written_off = seen.iter().enumerate().filter(|(id, s)| !**s && id % 100 == 0).count();
        assert_eq!(completions + written_off, n as usize);
    }

    #[test]
    fn crash_and_restart_cycles_leave_no_worker_records() {
        // Each cycle uses a new slot, as the pool does for a restarted worker.
        let q = TaskQueue::new();
        let mut next_id = 0;
        for slot in 0..3000u32 {
            next_id += 1;
            q.push(Task {
                timeout: Some(Duration::ZERO),
                ..task(next_id, 0)
            });
            match slot % 3 {
                // Dies while running its task.
                0 => assert_eq!(take_id(&q, slot), Some(next_id)),
                // Times out: the watchdog stops it, then it dies.
                1 => {
                    assert_eq!(take_id(&q, slot), Some(next_id));
                    let (expired, _) = q.expire(Instant::now() + Duration::from_millis(1));
                    assert_eq!(expired, vec![(slot, next_id)]);
                    assert!(q.leaving(slot));
                }
                // Idle, retired, then gone (its task went to another worker first).
                _ => {
                    assert_eq!(take_id(&q, 100_000), Some(next_id));
                    q.complete(100_000, next_id, false, Vec::new(), Instant::now());
                    assert!(q.retire(slot));
                    assert!(matches!(q.take(slot, Instant::now()), Next::Retire));
                }
            }
            assert!(q.tracked_workers() >= 1);
            q.worker_gone(slot);
            assert_eq!(q.tracked_workers(), 0, "records left after cycle {slot}");
        }
        assert_eq!(drain(&q).len(), 3000 / 3 * 2); // the completed and the timed-out ones
    }
}
