//! The `max_tasks` retire rule: a worker leaves after its N-th completed
//! task, its last result is queued first, and no task is lost or run twice.

use super::workers::State;
use super::*;
use std::collections::HashSet;
use std::sync::atomic::AtomicUsize;
use std::sync::Arc;

fn task(id: u64) -> Task {
    super::tests::task(id, 0)
}

fn run(q: &TaskQueue, worker: u32) -> u64 {
    let Next::Run(t) = q.take(worker, Instant::now()) else {
        panic!("worker {worker} got no task")
    };
    assert!(matches!(
        q.complete(worker, t.id, false, vec![], Instant::now()),
        CompleteResult::Accepted { .. }
    ));
    t.id
}

#[test]
fn a_worker_leaves_after_its_last_allowed_task_and_its_result_is_queued() {
    let q = TaskQueue::new();
    q.set_limits(1, 1);
    q.set_max_tasks(Some(2));
    let now = Instant::now();
    q.spawned(0, now);
    q.register(0, now);
    for id in 1..=3 {
        q.push(task(id));
    }
    let Next::Run(t) = q.take(0, now) else { panic!() };
    assert!(matches!(
        q.complete(0, t.id, false, vec![1], now),
        CompleteResult::Accepted { .. }
    ));
    assert_eq!(q.state(0), Some(State::Serving));
    let Next::Run(t) = q.take(0, now) else { panic!() };
    assert_eq!(t.id, 2);
    assert!(matches!(
        q.complete(0, 2, false, vec![2], now),
        CompleteResult::Accepted { .. }
    ));
    // Its second result is queued before it is told to go.
    assert_eq!(q.state(0), Some(State::Stopping));
    assert!(q.stopping(0));
    assert!(matches!(q.take(0, now), Next::Retire));
    let done: Vec<u64> = std::iter::from_fn(|| q.next_completion()).map(|c| c.id).collect();
    assert_eq!(done, [1, 2]);
    // Task 3 stays queued, and the pool asks for a replacement: the stopping
    // worker does not count against maxWorkers.
    assert_eq!(q.len(), 1);
    assert_eq!(q.counts().taking, 0);
    assert!(q.should_start_worker());
    q.worker_gone(0);
    q.spawned(1, now);
    q.register(1, now);
    let Next::Run(t) = q.take(1, now) else { panic!() };
    assert_eq!(t.id, 3);
}

#[test]
fn without_max_tasks_a_worker_stays_and_a_stale_result_does_not_count() {
    let q = TaskQueue::new();
    q.set_max_tasks(Some(0)); // 0 means no limit
    let now = Instant::now();
    q.register(0, now);
    for id in 1..=50 {
        q.push(task(id));
        assert_eq!(run(&q, 0), id);
    }
    assert_eq!(q.state(0), Some(State::Serving));
    q.set_max_tasks(Some(1));
    q.push(task(51));
    let Next::Run(t) = q.take(0, now) else { panic!() };
    // A result for a task the worker does not run is stale: it is not counted.
    assert_eq!(q.complete(0, 999, false, vec![], now), CompleteResult::Stale);
    assert_eq!(q.state(0), Some(State::Serving));
    assert!(matches!(
        q.complete(0, t.id, false, vec![], now),
        CompleteResult::Accepted { .. }
    ));
    assert_eq!(q.state(0), Some(State::Stopping));
}

/// Real threads: workers that take, complete and leave after `MAX` tasks,
/// and an owner that starts replacements when the core asks for one. Every
/// task completes exactly once, and no worker completes more than `MAX`.
#[cfg(not(loom))]
#[test]
fn retiring_workers_under_load_lose_no_task_and_run_none_twice() {
    const MAX: u64 = 3;
    const TASKS: u64 = 400;
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64
        | 1;
    println!("seed {seed}");
    let q = Arc::new(TaskQueue::new());
    q.set_limits(0, 3);
    q.set_max_tasks(Some(MAX));
    let next_slot = Arc::new(AtomicUsize::new(0));
    let mut threads = Vec::new();
    let spawn = |threads: &mut Vec<std::thread::JoinHandle<u64>>| {
        let slot = next_slot.fetch_add(1, std::sync::atomic::Ordering::Relaxed) as u32;
        q.spawned(slot, Instant::now());
        let q = q.clone();
        let mut rng = seed ^ (u64::from(slot) + 1).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        threads.push(std::thread::spawn(move || {
            q.register(slot, Instant::now());
            let mut done = 0;
            loop {
                match q.take(slot, Instant::now()) {
                    Next::Run(t) => {
                        rng ^= rng << 13;
                        rng ^= rng >> 7;
                        rng ^= rng << 17;
                        if rng.is_multiple_of(4) {
                            std::thread::yield_now();
                        }
                        assert!(matches!(
                            q.complete(slot, t.id, false, t.id.to_le_bytes().to_vec(), Instant::now()),
                            CompleteResult::Accepted { .. }
                        ));
                        done += 1;
                    }
                    Next::Empty => std::thread::yield_now(),
                    Next::Retire => break,
                }
            }
            q.worker_gone(slot);
            done
        }));
    };
    let mut seen = HashSet::new();
    let mut submitted = 0;
    while seen.len() < TASKS as usize {
        if submitted < TASKS {
            submitted += 1;
            q.push(task(submitted));
        }
        if q.should_start_worker() {
            spawn(&mut threads);
        }
        while let Some(c) = q.next_completion() {
            assert_eq!(c.payload, c.id.to_le_bytes(), "seed {seed}");
            assert!(seen.insert(c.id), "task {} completed twice (seed {seed})", c.id);
        }
        std::thread::yield_now();
    }
    // Every worker that is still serving leaves once the queue is empty.
    assert!(q.is_empty());
    for slot in 0..next_slot.load(std::sync::atomic::Ordering::Relaxed) as u32 {
        q.stop(slot);
    }
    let per_worker: Vec<u64> = threads.into_iter().map(|t| t.join().unwrap()).collect();
    assert!(per_worker.iter().all(|&n| n <= MAX), "{per_worker:?} (seed {seed})");
    assert_eq!(per_worker.iter().sum::<u64>(), TASKS);
    assert!(per_worker.len() as u64 >= TASKS / MAX, "seed {seed}");
    assert_eq!(q.tracked_workers(), 0);
}
