//! The worker lifecycle, the grow and idle policy, the owner's drain and the
//! watchdog's sweep.

use super::deadlines::{Poll, Supervised, Watchdog};
use super::workers::{Counts, IdleCheck, State};
use super::*;
use std::sync::Mutex as StdMutex;

fn task(id: u64, payload: usize) -> Task {
    Task {
        id,
        priority: 0,
        name: 0,
        payload: vec![7; payload],
        timeout: None,
        deferred_clock: false,
        submitted: Instant::now(),
    }
}

fn start_worker(q: &TaskQueue, t: &Task) -> bool {
    match q.push(Task {
        payload: t.payload.clone(),
        ..task(t.id, 0)
    }) {
        Pushed::Queued { start_worker, .. } => start_worker,
        Pushed::Duplicate => panic!("duplicate"),
    }
}

#[test]
fn a_worker_goes_from_starting_to_serving_to_gone() {
    let q = TaskQueue::new();
    let now = Instant::now();
    q.spawned(4, now);
    assert_eq!(q.state(4), Some(State::Starting));
    assert!(!q.started(4));
    assert_eq!(
        q.counts(),
        Counts {
            taking: 1,
            staying: 1,
            starting: 1,
            idle: 0,
            serving: 0,
            free: 0
        }
    );
    q.register(4, now);
    q.spawned(4, now); // a late or repeated spawn notice changes nothing
    assert_eq!(q.state(4), Some(State::Serving));
    assert!(q.started(4));
    assert_eq!(
        q.counts(),
        Counts {
            taking: 1,
            staying: 1,
            starting: 0,
            idle: 1,
            serving: 1,
            free: 1
        }
    );
    assert_eq!(
        q.worker_gone(4),
        workers::Gone {
            tasks: Vec::new(),
            started: true
        }
    );
    assert_eq!(q.state(4), None);
    // Died while its script loaded: a start-up failure.
    q.spawned(5, now);
    assert_eq!(
        q.worker_gone(5),
        workers::Gone {
            tasks: Vec::new(),
            started: false
        }
    );
    assert_eq!(
        q.worker_gone(5),
        workers::Gone {
            tasks: Vec::new(),
            started: false
        },
        "twice: nothing"
    );
    assert_eq!(q.tracked_workers(), 0);
}

#[test]
fn the_pool_grows_one_starting_worker_at_a_time_up_to_its_maximum() {
    let q = TaskQueue::new();
    let now = Instant::now();
    q.set_limits(1, 2);
    assert!(q.should_start_worker(), "fewer than minWorkers");
    q.spawned(0, now);
    assert!(!q.should_start_worker(), "one is starting");
    assert!(!start_worker(&q, &task(1, 0)), "one is starting");
    q.register(0, now);
    assert!(!q.should_start_worker(), "one task queued, one idle worker");
    assert!(start_worker(&q, &task(2, 0)), "two tasks queued, one idle worker");
    q.spawned(1, now);
    q.register(1, now);
    assert!(!start_worker(&q, &task(3, 0)), "at maxWorkers");
    // Worker 0 runs task 1 and times out: it is no capacity while its thread
    // exits, so a replacement may start at once.
    q.stop(0);
    assert_eq!(q.counts().taking, 1);
    assert!(q.should_start_worker(), "two queued, one idle, one below max");
    q.spawned(2, now);
    assert!(!q.should_start_worker());
    assert_eq!(q.counts().taking, 2);
}

#[test]
fn a_stopped_worker_below_the_minimum_is_replaced() {
    let q = TaskQueue::new();
    let now = Instant::now();
    q.set_limits(2, 4);
    for w in 0..2 {
        q.spawned(w, now);
        q.register(w, now);
    }
    assert!(!q.should_start_worker());
    q.stop(1);
    assert!(q.should_start_worker(), "one stays, minWorkers is 2");
}

