// @ts-check
'use strict';
/**
 * WorkerPool's arguments: the worker script path, the pool's options and
 * execute()'s options, checked with exact messages (a RangeError or
 * TypeError that says what to pass).
 */

const { SHARE_ENV } = require('node:worker_threads');
const path = require('node:path');
const fs = require('node:fs');
const { fileURLToPath } = require('node:url');
const native = require('../native.js');
const { isAbortSignal, describe } = require('../validate.js');
/** Longest timeout accepted: what one setTimeout honours (~24.8 days); abortGrace and close() use one. */
const { MAX_TIMER_MS: MAX_MS } = require('../wait-timer.js');

const MAX_WORKERS = 1024;

/**
 * `value`, if it is an integer from `min` to `max`; else a RangeError naming `what` and the value.
 * @param {any} value unchecked
 * @param {string} what
 * @param {{ min?: number, max?: number }} [range]
 * @returns {number}
 */
function checkCount(value, what, { min = 0, max = MAX_WORKERS } = {}) {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(`${what} must be an integer from ${min} to ${max}, got ${String(value)}`);
  }
  return value;
}

/**
 * `value`, if it is a number of milliseconds a timer honours; else a RangeError naming `what` and the value.
 * @param {unknown} value
 * @param {string} what
 * @param {{ allowZero?: boolean }} [opts]
 * @returns {number}
 */
function checkMs(value, what, { allowZero = true } = {}) {
  if (typeof value !== 'number' || Number.isNaN(value) || value < 0 || (!allowZero && value === 0) || value > MAX_MS) {
    throw new RangeError(`${what} must be a ${allowZero ? 'non-negative' : 'positive'} number of milliseconds up to ${MAX_MS}, got ${String(value)}`);
  }
  return value;
}

/**
 * The pool's label: a string; undefined or null (piscina's "no name") give the default.
 * @param {unknown} name
 * @returns {string}
 */
function checkName(name) {
  if (name === undefined || name === null) return 'threadkit';
  if (typeof name !== 'string') throw new TypeError(`name must be a string, got ${describe(name)}`);
  return name;
}

/**
 * The worker script's absolute path, checked to be a file.
 * @param {any} script unchecked: a path or a file: URL (string or URL)
 * @returns {string}
 */
function resolveScript(script) {
  if (script instanceof URL) script = fileURLToPath(script);
  if (typeof script !== 'string' || script.length === 0) {
    throw new TypeError(`workerScript must be a file path, a file: URL or a function, got ${script === '' ? 'an empty string' : typeof script}`);
  }
  if (script.startsWith('file:')) script = fileURLToPath(script);
  const abs = path.resolve(script);
  let stat;
  try {
    stat = fs.statSync(abs);
  } catch {
    throw Object.assign(new TypeError(`worker script not found: ${abs}`), { code: 'ERR_THREADKIT_SCRIPT_NOT_FOUND' });
  }
  if (!stat.isFile()) throw new TypeError(`worker script is not a file: ${abs}`);
  return abs;
}

/** `maxQueue: 'auto'` is this many tasks per worker (see checkMaxQueue). */
const AUTO_QUEUE_PER_WORKER = 4;
/** The native counter's bound (poolSetMaxTasks takes a u32). */
const MAX_TASKS_PER_WORKER = 2 ** 32 - 1;
/** Most tasks one worker may run at once (concurrentTasksPerWorker). */
const MAX_CONCURRENT_PER_WORKER = 2 ** 16;

/**
 * `concurrentTasksPerWorker`: undefined gives 1 (one task at a time), else an
 * integer from 1 to MAX_CONCURRENT_PER_WORKER.
 * @param {unknown} value
 * @returns {number}
 */
function checkConcurrency(value) {
  if (value === undefined) return 1;
  if (!Number.isInteger(value) || /** @type {number} */ (value) < 1 || /** @type {number} */ (value) > MAX_CONCURRENT_PER_WORKER) {
    throw new RangeError(`concurrentTasksPerWorker must be an integer from 1 to ${MAX_CONCURRENT_PER_WORKER}, got ${describe(value)}`);
  }
  return /** @type {number} */ (value);
}

