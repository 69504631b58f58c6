// @ts-check
'use strict';
/**
 * Who waits for a PromisePool's queue to shrink: `onEmpty()` and
 * `onSizeLessThan(n)` callers. The pool tells it the queue's size each time
 * waiting tasks leave (only while someone waits: see `#observed`).
 */

const { capture, takeResolve } = require('../resolvers.js');

class QueueWatchers {
  constructor() {
    /** @type {((value?: unknown) => void)[] | null} */
    this.empty = null;
    /** @type {{ n: number, resolve: (value?: unknown) => void }[] | null} */
    this.sizes = null;
  }

  /** Someone waits. */
  get any() {
    return this.empty !== null || this.sizes !== null;
  }

  /** @returns {Promise<void>} resolved once the queue is empty */
  whenEmpty() {
    const promise = new Promise(capture);
    (this.empty ??= []).push(takeResolve());
    return promise;
  }

  /**
   * @param {number} n
   * @returns {Promise<void>} resolved once fewer than n tasks wait
   */
  whenSizeLessThan(n) {
    const promise = new Promise(capture);
    (this.sizes ??= []).push({ n, resolve: takeResolve() });
    return promise;
  }

  /**
   * Waiting tasks left the queue: `size` wait now.
   * @param {number} size
   */
  shrank(size) {
    const sizes = this.sizes;
    if (sizes !== null) {
      const still = sizes.filter((w) => size >= w.n);
      this.sizes = still.length === 0 ? null : still;
      for (const w of sizes) if (size < w.n) w.resolve();
    }
    if (size !== 0 || this.empty === null) return;
    const empty = this.empty;
    this.empty = null;
    for (const resolve of empty) resolve();
  }
}

module.exports = { QueueWatchers };
