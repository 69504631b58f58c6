// @ts-check
'use strict';
/**
 * A pool.stream() task on the worker side: it runs the iterable the task
 * function returned (a generator, sync or async, or any iterable) and hands
 * each value to the native core (poolYield), which batches them until the
 * caller's thread drains (crates/core/src/task_queue/yields.rs). Loaded with
 * the first stream task.
 *
 * Backpressure: it runs at most `highWaterMark` values ahead of what the
 * caller has taken. Every poolYield answers with the caller's count; when
 * it is that far ahead it waits on the CREDIT word it shares with the pool
 * (worker-words.js), which the caller's thread bumps when it gives credit
 * (lib/pool/stream.js): first briefly in place, then with Atomics.waitAsync,
 * so that its event loop runs (the pool's ABORT reaches it) while the
 * caller is slow.
 *
 * Stop: an ABORT for the task (the caller's signal, or its `break`) ends the
 * iteration at the next value: the generator's `return()` runs its
 * `finally` blocks (the task's signal is aborted by then).
 */

const { native, pool, slot, internal } = require('./thread.js');
const { encode } = require('../../codec/index.js');
const { describe } = require('../../validate.js');
const { WORDS } = require('../worker-words.js');
const { isThenable } = require('./load.js');

const words = new Int32Array(internal.stdio);
/** How long a pump out of credit waits in place (blocking its thread) before it waits asynchronously. */
const CREDIT_WAIT_MS = 0.2;

/**
 * What a running stream task keeps (RunningTask.stream).
 * @typedef {object} StreamState
 * @property {boolean} stopped the caller stopped the stream
 * @property {(() => void) | null} wake ends the pump's asynchronous wait for credit
 */

/**
 * Waits until the caller has taken more than `need` values of task `id`,
 * or the stream stops. Returns the caller's count, or -1 if the task no
 * longer runs here.
 * @param {number} id
 * @param {StreamState} st
 * @param {number} need
 * @returns {Promise<number>}
 */
async function creditAbove(id, st, need) {
  let waited = false;
  for (;;) {
    const seq = Atomics.load(words, WORDS.CREDIT);
    const consumed = native.poolStreamConsumed(pool, slot, id);
    if (consumed < 0 || consumed > need || st.stopped) return consumed;
    if (!waited) {
      // A caller that keeps up credits within microseconds: wait for it in place.
      waited = true;
      Atomics.wait(words, WORDS.CREDIT, seq, CREDIT_WAIT_MS);
      continue;
    }
    const w = Atomics.waitAsync(words, WORDS.CREDIT, seq);
    if (w.async) await Promise.race([w.value, new Promise((resolve) => (st.wake = () => resolve(undefined)))]);
    st.wake = null;
  }
}

/**
 * Runs `result` (what the task function returned) as task `task.id`'s stream.
 * Settles with how the task ended; never rejects.
 * @param {import('./task-context.js').RunningTask} task
 * @param {unknown} result
 * @param {number} highWaterMark
 * @param {(rejected: boolean, value: unknown) => void} done completes the task
 * @returns {Promise<void>}
 */
async function pump(task, result, highWaterMark, done) {
  /** @type {StreamState} */
  const st = { stopped: task.abortReason !== undefined, wake: null };
  task.stream = st;
  /** @type {Iterator<unknown> | AsyncIterator<unknown> | undefined} */
  let it;
  let isAsync = false;
  // Whether `it` still needs return() to close it (it did not finish or throw).
  let open = false;
  let sent = 0;
  let consumed = 0;
  try {
    if (isThenable(result)) result = await result;
    const r = /** @type {any} */ (result);
    if (r != null && typeof r[Symbol.asyncIterator] === 'function') {
      it = r[Symbol.asyncIterator]();
      isAsync = true;
    } else if (r != null && typeof r[Symbol.iterator] === 'function') {
      it = r[Symbol.iterator]();
    } else {
      throw new TypeError(
        `pool.stream() needs a task that returns an iterable or an async iterable (a generator function, say); it returned ${describe(result)}`,
      );
    }
    open = true;
    for (;;) {
      if (sent - consumed >= highWaterMark && !st.stopped) consumed = await creditAbove(task.id, st, sent - highWaterMark);
      if (st.stopped || consumed < 0) break;
      open = false; // a next() that throws has finished the iterator
      const step = /** @type {IteratorResult<unknown>} */ (isAsync ? await it.next() : it.next());
      if (step.done) break;
      open = true;
      let value = step.value;
      // As for await does for a sync iterator's values.
      if (!isAsync && isThenable(value)) value = await value;
      if (st.stopped) break;
      // -1: the task ended meanwhile (it timed out): close the generator, send nothing more.
      consumed = native.poolYield(pool, slot, task.id, encode(value, 'the streamed value'));
      if (consumed < 0) break;
      sent++;
    }
    if (open) {
      open = false;
      await it.return?.();
    }
    done(false, undefined);
  } catch (e) {
    if (open && it !== undefined) {
      // An encode error, say: the generator is still suspended at its yield; let its finally run.
      try {
        await it.return?.();
      } catch {
        // The first error is the one to report.
      }
    }
    done(true, e);
  } finally {
    st.stopped = true;
  }
}

/**
 * The caller stopped the stream task `task` (an ABORT): end it at its next value.
 * @param {import('./task-context.js').RunningTask} task
 */
function stop(task) {
  const st = task.stream;
  if (st === undefined) return;
  st.stopped = true;
  const w = st.wake;
  st.wake = null;
  w?.();
}

module.exports = { pump, stop };
