// @ts-check
'use strict';
/**
 * The `map` of PromisePool: one MapRun per call keeps the results in input
 * order and hands items to the pool as MapTasks, all at once or (with
 * `options.concurrency`) a window at a time. A MapTask has no promise of its
 * own: it reports to its MapRun. All items run in the async context of the
 * `map` call (one AsyncResource per map). On the first error (with
 * stopOnError) or an abort of the map's signal, the MapRun removes its items
 * that have not started from the pool and aborts the signal it gave to the
 * running ones; what they do after that is ignored.
 */

const { AsyncResource } = require('node:async_hooks');
const { AbortError } = require('../errors.js');
const { startAbortListener, stopAbortListener } = require('../abort-listeners.js');
const { QUEUED } = require('./task-queue.js');

/**
 * The AbortError of a PromisePool task or map aborted by `signal`.
 * @param {AbortSignal} signal
 * @param {string} what  what was aborted, for the message
 * @returns {import('../errors.js').AbortError}
 */
function abortError(signal, what) {
  return new AbortError(`${what} was aborted`, { cause: signal.reason });
}

/**
 * One item of a `map`; reports to its MapRun instead of owning a promise.
 * Its shape is the pool's SignalTask's: `state` (task-queue.js's QUEUED,
 * STARTED or DEAD), start/done/fail/abandon, detach, hollow.
 */
class MapTask {
  /**
   * @param {MapRun} run
   * @param {number} index  its item's index
   */
  constructor(run, index) {
    this.state = QUEUED;
    this.run = run;
    this.index = index;
  }

  start() {
    const r = this.run;
    return r.fn(r.items[this.index], this.index, r.signal);
  }

  done(value) {
    this.run.settled(this.index, true, value);
  }

  fail(error) {
    this.run.settled(this.index, false, error);
  }

  /**
   * Taken off the queue by clear() (or a closed Semaphore): the whole map
   * rejects with `error` and starts nothing more, whatever stopOnError says;
   * else it would feed its next item back into the queue clear() emptied.
   */
  abandon(error) {
    this.run.stop(error);
  }

  detach() {}

  /** Dropped while queued: its dead queue entry no longer keeps the map (fn, items, results) alive. */
  hollow() {
    this.run = null;
  }
}

/** The state of one `map` call: results in input order, a window of at most `limit` items in the pool. */
class MapRun {
  /**
   * @param {import('./index.js').PromisePool} pool
   * @param {(pool: import('./index.js').PromisePool, task: MapTask, scope: AsyncResource) => void} enqueue  queues an item in the pool
   * @param {(pool: import('./index.js').PromisePool, tasks: MapTask[]) => void} drop  removes the items still queued
   * @param {unknown[]} items
   * @param {(item: unknown, index: number, signal: AbortSignal) => unknown} fn
   * @param {boolean} stopOnError
   * @param {AbortSignal | undefined} outerSignal  the caller's signal
   * @param {number} limit  items of this map in the pool at once (Infinity: all)
   * @param {(results: unknown[]) => void} resolve
   * @param {(error: unknown) => void} reject
   */
  constructor(pool, enqueue, drop, items, fn, stopOnError, outerSignal, limit, resolve, reject) {
    this.pool = pool;
    /** The pool's private queue operations, handed over by the pool. */
    this.enqueue = enqueue;
    this.drop = drop;
    /** A copy taken at the call (by PromisePool.map). */
    this.items = items;
    this.count = items.length;
    this.fn = fn;
    this.stopOnError = stopOnError;
    this.outerSignal = outerSignal;
    this.limit = limit;
    this.resolve = resolve;
    this.reject = reject;
    this.results = new Array(this.count);
    this.errors = null;
    this.nextIndex = 0;
    this.left = this.count;
    /** Every task made so far, to drop the unstarted ones on stop. */
    this.tasks = [];
    this.finished = false;
    this.scope = new AsyncResource('PromisePoolMap');
    // Passed to every call of fn: aborts when the map gives up (first error with stopOnError, or outer abort).
    this.controller = new AbortController();
    this.signal = this.controller.signal;
    /** Its abort registration on outerSignal (abort-listeners.js). */
    this.outerAbort = null;
  }

  begin() {
    const outer = this.outerSignal;
    if (outer !== undefined) {
      this.outerAbort = startAbortListener(outer, () => this.stop(abortError(outer, 'PromisePool map')));
    }
    this.feed(Math.min(this.limit, this.count));
  }

  /**
   * Queues up to `count` more items in the pool.
   * @param {number} count
   */
  feed(count) {
    for (let i = 0; i < count && this.nextIndex < this.count && !this.finished; i++) {
      const task = new MapTask(this, this.nextIndex++);
      this.tasks.push(task);
      this.enqueue(this.pool, task, this.scope);
    }
  }

  /**
   * Item `index` has settled.
   * @param {number} index
   * @param {boolean} ok
   * @param {unknown} value  the result, or the error
   */
  settled(index, ok, value) {
    if (this.finished) return;
    if (ok) this.results[index] = value;
    else if (this.stopOnError) return this.stop(value);
    else (this.errors ??= []).push({ index, error: value });
    if (--this.left === 0) return this.end();
    if (this.limit !== Infinity) this.feed(1);
  }

  end() {
    this.finished = true;
    this.detach();
    this.tasks = [];
    if (this.errors === null) return this.resolve(this.results);
    const errors = this.errors.sort((a, b) => a.index - b.index).map((e) => e.error);
    this.reject(new AggregateError(errors, `${errors.length} of ${this.count} PromisePool map items failed`));
  }

  /**
   * Gives up: rejects the map, drops its items that have not started, and aborts the signal its running items got.
   * @param {unknown} error
   */
  stop(error) {
    if (this.finished) return;
    this.finished = true;
    this.detach();
    this.drop(this.pool, this.tasks);
    this.tasks = [];
    this.reject(error);
    this.controller.abort(error);
  }

  detach() {
    if (this.outerAbort !== null) stopAbortListener(this.outerAbort);
    this.outerAbort = null;
  }
}

module.exports = { MapRun, abortError };