/**
 * An optional limit: undefined or Infinity give Infinity (no limit), else an integer from `min` to `max`.
 * @param {unknown} value
 * @param {string} what
 * @param {{ min: number, max: number }} range
 * @returns {number}
 */
function checkLimit(value, what, { min, max }) {
  if (value === undefined || value === Infinity) return Infinity;
  if (!Number.isInteger(value) || /** @type {number} */ (value) < min || /** @type {number} */ (value) > max) {
    throw new RangeError(`${what} must be an integer from ${min} to ${max}, or Infinity, got ${describe(value)}`);
  }
  return /** @type {number} */ (value);
}

/**
 * `maxQueue`, resolved: Infinity (the default), 0 (refuse a task when no
 * worker is free), a count, or 'auto': AUTO_QUEUE_PER_WORKER tasks per
 * worker, enough that a worker finds its next task queued while the owner
 * thread refills the queue after a wake-up, and little enough that a task
 * does not wait behind long lines.
 * @param {unknown} value
 * @param {number} maxWorkers
 * @returns {number}
 */
function checkMaxQueue(value, maxWorkers) {
  if (value === 'auto') return AUTO_QUEUE_PER_WORKER * maxWorkers;
  if (typeof value === 'string') throw new TypeError(`maxQueue must be a number or 'auto', got ${describe(value)}`);
  return checkLimit(value, 'maxQueue', { min: 0, max: 2 ** 31 - 1 });
}

/**
 * The pool's options, checked, with their defaults.
 * @param {any} sizeOrOptions unchecked: a pool size, or WorkerPoolOptions
 */
function normalizeOptions(sizeOrOptions) {
  if (typeof sizeOrOptions === 'number') {
    checkCount(sizeOrOptions, 'poolSize', { min: 1 });
    sizeOrOptions = { minWorkers: sizeOrOptions, maxWorkers: sizeOrOptions };
  }
  if (sizeOrOptions === undefined) sizeOrOptions = {};
  if (sizeOrOptions === null || typeof sizeOrOptions !== 'object') {
    throw new TypeError(
      `the second argument must be a pool size or an options object, got ${sizeOrOptions === null ? 'null' : typeof sizeOrOptions}`,
    );
  }
  const o = sizeOrOptions;
  const maxWorkers =
    o.maxWorkers === undefined ? Math.max(o.minWorkers ?? 1, native.availableParallelism()) : checkCount(o.maxWorkers, 'maxWorkers', { min: 1 });
  const minWorkers =
    o.minWorkers === undefined ? Math.min(maxWorkers, Math.max(1, Math.ceil(maxWorkers / 2))) : checkCount(o.minWorkers, 'minWorkers');
  if (minWorkers > maxWorkers) throw new RangeError(`minWorkers (${minWorkers}) must not be greater than maxWorkers (${maxWorkers})`);
  const out = {
    minWorkers,
    maxWorkers,
    idleTimeout: o.idleTimeout === undefined ? 10_000 : checkMs(o.idleTimeout, 'idleTimeout'),
    maxQueue: checkMaxQueue(o.maxQueue, maxWorkers),
    maxTasksPerWorker: checkLimit(o.maxTasksPerWorker, 'maxTasksPerWorker', { min: 1, max: MAX_TASKS_PER_WORKER }),
    concurrentTasksPerWorker: checkConcurrency(o.concurrentTasksPerWorker),
    taskTimeout: o.taskTimeout === undefined ? 0 : checkMs(o.taskTimeout, 'taskTimeout', { allowZero: false }),
    abortGrace: o.abortGrace === undefined ? 1000 : checkMs(o.abortGrace, 'abortGrace'),
    niceIncrement: o.niceIncrement === undefined ? 0 : checkCount(o.niceIncrement, 'niceIncrement', { max: 19 }),
    name: checkName(o.name),
    workerData: o.workerData,
    resourceLimits: o.resourceLimits,
    env: o.env,
    execArgv: o.execArgv,
  };
  if (o.execArgv !== undefined && (!Array.isArray(o.execArgv) || !o.execArgv.every((a) => typeof a === 'string'))) {
    throw new TypeError('execArgv must be an array of strings');
  }
  if (o.resourceLimits !== undefined && (o.resourceLimits === null || typeof o.resourceLimits !== 'object')) {
    throw new TypeError('resourceLimits must be an object');
  }
  if (o.env !== undefined && o.env !== SHARE_ENV && (o.env === null || typeof o.env !== 'object')) {
    throw new TypeError('env must be an object of strings or worker_threads.SHARE_ENV');
  }
  return out;
}

