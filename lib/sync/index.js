// @ts-check
'use strict';
/**
 * Semaphore, Mutex and RwLock: thin public layers over the one FairSemaphore
 * engine (tokio style: a Mutex is a semaphore of 1; an RwLock reader takes 1
 * permit and a writer takes all of them). All three work within one thread
 * and across worker_threads: pass `x.handle` to a worker and call
 * `X.from(handle)` there.
 */

const { FairSemaphore, MAX_PERMITS } = require('./fair-semaphore.js');
const { validateWaitOptions } = require('../validate.js');

/**
 * A permit count in [1, max].
 * @param {unknown} n
 * @param {string} name
 * @param {number} max
 * @returns {number}
 */
function validatePermits(n, name, max) {
  return validateInteger(n, name, 1, max);
}
const { Permit, newPermit } = require('./permit.js');
const { validateFunction, validateInteger } = require('../validate.js');
const { detection, runAsScope } = require('./deadlock.js');

/**
 * Holds `permits` of `engine` while `fn` runs; a deadlock-detector scope when detection is on.
 * @template T
 * @param {import('./fair-semaphore.js').FairSemaphore} engine
 * @param {number} permits
 * @param {{ signal?: AbortSignal, timeout?: number } | undefined} options
 * @param {() => T | Promise<T>} fn
 * @returns {Promise<T>}
 */
async function runHolding(engine, permits, options, fn) {
  if (detection.enabled) engine.ensureShared();
  const guard = await engine.acquire(permits, options);
  try {
    return detection.enabled ? await runAsScope(engine, permits, fn) : await fn();
  } finally {
    guard.release();
  }
}

/** The handle `fromHandle` is attaching to, read by engineFor in the constructor it calls. */
let attaching;
/**
 * `Class.from(handle)`: a new public object on the existing primitive.
 * @template T
 * @param {{ new (...args: any[]): T, argsFromHandle(handle: any): any[] }} Class
 * @param {string} kind
 * @param {unknown} handle
 * @returns {T}
 */
function fromHandle(Class, kind, handle) {
  FairSemaphore.checkHandle(handle, kind);
  attaching = handle;
  try {
    return new Class(...Class.argsFromHandle(handle));
  } finally {
    attaching = undefined;
  }
}

/**
 * The engine of a public object being made: a new one, or the one `fromHandle` attaches to.
 * @param {string} kind
 * @param {number} max
 * @param {number} [initial]  permits free at first (default `max`)
 * @param {boolean} [anywhere]  release allowed on any thread
 * @returns {import('./fair-semaphore.js').FairSemaphore}
 */
function engineFor(kind, max, initial, anywhere) {
  return new FairSemaphore(kind, max, attaching, initial, anywhere);
}

/**
 * `new Semaphore(permits, options)`'s arguments, checked: `[max, initial, anywhere]`.
 * @param {unknown} permits
 * @param {unknown} options
 * @returns {[number, number, boolean]}
 */
function semaphoreArgs(permits, options) {
  if (options === undefined) return [validatePermits(permits, 'permits', MAX_PERMITS), /** @type {number} */ (permits), false];
  if (options === null || typeof options !== 'object') {
    throw new TypeError(`options must be an object like { max: 1 }, got ${options === null ? 'null' : typeof options}`);
  }
  const max = /** @type {{ max?: unknown }} */ (options).max;
  if (max === undefined) return [validatePermits(permits, 'permits', MAX_PERMITS), /** @type {number} */ (permits), false];
  validateInteger(max, 'options.max', 1, MAX_PERMITS);
  validateInteger(permits, 'permits (with options.max)', 0, /** @type {number} */ (max));
  return [/** @type {number} */ (max), /** @type {number} */ (permits), true];
}

/** Engines of public objects, for acquireAll and semaphoreEngine. */
const engines = new WeakMap();

/**
 * The engine behind a Semaphore, for PromisePool's start gate (internal: it
 * takes and gives back bare permits, with no Permit object per task), or
 * null for a subclass, whose own methods may do more and must be called.
 * @param {Semaphore} sem
 * @returns {import('./fair-semaphore.js').FairSemaphore | null}
 */
