// @ts-check
'use strict';
/**
 * RateLimit: at most `cap` starts per fixed window of `interval` ms, counted
 * in a SharedArrayBuffer changed only with `Atomics` (no native call), so
 * every thread that attaches with `RateLimit.from(handle)` shares one count.
 *
 * Semantics: fixed windows, as p-queue's `interval`/`intervalCap`. Windows
 * are [origin + k*interval, origin + (k+1)*interval), origin being the time
 * the limiter was made (Date.now(): one clock for every thread). In any one
 * window at most `cap` starts are granted; across a boundary up to 2*cap can
 * fall within `interval` ms of each other, as with p-queue.
 *
 * The state is one 64-bit cell: window index (mod 2^32) << 32 | starts in it, so a
 * thread that opens a new window resets the count in the same
 * compare-and-swap that moves the window (two cells would let a start be
 * counted in a window another thread is resetting).
 *
 * A shared Semaphore carries one too (RateLimit.ofSemaphore): every
 * PromisePool that the semaphore limits with a rate, on any thread, counts
 * its starts in 16 bytes of the semaphore's own SharedArrayBuffer
 * ([state cell, config cell], lib/sync/handle-check.js), so the rate holds
 * across all of them without a handle of its own. Its windows start at the
 * epoch (origin 0), so no thread has to publish an origin, and the config
 * (interval << 32 | cap) is published with one compare-and-swap: the first
 * pool sets it, and a pool that asks for another rate is refused.
 */

const { InvalidHandleError } = require('../errors.js');
const { describe } = require('../validate.js');
const { isSharedArrayBuffer } = require('node:util').types;

const TAG = '__threadkit';
/** Layout: [state (BigUint64), origin (Float64), interval (Float64), cap (Float64)]. */
const BYTES = 32;
const MAX_CAP = 2 ** 31 - 1;

/** RateLimit.ofSemaphore's key to the constructor. */
const ON_SEMAPHORE = Symbol('onSemaphore');

class RateLimit {
  #state;
  #origin;
  #interval;
  #cap;
  /** Carried by a Semaphore (ofSemaphore): it has no handle of its own. */
  #onSemaphore = false;

  /**
   * @param {{ interval: number, intervalCap: number } | SharedArrayBuffer} options
   */
  constructor(options) {
    if (options !== null && typeof options === 'object' && ON_SEMAPHORE in options) {
      const { state, interval, cap } = /** @type {any} */ (options)[ON_SEMAPHORE];
      this.#state = state;
      this.#origin = 0;
      this.#interval = interval;
      this.#cap = cap;
      this.#onSemaphore = true;
      return;
    }
    let buffer;
    if (isSharedArrayBuffer(options)) {
      buffer = options;
    } else {
      if (options === null || typeof options !== 'object') {
        throw new TypeError(`new RateLimit() needs { interval, intervalCap }, got ${describe(options)}`);
      }
      const { interval, intervalCap } = options;
      checkInterval(interval, 'interval');
      checkCap(intervalCap, 'intervalCap');
      buffer = new SharedArrayBuffer(BYTES);
      const meta = new Float64Array(buffer, 8, 3);
      meta[0] = Date.now();
      meta[1] = interval;
      meta[2] = intervalCap;
    }
    this.#state = new BigUint64Array(buffer, 0, 1);
    const meta = new Float64Array(buffer, 8, 3);
    this.#origin = meta[0];
    this.#interval = meta[1];
    this.#cap = meta[2];
  }

  /**
   * Attaches to a limiter made on another thread.
   * @param {any} handle
   * @returns {RateLimit}
   */
  static from(handle) {
    if (handle === null || typeof handle !== 'object' || handle[TAG] !== 'RateLimit') {
      throw new InvalidHandleError(`RateLimit.from() needs the \`handle\` of a RateLimit, got ${describe(handle)}`);
    }
    if (!isSharedArrayBuffer(handle.state) || handle.state.byteLength !== BYTES) {
      throw new InvalidHandleError('RateLimit.from() was given a damaged handle; pass `rateLimit.handle` unchanged');
    }
    return new RateLimit(handle.state);
  }

