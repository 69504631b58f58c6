// @ts-check
'use strict';
/**
 * What the pool gave this worker thread: the addon and the handles in
 * `workerData.internal`. Required by lib/pool/worker.js before it hands the
 * user's own `workerData` to the task script.
 */

const wt = require('node:worker_threads');

/**
 * The pool's part of a worker's `workerData` (lib/pool/lifecycle.js builds it).
 * @typedef {object} WorkerInternal
 * @property {string} [addon] the addon file the main thread loaded
 * @property {number} pool the pool's native handle
 * @property {number} slot this worker's slot in the pool
 * @property {SharedArrayBuffer} bell the pool's doorbell: [sequence, sleepers] (src/spin.rs: BELL_*)
 * @property {string} script the task script's absolute path (a label for a function pool)
 * @property {string} [source] a function pool's task function source (lib/pool/function-task.js)
 * @property {import('node:worker_threads').MessagePort} control this worker's control port to the pool
 * @property {number} niceIncrement added to this thread's nice value (0: none)
 * @property {number} concurrency tasks this worker may run at once (concurrentTasksPerWorker)
 * @property {number} abortGrace the pool's abortGrace (ms)
 * @property {SharedArrayBuffer} stdio the output flags (worker-stdio.js)
 */

/** @type {{ internal: WorkerInternal, user: unknown }} */
const given = wt.workerData;
const internal = given.internal;
// The addon file the main thread loaded, required directly: napi-rs' loader
// (native.js) probes the platform on every load, which costs each worker
// memory and start-up time.
/** @type {typeof import('../../native.js')} */
const native = internal.addon ? require(internal.addon) : require('../../native.js');

const { pool, slot, script, control } = internal;
/** The pool's doorbell: [sequence, sleepers] (src/spin.rs: BELL_*). */
const doorbell = new Int32Array(internal.bell);

/** Leaves the pool: the thread exits. */
function leave() {
  control.close();
  process.exit(0);
}

module.exports = { native, internal, user: given.user, pool, slot, script, control, doorbell, leave };
