// @ts-check
'use strict';
/**
 * The timer of a wait's `timeout` (locks, channels, select, AsyncQueue):
 * one owner for what a timeout of N ms means, shared by every waiter.
 *
 * Node's setTimeout takes at most 2^31-1 ms (~24.8 days); a longer delay is
 * clamped to 1 ms with a TimeoutOverflowWarning. A wait timeout is a number
 * of milliseconds with no such limit, so a longer one is a chain of timers:
 * each step waits at most MAX_TIMER_MS and the last one fires. Timers only
 * ever fire late, so the chain fires no earlier than the whole timeout.
 * Up to MAX_TIMER_MS it is one plain Timeout, as before (no extra object).
 */

/** The longest delay one setTimeout honours (2^31-1 ms). */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** A timeout longer than one setTimeout: `left` ms still to wait after the armed step. */
class ChainedTimer {
  /**
   * @param {number} ms
   * @param {() => void} onExpire
   */
  constructor(ms, onExpire) {
    this.left = ms;
    this.onExpire = onExpire;
    this.timer = null;
    this.step = () => (this.left > 0 ? this.arm() : this.onExpire());
    this.arm();
  }

  arm() {
    const ms = Math.min(this.left, MAX_TIMER_MS);
    this.left -= ms;
    this.timer = setTimeout(this.step, ms);
  }
}

/**
 * True when `timeout` (already validated) sets no limit: undefined or Infinity.
 * @param {number | undefined} timeout
 * @returns {boolean}
 */
function waitsForever(timeout) {
  return timeout === undefined || timeout === Infinity;
}

/**
 * A timer, one of Node's or a chain of them.
 * @typedef {NodeJS.Timeout | ChainedTimer} WaitTimer
 */

/**
 * Calls `onExpire` once `ms` (finite, >= 0) milliseconds have passed, however long that is.
 * @param {number} ms
 * @param {() => void} onExpire
 * @returns {WaitTimer}
 */
function startWaitTimer(ms, onExpire) {
  return ms <= MAX_TIMER_MS ? setTimeout(onExpire, ms) : new ChainedTimer(ms, onExpire);
}

/**
 * Stops a timer from startWaitTimer; a no-op once it has fired.
 * @param {WaitTimer} t
 */
function stopWaitTimer(t) {
  clearTimeout(t instanceof ChainedTimer ? t.timer : t);
}

module.exports = { MAX_TIMER_MS, waitsForever, startWaitTimer, stopWaitTimer };
