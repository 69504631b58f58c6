/// <reference types="node" />
/**
 * What threadkit publishes on `diagnostics_channel` tracing channels (docs/tracing.md).
 */

/**
 * The context object of the `threadkit:pool:task` tracing channel (`diagnostics_channel.tracingChannel`): one per
 * task, the same object in all of that task's events. Published only while someone subscribes.
 * Events, in order: `start` (in `execute`, before the task is queued), `end` (`execute` returned), then when the
 * task settles `error` (if it rejected; `error` is set), `asyncStart` and `asyncEnd` (`result` is set if it resolved).
 * @example
 * const dc = require('node:diagnostics_channel');
 * dc.tracingChannel('threadkit:pool:task').subscribe({
 *   start(ctx) { ctx.traceContext = { traceparent: currentTraceparent() }; }, // visible in the worker
 *   asyncEnd(ctx) { console.log(`task ${ctx.id}: waited ${ctx.waitTime} ms, ran ${ctx.runTime} ms`); },
 *   end() {}, asyncStart() {}, error() {},
 * });
 */
export interface PoolTaskTrace {
  /** The pool's `name` option. */
  readonly pool: string;
  /** The task's id in its pool, as the worker's {@link TaskContext.taskId}. */
  readonly id: number;
  /** The named export it runs (`execute`'s `name`), or `undefined` for the default export. */
  readonly name: string | undefined;
  /** The task's data, as given to `execute`. */
  readonly data: unknown;
  /** The BullMQ job id, for a task a `threadkit/bullmq` consumer (`serve`) runs (its {@link TaskContext.jobId}); else `undefined`. */
  readonly jobId: string | undefined;
  /**
   * Set it in a `start` subscriber to carry the caller's tracing context into the worker: it is serialized with
   * the task (with the same codec as task data; a value that cannot be rejects the task with a `TypeError`) and
   * is the task function's {@link TaskContext.traceContext}.
   */
  traceContext: unknown;
  /** ms the task waited in the queue; set before `asyncStart` when a worker's result (or timeout) came back. */
  waitTime: number | undefined;
  /** ms the task ran; set with `waitTime`. Both stay `undefined` for a task that crashed, was aborted or closed. */
  runTime: number | undefined;
  /** The worker thread's id that ran it; set with `waitTime`. */
  threadId: number | undefined;
  /** The task's result (set by `tracePromise` before `asyncStart`, if it resolved). */
  result?: unknown;
  /** Why it rejected (set by `tracePromise` before `error`). */
  error?: unknown;
}

/**
 * The context object of the `threadkit:lock:wait` tracing channel: one per acquire of a Mutex, Semaphore or
 * RwLock that had to queue (an acquire granted at once publishes nothing). `start` when it queues, `end` right
 * after; when it is granted (or rejected: `error`), `asyncStart` and `asyncEnd`.
 */
export interface LockWaitTrace {
  /** `'Mutex'`, `'Semaphore'` or `'RwLock'`. */
  readonly kind: string;
  /** Permits asked for (a write lock asks for all of an RwLock's). */
  readonly permits: number;
  /** The primitive's state is in shared memory (its `handle` was taken), so the wait may be on another thread's release. */
  readonly shared: boolean;
  /** ms from queueing to being granted or rejected; set before `asyncStart`. */
  waitTime: number | undefined;
  /** The guard (set before `asyncStart`, if granted). */
  result?: unknown;
  /** Why it failed (timeout, abort, close; set before `error`). */
  error?: unknown;
}