#[test]
fn idle_workers_retire_oldest_first_down_to_the_minimum() {
    let q = TaskQueue::new();
    let t0 = Instant::now();
    let ms = Duration::from_millis;
    q.set_limits(1, 4);
    for w in 0..4 {
        q.spawned(w, t0);
    }
    for w in 0..3 {
        q.register(w, t0);
    }
    q.push(task(1, 0));
    assert!(matches!(q.take(2, t0 + ms(5)), Next::Run(_)));
    assert_eq!(
        q.retire_idle(t0 + ms(5), ms(10)),
        IdleCheck {
            retired: 0,
            watching: true
        },
        "not idle long enough"
    );
    // 0 and 1 have been idle 20 ms; 2 runs a task; 3 is still starting.
    assert_eq!(
        q.retire_idle(t0 + ms(20), ms(10)),
        IdleCheck {
            retired: 2,
            watching: true
        }
    );
    assert_eq!(q.state(0), Some(State::Retiring));
    assert_eq!(q.state(1), Some(State::Retiring));
    assert_eq!(q.state(3), Some(State::Starting));
    // Work before worker 1 asks again cancels its retirement; worker 0 leaves.
    q.push(task(2, 0));
    assert!(matches!(q.take(1, t0 + ms(21)), Next::Run(_)));
    assert!(matches!(q.take(0, t0 + ms(21)), Next::Retire));
    assert_eq!(q.state(0), Some(State::Stopping));
    q.worker_gone(0);
    // Retirement is not final for anyone now, but 1, 2 and 3 stay (> min).
    assert!(q.retire_idle(t0 + ms(22), ms(10)).watching);
    for w in 1..4 {
        q.worker_gone(w);
    }
    assert_eq!(
        q.retire_idle(t0 + ms(40), ms(10)),
        IdleCheck {
            retired: 0,
            watching: false
        }
    );
}

#[test]
fn nothing_retires_while_work_is_queued_and_a_finish_counts_as_activity() {
    let q = TaskQueue::new();
    let t0 = Instant::now();
    let ms = Duration::from_millis;
    q.set_limits(0, 2);
    q.register(0, t0);
    q.register(1, t0);
    q.push(task(1, 0));
    assert_eq!(q.retire_idle(t0 + ms(50), ms(10)).retired, 0, "work is queued");
    assert!(matches!(q.take(0, t0 + ms(50)), Next::Run(_)));
    q.complete(0, 1, false, vec![], t0 + ms(55));
    let check = q.retire_idle(t0 + ms(60), ms(10));
    assert_eq!(check.retired, 1, "only worker 1: worker 0 finished 5 ms ago");
    assert_eq!(q.state(1), Some(State::Retiring));
    assert_eq!(q.state(0), Some(State::Serving));
}

#[test]
fn a_payload_too_big_for_the_workers_buffer_waits_for_a_bigger_one() {
    let q = TaskQueue::new();
    q.register(3, Instant::now());
    q.hold_payload(3, vec![1; 100]);
    assert_eq!(q.take_held(3, 99), None, "still too small");
    assert_eq!(q.take_held(3, 100).map(|p| p.len()), Some(100));
    assert_eq!(q.take_held(3, 100), None, "handed out once");
    q.hold_payload(3, vec![1; 5]);
    q.worker_gone(3);
    assert_eq!(q.take_held(3, 100), None, "gone with its worker");
}

#[test]
fn the_drain_lays_payloads_back_to_back_and_keeps_one_that_does_not_fit() {
    let q = TaskQueue::new();
    let now = Instant::now();
    for (id, len) in [(1, 10), (2, 100), (3, 1)] {
        q.push(task(id, len));
        let Next::Run(t) = q.take(id as u32, now) else { panic!() };
        q.complete(id as u32, t.id, false, t.payload, now);
    }
    let mut seen = Vec::new();
    assert_eq!(q.drain(64, 50, |c, offset| seen.push((c.id, offset))), Ok(1));
    assert_eq!(q.drain(64, 50, |_, _| panic!("task 2 does not fit")), Err(100));
    assert_eq!(
        q.drain(1, 200, |c, offset| seen.push((c.id, offset))),
        Ok(1),
        "at most `max`"
    );
    assert_eq!(q.drain(64, 200, |c, offset| seen.push((c.id, offset))), Ok(1));
    assert_eq!(seen, [(1, 0), (2, 0), (3, 0)]);
    assert_eq!(q.drain(64, 200, |_, _| panic!("empty")), Ok(0));
}

