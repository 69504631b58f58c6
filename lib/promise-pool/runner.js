// @ts-check
'use strict';
/**
 * How a PromisePool runs its tasks: the task object of an `add` with a
 * signal, and the runner that calls a task and hands its outcome back to the
 * pool.
 *
 * A *runner* is one object with two handlers, made once and reused: it
 * calls a task, subscribes its handlers to the result with the internal
 * `then` (what `await` does), and when they are called it settles the
 * task's promise and takes the next pending task itself. So a finished
 * task hands its slot on without a new closure or microtask of ours; the
 * only promises per task are the one `add` returns and the one `then`
 * returns (map items have no promise of their own: they write into the
 * map's result array; see map.js). An `await` in an async loop did the
 * same job but allocated a context and two closures per await: the pool ran
 * Q1 ~1.2x slower with it. A task that throws synchronously reaches its
 * runner like any other outcome, a microtask later, so tasks that fail at
 * once never nest calls.
 */

const { QUEUED } = require('./task-queue.js');
const { stopAbortListener } = require('../abort-listeners.js');
const { TimeoutError } = require('../errors.js');
const { startWaitTimer, stopWaitTimer } = require('../wait-timer.js');

/**
 * A task from `add` with a signal. A plain task needs no object (its fn,
 * resolve function and scope sit in the queue); this one does, so that an
 * abort can mark it dead where it waits. `state`: QUEUED, then STARTED or
 * DEAD. Map items (MapTask) have the same shape.
 */
class SignalTask {
  /**
   * @param {(signal: AbortSignal) => unknown} fn
   * @param {(value: unknown) => void} resolve
   * @param {AbortSignal | undefined} signal
   * @param {number} priority
   */
  constructor(fn, resolve, signal, priority) {
    this.state = QUEUED;
    /** Its queue's priority, for PriorityQueue.remove. */
    this.priority = priority;
    this.scope = null;
    this.fn = fn;
    this.resolve = resolve;
    this.signal = signal;
    /** Its abort registration while it waits (abort-listeners.js). */
    this.abort = null;
  }

  start() {
    return this.fn(this.signal);
  }

  done(value) {
    this.resolve(value);
  }

  fail(error) {
    this.resolve(Promise.reject(error));
  }

  /** Taken off the queue by clear() (or a closed Semaphore): it will never start. */
  abandon(error) {
    this.fail(error);
  }

  /** Leaves the queue: drops the abort listener. */
  detach() {
    if (this.abort !== null) {
      stopAbortListener(this.abort);
      this.abort = null;
    }
  }

  /** Removed while queued (and settled): keeps nothing alive from its dead queue entry. */
  hollow() {
    this.fn = null;
    this.resolve = null;
    this.signal = null;
  }
}

/**
 * A task with a timeout: from its start, it has `timeout` ms. Then the
 * signal `fn` got aborts and its promise rejects with TimeoutError, even if
 * `fn` ignores the signal. Its slot stays taken until `fn` settles (the pool
 * calls done or fail then): the limit counts functions that really run.
 */
class TimedTask extends SignalTask {
  /**
   * @param {(signal: AbortSignal) => unknown} fn
   * @param {(value: unknown) => void} resolve
   * @param {AbortSignal | undefined} signal
   * @param {number} priority
   * @param {number} timeout  finite, >= 0
   */
  constructor(fn, resolve, signal, priority, timeout) {
    super(fn, resolve, signal, priority);
    this.timeout = timeout;
    /** @type {import('../wait-timer.js').WaitTimer | null} */
    this.timer = null;
    /** The TimeoutError it rejected with, once timed out. */
    this.timedOut = null;
  }

  start() {
    const ac = new AbortController();
    const outer = this.signal;
    const signal = outer === undefined ? ac.signal : AbortSignal.any([outer, ac.signal]);
    this.timer = startWaitTimer(this.timeout, () => {
      this.timer = null;
      const error = new TimeoutError(`PromisePool task timed out after ${this.timeout} ms`);
      this.timedOut = error;
      ac.abort(error);
      this.resolve(Promise.reject(error));
    });
    return this.fn(signal);
  }

  /** @param {unknown} value */
  done(value) {
    if (this.#settle()) this.resolve(value);
  }

  /** @param {unknown} error */
  fail(error) {
    if (this.#settle()) this.resolve(Promise.reject(error));
  }

  /** Stops the timer; false if the task has timed out already (its promise is settled). */
  #settle() {
    if (this.timer !== null) {
      stopWaitTimer(this.timer);
      this.timer = null;
    }
    return this.timedOut === null;
  }
}

/**
 * Settles a task that will not run.
 * @param {Function | import('./task-queue.js').QueuedTask & { abandon(error: unknown): void }} x
 * @param {((value: unknown) => void) | null} resolve
 * @param {unknown} error
 */
function failEntry(x, resolve, error) {
  if (typeof x === 'function') resolve(Promise.reject(error));
  else x.abandon(error);
}

/**
 * Runs one task at a time: it calls the task, and its two handlers (made
 * once per runner) settle the task's promise and take the next pending task.
 */
class Runner {
  constructor() {
    /** The running task's fn, SignalTask or MapTask; null while idle. */
    this.x = null;
    /** A plain task's resolve function. */
    this.resolve = null;
    this.ok = null;
    this.fail = null;
    /** It holds the permit of its finished task, for its next one (PromisePool's #finish and #next). */
    this.kept = false;
  }
}

/**
 * Hands the outcome of `result` to runner r, through an await.
 * @param {Promise<unknown>} result
 * @param {Runner} r
 */
async function awaitOutcome(result, r) {
  let value;
  try {
    value = await result;
  } catch (error) {
    r.fail(error);
    return;
  }
  r.ok(value);
}

/** Idle runners a pool keeps for reuse. */
const IDLE_RUNNERS_KEPT = 64;

/**
 * The built-in Promise, even if a library (zone.js, a polyfill) has replaced
 * the global one: the runners rely on its `then`.
 */
const NativePromise = /** @type {PromiseConstructor} */ ((async () => {})().constructor);
const promiseThen = NativePromise.prototype.then;

/**
 * Gives back a finished task's permit. It throws only if this thread released the pool's permits behind its
 * back: say so with a warning, but let the task settle and the pool go on.
 * @param {{ release(): void }} sem
 */
function releasePermit(sem) {
  try {
    sem.release();
  } catch (error) {
    process.emitWarning(`PromisePool: ${error?.message ?? error}`, { type: error?.name ?? 'Warning', code: error?.code });
  }
}

module.exports = { SignalTask, TimedTask, failEntry, Runner, awaitOutcome, releasePermit, IDLE_RUNNERS_KEPT, NativePromise, promiseThen };
