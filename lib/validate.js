// @ts-check
'use strict';
/** Argument checks with exact messages (piscina style). */

/**
 * The received value as an error message shows it: a number or string itself, else its type.
 * @param {unknown} value
 * @returns {string}
 */
function describe(value) {
  if (value === null) return 'null';
  if (typeof value === 'number') return String(value);
  if (typeof value === 'string') return JSON.stringify(value);
  return typeof value;
}

/**
 * An integer in [min, max]; TypeError for non-numbers, RangeError otherwise.
 * @param {unknown} value
 * @param {string} name  how the message names it
 * @param {number} min
 * @param {number} max
 * @returns {number}
 */
function validateInteger(value, name, min, max) {
  if (typeof value !== 'number') {
    throw new TypeError(`${name} must be a number, got ${describe(value)}`);
  }
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(`${name} must be an integer from ${min} to ${max}, got ${describe(value)}`);
  }
  return value;
}

/**
 * Duck-typed, so that a signal from another realm (vm context, jest) is accepted.
 * @param {any} value
 * @returns {value is AbortSignal}
 */
function isAbortSignal(value) {
  return (
    value !== null &&
    typeof value === 'object' &&
    typeof value.aborted === 'boolean' &&
    typeof value.addEventListener === 'function' &&
    typeof value.removeEventListener === 'function'
  );
}

/**
 * Checks `{ signal, timeout }` wait options.
 * @param {any} options
 * @param {string} [name]
 */
function validateWaitOptions(options, name = 'options') {
  if (options === undefined) return;
  if (options === null || typeof options !== 'object') {
    throw new TypeError(`${name} must be an object like { signal, timeout }, got ${describe(options)}`);
  }
  const { signal, timeout } = options;
  if (signal !== undefined && !isAbortSignal(signal)) {
    throw new TypeError(`${name}.signal must be an AbortSignal, got ${describe(signal)}`);
  }
  if (timeout !== undefined) {
    if (typeof timeout !== 'number' || Number.isNaN(timeout) || timeout < 0) {
      throw new RangeError(`${name}.timeout must be a non-negative number of milliseconds, got ${describe(timeout)}`);
    }
  }
}

/**
 * Checks that `options` is an object whose keys are all in `allowed`.
 * @param {unknown} options
 * @param {string} name
 * @param {string[]} allowed
 */
function validateOptionKeys(options, name, allowed) {
  if (options === null || typeof options !== 'object') {
    throw new TypeError(`${name} must be an object like { ${allowed.join(', ')} }, got ${describe(options)}`);
  }
  for (const key of Object.keys(options)) {
    if (!allowed.includes(key)) throw new TypeError(`${name}.${key} is not an option; use ${allowed.join(', ')}`);
  }
}

/**
 * A TypeError naming what was received, unless `fn` is a function.
 * @param {unknown} fn
 * @param {string} name
 */
function validateFunction(fn, name) {
  if (typeof fn !== 'function') throw new TypeError(`${name} must be a function, got ${describe(fn)}`);
}

module.exports = { validateInteger, validateWaitOptions, validateOptionKeys, validateFunction, describe, isAbortSignal };
