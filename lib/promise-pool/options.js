// @ts-check
'use strict';
/** Checks of the options a PromisePool, its `add` and its `map` take. */

const { Semaphore } = require('../sync/index.js');
const { isAbortSignal, describe, validateOptionKeys } = require('../validate.js');
const { RateLimit } = require('./rate-limit.js');
const { RATE_AT } = require('../sync/handle-check.js');

/**
 * A positive integer or Infinity; a TypeError or RangeError naming the value otherwise.
 * @param {any} value
 * @param {string} name
 * @returns {number}
 */
function checkConcurrency(value, name) {
  if (value === Infinity || (Number.isInteger(value) && value > 0)) return value;
  const Err = typeof value === 'number' ? RangeError : TypeError;
  throw new Err(`${name} must be a positive integer or Infinity, got ${describe(value)}`);
}

/**
 * The options' signal, if any; a TypeError if it is not an AbortSignal.
 * @param {{ signal?: any }} options
 * @param {string} name
 * @returns {AbortSignal | undefined}
 */
function checkSignal(options, name) {
  const signal = options.signal;
  if (signal !== undefined && !isAbortSignal(signal)) throw new TypeError(`${name}.signal must be an AbortSignal, got ${describe(signal)}`);
  return signal;
}

/**
 * Attaches to a shared limit given as a Semaphore or its handle.
 * @param {any} limit
 * @returns {import('../sync/index.js').Semaphore}
 */
function semaphoreFrom(limit) {
  if (limit instanceof Semaphore) return limit;
  if (limit !== null && typeof limit === 'object' && limit.__threadkit !== undefined) return Semaphore.from(limit);
  throw new TypeError(`options.limit must be a threadkit Semaphore or its \`handle\`, got ${describe(limit)}`);
}

/** The pool options that may follow the limit, or sit next to it in one options object. */
const EXTRA_KEYS = ['interval', 'intervalCap', 'rateLimit', 'timeout', 'autoStart'];

/**
 * A task timeout: undefined or Infinity for none, else a non-negative number of ms.
 * @param {unknown} value
 * @param {string} name
 * @returns {number | undefined}
 */
function checkTimeout(value, name) {
  if (value === undefined || value === Infinity) return undefined;
  if (typeof value !== 'number' || Number.isNaN(value) || value < 0) {
    throw new RangeError(`${name} must be a non-negative number of milliseconds (or Infinity), got ${describe(value)}`);
  }
  return value;
}

/**
 * A task priority: a finite number (lower runs first), 0 if undefined.
 * @param {unknown} value
 * @param {string} name
 * @returns {number}
 */
function checkPriority(value, name) {
  if (value === undefined) return 0;
  if (typeof value !== 'number') throw new TypeError(`${name} must be a number (lower runs first), got ${describe(value)}`);
  if (!Number.isFinite(value)) throw new RangeError(`${name} must be a finite number, got ${describe(value)}`);
  return value === 0 ? 0 : value; // -0 is 0: one bucket
}

/**
 * The options of one `add`: its signal, priority and timeout (the pool's unless it sets one).
 * @param {any} options
 * @param {number | undefined} poolTimeout
 * @returns {{ signal: AbortSignal | undefined, priority: number, timeout: number | undefined }}
 */
function readTaskOptions(options, poolTimeout) {
  if (options === undefined) return { signal: undefined, priority: 0, timeout: poolTimeout };
  validateOptionKeys(options, 'options', ['signal', 'priority', 'timeout']);
  return {
    signal: checkSignal(options, 'options'),
    priority: checkPriority(options.priority, 'options.priority'),
    timeout: options.timeout === undefined ? poolTimeout : checkTimeout(options.timeout, 'options.timeout'),
  };
}

/**
 * @typedef {object} PoolSetup
 * @property {number} concurrency
 * @property {Semaphore | null} sem
 * @property {RateLimit | null} rate
 * @property {number | undefined} timeout
 * @property {boolean} autoStart
 */

/**
 * Reads the constructor's arguments: `(concurrency | Semaphore | handle, options?)` or `(options)`.
 * @param {any} limit
 * @param {any} options
 * @returns {PoolSetup}
 */
function parsePoolArgs(limit, options) {
  /** @type {PoolSetup} */
  const setup = { concurrency: Infinity, sem: null, rate: null, timeout: undefined, autoStart: true };
  let extra = options;
  if (typeof limit === 'number') {
    setup.concurrency = checkConcurrency(limit, 'concurrency');
  } else if (limit instanceof Semaphore || (limit !== null && typeof limit === 'object' && limit.__threadkit !== undefined)) {
    setup.sem = semaphoreFrom(limit);
  } else if (limit !== null && typeof limit === 'object') {
    if (options !== undefined) throw new TypeError(`new PromisePool(options) takes one argument, got a second: ${describe(options)}`);
    validateOptionKeys(limit, 'options', ['concurrency', 'limit', ...EXTRA_KEYS]);
    if (limit.limit === undefined && limit.concurrency === undefined) {
      throw new TypeError(
        'new PromisePool(options) needs options.concurrency (a positive integer or Infinity) or options.limit (a Semaphore or its handle)',
      );
    }
    if (limit.concurrency !== undefined) setup.concurrency = checkConcurrency(limit.concurrency, 'options.concurrency');
    if (limit.limit !== undefined) setup.sem = semaphoreFrom(limit.limit);
    extra = limit;
  } else {
    throw new TypeError(
      `new PromisePool() needs a concurrency (a positive integer or Infinity), a Semaphore or its handle, or { concurrency, limit }, got ${describe(limit)}`,
    );
  }
  if (extra === undefined) return setup;
  if (extra === options) validateOptionKeys(options, 'options', EXTRA_KEYS);
  const { interval, intervalCap, rateLimit, timeout, autoStart } = extra;
  if (rateLimit !== undefined) {
    if (interval !== undefined || intervalCap !== undefined) {
      throw new TypeError('options.rateLimit and options.interval/intervalCap exclude each other: give one of them');
    }
    setup.rate = rateLimit instanceof RateLimit ? rateLimit : RateLimit.from(rateLimit);
  } else if (interval !== undefined || intervalCap !== undefined) {
    if (interval === undefined || intervalCap === undefined) {
      throw new TypeError(
        `options.interval and options.intervalCap go together, got interval ${describe(interval)} and intervalCap ${describe(intervalCap)}`,
      );
    }
    // A shared limit carries the rate, so that it holds across every thread the limit does.
    setup.rate =
      setup.sem === null
        ? new RateLimit({ interval, intervalCap })
        : RateLimit.ofSemaphore(setup.sem.handle.state, RATE_AT, { interval, intervalCap });
  }
  setup.timeout = checkTimeout(timeout, 'options.timeout');
  if (autoStart !== undefined) {
    if (typeof autoStart !== 'boolean') throw new TypeError(`options.autoStart must be a boolean, got ${describe(autoStart)}`);
    setup.autoStart = autoStart;
  }
  return setup;
}

module.exports = { checkConcurrency, checkSignal, checkTimeout, checkPriority, readTaskOptions, semaphoreFrom, parsePoolArgs };
