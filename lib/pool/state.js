// @ts-check
'use strict';
/**
 * What one WorkerPool keeps on its owner thread, shared by the modules that
 * handle its concepts (worker-pool.js: the public API; lifecycle.js: worker
 * threads; direct.js: direct tasks; drain.js and settle.js: completions).
 * Internal: not exported from the package. Each worker's lifecycle state is
 * not here but in the native core (crates/core/src/task_queue/workers.rs).
 */

const native = require('../native.js');
const { Samples } = require('./samples.js');
const { clockMs } = require('../clock.js');

/** @typedef {import('./records.js').WorkerRecord} WorkerRecord */
/** @typedef {import('./records.js').TaskRecord} TaskRecord */

/** Completions taken per poolDrain call (it loops until the queue is empty). */
const DRAIN_BATCH = 64;
const SCRATCH_SIZE = 16 * 1024;

class PoolState {
  /**
   * @param {import('node:events').EventEmitter} pool the WorkerPool, which emits the events
   * @param {ReturnType<typeof import('./options.js').resolveTask>} task the worker script, or a task function's source
   * @param {ReturnType<typeof import('./options.js').normalizeOptions>} opts
   */
  constructor(pool, task, opts) {
    this.pool = pool;
    /** The worker script's path, or for a function pool a label. */
    this.script = task.script;
    /** A function pool's task function source (function-task.js), else undefined. */
    this.source = task.source;
    this.opts = opts;
    /** The native pool id (set once created). */
    this.id = 0;
    /** @type {'open' | 'closing' | 'terminated'} */
    this.state = 'open';
    /** slot → WorkerRecord, for every worker thread until its exit event. @type {Map<number, WorkerRecord>} */
    this.workers = new Map();
    /** task id → TaskRecord, until the task settles. @type {Map<number, TaskRecord>} */
    this.tasks = new Map();
    /** Ids of unsettled direct tasks (their data went to the mailbox). @type {Set<number>} */
    this.direct = new Set();
    /** The mailbox thread, started with the first direct task. @type {import('./mailbox.js').Mailbox | null} */
    this.mailbox = null;
    this.nextSlot = 0;
    /** The workers' doorbell (Atomics.notify on index SEQ). */
    this.bell = new Int32Array(new SharedArrayBuffer(4 * native.BELL_INTS));
    this.meta = new Float64Array(native.COMPLETION_STRIDE * DRAIN_BATCH);
    this.scratch = Buffer.allocUnsafeSlow(SCRATCH_SIZE);
    /** The native wake-up function keeps this thread's event loop alive (tasks are outstanding). */
    this.refd = false;
    /** Microtask hops left before an idle pool is unref'd (0: no check queued; see settleIdle). */
    this.unrefHops = 0;
    /** settle.js's unref check for this pool, made once (queued as a microtask). @type {(() => void) | null} */
    this.unrefCheck = null;
    /** Tasks were queued since the queue was last seen empty ('drain' is owed). */
    this.backlog = false;
    /** Native code wakes the drain on takes too (see watchTakes in settle.js). */
    this.watching = false;
    /** Why the last worker could not start, while no worker serves (lifecycle.js: no respawn storm). @type {unknown} */
    this.startupError = null;
    /** waitForRoom() callers' resolvers. @type {Array<(value?: unknown) => void>} */
    this.roomWaiters = [];
    /** pool.stream() iterators whose caller waits for a value their worker will wake this thread for (stream.js). @type {Set<import('./stream.js').TaskStream<any>>} */
    this.waitingStreams = new Set();
    /** pool.stream() iterators whose caller waits for a value before they found a ring, by their ring tag (stream-rings.js). @type {Map<number, import('./stream.js').TaskStream<any>>} */
    this.ringless = new Map();
    /** worker slot → the header of each stream ring it sent, until it exits (stream-rings.js). @type {Map<number, Int32Array[]>} */
    this.streamRings = new Map();
    /** onIdle() callers' resolvers. @type {Array<(value?: unknown) => void>} */
    this.idleWaiters = [];
    /** The idle-retirement check's interval (lifecycle.js), while workers above minWorkers may retire. @type {NodeJS.Timeout | null} */
    this.idleTimer = null;
    /** terminate()'s promise, once called. @type {Promise<void> | null} */
    this.terminated = null;
    this.createdAt = clockMs();
    /** Life time (ms) of the worker threads that have exited, for utilization. */
    this.workerTimeClosed = 0;
    /** Run time (ms) of every task, for utilization. */
    this.busyTime = 0;
    /** Task counts for getMetrics(). */
    this.submitted = 0;
    this.completed = 0;
    this.failed = 0;
    this.waitTimes = new Samples();
    this.runTimes = new Samples();
    /** Drains the completion queue now (drain.js; set by WorkerPool, so lifecycle.js need not require it). @type {() => void} */
    this.drainNow = () => {};
  }
}

module.exports = { PoolState, SCRATCH_SIZE };
