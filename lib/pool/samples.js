// @ts-check
'use strict';
/**
 * The latest N duration samples (ms) in a ring, for percentile metrics.
 * Percentiles are computed on demand by sorting a copy, which is fine for
 * a metrics call and keeps `add` at two stores.
 *
 * The ring starts small and doubles while it fills, up to `capacity`: a pool
 * that runs few tasks does not hold 2 x 32 KB of zeroed samples.
 */
const native = require('../native.js');
const { clockMs } = require('../clock.js');

const INITIAL = 64;

class Samples {
  /** @type {Float64Array} */
  #ring;
  /** @type {number} */
  #capacity;
  #next = 0;
  #count = 0;
  #max = 0;

  /** @param {number} [capacity] the most samples kept */
  constructor(capacity = 4096) {
    this.#capacity = capacity;
    this.#ring = new Float64Array(Math.min(INITIAL, capacity));
  }

  /** @param {number} ms */
  add(ms) {
    if (this.#count === this.#ring.length && this.#count < this.#capacity) this.#grow();
    this.#ring[this.#next] = ms;
    this.#next = (this.#next + 1) % this.#ring.length;
    if (this.#count < this.#ring.length) this.#count++;
    if (ms > this.#max) this.#max = ms;
  }

  /** Full but below capacity: it has not wrapped, so the samples are in order. */
  #grow() {
    const bigger = new Float64Array(Math.min(this.#ring.length * 2, this.#capacity));
    bigger.set(this.#ring);
    this.#next = this.#ring.length;
    this.#ring = bigger;
  }

  /**
   * `{ p50, p90, p99, max }` in ms over the latest samples (max over all time); zeros when empty.
   * @returns {{ p50: number, p90: number, p99: number, max: number }}
   */
  summary() {
    if (this.#count === 0) return { p50: 0, p90: 0, p99: 0, max: 0 };
    const sorted = this.#ring.slice(0, this.#count).sort();
    const at = (/** @type {number} */ q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
    return { p50: at(0.5), p90: at(0.9), p99: at(0.99), max: this.#max };
  }
}

/**
 * What getMetrics() returns for pool `s`.
 * @param {import('./state.js').PoolState} s
 * @returns {import('../../index.js').WorkerPoolMetrics}
 */
function metricsOf(s) {
  const { queued, running } = native.poolTaskCounts(s.id);
  const workers = native.poolWorkerCounts(s.id);
  const now = clockMs();
  let alive = s.workerTimeClosed;
  for (const w of s.workers.values()) alive += now - w.startedAt;
  return {
    name: s.opts.name,
    workers: workers.taking,
    idleWorkers: workers.idle,
    runningTasks: running,
    queueSize: queued,
    tasksSubmitted: s.submitted,
    tasksCompleted: s.completed,
    tasksFailed: s.failed,
    waitTime: s.waitTimes.summary(),
    runTime: s.runTimes.summary(),
    // Of the task slots (concurrentTasksPerWorker per worker): run time adds up per task.
    utilization: alive > 0 ? Math.min(1, s.busyTime / (alive * s.opts.concurrentTasksPerWorker)) : 0,
    uptime: now - s.createdAt,
  };
}

module.exports = { Samples, metricsOf };
