// @ts-check
'use strict';
/**
 * serve()'s default BullMQ concurrency: the pool's maxWorkers plus a prefetch
 * that follows the jobs' length.
 *
 * A prefetch hides the trip of the next job from Redis (a round trip, about
 * 0.1 to 1 ms, plus the hand-over to a pool thread): it pays in proportion to
 * that trip over the job's length. It costs in proportion to the job's length:
 * a job this consumer holds waits in its pool's queue while another consumer's
 * threads may idle. So the prefetch holds about PREFETCH_BUDGET_MS of work per
 * thread: prefetch = ceil(maxWorkers x budget / job length), from 1 (long jobs:
 * a job waits at most one job length) to MAX_PREFETCH (tiny jobs).
 *
 * The job length is a moving average over the jobs served, each estimated from
 * its time in the pool (queue wait included) divided by how many pool rounds
 * the jobs in flight at its start make: d / max(1, inFlight / maxWorkers).
 * The prefetch starts at the minimum (no job measured: assume long ones), and
 * falls faster than it rises: long jobs after tiny ones cut it within a job or two.
 * More signals, so a switch from tiny to long jobs costs few held jobs:
 * a job still running counts as at least as long as it has run (serve checks
 * the oldest one as each job starts); while jobs wait in the pool, no
 * completion for STALL_MIN_MS or more means every running job has run that
 * long (serve looks every STALL_MIN_MS, and hands the jobs the pool has not started
 * beyond the new concurrency back to the queue, for any consumer); and a
 * consumer idle for IDLE_RESET_MS starts over at the minimum (a prefetch only
 * pays while there is a backlog, and the next jobs may be long ones).
 * Measured by the bench cases C1-C4, F1 and F2 (docs/performance.md).
 */

/**
 * Work held per pool thread beyond the running jobs, in ms. 5 ms gave 1 ms jobs a prefetch of 2 to 4 on a
 * loaded 2-core machine (their measured length includes waiting for a CPU) and lost to a fixed 16 there
 * (bench C2: 0.91x); 20 ms matched it (1.01x) and keeps jobs of 20 x maxWorkers ms or more at a prefetch of 1.
 */
const PREFETCH_BUDGET_MS = 20;
const MIN_PREFETCH = 1;
/**
 * The cap, which tiny jobs reach. Past hiding the round trip, more jobs in flight batch the work: the pool
 * takes several queued tasks per thread wake-up, and Redis several commands per read. Tiny jobs through one
 * consumer (2 workers, 2-core machine, one run, interleaved): concurrency 18 (a cap of 16) 10.4k jobs/s,
 * 26: 11.3k, 34: 11.5k, 50: 11.8k, 66: 11.9k, with the consumer's CPU per job 73 µs at 18 and 65-68 µs
 * above (benchmark/probes/bullmq-serve-cost.mjs and bench C1). 32 takes most of that gain; a larger cap
 * would take more jobs at a switch from tiny to long jobs, before the estimate rises (bench F2).
 */
const MAX_PREFETCH = 32;
/**
 * The shortest wait with no completion that waited() is told of, and how often serve looks, while jobs wait in
 * its pool. Shorter jobs tell their length by completing (observe()), and on a busy machine the pool's threads
 * can wait for a core a few ms (tiny jobs on the 2-core machine had 93 gaps of 1.1 to 5.7 ms in 20k jobs; a cut
 * at 1 ms gave back 772 of them). A look every 5 ms, each through a timer and then an immediate, cost 1 ms jobs
 * about 20 µs of main thread per job (bench D2, against a BullMQ Worker that only calls pool.execute): a timer
 * alone every 10 ms now, and the immediate only when the wait is long enough.
 */
const STALL_MIN_MS = 10;
/** A consumer with no job for this long has no backlog (refills take a round trip): serve then calls reset(). */
const IDLE_RESET_MS = 50;
/** The moving average's weight of a job longer than the average (fast: long jobs cut the prefetch at once) and of a shorter one. */
const WEIGHT_UP = 1 / 2;
const WEIGHT_DOWN = 1 / 8;

/** The prefetch for jobs of `jobMs` on `maxWorkers` threads (a pure function of the two, for tests). */
function prefetchFor(maxWorkers, jobMs) {
  if (!(jobMs > 0)) return MAX_PREFETCH;
  return Math.min(MAX_PREFETCH, Math.max(MIN_PREFETCH, Math.ceil((maxWorkers * PREFETCH_BUDGET_MS) / jobMs)));
}

class AdaptivePrefetch {
  #maxWorkers;
  /** The moving average of a job's length in ms; Infinity until a job is measured. */
  #jobMs = Infinity;

  /** @param {number} maxWorkers */
  constructor(maxWorkers) {
    this.#maxWorkers = maxWorkers;
  }

  /** The BullMQ concurrency to use now. */
  get concurrency() {
    return this.#maxWorkers + (this.#jobMs === Infinity ? MIN_PREFETCH : prefetchFor(this.#maxWorkers, this.#jobMs));
  }

  /**
   * Records a job that was in the pool from `startedAt` to `endedAt` (ms, one clock) and found `inFlight` jobs
   * (itself included) in flight on this consumer when it started; returns the concurrency to use now.
   * @param {number} startedAt
   * @param {number} endedAt
   * @param {number} inFlight
   */
  observe(startedAt, endedAt, inFlight) {
    const jobMs = (endedAt - startedAt) / Math.max(1, inFlight / this.#maxWorkers);
    if (this.#jobMs === Infinity) this.#jobMs = jobMs;
    else this.#jobMs += (jobMs > this.#jobMs ? WEIGHT_UP : WEIGHT_DOWN) * (jobMs - this.#jobMs);
    return this.concurrency;
  }

  /**
   * A job still running at `now`, started at `startedAt` with `inFlight` jobs in flight: the jobs are at least
   * that long.
   * @param {number} startedAt
   * @param {number} now
   * @param {number} inFlight
   */
  running(startedAt, now, inFlight) {
    const jobMs = (now - startedAt) / Math.max(1, inFlight / this.#maxWorkers);
    if (this.#jobMs !== Infinity && jobMs > this.#jobMs) this.#jobMs = jobMs;
    return this.concurrency;
  }

  /**
   * No job completed for `gapMs` while jobs waited in the pool (every thread busy): each running job has run at
   * least that long, so the jobs are at least that long. Returns the concurrency to use now.
   * @param {number} gapMs
   */
  waited(gapMs) {
    if (this.#jobMs !== Infinity && gapMs > this.#jobMs) this.#jobMs = gapMs;
    return this.concurrency;
  }

  /** The consumer went idle (no backlog): start over at the minimum, as the next jobs may be long ones. */
  reset() {
    this.#jobMs = Infinity;
    return this.concurrency;
  }
}

module.exports = { AdaptivePrefetch, prefetchFor, PREFETCH_BUDGET_MS, MIN_PREFETCH, MAX_PREFETCH, IDLE_RESET_MS, STALL_MIN_MS };
