//! The values a `pool.stream()` task's generator yields, on their way to the
//! owner: batched per running task, and collected by the owner's drain.
//!
//! A worker appends each value to its running task's batch (one lock, no
//! allocation per value, no queue item). Only the value that opens a batch
//! queues nothing either, but wakes the owner unless a wake is already
//! scheduled; the owner's drain collects every open batch into the
//! completion queue as one [`Outcome::Yield`] item. So the owner sees a value
//! as soon as it drains, however long the generator then runs without
//! yielding, and pays one queue item per drain instead of one per value.
//!
//! Order: a batch goes into the completion queue before anything else of its
//! task that follows it (a progress value, the completion, the timeout),
//! sent by whichever thread takes it out of the running task.
//!
//! A batch's payload is its values back to back, each as
//! `[u32 length, LE][the value's bytes]` ([`YIELD_VALUE_HEAD`]).
//!
//! Credit (backpressure): the owner records how many values its caller has
//! taken ([`TaskQueue::credit`]); every [`TaskQueue::yielded`] answers with
//! that count, so the worker knows how far ahead it is without asking.

#[cfg(all(test, not(loom)))]
use super::CompleteResult;
use super::{Completion, Inner, Outcome, TaskQueue};
use crate::sync::Ordering;
use std::time::Duration;

/// Bytes in front of each value of a batch: its length, u32 little-endian.
pub const YIELD_VALUE_HEAD: usize = 4;
/// A batch this large is queued at once, without waiting for a drain, so
/// that no payload the owner copies grows without bound.
pub const YIELD_BATCH_CAP: usize = 256 * 1024;

/// What [`TaskQueue::yielded`] did with a value.
#[derive(Debug, PartialEq, Eq)]
pub enum Yielded {
    /// Batched for the owner; `wake`: the owner must be woken. `consumed`:
    /// how many values the caller has taken so far.
    Accepted { wake: bool, consumed: u64 },
    /// The worker no longer runs that task (it ended, timed out or was
    /// written off), or the value is over 4 GiB: the generator should stop.
    Stale,
}

impl TaskQueue {
    /// A value the generator of task `id`, running on `worker`, yielded.
    pub fn yielded(&self, worker: u32, id: u64, value: &[u8]) -> Yielded {
        let Ok(len) = u32::try_from(value.len()) else {
            return Yielded::Stale;
        };
        let (opened, consumed) = {
            let mut g = self.lock();
            let Inner { workers, open, .. } = &mut *g;
            let Some(r) = workers
                .get_mut(&worker)
                .and_then(|w| w.running.get_mut(id))
                .filter(|r| !r.ended)
            else {
                return Yielded::Stale;
            };
            let opened = r.batch.is_empty();
            r.batch.extend_from_slice(&len.to_le_bytes());
            r.batch.extend_from_slice(value);
            if r.batch.len() >= YIELD_BATCH_CAP {
                let batch = std::mem::take(&mut r.batch);
                self.send_batch(worker, id, batch);
            } else if opened {
                open.push(worker);
                // SeqCst with begin_drain's store and collect_yields' load: see there.
                self.has_open.store(true, Ordering::SeqCst);
            }
            (opened, r.consumed)
        };
        Yielded::Accepted {
            wake: opened && !self.wake_scheduled.swap(true, Ordering::SeqCst),
            consumed,
        }
    }

    /// The caller of stream task `id` has taken `consumed` of its values
    /// (counts only grow). Returns the worker running it, to be told, or
    /// None if no worker runs it (still queued, or ended).
    pub fn credit(&self, id: u64, consumed: u64) -> Option<u32> {
        let mut g = self.lock();
        let (&worker, r) = g
            .workers
            .iter_mut()
            .find_map(|(slot, w)| Some((slot, w.running.get_mut(id).filter(|r| !r.ended)?)))?;
        r.consumed = r.consumed.max(consumed);
        Some(worker)
    }

