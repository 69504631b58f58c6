// @ts-check
'use strict';
/**
 * A pool.stream() task on the worker side: it runs the iterable the task
 * function returned (a generator, sync or async, or any iterable) and sends
 * each value to the caller through the native completion queue, in order
 * and ahead of the task's end. Loaded with the first stream task.
 *
 * Backpressure: it sends at most `highWaterMark` values more than the caller
 * has taken. The caller reports what it took with CREDIT messages on the
 * control port (lib/pool/stream.js sends one per half window), so a slow
 * caller pauses the generator at its `yield`, and memory stays bounded on
 * both sides.
 *
 * Stop: an ABORT for the task (the caller's signal, or its `break`) ends the
 * iteration at the next value: the generator's `return()` runs its
 * `finally` blocks, and the task's signal aborts.
 */

const wt = require('node:worker_threads');
const { native, pool, slot, control } = require('./thread.js');
const { encode } = require('../../codec/index.js');
const { describe } = require('../../validate.js');

/**
 * What a running stream task keeps (RunningTask.stream).
 * @typedef {object} StreamState
 * @property {number} consumed how many values the caller has taken (its last CREDIT)
 * @property {boolean} stopped the caller stopped the stream, or the task ended
 * @property {(() => void) | null} wake resolves the pump's wait for credit
 */

/**
 * @param {unknown} v
 * @returns {v is PromiseLike<unknown>}
 */
const isThenable = (v) => v !== null && (typeof v === 'object' || typeof v === 'function') && typeof (/** @type {any} */ (v).then) === 'function';

/**
 * The caller took values, or stopped: the pump may go on.
 * @param {StreamState} st
 */
function wake(st) {
  const w = st.wake;
  st.wake = null;
  w?.();
}

/**
 * Runs `result` (what the task function returned) as task `task.id`'s stream.
 * Settles with how the task ended; never rejects.
 * @param {import('./task-context.js').RunningTask} task
 * @param {unknown} result
 * @param {number} highWaterMark
 * @param {(rejected: boolean, value: unknown) => void} done completes the task
 * @param {(msg: any) => void} onControl handles a control message (task-loop.js)
 * @returns {Promise<void>}
 */
async function pump(task, result, highWaterMark, done, onControl) {
  /** @type {StreamState} */
  const st = { consumed: 0, stopped: false, wake: null };
  task.stream = st;
  if (task.abortReason !== undefined) st.stopped = true; // aborted before it started
  /** @type {Iterator<unknown> | AsyncIterator<unknown> | undefined} */
  let it;
  let isAsync = false;
  // Whether `it` still needs return() to close it (it did not finish or throw).
  let open = false;
  let sent = 0;
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
      if (sent - st.consumed >= highWaterMark) {
        // Credit may already be queued on the port: read it without a trip through the event loop.
        for (let m; (m = wt.receiveMessageOnPort(control)) !== undefined;) onControl(m.message);
        while (sent - st.consumed >= highWaterMark && !st.stopped) await new Promise((resolve) => (st.wake = () => resolve(undefined)));
      }
      if (st.stopped) break;
      open = false; // a next() that throws has finished the iterator
      let step = /** @type {IteratorResult<unknown>} */ (isAsync ? await it.next() : it.next());
      if (step.done) break;
      open = true;
      let value = step.value;
      // As for await does for a sync iterator's values.
      if (!isAsync && isThenable(value)) value = await value;
      if (st.stopped) break;
      if (!native.poolYield(pool, slot, task.id, encode(value, 'the streamed value'))) {
        // The task ended meanwhile (it timed out): close the generator, send nothing more.
        st.stopped = true;
        break;
      }
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
 * The caller has taken `consumed` values of the stream task `task` (a CREDIT message).
 * @param {import('./task-context.js').RunningTask} task
 * @param {number} consumed
 */
function credit(task, consumed) {
  const st = task.stream;
  if (st === undefined || !(consumed > st.consumed)) return;
  st.consumed = consumed;
  wake(st);
}

/**
 * The caller stopped the stream task `task` (an ABORT): end it at its next value.
 * @param {import('./task-context.js').RunningTask} task
 */
function stop(task) {
  const st = task.stream;
  if (st === undefined) return;
  st.stopped = true;
  wake(st);
}

module.exports = { pump, credit, stop };
