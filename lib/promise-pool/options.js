// @ts-check
'use strict';
/** Checks of the options a PromisePool, its `add` and its `map` take. */

const { Semaphore } = require('../sync/index.js');
const { isAbortSignal, describe } = require('../validate.js');

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

module.exports = { checkConcurrency, checkSignal, semaphoreFrom };
