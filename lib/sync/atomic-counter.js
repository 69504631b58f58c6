// @ts-check
'use strict';
/**
 * AtomicCounter: a 64-bit integer in a SharedArrayBuffer, changed with
 * `Atomics` only. No native call at all; exact under contention from any
 * number of threads. Values are exact JS numbers within ±2^53.
 */

const { InvalidHandleError } = require('../errors.js');
const { validateInteger } = require('../validate.js');
const { isSharedArrayBuffer } = require('node:util').types;

const TAG = '__threadkit';
const MAX = Number.MAX_SAFE_INTEGER;

class AtomicCounter {
  #cell;

  /** @param {number} [initial=0] */
  constructor(initial = 0) {
    if (isSharedArrayBuffer(initial)) {
      this.#cell = new BigInt64Array(initial);
      return;
    }
    validateInteger(initial, 'initial', -MAX, MAX);
    this.#cell = new BigInt64Array(new SharedArrayBuffer(8));
    this.#cell[0] = BigInt(initial);
  }

  static from(handle) {
    if (handle === null || typeof handle !== 'object' || handle[TAG] !== 'AtomicCounter') {
      throw new InvalidHandleError('AtomicCounter.from() needs the `handle` of an AtomicCounter');
    }
    if (!isSharedArrayBuffer(handle.state) || handle.state.byteLength !== 8) {
      throw new InvalidHandleError('AtomicCounter.from() was given a damaged handle; pass `counter.handle` unchanged');
    }
    return new AtomicCounter(handle.state);
  }

  get handle() {
    return Object.freeze({ [TAG]: 'AtomicCounter', state: this.#cell.buffer });
  }

  get() {
    return Number(Atomics.load(this.#cell, 0));
  }

  set(value) {
    validateInteger(value, 'value', -MAX, MAX);
    Atomics.store(this.#cell, 0, BigInt(value));
  }

  /** Adds `by` and returns the new value. */
  increment(by = 1) {
    if (by !== 1) validateInteger(by, 'by', -MAX, MAX);
    return Number(Atomics.add(this.#cell, 0, BigInt(by))) + by;
  }

  /** Subtracts `by` and returns the new value. */
  decrement(by = 1) {
    if (by !== 1) validateInteger(by, 'by', -MAX, MAX);
    return Number(Atomics.sub(this.#cell, 0, BigInt(by))) - by;
  }

  /**
   * Sets `value` if the counter equals `expected`. Returns the value that was
   * there: the exchange happened iff it equals `expected`.
   */
  compareExchange(expected, value) {
    validateInteger(expected, 'expected', -MAX, MAX);
    validateInteger(value, 'value', -MAX, MAX);
    return Number(Atomics.compareExchange(this.#cell, 0, BigInt(expected), BigInt(value)));
  }
}

module.exports = { AtomicCounter };
