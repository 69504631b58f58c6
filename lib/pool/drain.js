// @ts-check
'use strict';
/**
 * The owner's drain: native code wakes this thread once per batch of
 * completions (poolCreate's callback), and drain() moves them out with
 * poolDrain and settles their promises.
 */

const native = require('../native.js');
const { decode, isDirect, DIRECT_LEN } = require('../codec/index.js');
const { settle, checkRoom } = require('./settle.js');
const { directDone } = require('./direct.js');
const { readOutput, replace, timedOutShared } = require('./lifecycle.js');
const { SCRATCH_SIZE } = require('./state.js');
const { TimeoutError } = require('../errors.js');
const { wakeStreams } = require('./stream.js');

const WATCHDOG_STOPS = native.poolWatchdogStops();
/** poolDrain's completion layout (src/protocol.rs). */
const {
  COMPLETION_STRIDE,
  COMPLETION_ID,
  COMPLETION_OUTCOME,
  COMPLETION_WAIT_US,
  COMPLETION_RUN_US,
  COMPLETION_OFFSET,
  COMPLETION_LENGTH,
  COMPLETION_WORKER,
  OUTCOME_FULFILLED,
  OUTCOME_REJECTED,
  OUTCOME_PROGRESS,
  DRAIN_OVERSIZE_BASE,
} = native;

/**
 * Settles every completion in the native queue.
 * @param {import('./state.js').PoolState} s
 */
function drain(s) {
  // A stream's worker wakes this thread for values, not completions (stream-ring.js).
  wakeStreams(s);
  if (s.terminated && s.tasks.size === 0) return;
  const meta = s.meta;
  let any = false;
  for (;;) {
    const n = native.poolDrain(s.id, meta, s.scratch);
    if (n <= DRAIN_OVERSIZE_BASE) {
      s.scratch = Buffer.allocUnsafeSlow((DRAIN_OVERSIZE_BASE - n) * 2);
      continue;
    }
    if (n <= 0) break;
    any = true;
    for (let i = 0; i < n; i++) {
      const m = i * COMPLETION_STRIDE;
      const id = meta[m + COMPLETION_ID];
      const outcome = meta[m + COMPLETION_OUTCOME];
      // Not an end: the task goes on (its completion comes later in this queue).
      if (outcome === OUTCOME_PROGRESS) {
        progress(s, id, meta[m + COMPLETION_OFFSET], meta[m + COMPLETION_LENGTH]);
        continue;
      }
      const runMs = meta[m + COMPLETION_RUN_US] / 1000;
      s.waitTimes.add(meta[m + COMPLETION_WAIT_US] / 1000);
      s.runTimes.add(runMs);
      s.busyTime += runMs;
      const w = s.workers.get(meta[m + COMPLETION_WORKER]);
      // The task's output is queued on the port before its completion: write it first.
      if (w) readOutput(s, w);
      const rec = s.tasks.get(id);
      if (rec === undefined) continue;
      if (rec.trace !== undefined) {
        rec.trace.waitTime = meta[m + COMPLETION_WAIT_US] / 1000;
        rec.trace.runTime = runMs;
        rec.trace.threadId = w?.threadId;
      }
      if (outcome === OUTCOME_FULFILLED || outcome === OUTCOME_REJECTED) {
        const offset = meta[m + COMPLETION_OFFSET];
        const length = meta[m + COMPLETION_LENGTH];
        if (length === DIRECT_LEN && isDirect(s.scratch, offset)) {
          directDone(s, id, w);
          continue;
        }
        let value;
        try {
          value = decode(s.scratch, offset, offset + length);
        } catch (e) {
          settle(s, id, false, e);
          continue;
        }
        settle(s, id, outcome === OUTCOME_FULFILLED, value);
      } else if (s.opts.concurrentTasksPerWorker > 1) {
        timedOutShared(s, w, id); // its worker runs other tasks: only this one ends
      } else {
        // The native core marked it stopping; the watchdog stops its thread, or, without node::Stop, we do:
        if (w && !WATCHDOG_STOPS) w.worker.terminate();
        settle(s, id, false, new TimeoutError(`the task ran longer than its timeout; its worker was stopped and will be replaced`));
        replace(s);
      }
    }
  }
  if (!any) {
    if (s.watching) checkRoom(s); // woken by a take
    return;
  }
  // Give back the memory of an earlier huge result.
  if (s.scratch.length > 64 * SCRATCH_SIZE) s.scratch = Buffer.allocUnsafeSlow(SCRATCH_SIZE);
  checkRoom(s);
}

/**
 * A task's `context.progress(value)`: its onProgress gets the value. A
 * listener that throws does not touch the task; its error is rethrown
 * on its own (an uncaught exception), as an EventEmitter listener's is.
 * @param {import('./state.js').PoolState} s
 * @param {number} id
 * @param {number} offset
 * @param {number} length
 */
function progress(s, id, offset, length) {
  const on = s.tasks.get(id)?.onProgress;
  if (on === undefined) return; // settled meanwhile (aborted), or nobody listens
  try {
    on(decode(s.scratch, offset, offset + length));
  } catch (e) {
    queueMicrotask(() => {
      throw e;
    });
  }
}

module.exports = { drain };
