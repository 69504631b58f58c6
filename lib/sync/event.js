// @ts-check
'use strict';
/**
 * Event (Python's threading.Event, across threads): a flag that `set()`
 * raises and `clear()` lowers; `wait()` resolves once it is raised.
 *
 * It is a thin layer over the one semaphore engine (fair-semaphore.js), as
 * Mutex and RwLock are, so it gets local mode (no native call while its
 * handle was never taken), the native FIFO queue, wake mailbox, ledger and
 * dead-thread recovery without a parallel machinery. The flag is the
 * engine's bound: 1 while clear, MAX_PERMITS while set. A waiter asks for
 * WAIT_PERMITS (2) permits, which a bound of 1 can never grant, and gives
 * them back as soon as it has them. So:
 * - `set()` raises the bound; the engine serves every queued waiter (all fit)
 *   in queue order, on every thread, and later waits pass at once.
 * - `clear()` lowers it to 1. A waiter that was already granted still
 *   resolves (it was woken while the flag was up, as in Python); what it
 *   still holds is a debt that its release pays, so the bound stays 1.
 * - A thread that dies while holding a waiter's 2 permits gives them back
 *   (the engine's ledger), like any other holder.
 */

const { FairSemaphore, MAX_PERMITS } = require('./fair-semaphore.js');
const { validateWaitOptions } = require('../validate.js');

/** A waiter's permits: more than a clear Event's bound (1), never more than a set one's. */
const WAIT_PERMITS = 2;
/** The bound while clear. */
const CLEAR_BOUND = 1;
const RESOLVED = Promise.resolve();

class Event {
  #e;

  /**
   * @param {{ set?: boolean }} [options]  `set: true` starts the Event set
   */
  constructor(options) {
    if (options !== undefined && (options === null || typeof options !== 'object')) {
      throw new TypeError(`options must be an object like { set: true }, got ${options === null ? 'null' : typeof options}`);
    }
    const start = options?.set;
    if (start !== undefined && typeof start !== 'boolean') {
      throw new TypeError(`options.set must be a boolean, got ${typeof start === 'string' ? JSON.stringify(start) : String(start)}`);
    }
    const bound = start === true ? MAX_PERMITS : CLEAR_BOUND;
    this.#e = attaching === undefined ? new FairSemaphore('Event', bound, undefined, bound) : new FairSemaphore('Event', attaching.max, attaching);
  }

  /**
   * Attaches to an Event created elsewhere (usually on another thread).
   * @param {unknown} handle
   * @returns {Event}
   */
  static from(handle) {
    FairSemaphore.checkHandle(handle, 'Event');
    attaching = /** @type {any} */ (handle);
    try {
      return new Event();
    } finally {
      attaching = undefined;
    }
  }

  /** A cloneable handle for `Event.from` (e.g. in `workerData`). */
  get handle() {
    return this.#e.handle();
  }

  /** True while set, on every thread. */
  get isSet() {
    return this.#e.max !== CLEAR_BOUND;
  }

  /** Waits queued now, on all threads. */
  get waiting() {
    return this.#e.waiting();
  }

  /** Sets the flag: every queued wait resolves (on every thread, in queue order), and later waits resolve at once. */
  set() {
    if (this.#e.max !== MAX_PERMITS) this.#e.setMax(MAX_PERMITS);
  }

  /** Clears the flag: later waits wait for the next `set()`. */
  clear() {
    if (this.#e.max !== CLEAR_BOUND) this.#e.setMax(CLEAR_BOUND);
  }

  /**
   * Resolves once the flag is set: at once if it is set now.
   * @param {{ signal?: AbortSignal, timeout?: number }} [options]
   * @returns {Promise<void>}
   */
  wait(options) {
    const e = this.#e;
    try {
      validateWaitOptions(options);
    } catch (err) {
      return Promise.reject(err);
    }
    // Set now: nothing to queue for (an aborted signal still rejects, as every wait's does).
    if (e.max !== CLEAR_BOUND && options?.signal?.aborted !== true) return RESOLVED;
    return e.acquire(WAIT_PERMITS, options).then(release);
  }
}

/** The handle `from` is attaching to, read by the constructor it calls. */
let attaching;

/** @param {{ release(): void }} guard */
function release(guard) {
  guard.release();
}

module.exports = { Event };
