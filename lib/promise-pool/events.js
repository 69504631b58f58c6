// @ts-check
'use strict';
/**
 * How a PromisePool emits its events: only while someone listens (an
 * 'error' with no listener is not emitted, so it never becomes an unhandled
 * error: the task's own promise carries it), and a listener that throws is
 * reported on its own, in a microtask, without breaking the pool.
 */

const { TimedTask } = require('./runner.js');

/** The events a PromisePool emits. */
const EVENTS = ['active', 'idle', 'empty', 'completed', 'error'];

/**
 * @param {import('node:events').EventEmitter} pool
 * @param {string} name
 * @param {unknown} [value]
 */
function emitSafely(pool, name, value) {
  if (pool.listenerCount(name) === 0) return;
  try {
    pool.emit(name, value);
  } catch (error) {
    queueMicrotask(() => {
      throw error;
    });
  }
}

/**
 * A task settled: 'completed' with its value, or 'error' with its error (a timed-out task's TimeoutError).
 * @param {import('node:events').EventEmitter} pool
 * @param {unknown} x  the task: a plain fn, or a task object
 * @param {boolean} ok
 * @param {unknown} value
 */
function reportOutcome(pool, x, ok, value) {
  if (x instanceof TimedTask && x.timedOut !== null) emitSafely(pool, 'error', x.timedOut);
  else emitSafely(pool, ok ? 'completed' : 'error', value);
}

/**
 * Whether anyone listens to the pool's events.
 * @param {import('node:events').EventEmitter} pool
 */
function listened(pool) {
  return EVENTS.some((e) => pool.listenerCount(e) !== 0);
}

/**
 * Adds the pool's own 'newListener'/'removeListener' listeners unless they are there (after removeAllListeners).
 * @param {import('node:events').EventEmitter} pool
 * @param {(name: string | symbol) => void} onNew
 * @param {() => void} onRemove
 */
function watchListeners(pool, onNew, onRemove) {
  if (!pool.listeners('newListener').includes(onNew)) pool.on('newListener', onNew);
  if (!pool.listeners('removeListener').includes(onRemove)) pool.on('removeListener', onRemove);
}

module.exports = { EVENTS, emitSafely, reportOutcome, listened, watchListeners };
