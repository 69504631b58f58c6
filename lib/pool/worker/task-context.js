// @ts-check
'use strict';
/**
 * A task as the task function sees it: the TaskContext (its second
 * argument) and `Moved`, what `context.move` returns.
 */

/**
 * The task running now, on the worker side.
 * @typedef {object} RunningTask
 * @property {number} id the task's id (native)
 * @property {AbortController | undefined} controller made on demand, by `context.signal`
 * @property {Error | undefined} abortReason set when the caller aborts the task
 * @property {string | undefined} jobId the BullMQ job's id (threadkit/bullmq's serve())
 * @property {unknown} traceContext what a `threadkit:pool:task` subscriber sent with it
 * @property {import('./stream.js').StreamState} [stream] a pool.stream() task's state (stream.js)
 */

const { native, pool, slot } = require('./thread.js');
const { encode } = require('../../codec/index.js');

/** A result to be moved, not copied: what `context.move` returns. */
class Moved {
  /**
   * @param {unknown} value
   * @param {import('node:worker_threads').TransferListItem[]} transfer
   */
  constructor(value, transfer) {
    this.value = value;
    this.transfer = transfer;
  }
}

/** @type {(context: TaskContext) => RunningTask} */
let taskOf;

/** The second argument of every task function. */
class TaskContext {
  /** @type {RunningTask} */
  #task;
  static {
    taskOf = (context) => context.#task;
  }
  /** @param {RunningTask} task */
  constructor(task) {
    this.#task = task;
  }
  /**
   * Wraps a result so that the ArrayBuffers (or MessagePorts) in `transfer`
   * move to the caller instead of being copied. Without `transfer`, `value`
   * must be an ArrayBuffer or a view on one, and that buffer moves.
   * @param {unknown} value
   * @param {import('node:worker_threads').TransferListItem[]} [transfer]
   * @returns {Moved}
   */
  move(value, transfer) {
    return new Moved(value, transferList(value, transfer));
  }
  /**
   * The id of the BullMQ job this task runs for, when threadkit/bullmq's
   * serve() submitted it (a job may run more than once: task code can use
   * the id to be idempotent); undefined for every other task.
   */
  get jobId() {
    return this.#task.jobId;
  }
  /**
   * What a `threadkit:pool:task` subscriber put in the start event's
   * `traceContext` when the task was submitted (undefined otherwise).
   */
  get traceContext() {
    return this.#task.traceContext;
  }
  /**
   * Sends `value` to the caller's `onProgress` (an execute() option), on the
   * caller's thread: in order, and all before the task's promise settles.
   * It is encoded like a result, and batched with the pool's completions.
   * Returns false, and sends nothing, once the task has ended (it timed out,
   * or the value came from code still running after it returned).
   * A getter, so that it also works destructured (`(data, { progress }) => ...`).
   * @returns {(value: unknown) => boolean}  `value`: what a result may be, but
   *   not a value only postMessage can carry (a SharedArrayBuffer): that throws a DataCloneError
   */
  get progress() {
    const id = this.#task.id;
    return (value) => native.poolProgress(pool, slot, id, encode(value, 'the progress value'));
  }
  /** This task's id, unique within its pool: the id the pool uses for it. */
  get taskId() {
    return this.#task.id;
  }
  /** Aborted when the caller aborts the task; stop soon after. */
  get signal() {
    const t = this.#task;
    t.controller ??= new AbortController();
    if (t.abortReason !== undefined) t.controller.abort(t.abortReason);
    return t.controller.signal;
  }
}

/**
 * The transfer list of `move(value, transfer)`, checked.
 * @param {unknown} value
 * @param {unknown} transfer
 * @returns {import('node:worker_threads').TransferListItem[]}
 */
function transferList(value, transfer) {
  if (transfer === undefined) {
    if (value instanceof ArrayBuffer) return [value];
    if (ArrayBuffer.isView(value) && value.buffer instanceof ArrayBuffer) return [value.buffer];
    throw new TypeError(
      'move(value) without a transfer list needs an ArrayBuffer or a typed array on one; pass the list: move(value, [buffer, ...])',
    );
  }
  if (!Array.isArray(transfer))
    throw new TypeError(`move(value, transfer): transfer must be an array of ArrayBuffers or MessagePorts, got ${typeof transfer}`);
  return transfer;
}

module.exports = { Moved, TaskContext, taskOf };