function semaphoreEngine(sem) {
  return Object.getPrototypeOf(sem) === Semaphore.prototype ? engines.get(sem).engine : null;
}

class Semaphore {
  #e;

  /**
   * @param {number} permits  permits free at first: 1 to 536870911, or 0 to `options.max`
   * @param {{ max?: number }} [options]  `max`: the bound, and release allowed on any thread
   */
  constructor(permits, options) {
    if (attaching !== undefined) this.#e = engineFor('Semaphore', permits);
    else this.#e = engineFor('Semaphore', ...semaphoreArgs(permits, options));
    engines.set(this, { engine: this.#e, permits: 1 });
  }

  static argsFromHandle(handle) {
    return [handle.max];
  }

  /** Attaches to a Semaphore created elsewhere (usually another thread). */
  static from(handle) {
    return fromHandle(Semaphore, 'Semaphore', handle);
  }

  /** A cloneable handle for `Semaphore.from` (e.g. in `workerData`). */
  get handle() {
    return this.#e.handle();
  }

  /** Permits free right now. */
  get available() {
    return this.#e.available;
  }

  /** The bound: the most permits free at once (what `setPermits` changes). */
  get permits() {
    return this.#e.max;
  }

  /** Waiters queued on all threads. */
  get waiting() {
    return this.#e.waiting();
  }

  /** True after `close()`. */
  get closed() {
    return this.#e.closed;
  }

  acquire(n = 1, options) {
    const e = this.#e;
    if (n !== 1 || options !== undefined) {
      try {
        validatePermits(n, 'n', e.max);
        validateWaitOptions(options);
      } catch (err) {
        return Promise.reject(err);
      }
    }
    return e.acquire(n, options);
  }

  tryAcquire(n = 1) {
    const e = this.#e;
    if (n !== 1) validatePermits(n, 'n', e.max);
    return e.tryAcquire(n) ? newPermit(e, n) : null;
  }

  release(n = 1) {
    // The bound, or more if this thread holds more (after setPermits lowered it).
    if (n !== 1) validatePermits(n, 'n', Math.max(this.#e.max, this.#e.held()));
    this.#e.release(n);
  }

  /**
   * Changes the bound; waiters that now fit are served.
   * @param {number} n  the new bound, an integer from 1 to 536870911
   */
  setPermits(n) {
    validatePermits(n, 'n', MAX_PERMITS);
    this.#e.setMax(n);
  }

  /**
   * Resolves once `weight` permits are free for this caller: it queues like
   * `acquire(weight)`, then releases at once.
   * @param {number} [weight]
   * @param {{ signal?: AbortSignal, timeout?: number }} [options]
   * @returns {Promise<void>}
   */
  async waitForUnlock(weight = 1, options) {
    const guard = await this.acquire(weight, options);
    guard.release();
  }

  runExclusive(fn, options) {
    validateFunction(fn, 'fn');
    validateWaitOptions(options);
    return runHolding(this.#e, 1, options, fn);
  }

  close(reason) {
    this.#e.close(reason);
  }
}

class Mutex {
  #e;

  constructor() {
    this.#e = engineFor('Mutex', 1);
    engines.set(this, { engine: this.#e, permits: 1 });
  }

  static argsFromHandle() {
    return [];
  }

  static from(handle) {
    return fromHandle(Mutex, 'Mutex', handle);
  }

  get handle() {
    return this.#e.handle();
  }

  get waiting() {
    return this.#e.waiting();
  }

  get closed() {
    return this.#e.closed;
  }

  acquire(options) {
    const e = this.#e;
    if (options !== undefined) {
      try {
        validateWaitOptions(options);
      } catch (err) {
        return Promise.reject(err);
      }
    }
    return e.acquire(1, options);
  }

  tryAcquire() {
    const e = this.#e;
    return e.tryAcquire(1) ? newPermit(e, 1) : null;
  }

  release() {
    this.#e.release(1);
  }

  isLocked() {
    return this.#e.available === 0;
  }

  async waitForUnlock(options) {
    const guard = await this.acquire(options);
    guard.release();
  }

  runExclusive(fn, options) {
    validateFunction(fn, 'fn');
    validateWaitOptions(options);
    return runHolding(this.#e, 1, options, fn);
  }

  close(reason) {
    this.#e.close(reason);
  }
}

class RwLock {
  #e;

  constructor() {
    this.#e = engineFor('RwLock', MAX_PERMITS);
    engines.set(this, { engine: this.#e, permits: MAX_PERMITS });
  }

  static argsFromHandle() {
    return [];
  }

  static from(handle) {
    return fromHandle(RwLock, 'RwLock', handle);
  }

  get handle() {
    return this.#e.handle();
  }

  get waiting() {
    return this.#e.waiting();
  }

  get closed() {
    return this.#e.closed;
  }

  /** Number of read locks held on all threads (0 while a writer holds it). */
  get readers() {
    const a = this.#e.available;
    return a === 0 ? 0 : MAX_PERMITS - a;
  }

  isWriteLocked() {
    return this.#e.available === 0;
  }

  #lock(n, options) {
    const e = this.#e;
    if (options !== undefined) {
      try {
        validateWaitOptions(options);
      } catch (err) {
        return Promise.reject(err);
      }
    }
    return e.acquire(n, options);
  }

  readLock(options) {
    return this.#lock(1, options);
  }

  writeLock(options) {
    return this.#lock(MAX_PERMITS, options);
  }

  tryReadLock() {
    return this.#e.tryAcquire(1) ? newPermit(this.#e, 1) : null;
  }

  tryWriteLock() {
    return this.#e.tryAcquire(MAX_PERMITS) ? newPermit(this.#e, MAX_PERMITS) : null;
  }

  runRead(fn, options) {
    validateFunction(fn, 'fn');
    validateWaitOptions(options);
    return runHolding(this.#e, 1, options, fn);
  }

  runWrite(fn, options) {
    validateFunction(fn, 'fn');
    validateWaitOptions(options);
    return runHolding(this.#e, MAX_PERMITS, options, fn);
  }

  close(reason) {
    this.#e.close(reason);
  }
}

/** Releases a set of guards in reverse order, once. */
class MultiGuard {
  #guards;
  /**
   * @param {import('./permit.js').Permit[]} guards
   */
  constructor(guards) {
    this.#guards = guards;
  }

  get released() {
    return this.#guards === null;
  }

  release() {
    const gs = this.#guards;
    if (gs === null) return;
    this.#guards = null;
    for (let i = gs.length - 1; i >= 0; i--) gs[i].release();
  }

  [Symbol.dispose]() {
    this.release();
  }
}

/**
 * Takes several locks in one global order (their creation order, which is
 * the same on every thread), so that callers naming them in different orders
 * cannot deadlock. An RwLock is taken for writing; a Semaphore for 1 permit.
 * @param {unknown} locks  Mutex, Semaphore or RwLock objects
 * @param {{ signal?: AbortSignal, timeout?: number }} [options]
 * @returns {Promise<MultiGuard>}
 */
async function acquireAll(locks, options) {
  if (!Array.isArray(locks)) throw new TypeError('acquireAll() needs an array of Mutex, Semaphore or RwLock objects');
  validateWaitOptions(options);
  const entries = locks.map((lock, i) => {
    const entry = engines.get(lock);
    if (entry === undefined) throw new TypeError(`acquireAll(): item ${i} is not a Mutex, Semaphore or RwLock`);
    return entry;
  });
  entries.sort((a, b) => a.engine.id - b.engine.id);
  for (let i = 1; i < entries.length; i++) {
    if (entries[i].engine === entries[i - 1].engine) throw new TypeError('acquireAll(): the same lock is listed twice; that would deadlock');
  }
  const deadline = options?.timeout === undefined ? undefined : Date.now() + options.timeout;
  const held = [];
  try {
    for (const { engine, permits } of entries) {
      const opts = deadline === undefined ? options : { signal: options?.signal, timeout: Math.max(0, deadline - Date.now()) };
      held.push(await engine.acquire(permits, opts));
    }
  } catch (err) {
    for (let i = held.length - 1; i >= 0; i--) held[i].release();
    throw err;
  }
  return new MultiGuard(held);
}

module.exports = { Semaphore, Mutex, RwLock, Permit, acquireAll, MAX_PERMITS, semaphoreEngine };
