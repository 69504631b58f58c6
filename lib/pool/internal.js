// @ts-check
'use strict';
/**
 * Not public API: the symbols by which threadkit's own modules (serve() in
 * lib/bullmq, the stream, tests) reach into a WorkerPool (worker-pool.js).
 */

/** For tests: `pool[MAILBOX_HELD]()` resolves to how many tasks' data the mailbox holds (tests check that none leaks). */
const MAILBOX_HELD = Symbol('threadkit.mailboxHeld');
/**
 * For threadkit/bullmq's serve(): the execute() option that gives the BullMQ
 * job id (TaskContext.jobId in the worker). (The mark of an error that says
 * the worker script could not start, STARTUP_FAILED, is lifecycle.js's.)
 */
const JOB_ID = Symbol('threadkit.jobId');
/**
 * For serve(): an execute() option `{ taskId }` whose taskId
 * execute() sets, and `pool[ABORT_TASK](taskId, reason)`, which aborts that
 * task as its AbortSignal would. serve() aborts a job only when a cancel for
 * it arrives; an AbortSignal per job costs its listener on every job.
 */
const TASK_REF = Symbol('threadkit.taskRef');
const ABORT_TASK = Symbol('threadkit.abortTask');
/**
 * For serve(): `pool[UNQUEUE_TASK](taskId, error)` takes a task back if no
 * worker has taken it yet (its promise rejects with `error`; the metrics
 * count it as never submitted) and says whether it did; a running task is
 * left alone.
 */
const UNQUEUE_TASK = Symbol('threadkit.unqueueTask');
/** For serve(): `pool[MAX_WORKERS]` is the pool's maxWorkers. */
const MAX_WORKERS = Symbol('threadkit.maxWorkers');
/** Internal execute() option of stream(): the TaskStream that receives the task's values. */
const STREAM = Symbol('threadkit.stream');

module.exports = { MAILBOX_HELD, JOB_ID, TASK_REF, ABORT_TASK, UNQUEUE_TASK, MAX_WORKERS, STREAM };
