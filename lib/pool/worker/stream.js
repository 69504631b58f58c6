// @ts-check
'use strict';
/**
 * A pool.stream() task on the worker side: it runs the iterable the task
 * function returned (a generator, sync or async, or any iterable) and
 * encodes each value straight into the stream's byte ring in shared memory
 * (../stream-ring.js), which the caller's iterator reads: no native call per
 * value, and a wake for the caller only when it may be asleep. The ring is
 * taken at the first value: a ring this worker sent before, if the stream
 * that held it is done with it (the caller freed it, and it has ended here
 * too), else a new one, sent to the pool over the control port, which is
 * flagged (WORDS.OUTPUT) so the pool reads it before it settles the task.
 * A reused ring costs no message: the caller finds it by its OWNER word
 * (../stream-rings.js). This worker keeps at most MAX_FREE_RINGS free ones.
 * Loaded with the first stream task.
 *
 * Backpressure: it runs at most `highWaterMark` values, and a ring of bytes,
 * ahead of what the caller has taken; then it waits (RingWriter.waitForRoom).
 * A value that does not fit in the free space goes in pieces.
 *
 * Stop: an ABORT for the task (the caller's signal, its `break`, or its
 * timeout) ends the iteration at the next value: the generator's `return()`
 * runs its `finally` blocks (the task's signal is aborted by then).
 */

const { native, pool, control, internal } = require('./thread.js');
const { encodeCopy } = require('../../codec/index.js');
const { describe } = require('../../validate.js');
const { WORDS } = require('../worker-words.js');
const { MSG } = require('../messages.js');
const { RingWriter, recordBytes, ownerTag, MAX_FREE_RINGS } = require('../stream-ring.js');
const { isThenable } = require('./load.js');

const words = new Int32Array(internal.stdio);
/** Wakes the pool's owner for a caller that waits for a value (once per wait: the ring's flag). */
const wakeOwner = () => native.poolStreamWake(pool);
/**
 * Spins while `word[0]` is `seen`, as this worker does on the pool's doorbell (within the process's spin policy).
 * @param {Int32Array} word
 * @param {number} seen
 */
const spin = (word, seen) => native.poolSpin(pool, word, seen, false);

/**
 * What a running stream task keeps (RunningTask.stream).
 * @typedef {object} StreamState
 * @property {boolean} stopped the caller stopped the stream
 * @property {(() => void) | null} wake ends the pump's asynchronous wait for room
 */

/**
 * The rings this worker sent to the pool whose stream has ended here, oldest first: free ones, and
 * ones whose caller still holds them (it has not taken all their values yet, or never will).
 * @type {RingWriter[]}
 */
const idle = [];

/**
 * A ring for task `id`'s values: a free one this worker sent before, else a new one, sent to the pool.
 * @param {number} id
 * @returns {RingWriter}
 */
function openRing(id) {
  const tag = ownerTag(id);
  for (let i = 0; i < idle.length; i++) {
    const ring = idle[i];
    if (ring.claim(tag)) {
      idle.splice(i, 1);
      return ring;
    }
  }
  const ring = new RingWriter(wakeOwner, spin, tag);
  control.postMessage(/** @type {import('../messages.js').StreamMessage} */ ({ type: MSG.STREAM, id, ring: ring.sab }));
  Atomics.store(words, WORDS.OUTPUT, 1);
  return ring;
}

/**
 * Task `ring`'s stream has ended on this worker: the ring may be reused once its caller frees it.
 * Keeps at most MAX_FREE_RINGS free rings (the newest).
 * @param {RingWriter} ring
 */
function closeRing(ring) {
  idle.push(ring);
  let free = 0;
  for (let i = idle.length - 1; i >= 0; i--) {
    if (idle[i].isFree() && ++free > MAX_FREE_RINGS) {
      idle[i].drop();
      idle.splice(i, 1);
    }
  }
}

/**
 * Writes `value`, which did not fit in the ring's free space before its end,
 * in pieces, waiting for room as needed (its credit was checked). Returns
 * false if the stream stopped first.
 * @param {RingWriter} ring
 * @param {unknown} value
 * @param {StreamState} st
 * @returns {Promise<boolean>}
 */
async function put(ring, value, st) {
  const stopped = () => st.stopped;
  const setWake = (/** @type {(() => void) | null} */ w) => (st.wake = w);
  // Too big for the free space before the ring's end: a copy of its bytes goes in pieces.
  const bytes = encodeCopy(value, 'the streamed value');
  const total = recordBytes(bytes.length);
  for (let done = 0; ;) {
    done = ring.putPiece(bytes, done);
    if (done === total) return true;
    // The caller copies each piece out as it takes it: wait for room for the rest, or for half a ring.
    await ring.waitForRoom(0, Math.min(total - done, ring.cap >> 1), stopped, setWake);
    if (st.stopped) return false;
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
  /** @type {RingWriter | null} */
  let ring = null;
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
      if (ring !== null && ring.credit(highWaterMark) <= 0 && !st.stopped) {
        await ring.waitForRoom(
          highWaterMark,
          0,
          () => st.stopped,
          (w) => (st.wake = w),
        );
      }
      if (st.stopped) break;
      open = false; // a next() that throws has finished the iterator
      const step = /** @type {IteratorResult<unknown>} */ (isAsync ? await it.next() : it.next());
      if (step.done) break;
      open = true;
      let value = step.value;
      // As for await does for a sync iterator's values.
      if (!isAsync && isThenable(value)) value = await value;
      if (st.stopped) break;
      ring ??= openRing(task.id);
      if (!ring.tryPut(value) && !(await put(ring, value, st))) break;
    }
    if (open) {
      open = false;
      await it.return?.();
    }
    ring = endRing(ring);
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
    ring = endRing(ring);
    done(true, e);
  } finally {
    st.stopped = true;
  }
}

/**
 * The stream's writing is over: its ring goes back for reuse, before the task completes (the next
 * task may start within `done`).
 * @param {RingWriter | null} ring
 * @returns {null}
 */
function endRing(ring) {
  if (ring !== null) closeRing(ring);
  return null;
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