/**
 * execute()'s options, checked: `{ priority, timeout, nameId, signal, transfer, onProgress }`.
 * `nameIdOf(name)` gives the native id of an export name.
 * @param {any} options ExecuteOptions, unchecked
 * @param {number} defaultTimeout the pool's taskTimeout (0: none)
 * @param {((name: string) => number) | null} nameIdOf
 */
function executeOptions(options, defaultTimeout, nameIdOf) {
  if (options === null || typeof options !== 'object') throw new TypeError('execute options must be an object');
  /** @type {{ priority: number, timeout: number, nameId: number, signal: AbortSignal | undefined, transfer: import('node:worker_threads').TransferListItem[] | undefined, onProgress: ((value: any) => void) | undefined }} */
  const task = { priority: 0, timeout: defaultTimeout, nameId: 0, signal: undefined, transfer: undefined, onProgress: undefined };
  if (options.priority !== undefined) {
    task.priority = options.priority;
    if (!Number.isInteger(task.priority) || task.priority < -(2 ** 31) || task.priority > 2 ** 31 - 1)
      throw new RangeError(`priority must be a 32-bit integer, got ${String(options.priority)}`);
  }
  if (options.timeout !== undefined) task.timeout = checkMs(options.timeout, 'timeout', { allowZero: false });
  if (options.name !== undefined) {
    if (typeof options.name !== 'string' || options.name === '') throw new TypeError('name must be a non-empty string naming an exported function');
    task.nameId = nameIdOf(options.name);
  }
  if (options.transfer !== undefined) {
    if (!Array.isArray(options.transfer)) throw new TypeError('transfer must be an array of ArrayBuffers or MessagePorts');
    if (options.transfer.length > 0) task.transfer = options.transfer;
  }
  task.signal = options.signal;
  if (task.signal !== undefined && !isAbortSignal(task.signal)) throw new TypeError(`signal must be an AbortSignal, got ${describe(task.signal)}`);
  task.onProgress = options.onProgress;
  if (task.onProgress !== undefined && typeof task.onProgress !== 'function')
    throw new TypeError(`onProgress must be a function, got ${describe(task.onProgress)}`);
  return task;
}

/**
 * The pool's task: a worker script (`{ script }`, its absolute path), or a
 * function whose source becomes the task function (`{ script, source }`,
 * the script a label for messages; function-task.js).
 * @param {unknown} scriptOrFn unchecked
 * @returns {{ script: string, source: string | undefined }}
 */
function resolveTask(scriptOrFn) {
  if (typeof scriptOrFn !== 'function') return { script: resolveScript(scriptOrFn), source: undefined };
  const source = require('./function-task.js').functionSource(scriptOrFn);
  return { script: `the task function${scriptOrFn.name ? ` ${scriptOrFn.name}` : ''}`, source };
}

/**
 * close()'s options, checked: `{ timeout, force }`.
 * @param {any} options
 * @returns {{ timeout: number, force: boolean }}
 */
function closeOptions(options) {
  if (options === null || typeof options !== 'object') throw new TypeError(`close options must be an object, got ${describe(options)}`);
  const timeout = options.timeout === undefined || options.timeout === Infinity ? Infinity : checkMs(options.timeout, 'timeout');
  if (options.force !== undefined && typeof options.force !== 'boolean') {
    throw new TypeError(`close option force must be a boolean, got ${describe(options.force)}`);
  }
  return { timeout, force: options.force === true };
}

module.exports = { resolveTask, normalizeOptions, executeOptions, closeOptions, checkMs, AUTO_QUEUE_PER_WORKER };
