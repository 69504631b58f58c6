// @ts-check
'use strict';
/**
 * pool.stream(): the caller's side of a task whose function returns a
 * generator (or any iterable). The values it yields arrive through the
 * pool's completion queue (drain.js: OUTCOME_YIELD), in order and before
 * the task's end, and wait here until the caller takes them. The worker
 * side is worker/stream.js.
 *
 * Backpressure: the worker runs at most `highWaterMark` values ahead of
 * what the caller has taken. Once per half window this side records the
 * caller's count in the native core (poolStreamCredit) and bumps the CREDIT
 * word of the worker running the task (worker-words.js), which wakes it if
 * it waits. So a slow caller holds at most `highWaterMark` values here and
 * pauses the generator, and a fast one costs one native call per half window.
 */

const native = require('../native.js');
const { WORDS } = require('./worker-words.js');
const { validateInteger } = require('../validate.js');
const { settle, checkRoom } = require('./settle.js');
const { runnerOf, abortRunning } = require('./lifecycle.js');
const { AbortError } = require('../errors.js');

/** Values the worker may send ahead of the caller, unless `highWaterMark` says otherwise. */
const DEFAULT_HIGH_WATER_MARK = 256;
const MAX_HIGH_WATER_MARK = 2 ** 20;

/** @typedef {{ resolve: (r: IteratorResult<any>) => void, reject: (e: unknown) => void }} Waiter */

/**
 * The AsyncIterableIterator that pool.stream() returns.
 * @template T
 * @implements {AsyncIterableIterator<T>}
 */
class TaskStream {
  /** @param {number} highWaterMark */
  constructor(highWaterMark) {
    this.highWaterMark = highWaterMark;
    /** Values received and not taken yet, from `head` on. @type {unknown[]} */
    this.values = [];
    this.head = 0;
    /** Values the caller has taken; `credited`: the count last given to the worker. */
    this.consumed = 0;
    this.credited = 0;
    /** The pool's state and the task's id, set when it is queued (attach). @type {import('./state.js').PoolState | undefined} */
    this.s = undefined;
    this.id = 0;
    /** next() calls waiting for a value. @type {Waiter[]} */
    this.waiters = [];
    /** 0: open; 1: the task ended, after the values held; 2: the error is still to throw; 3: done. */
    this.state = 0;
    /** The task's error, thrown after the values held. @type {unknown} */
    this.error = undefined;
    /** Resolves when the task has ended (the worker's generator has finished). @type {Promise<void>} */
    this.ended = Promise.resolve();
  }

  /**
   * The task was queued as `id` in pool `s`: its record gets this stream.
   * @param {import('./state.js').PoolState} s
   * @param {number} id
   */
  attach(s, id) {
    const rec = s.tasks.get(id);
    if (rec !== undefined) rec.stream = this;
    this.s = s;
    this.id = id;
  }

  /**
   * The caller stopped reading (return(), `break`), or a value could not be
   * decoded: a queued task is dropped; a running one's generator is asked
   * to return (its finally blocks run), and its promise settles when it
   * has, or when abortGrace stops its worker.
   */
  stop() {
    const s = this.s;
    const id = this.id;
    if (s === undefined || !s.tasks.has(id)) return;
    if (native.poolCancel(s.id, id)) {
      settle(s, id, false, new AbortError('The stream was closed before its task started'));
      checkRoom(s);
      return;
    }
    const runner = runnerOf(s, id);
    if (runner) abortRunning(s, runner, id, 'the stream was closed by its consumer');
  }

  /**
   * Follows the task's promise (what execute() returned).
   * @param {Promise<unknown>} task
   */
  follow(task) {
    this.ended = task.then(
      () => this.end(false, undefined),
      (e) => this.end(true, e),
    );
  }

  /**
   * A value the generator yielded.
   * @param {unknown} value
   */
  push(value) {
    if (this.state !== 0) return;
    const waiter = this.waiters.shift();
    if (waiter === undefined) {
      this.values.push(value);
      return;
    }
    this.took();
    waiter.resolve({ value, done: false });
  }

  /**
   * The task ended: with an error (thrown after the values held), or not.
   * @param {boolean} failed
   * @param {unknown} error
   */
  end(failed, error) {
    if (this.state !== 0) return;
    this.state = failed ? 2 : 1;
    this.error = error;
    if (this.head < this.values.length) return;
    for (const w of this.waiters.splice(0)) this.settleEnd(w);
  }

  /** Drops the values held: the caller aborted, and wants none of them. */
  drop() {
    this.values.length = 0;
    this.head = 0;
  }

  /**
   * The end, to a next() call: the error once, then done.
   * @param {Waiter} w
   */
  settleEnd(w) {
    if (this.state === 2) {
      this.state = 3;
      w.reject(this.error);
    } else {
      this.state = 3;
      w.resolve({ value: undefined, done: true });
    }
  }

  /** One more value taken: credit the worker once per half window. */
  took() {
    this.consumed++;
    if (this.consumed - this.credited >= Math.ceil(this.highWaterMark / 2) && this.s !== undefined) {
      this.credited = this.consumed;
      const slot = native.poolStreamCredit(this.s.id, this.id, this.consumed);
      const w = slot < 0 ? undefined : this.s.workers.get(slot);
      if (w !== undefined) {
        Atomics.add(w.stdio, WORDS.CREDIT, 1);
        Atomics.notify(w.stdio, WORDS.CREDIT);
      }
    }
  }

  /** @returns {Promise<IteratorResult<T>>} */
  next() {
    if (this.head < this.values.length) {
      const value = this.values[this.head];
      this.values[this.head++] = undefined;
      if (this.head === this.values.length) this.drop();
      // Credit only while the task runs: an ended one reads nothing more.
      if (this.state === 0) this.took();
      return Promise.resolve({ value: /** @type {T} */ (value), done: false });
    }
    return new Promise((resolve, reject) => {
      const w = { resolve, reject };
      if (this.state !== 0) this.settleEnd(w);
      else this.waiters.push(w);
    });
  }

  /**
   * Stops the stream (what `break` in `for await` calls): the worker's
   * generator returns, its `finally` blocks run, and the task's signal
   * aborts; resolves once the task has ended.
   * @param {any} [value]
   * @returns {Promise<IteratorResult<T>>}
   */
  return(value) {
    if (this.state === 0) {
      this.drop();
      this.stop();
    }
    this.state = 3;
    for (const w of this.waiters.splice(0)) w.resolve({ value: undefined, done: true });
    return this.ended.then(() => ({ value, done: true }));
  }

  [Symbol.asyncIterator]() {
    return this;
  }
}

/**
 * pool.stream()'s own option, checked; the rest are execute()'s.
 * @param {unknown} options
 * @returns {number} the highWaterMark
 */
function streamHighWaterMark(options) {
  const hwm = /** @type {{ highWaterMark?: unknown } | undefined} */ (options)?.highWaterMark;
  if (hwm === undefined) return DEFAULT_HIGH_WATER_MARK;
  validateInteger(hwm, 'highWaterMark', 1, MAX_HIGH_WATER_MARK);
  return /** @type {number} */ (hwm);
}

module.exports = { TaskStream, streamHighWaterMark, DEFAULT_HIGH_WATER_MARK };
