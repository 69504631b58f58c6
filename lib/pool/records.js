'use strict';
/**
 * What WorkerPool keeps per worker thread and per task, and its clock. A
 * worker's lifecycle state (starting, serving, retiring, stopping) is not
 * here: the native core owns it (crates/core/src/task_queue/workers.rs).
 */

const { stopAbortListener } = require('../abort-listeners.js');

/**
 * Milliseconds on a monotonic clock. Not performance.now(): the
 * `performance` global loads perf_hooks, which a program may not need.
 */
function clockMs() {
  return Number(process.hrtime.bigint()) / 1e6;
}

class WorkerRecord {
  constructor(worker, slot, port, stdio) {
    this.worker = worker;
    this.slot = slot;
    this.port = port;
    /** `stdio[0]` is 1 when the worker has posted task output on `port` since this thread last read it (layout: worker-stdio.js). */
    this.stdio = stdio;
    this.threadId = worker.threadId;
    this.lastError = null;
    /** Ids of direct results whose port message has not arrived yet. */
    this.owes = new Set();
    this.startedAt = clockMs();
  }
}

class TaskRecord {
  constructor(resolve, reject) {
    this.resolve = resolve;
    this.reject = reject;
    /** Its abort registration (abort-listeners.js), if execute() got a signal. */
    this.abort = undefined;
    /**
     * A direct result (one that holds a SharedArrayBuffer, or was moved) comes in two
     * parts: its value over the worker's control port, and a placeholder on
     * the completion queue. Whichever is seen first waits here: the port
     * message, or the worker record that owes it.
     */
    this.directResult = undefined;
    this.owedBy = undefined;
  }
  forget() {
    if (this.abort !== undefined) stopAbortListener(this.abort);
  }
}

module.exports = { WorkerRecord, TaskRecord, clockMs };
