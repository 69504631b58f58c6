// @ts-check
'use strict';
/** RemotePool.execute()'s options, checked with messages that name the value received. */

const { checkMs } = require('../pool/options.js');
const { isAbortSignal, describe } = require('../validate.js');

const KEYS = ['name', 'priority', 'timeout', 'signal', 'attempts', 'backoff'];

/** `{ name, priority, timeout, signal, attempts, backoff }`, checked; priority defaults to 0. */
function checkRemoteOptions(options) {
  const task = { name: undefined, priority: 0, timeout: undefined, signal: undefined, attempts: undefined, backoff: undefined };
  if (options === undefined) return task;
  if (options === null || typeof options !== 'object') {
    throw new TypeError(`execute options must be an object like { ${KEYS.join(', ')} }, got ${describe(options)}`);
  }
  if (options.name !== undefined) {
    if (typeof options.name !== 'string' || options.name === '') {
      throw new TypeError(`name must be a non-empty string naming an exported function, got ${describe(options.name)}`);
    }
    task.name = options.name;
  }
  if (options.priority !== undefined) {
    const p = options.priority;
    if (!Number.isInteger(p) || p < -(2 ** 31) || p > 2 ** 31 - 1) throw new RangeError(`priority must be a 32-bit integer, got ${describe(p)}`);
    task.priority = p;
  }
  if (options.timeout !== undefined) task.timeout = checkMs(options.timeout, 'timeout', { allowZero: false });
  if (options.signal !== undefined) {
    if (!isAbortSignal(options.signal)) throw new TypeError(`signal must be an AbortSignal, got ${describe(options.signal)}`);
    task.signal = options.signal;
  }
  if (options.attempts !== undefined) {
    const a = options.attempts;
    if (!Number.isInteger(a) || a < 1 || a > 2 ** 31 - 1)
      throw new RangeError(`attempts must be an integer from 1 to ${2 ** 31 - 1}, got ${describe(a)}`);
    task.attempts = a;
  }
  if (options.backoff !== undefined) task.backoff = checkBackoff(options.backoff);
  return task;
}

/** BullMQ's backoff: a delay in ms, or `{ type: 'fixed' | 'exponential' | a custom strategy's name, delay?, jitter? }`. */
function checkBackoff(b) {
  if (typeof b === 'number') return checkMs(b, 'backoff');
  if (b === null || typeof b !== 'object' || typeof b.type !== 'string' || b.type === '') {
    throw new TypeError(`backoff must be a number of ms or BullMQ's { type, delay } object, got ${describe(b)}`);
  }
  if (b.delay !== undefined) checkMs(b.delay, 'backoff.delay');
  return b;
}

module.exports = { checkRemoteOptions };