  /**
   * The rate limit carried by a shared Semaphore: its 16 bytes at `at` in the
   * semaphore's SharedArrayBuffer. Throws if that semaphore already carries
   * another rate.
   * @param {SharedArrayBuffer} buffer  the semaphore handle's `state`
   * @param {number} at
   * @param {{ interval: number, intervalCap: number }} options
   * @returns {RateLimit}
   */
  static ofSemaphore(buffer, at, { interval, intervalCap }) {
    checkInterval(interval, 'interval');
    checkCap(intervalCap, 'intervalCap');
    if (!Number.isInteger(interval) || interval > 0xffffffff) {
      throw new RangeError(
        `a rate limit that a shared Semaphore carries needs a whole number of milliseconds up to 2^32-1 as its interval, got ${describe(interval)}`,
      );
    }
    const cells = new BigUint64Array(buffer, at, 2);
    const config = (BigInt(interval) << 32n) | BigInt(intervalCap);
    const was = Atomics.compareExchange(cells, 1, 0n, config);
    if (was !== 0n && was !== config) {
      throw new TypeError(
        `this Semaphore already carries a rate limit of ${Number(was & 0xffffffffn)} starts per ${Number(was >> 32n)} ms, and every PromisePool it limits shares it: give the same interval and intervalCap, or a RateLimit of the pool's own ({ rateLimit })`,
      );
    }
    return new RateLimit(/** @type {any} */ ({ [ON_SEMAPHORE]: { state: cells.subarray(0, 1), interval, cap: intervalCap } }));
  }

  /** A plain object to send to another thread (postMessage, workerData). */
  get handle() {
    if (this.#onSemaphore) {
      throw new TypeError("this RateLimit is carried by a Semaphore: share the Semaphore's handle, and each PromisePool it limits shares the rate");
    }
    return Object.freeze({ [TAG]: 'RateLimit', state: this.#state.buffer });
  }

  /** When window 0 began (Date.now() milliseconds). */
  get origin() {
    return this.#origin;
  }

  get interval() {
    return this.#interval;
  }

  get intervalCap() {
    return this.#cap;
  }

  /**
   * Takes one start in the window `now` falls in; false if that window is
   * full, or if another thread has already opened a later window (a stale
   * `now`: the caller reads the clock again).
   * @param {number} [now] the time of the start, in Date.now() milliseconds
   * @returns {boolean}
   */
  tryTake(now = Date.now()) {
    // Window indexes are kept modulo 2^32 and compared as serial numbers, so a small interval never
    // runs out of them (1 ms windows pass 2^32 after 49 days).
    const w = BigInt(this.windowOf(now) % 2 ** 32);
    const cap = BigInt(this.#cap);
    const cell = this.#state;
    for (;;) {
      const old = Atomics.load(cell, 0);
      const ahead = Number((w - (old >> 32n)) & 0xffffffffn); // how many windows `now` is past the cell's
      let next;
      if (ahead === 0) {
        if ((old & 0xffffffffn) >= cap) return false;
        next = old + 1n;
      } else if (ahead < 2 ** 31) {
        next = (w << 32n) | 1n;
      } else {
        return false; // another thread has opened a later window
      }
      if (Atomics.compareExchange(cell, 0, old, next) === old) return true;
    }
  }

  /**
   * The index of the window `now` falls in (0 for the window the limiter was made in).
   * @param {number} now
   * @returns {number}
   */
  windowOf(now) {
    return Math.max(0, Math.floor((now - this.#origin) / this.#interval));
  }

  /**
   * Milliseconds from `now` until the next window opens (at least 1).
   * @param {number} [now]
   * @returns {number}
   */
  msToNextWindow(now = Date.now()) {
    const end = this.#origin + (this.windowOf(now) + 1) * this.#interval;
    return Math.max(1, Math.ceil(end - now));
  }
}

/**
 * @param {unknown} value
 * @param {string} name
 */
function checkInterval(value, name) {
  if (typeof value !== 'number') throw new TypeError(`${name} must be a number of milliseconds, got ${describe(value)}`);
  if (!(value > 0 && Number.isFinite(value))) {
    throw new RangeError(`${name} must be a finite number of milliseconds above 0, got ${describe(value)}`);
  }
}

/**
 * @param {unknown} value
 * @param {string} name
 */
function checkCap(value, name) {
  if (typeof value !== 'number') throw new TypeError(`${name} must be a positive integer, got ${describe(value)}`);
  if (!Number.isInteger(value) || value < 1 || value > MAX_CAP) {
    throw new RangeError(`${name} must be an integer from 1 to ${MAX_CAP}, got ${describe(value)}`);
  }
}

module.exports = { RateLimit };
