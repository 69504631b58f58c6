// @ts-check
'use strict';
/**
 * The waiters of the semaphore engine (lib/sync/fair-semaphore.js): LocalWaiter
 * in the engine's JS list (local mode), Waiter in the native queue (shared
 * mode), and the out-of-line timeout/abort state both share.
 */

const { native, isolateId, STATUS, WAKE_CLOSED, waiters, settleWakes } = require('../isolate.js');
const { AbortError, TimeoutError } = require('../errors.js');
const { newResolvedPermit } = require('./permit.js');
const { waitsForever, startWaitTimer, stopWaitTimer } = require('../wait-timer.js');
const { startAbortListener, stopAbortListener } = require('../abort-listeners.js');

/**
 * A waiter queued in local mode: as small as possible, since a contended
 * lock keeps one per waiting task (in a model of S2, a 7-field waiter ran
 * ~10% slower than a 4-field one). Its engine is the list it is in.
 */
class LocalWaiter {
  /**
   * @param {number} permits
   * @param {(permit: unknown) => void} resolve
   * @param {(error: Error) => void} reject
   */
  constructor(permits, resolve, reject) {
    this.permits = permits;
    this.resolve = resolve;
    this.reject = reject;
    this.prev = null;
    this.next = null;
    /** Only for waiters with a timeout or a signal: see `newExtra`. */
    this.extra = null;
  }
}

/**
 * Out-of-line state of a waiter with a timeout, an abort signal or a
 * deadlock-detector entry. `moved` is the shared waiter that a local one
 * became when its primitive was shared; `done` is set once it is settled.
 * @typedef {object} Extra
 * @property {import('../wait-timer.js').WaitTimer | undefined} timer
 * @property {object | undefined} abort  its abort registration (abort-listeners.js)
 * @property {number | undefined} ddWait  its deadlock-detector wait id
 * @property {Waiter | undefined} moved
 * @property {boolean} done
 * @property {number} priority  its queue priority (a waiter without Extra has 0)
 */

/** @returns {Extra} */
function newExtra() {
  return { timer: undefined, abort: undefined, ddWait: undefined, moved: undefined, done: false, priority: 0 };
}

/**
 * What a wait on this kind of primitive is called in its errors: an Event is
 * waited on, the others are acquired.
 * @param {string} kind
 * @returns {string}  e.g. 'Mutex acquire', 'Event wait'
 */
function waitName(kind) {
  return kind === 'Event' ? 'Event wait' : `${kind} acquire`;
}

/**
 * Arms the timeout and abort signal of `options` for waiter `w`; `cancel(error)` is called when one fires.
 * @param {{ kind: string }} engine
 * @param {{ extra: Extra | null }} w
 * @param {{ timeout?: number, signal?: AbortSignal }} options  already validated
 * @param {(error: Error) => void} cancel
 */
function watch(engine, w, options, cancel) {
  const kind = engine.kind;
  const timeout = options.timeout;
  if (!waitsForever(timeout)) {
    (w.extra ??= newExtra()).timer = startWaitTimer(timeout, () => cancel(new TimeoutError(`${waitName(kind)} timed out after ${timeout} ms`)));
  }
  const signal = options.signal;
  if (signal !== undefined) {
    (w.extra ??= newExtra()).abort = startAbortListener(signal, () =>
      cancel(new AbortError(`${waitName(kind)} was aborted`, { cause: signal.reason })),
    );
  }
}

/**
 * Marks a waiter settled and drops its timer, abort listener and deadlock-detector entry.
 * @param {Extra} x
 */
function cleanupExtra(x) {
  x.done = true;
  if (x.ddWait !== undefined) {
    native.ddUnwait(x.ddWait);
    x.ddWait = undefined;
  }
  if (x.timer !== undefined) stopWaitTimer(x.timer);
  if (x.abort !== undefined) stopAbortListener(x.abort);
}

/** A waiter in the native (shared) queue, found again through its token when native code wakes it. */
class Waiter {
  /**
   * @param {import('./fair-semaphore.js').FairSemaphore} engine
   * @param {number} permits
   * @param {number} key  its key in the native queue
   * @param {number} token  its wake token
   * @param {(permit: unknown) => void} resolve
   * @param {(error: Error) => void} reject
   */
  constructor(engine, permits, key, token, resolve, reject) {
    this.engine = engine;
    this.permits = permits;
    this.key = key;
    this.token = token;
    this.resolve = resolve;
    this.reject = reject;
    this.cancelled = false;
    /** Set once granted, failed or cancelled. */
    this.done = false;
    this.extra = null;
  }

  extras() {
    return (this.extra ??= newExtra());
  }

  watch(options) {
    watch(this.engine, this, options, (error) => this.cancel(error));
  }

  cleanup() {
    this.done = true;
    if (this.extra !== null) cleanupExtra(this.extra);
  }

  /** Native code has already counted the permits in this thread's ledger. */
  grant() {
    this.cleanup();
    this.resolve(newResolvedPermit(this.engine, this.permits));
  }

  fail(code) {
    this.cleanup();
    this.reject(code === WAKE_CLOSED ? this.engine.closedError() : new Error(`threadkit: unknown wake code ${code}`));
  }

  /** Leaves the queue at once (O(1) in the core) and rejects with `error`. */
  cancel(error) {
    if (this.cancelled || !waiters.has(this.token)) return;
    this.cleanup();
    const r = native.semCancel(isolateId, this.engine.id, this.key, this.token);
    if (r === STATUS.NOT_QUEUED) {
      // Already served; the wake is on its way and will return the permits.
      this.cancelled = true;
    } else {
      waiters.delete(this.token);
    }
    this.reject(error);
    if (r > 0) settleWakes(r);
  }
}

module.exports = {
  newExtra,
  waitName,
  LocalWaiter,
  Waiter,
  watch,
  cleanupExtra,
};