/// A pool as the watchdog sees it, recording what it was asked to do.
struct Recorder {
    q: TaskQueue,
    stopped: StdMutex<Vec<u32>>,
    wakes: StdMutex<usize>,
}

impl Supervised for Recorder {
    fn queue(&self) -> &TaskQueue {
        &self.q
    }
    fn stop_worker(&self, worker: u32) {
        self.stopped.lock().unwrap().push(worker);
    }
    fn wake_owner(&self) {
        *self.wakes.lock().unwrap() += 1;
    }
}

#[test]
fn the_watchdog_sleeps_until_the_earliest_deadline_then_sweeps_and_rearms() {
    let t0 = Instant::now();
    let ms = Duration::from_millis;
    let w = Watchdog::new();
    assert_eq!(w.poll(t0), Poll::Idle);
    w.due(t0 + ms(50));
    w.due(t0 + ms(80));
    assert_eq!(w.poll(t0), Poll::Until(t0 + ms(50)), "the earliest one");
    w.due(t0 + ms(30));
    assert_eq!(w.poll(t0), Poll::Until(t0 + ms(30)));
    assert_eq!(w.poll(t0 + ms(30)), Poll::Sweep);
    assert_eq!(w.poll(t0 + ms(30)), Poll::Idle, "a sweep clears the alarm");

    let p = Recorder {
        q: TaskQueue::new(),
        stopped: StdMutex::new(Vec::new()),
        wakes: StdMutex::new(0),
    };
    for (id, timeout) in [(1, 30), (2, 90)] {
        p.q.push(Task {
            timeout: Some(ms(timeout)),
            ..task(id, 0)
        });
        assert!(matches!(p.q.take(id as u32, t0), Next::Run(_)));
    }
    w.sweep(&[&p], t0 + ms(30));
    assert_eq!(*p.stopped.lock().unwrap(), [1]);
    assert_eq!(*p.wakes.lock().unwrap(), 1);
    assert_eq!(p.q.state(1), Some(State::Stopping));
    assert_eq!(w.next(), Some(t0 + ms(90)), "re-armed for task 2");
    w.sweep(&[&p], t0 + ms(60));
    assert_eq!(*p.stopped.lock().unwrap(), [1], "task 2 is not due");
    assert_eq!(*p.wakes.lock().unwrap(), 1);
}

#[cfg(not(loom))]
#[test]
fn the_watchdog_loop_ends_a_task_in_real_time() {
    use std::sync::Arc;
    let w: &'static Watchdog = Box::leak(Box::new(Watchdog::new()));
    let p = Arc::new(Recorder {
        q: TaskQueue::new(),
        stopped: StdMutex::new(Vec::new()),
        wakes: StdMutex::new(0),
    });
    let pools = p.clone();
    std::thread::spawn(move || w.run(move || vec![pools.clone()]));
    p.q.push(Task {
        timeout: Some(Duration::from_millis(20)),
        ..task(1, 0)
    });
    let Next::Run(t) = p.q.take(0, Instant::now()) else {
        panic!()
    };
    w.due(t.deadline.unwrap());
    // No wall-clock bound: wait as long as it takes on a loaded machine.
    while p.stopped.lock().unwrap().is_empty() {
        std::thread::sleep(Duration::from_millis(5));
    }
    assert_eq!(*p.stopped.lock().unwrap(), [0]);
    assert_eq!(p.q.complete(0, 1, false, vec![], Instant::now()), CompleteResult::Stale);
}
