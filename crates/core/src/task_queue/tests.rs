use super::*;

pub(super) fn task(id: u64, priority: i32) -> Task {
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

pub(super) fn take_id(q: &TaskQueue, worker: u32) -> Option<u64> {
    match q.take(worker, Instant::now()) {
        Next::Run(t) => Some(t.id),
        _ => None,
    }
}

pub(super) fn drain(q: &TaskQueue) -> Vec<(u64, Outcome)> {
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
    assert!(matches!(q.push(task(3, 0)), Pushed::Queued { .. }));
    assert_eq!(q.push(task(3, 0)), Pushed::Duplicate, "duplicate ids are refused");
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
    assert_eq!(q.worker_gone(0).tasks, Vec::<u64>::new());
    assert!(q.cancel(3));
    // Worker 1 dies: its task is written off once.
    assert_eq!(q.worker_gone(1).tasks, vec![2]);
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
    let now = Instant::now();
    for w in 0..3 {
        q.register(w, now);
    }
    assert!(!q.retire(7), "an unknown worker");
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
    q.register(1, Instant::now());
    q.register(2, Instant::now());
    assert_eq!(q.counts().idle, 2);
    take_id(&q, 1);
    take_id(&q, 2);
    q.expire(Instant::now() + Duration::from_secs(1));
    assert_eq!(q.counts().idle, 0, "1 runs, 0 and 2 run or are being stopped");
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
                                assert_eq!(q.worker_gone(w).tasks, vec![t.id]);
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
                q.register(slot, Instant::now());
                assert!(q.retire(slot));
                assert!(matches!(q.take(slot, Instant::now()), Next::Retire));
            }
        }
        assert!(q.tracked_workers() >= 1);
        q.worker_gone(slot);
        assert_eq!(q.state(slot), None);
        assert!(
            q.tracked_workers() <= 1,
            "records left after cycle {slot} (besides worker 100000)"
        );
    }
    assert_eq!(drain(&q).len(), 3000 / 3 * 2); // the completed and the timed-out ones
}

#[test]
fn progress_values_reach_the_owner_in_order_before_their_task_ends_and_not_after() {
    let q = TaskQueue::new();
    q.push(task(1, 0));
    q.push(task(2, 0));
    assert_eq!(take_id(&q, 7), Some(1));
    assert_eq!(take_id(&q, 8), Some(2));
    assert_eq!(
        q.progress(7, 2, vec![0]),
        CompleteResult::Stale,
        "task 2 runs on worker 8, not 7"
    );
    assert_eq!(q.progress(7, 1, vec![1]), CompleteResult::Accepted { wake: true });
    assert_eq!(q.progress(8, 2, vec![2]), CompleteResult::Accepted { wake: false });
    assert_eq!(q.progress(7, 1, vec![3]), CompleteResult::Accepted { wake: false });
    q.complete(7, 1, false, vec![4], Instant::now());
    assert_eq!(q.progress(7, 1, vec![5]), CompleteResult::Stale, "task 1 has ended");
    q.begin_drain();
    let items: Vec<(u64, Outcome, Vec<u8>)> = std::iter::from_fn(|| q.next_completion())
        .map(|c| (c.id, c.outcome, c.payload))
        .collect();
    assert_eq!(
        items,
        vec![
            (1, Outcome::Progress, vec![1]),
            (2, Outcome::Progress, vec![2]),
            (1, Outcome::Progress, vec![3]),
            (1, Outcome::Fulfilled, vec![4]),
        ]
    );
    // A progress value is not an end: the worker still runs task 2 and may end it.
    assert_eq!(
        q.complete(8, 2, false, vec![], Instant::now()),
        CompleteResult::Accepted { wake: true }
    );
}
