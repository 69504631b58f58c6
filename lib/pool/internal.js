// @ts-check
'use strict';
/**
 * Not public API: the symbols by which threadkit's own modules (serve() in
 * lib/bullmq, the stream, tests) reach into a WorkerPool (worker-pool.js).
 */

/** Not public API: `pool[MAILBOX_HELD]()` resolves to how many tasks' data the mailbox holds (tests check that none leaks). */
const MAILBOX_HELD = Symbol('threadkit.mailboxHeld');
/**
 * Not public API, for threadkit/bullmq's serve(): the execute() option that
 * gives the BullMQ job id (TaskContext.jobId in the worker), the pool's
 * maxWorkers (`pool[MAX_WORKERS]`), and the mark of an error that says the
 * worker script could not start (`err[STARTUP_FAILED] === true`, lifecycle.js).
 */
const JOB_ID = Symbol('threadkit.jobId');
/**
 * Not public API, for serve(): an execute() option `{ taskId }` whose taskId
 * execute() sets, and `pool[ABORT_TASK](taskId, reason)`, which aborts that
 * task as its AbortSignal would. serve() aborts a job only when a cancel for
 * it arrives; an AbortSignal per job costs its listener on every job.
 */
const TASK_REF = Symbol('threadkit.taskRef');
const ABORT_TASK = Symbol('threadkit.abortTask');
/**
 * Not public API, for serve(): `pool[UNQUEUE_TASK](taskId, error)` takes a
 * task back if no worker has taken it yet (its promise rejects with `error`)
 * and says whether it did; a running task is left alone.
 */
const UNQUEUE_TASK = Symbol('threadkit.unqueueTask');
const MAX_WORKERS = Symbol('threadkit.maxWorkers');
/** Internal execute() option of stream(): the TaskStream that receives the task's values. */
const STREAM = Symbol('threadkit.stream');

module.exports = { MAILBOX_HELD, JOB_ID, TASK_REF, ABORT_TASK, UNQUEUE_TASK, MAX_WORKERS, STREAM };
