// @ts-check
'use strict';
/**
 * What WorkerPool keeps per worker thread and per task. A
 * worker's lifecycle state (starting, serving, retiring, stopping) is not
 * here: the native core owns it (crates/core/src/task_queue/workers.rs).
 */

const { stopAbortListener } = require('../abort-listeners.js');
const { clockMs } = require('../clock.js');

/** A worker thread of the pool, from its spawn until its exit event. */
class WorkerRecord {
  /**
   * @param {import('node:worker_threads').Worker} worker
   * @param {number} slot its slot in the native pool
   * @param {import('node:worker_threads').MessagePort} port the owner's end of its control port
   * @param {Int32Array} stdio its output flags (worker-stdio.js)
   */
  constructor(worker, slot, port, stdio) {
    this.worker = worker;
    this.slot = slot;
    this.port = port;
    /** The words this thread shares with the worker (layout: worker-words.js). */
    this.stdio = stdio;
    this.threadId = worker.threadId;
    /** Its last 'error' event: the cause of its exit, if it dies. @type {Error | null} */
    this.lastError = null;
    /** Ids of direct results whose port message has not arrived yet. @type {Set<number>} */
    this.owes = new Set();
    this.startedAt = clockMs();
  }
}

/** A task of the pool, from execute() until its promise settles. */
class TaskRecord {
  /**
   * @param {(value: unknown) => void} resolve its promise's
   * @param {(reason: unknown) => void} reject its promise's
   */
  constructor(resolve, reject) {
    this.resolve = resolve;
    this.reject = reject;
    /** Its abort registration (abort-listeners.js), if execute() got a signal. @type {ReturnType<typeof import('../abort-listeners.js').startAbortListener> | undefined} */
    this.abort = undefined;
    /**
     * A direct result (one that holds a SharedArrayBuffer, or was moved) comes in two
     * parts: its value over the worker's control port, and a placeholder on
     * the completion queue. Whichever is seen first waits here: the port
     * message, or the worker record that owes it.
     * @type {import('./messages.js').ResultMessage | undefined}
     */
    this.directResult = undefined;
    /** @type {WorkerRecord | undefined} */
    this.owedBy = undefined;
    /** Its `threadkit:pool:task` context, while someone traces (wait and run time go in it). @type {import('../../index.js').PoolTaskTrace | undefined} */
    this.trace = undefined;
    /** execute()'s `onProgress`: called with each `context.progress(value)`, in order, before it settles. @type {((value: any) => void) | undefined} */
    this.onProgress = undefined;
    /** pool.stream()'s iterator, which receives the values the task yields. @type {import('./stream.js').TaskStream<any> | undefined} */
    this.stream = undefined;
  }
  /** Stops listening for its abort: it settled. */
  forget() {
    if (this.abort !== undefined) stopAbortListener(this.abort);
  }
}

module.exports = { WorkerRecord, TaskRecord };