    /// How many values of stream task `id`, running on `worker`, the caller
    /// has taken; None if the worker no longer runs it.
    pub fn consumed(&self, worker: u32, id: u64) -> Option<u64> {
        let g = self.lock();
        let r = g.workers.get(&worker)?.running.get(id).filter(|r| !r.ended)?;
        Some(r.consumed)
    }

    /// Queues `batch` (values of task `id` on `worker`) for the owner, if it holds any.
    pub(super) fn send_batch(&self, worker: u32, id: u64, batch: Vec<u8>) {
        if batch.is_empty() {
            return;
        }
        // The receiver lives as long as `self`, so sending cannot fail.
        let _ = self.done_tx.send(Completion {
            id,
            outcome: Outcome::Yield,
            payload: batch,
            wait: Duration::ZERO,
            run: Duration::ZERO,
            worker,
        });
    }

    /// The owner's drain, after it cleared the wake flag: moves every open
    /// batch into the completion queue.
    ///
    /// No value is stranded: a worker that opens a batch stores `has_open`,
    /// then swaps the wake flag; the owner clears the wake flag, then loads
    /// `has_open` (all SeqCst). If this load misses the worker's store, the
    /// worker's swap comes after the owner's clear, finds it false, and
    /// wakes the owner for another drain.
    pub(super) fn collect_yields(&self) {
        if !self.has_open.load(Ordering::SeqCst) {
            return;
        }
        let mut g = self.lock();
        self.has_open.store(false, Ordering::SeqCst);
        let Inner { workers, open, .. } = &mut *g;
        for worker in open.drain(..) {
            // A worker gone, or a task ended: its batch went with its end.
            let Some(w) = workers.get_mut(&worker) else { continue };
            for r in w.running.iter_mut() {
                let batch = std::mem::take(&mut r.batch);
                self.send_batch(worker, r.id, batch);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{take_id, task};
    use super::super::CompleteResult;
    use super::*;
    use std::time::Instant;

    fn accepted(wake: bool, consumed: u64) -> Yielded {
        Yielded::Accepted { wake, consumed }
    }

    fn values(payload: &[u8]) -> Vec<Vec<u8>> {
        let mut out = Vec::new();
        let mut at = 0;
        while at < payload.len() {
            let len = u32::from_le_bytes(payload[at..at + YIELD_VALUE_HEAD].try_into().unwrap()) as usize;
            at += YIELD_VALUE_HEAD;
            out.push(payload[at..at + len].to_vec());
            at += len;
        }
        out
    }

    fn items(q: &TaskQueue) -> Vec<(u64, Outcome, Vec<Vec<u8>>)> {
        q.begin_drain();
        std::iter::from_fn(|| q.next_completion())
            .map(|c| {
                let v = if c.outcome == Outcome::Yield {
                    values(&c.payload)
                } else {
                    vec![c.payload]
                };
                (c.id, c.outcome, v)
            })
            .collect()
    }

    #[test]
    fn values_batch_until_the_owner_drains_and_the_first_of_a_batch_wakes_it() {
        let q = TaskQueue::new();
        q.push(task(1, 0));
        assert_eq!(take_id(&q, 7), Some(1));
        assert_eq!(q.yielded(8, 1, &[0]), Yielded::Stale, "task 1 runs on worker 7");
        assert_eq!(q.yielded(7, 1, &[1]), accepted(true, 0));
        assert_eq!(q.yielded(7, 1, &[2, 2]), accepted(false, 0));
        assert_eq!(q.yielded(7, 1, &[]), accepted(false, 0));
        assert_eq!(items(&q), vec![(1, Outcome::Yield, vec![vec![1], vec![2, 2], vec![]])]);
        // Collected: the next value opens a new batch and wakes the owner again.
        assert_eq!(q.yielded(7, 1, &[3]), accepted(true, 0));
        assert_eq!(items(&q), vec![(1, Outcome::Yield, vec![vec![3]])]);
    }

    #[test]
    fn a_batch_goes_before_the_progress_value_and_the_completion_that_follow_it() {
        let q = TaskQueue::new();
        q.push(task(1, 0));
        assert_eq!(take_id(&q, 7), Some(1));
        q.yielded(7, 1, &[1]);
        q.progress(7, 1, vec![9]);
        q.yielded(7, 1, &[2]);
        q.yielded(7, 1, &[3]);
        q.complete(7, 1, false, vec![4], Instant::now());
        assert_eq!(
            q.yielded(7, 1, &[5]),
            Yielded::Stale,
            "task 1 has ended: its generator must stop"
        );
        assert_eq!(
            items(&q),
            vec![
                (1, Outcome::Yield, vec![vec![1]]),
                (1, Outcome::Progress, vec![vec![9]]),
                (1, Outcome::Yield, vec![vec![2], vec![3]]),
                (1, Outcome::Fulfilled, vec![vec![4]]),
            ]
        );
    }

    #[test]
    fn a_timed_out_task_hands_over_its_values_before_its_timeout() {
        let q = TaskQueue::new();
        let mut t = task(1, 0);
        t.timeout = Some(Duration::from_millis(1));
        q.push(t);
        assert_eq!(take_id(&q, 7), Some(1));
        q.yielded(7, 1, &[1]);
        let (expired, _) = q.expire(Instant::now() + Duration::from_secs(1));
        assert_eq!(expired, vec![(7, 1)]);
        let got: Vec<_> = items(&q).into_iter().map(|(id, o, _)| (id, o)).collect();
        assert_eq!(got, vec![(1, Outcome::Yield), (1, Outcome::TimedOut)]);
    }

    #[test]
    fn a_batch_that_reaches_the_cap_is_queued_without_a_drain() {
        let q = TaskQueue::new();
        q.push(task(1, 0));
        assert_eq!(take_id(&q, 7), Some(1));
        let big = vec![7u8; YIELD_BATCH_CAP];
        assert_eq!(q.yielded(7, 1, &big), accepted(true, 0));
        assert_eq!(
            q.next_completion().map(|c| (c.outcome, c.payload.len())),
            Some((Outcome::Yield, YIELD_BATCH_CAP + YIELD_VALUE_HEAD))
        );
        q.yielded(7, 1, &[1]);
        assert_eq!(items(&q), vec![(1, Outcome::Yield, vec![vec![1]])]);
    }

    #[test]
    fn credit_reaches_the_worker_running_the_task_and_only_grows() {
        let q = TaskQueue::new();
        q.push(task(1, 0));
        q.push(task(2, 0));
        assert_eq!(q.credit(1, 5), None, "queued: no worker runs it yet");
        assert_eq!(take_id(&q, 7), Some(1));
        assert_eq!(q.credit(1, 5), Some(7));
        assert_eq!(q.credit(1, 3), Some(7));
        assert_eq!(q.consumed(7, 1), Some(5), "counts only grow");
        assert_eq!(q.yielded(7, 1, &[1]), accepted(true, 5));
        assert_eq!(q.consumed(8, 1), None);
        q.complete(7, 1, false, vec![], Instant::now());
        assert_eq!(q.credit(1, 9), None, "ended");
        assert_eq!(q.consumed(7, 1), None);
    }

    #[test]
    fn the_wake_flag_stays_set_until_a_drain_finds_nothing() {
        let q = TaskQueue::new();
        for id in 1..=3 {
            q.push(task(id, 0));
        }
        assert_eq!(take_id(&q, 7), Some(1));
        assert_eq!(take_id(&q, 8), Some(2));
        assert_eq!(q.yielded(7, 1, &[1]), accepted(true, 0));
        let drain = |q: &TaskQueue| q.drain(64, 1024, |_, _| {}).unwrap();
        assert_eq!(drain(&q), 1);
        // The owner is still draining: what comes now needs no wake, its next call finds it.
        assert_eq!(q.yielded(7, 1, &[2]), accepted(false, 0));
        assert_eq!(
            q.complete(8, 2, false, vec![], Instant::now()),
            CompleteResult::Accepted { wake: false }
        );
        assert_eq!(drain(&q), 2);
        assert_eq!(drain(&q), 0);
        // Idle now: the next item wakes it.
        assert_eq!(q.yielded(7, 1, &[3]), accepted(true, 0));
        assert_eq!(drain(&q), 1);
        assert_eq!(drain(&q), 0);
        assert_eq!(
            q.complete(7, 1, false, vec![], Instant::now()),
            CompleteResult::Accepted { wake: true }
        );
    }

    #[test]
    fn batches_of_two_workers_stay_apart() {
        let q = TaskQueue::new();
        q.push(task(1, 0));
        q.push(task(2, 0));
        assert_eq!(take_id(&q, 7), Some(1));
        assert_eq!(take_id(&q, 8), Some(2));
        q.yielded(7, 1, &[1]);
        q.yielded(8, 2, &[2]);
        q.yielded(7, 1, &[3]);
        let mut got = items(&q);
        got.sort_by_key(|(id, ..)| *id);
        assert_eq!(
            got,
            vec![
                (1, Outcome::Yield, vec![vec![1], vec![3]]),
                (2, Outcome::Yield, vec![vec![2]])
            ]
        );
    }
}

/// The wake protocol with real threads: the owner drains only when woken (as
/// the threadsafe function would call it), and must end up with every value
/// and completion, none stranded behind a wake flag left set.
#[cfg(all(test, not(loom)))]
mod wake_tests {
    use super::super::tests::{take_id, task};
    use super::*;
    use std::sync::mpsc;
    use std::sync::Arc;
    use std::time::Instant;

    #[test]
    fn nothing_is_stranded_when_the_owner_drains_only_when_woken() {
        let seed = std::env::var("TK_SEED")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(0x5eed_u64);
        println!("seed {seed}");
        for round in 0..1000u64 {
            let q = Arc::new(TaskQueue::new());
            let tasks = 3;
            for id in 1..=tasks {
                q.push(task(id, 0));
            }
            let (wake_tx, wake_rx) = mpsc::channel::<()>();
            let producer = {
                let q = Arc::clone(&q);
                std::thread::spawn(move || {
                    let mut rng = seed ^ round.wrapping_mul(0x9e37_79b9_7f4a_7c15);
                    let mut next = move || {
                        rng ^= rng << 13;
                        rng ^= rng >> 7;
                        rng ^= rng << 17;
                        rng
                    };
                    let mut sent = 0usize;
                    for id in 1..=tasks {
                        assert_eq!(take_id(&q, 1), Some(id));
                        for v in 0..(next() % 50) as u8 {
                            sent += 1;
                            if let Yielded::Accepted { wake: true, .. } = q.yielded(1, id, &[v]) {
                                wake_tx.send(()).unwrap();
                            }
                            if next() % 8 == 0 {
                                std::thread::yield_now();
                            }
                        }
                        if q.complete(1, id, false, vec![], Instant::now()) == (CompleteResult::Accepted { wake: true })
                        {
                            wake_tx.send(()).unwrap();
                        }
                    }
                    sent
                })
            };
            let mut ended = 0;
            let mut values = 0usize;
            while ended < tasks {
                wake_rx
                    .recv_timeout(std::time::Duration::from_secs(10))
                    .unwrap_or_else(|_| panic!("round {round} (seed {seed}): an item was stranded: no wake came"));
                loop {
                    let mut got = Vec::new();
                    let n = q
                        .drain(64, 1 << 20, |c, _| got.push((c.outcome, c.payload.len())))
                        .unwrap();
                    for (outcome, len) in got {
                        match outcome {
                            Outcome::Yield => values += len / (YIELD_VALUE_HEAD + 1),
                            _ => ended += 1,
                        }
                    }
                    if n == 0 {
                        break;
                    }
                }
            }
            assert_eq!(
                values,
                producer.join().unwrap(),
                "round {round} (seed {seed}): every value, exactly once"
            );
        }
    }
}
