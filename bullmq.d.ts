/**
 * threadkit/bullmq: the same worker script that a local `WorkerPool` runs, served by any number of
 * processes on any number of machines, with BullMQ on Redis as the queue and a threadkit `WorkerPool`
 * as the executor on each consumer. Task code does not change.
 *
 * `bullmq` (6.x, which brings `ioredis` 5) is an optional peer dependency: install it to use this entry;
 * without it, `require('threadkit/bullmq')` throws an error that says so. `require('threadkit')` never
 * loads it.
 *
 * Delivery is at-least-once: a job whose consumer dies mid-run is run again by another one once its
 * lock expires. Make task code safe to repeat, or key its side effects on {@link TaskContext.jobId}.
 *
 * @example
 * // consumer.js, on every machine that computes:
 * const { WorkerPool } = require('threadkit');
 * const { serve } = require('threadkit/bullmq');
 * const pool = new WorkerPool(require.resolve('./hash-worker.js'), { maxWorkers: 8 });
 * const server = serve(pool, 'hash', { connection: { host: 'redis.internal', port: 6379 } });
 * server.on('error', (err) => console.error(err));
 * process.once('SIGTERM', async () => {
 *   await server.close(); // running jobs finish, no new ones are taken
 *   await pool.close();
 * });
 *
 * // producer.js, where work is submitted:
 * const { RemotePool } = require('threadkit/bullmq');
 * const remote = new RemotePool('hash', { connection: { host: 'redis.internal', port: 6379 } });
 * const digest = await remote.execute({ text: 'abc', rounds: 1e6 }, { timeout: 10_000, attempts: 3 });
 * await remote.close();
 *
 * @module threadkit/bullmq
 */

import { EventEmitter } from 'node:events';
import type { Job, Queue, QueueOptions, Worker, WorkerOptions, BackoffOptions } from 'bullmq';
import type { ThreadkitError, WorkerPool, TaskContext } from './index';

/**
 * What {@link serve} returns: the consumer of one queue. It forwards the BullMQ Worker's
 * `'error'`, `'stalled'` and `'failed'` events. Without an `'error'` listener, errors go to
 * `console.error`, as BullMQ's own Worker does (an error never crashes the process).
 *
 * @example
 * const server = serve(pool, 'hash', { connection });
 * server.on('failed', (job, err) => console.warn(`job ${job?.id} failed: ${err.message}`));
 * server.on('stalled', (jobId) => console.warn(`job ${jobId} stalled and goes back to the queue`));
 */
export interface RemoteServer extends EventEmitter {
  /**
   * The BullMQ Worker that takes the jobs: read its `concurrency`, or `pause()` / `resume()` it. With
   * serve's default concurrency, serve sets `worker.concurrency` as jobs finish (it follows the jobs'
   * length): to fix it, pass `concurrency` to `serve` instead.
   * Its `cancelJob()` does not reach serve's tasks (serve gives no job an AbortSignal): abort a job
   * with the `signal` of `RemotePool.execute`.
   *
   * @example
   * console.log(`taking up to ${server.worker.concurrency} jobs at a time`);
   */
  readonly worker: Worker;
  /**
   * Stops taking jobs, waits for the running ones (including jobs prefetched into the pool's queue)
   * to finish, and closes this consumer's Redis connections. The pool is the caller's: it stays open.
   *
   * @example
   * await server.close();
   * await pool.close();
   */
  close(): Promise<void>;
  /**
   * `'error'`: a Redis or BullMQ error, or (once) a worker script that cannot start: then this consumer
   * pauses and the jobs stay waiting for another consumer. `'stalled'`: a job lost its lock and goes back
   * to the queue. `'failed'`: a job failed (after its last attempt, or with a retry to come); `err` is the
   * task's error with its class.
   *
   * @example
   * server.on('error', (err) => log.error(err));
   */
  on(event: 'error', listener: (err: Error) => void): this;
  on(event: 'stalled', listener: (jobId: string, prev: string) => void): this;
  on(event: 'failed', listener: (job: Job | undefined, err: Error, prev: string) => void): this;
  on(event: string | symbol, listener: (...args: any[]) => void): this;
  /** As {@link RemoteServer.on}, for one event. @example server.once('error', (err) => log.error(err)); */
  once(event: 'error', listener: (err: Error) => void): this;
  once(event: 'stalled', listener: (jobId: string, prev: string) => void): this;
  once(event: 'failed', listener: (job: Job | undefined, err: Error, prev: string) => void): this;
  once(event: string | symbol, listener: (...args: any[]) => void): this;
}

/**
 * Serves queue `queueName`: every job runs as `pool.execute(data, { name, timeout, signal })` on the
 * pool's threads, so this thread stays free to renew the jobs' locks however long they compute (no
 * stalled jobs, no job run twice because of a busy event loop).
 *
 * - `workerOptions` are BullMQ's own `WorkerOptions` (`connection`, `lockDuration`, `limiter`, ...).
 *   `concurrency` defaults to the pool's `maxWorkers` plus a prefetch that follows the jobs' length,
 *   so that no thread idles while the next job travels from Redis, and few jobs wait here that another
 *   consumer could run: about 20 ms of work per thread, from 1 job (jobs of 20 × maxWorkers ms or
 *   more, at start, and after the consumer idles) to 32 (tiny jobs); `server.worker.concurrency` shows it. When
 *   long jobs follow tiny ones, the jobs the pool has not started beyond the lowered concurrency go back to the
 *   queue for any consumer (not under BullMQ's `maxStartedAttempts`, which counts each start, nor under a
 *   `limiter`, which counts each fetch). An explicit
 *   `concurrency` is kept as it is.
 * - A job's `timeout` is enforced by the pool's watchdog (the thread is stopped: no zombie job).
 * - An aborted job (see {@link RemoteExecuteOptions.signal}) fails without a retry.
 * - A worker script that cannot start (syntax error, no such export): the jobs go back to waiting, this
 *   consumer pauses, and `'error'` is emitted once. Fix the script, then close and serve again.
 *
 * @param pool the threadkit WorkerPool that runs the jobs (it stays the caller's)
 * @param queueName the BullMQ queue to take jobs from
 * @param workerOptions BullMQ's WorkerOptions; at least `{ connection }`
 * @throws TypeError if `pool` is not a WorkerPool, or `queueName` is not a non-empty string
 *
 * @example
 * const pool = new WorkerPool(require.resolve('./hash-worker.js'), { maxWorkers: 8 });
 * const server = serve(pool, 'hash', { connection: { host, port }, lockDuration: 30_000 });
 */
export declare function serve(pool: WorkerPool, queueName: string, workerOptions: WorkerOptions): RemoteServer;

/**
 * The options of {@link RemotePool.execute}: the same as `WorkerPool.execute`'s where they overlap,
 * plus BullMQ's retries.
 *
 * @example
 * await remote.execute(data, { name: 'resize', priority: -1, timeout: 5000, attempts: 3, backoff: { type: 'exponential', delay: 1000 } });
 */
export interface RemoteExecuteOptions {
  /**
   * Call this named export of the worker script instead of the default export. It is the BullMQ job's
   * name (`'default'` for the default export), so Redis tooling shows it.
   */
  name?: string;
  /**
   * A 32-bit integer, lower runs first, 0 by default, as in `WorkerPool.execute`. Mapped onto BullMQ's
   * priorities (1 first to 2^21) as 2^20 + `priority`: exact from -(2^20 - 1) to 2^20; priorities beyond
   * that range run with the first or the last of it. Every job gets a BullMQ priority (BullMQ runs jobs
   * without one before all others).
   */
  priority?: number;
  /**
   * Longest run time in ms, counted from when a consumer's thread takes the job. The consumer's pool
   * watchdog stops the thread when it passes, and the promise rejects with `TimeoutError` (BullMQ may
   * retry it first, if `attempts` allows). If no result arrives within `timeout` plus 5 s of the job
   * starting and Redis does not answer, the promise rejects with `TimeoutError` too.
   */
  timeout?: number;
  /**
   * Aborting it rejects the promise with `AbortError` at once. A waiting job is removed from the queue;
   * a running one is aborted on its consumer (its task's `signal` aborts, and its thread is stopped after
   * the pool's `abortGrace`), and fails without a retry.
   */
  signal?: AbortSignal;
  /** BullMQ's attempts: how many times the job may run before it fails for good (default 1). */
  attempts?: number;
  /** BullMQ's backoff between attempts: a delay in ms, or `{ type: 'fixed' | 'exponential', delay }`. */
  backoff?: number | BackoffOptions;
}

/** What {@link RemotePool.getMetrics} returns: counts since the RemotePool was created. */
export interface RemotePoolMetrics {
  /** Calls to `execute` that were accepted (one per item of `map`). */
  readonly submitted: number;
  /** Promises that resolved. */
  readonly completed: number;
  /** Promises that rejected (the task threw, timed out, crashed, was aborted, lost, or the pool was closed). */
  readonly failed: number;
  /** Promises not settled yet (queued or running somewhere). */
  readonly inFlight: number;
}

/**
 * Submits tasks to a BullMQ queue that {@link serve} consumers run, with `WorkerPool.execute`'s call
 * shape and promise contract: each promise settles exactly once, with the task's result, or its error
 * (same class name, message and own properties such as `code`; threadkit's errors come back as their
 * classes), `TimeoutError`, `AbortError`, `WorkerCrashedError` (the consumer's thread died),
 * {@link JobLostError} or `ClosedError`.
 *
 * Data and results survive as through a local WorkerPool (structured clone: Map, Set, Date, BigInt,
 * Buffer, typed arrays, undefined, NaN, -0). A value that plain JSON carries losslessly is stored as
 * JSON (readable in Redis tooling); any other goes in a base64 envelope (`{ "$threadkit": "v8", ... }`).
 *
 * Results come from BullMQ's event stream (QueueEvents), not by polling. After a Redis reconnection the
 * pending jobs' states are read once: a job that Redis lost rejects with {@link JobLostError}.
 * Jobs stay in Redis as BullMQ keeps them: set `defaultJobOptions.removeOnComplete` to bound that
 * (keep failed jobs a while: the task's error is read from the failed job).
 *
 * It is an EventEmitter: `'error'` reports Redis errors (without a listener they go to `console.error`).
 *
 * @example
 * const remote = new RemotePool('hash', { connection: { host, port }, defaultJobOptions: { removeOnComplete: { age: 3600 } } });
 * const h = await remote.execute({ text: 'abc', rounds: 1e6 });
 * const all = await remote.map(items, { name: 'resize' });
 * await remote.close();
 */
export declare class RemotePool extends EventEmitter {
  /**
   * @param queueName the BullMQ queue that {@link serve} consumers take jobs from
   * @param queueOptions BullMQ's QueueOptions; at least `{ connection }`
   * @throws TypeError if `queueName` is not a non-empty string or `queueOptions` is not an object
   *
   * @example
   * const remote = new RemotePool('hash', { connection: { host: '127.0.0.1', port: 6379 } });
   */
  constructor(queueName: string, queueOptions: QueueOptions);
  /**
   * The BullMQ Queue the jobs go to, for its getters (`getJobCounts()`, `getJobs()`, ...).
   *
   * @example
   * console.log(await remote.queue.getJobCounts('waiting', 'active'));
   */
  readonly queue: Queue;
  /**
   * Runs the worker script's task function (the default export, or `options.name`) with `data` on
   * whichever consumer takes the job. Bad options reject with `TypeError`/`RangeError` naming the value.
   *
   * @example
   * const digest = await remote.execute({ text: 'abc', rounds: 1e6 }, { timeout: 10_000 });
   */
  execute<T = any>(data?: unknown, options?: RemoteExecuteOptions): Promise<T>;
  /**
   * Runs `execute(item, options)` for every item; results in input order (rejects with the first error).
   *
   * @example
   * const squares = await remote.map([1, 2, 3], { name: 'square' });
   */
  map<T = any>(items: Iterable<unknown>, options?: RemoteExecuteOptions): Promise<T[]>;
  /**
   * Counts since this RemotePool was created.
   *
   * @example
   * const { inFlight } = remote.getMetrics();
   */
  getMetrics(): RemotePoolMetrics;
  /**
   * Rejects every pending promise with `ClosedError` and closes the Redis connections. Jobs already in the
   * queue stay there and still run; their results are no longer delivered here.
   *
   * @example
   * await remote.close();
   */
  close(): Promise<void>;
}

/**
 * A job that Redis no longer has: it was removed from the queue, or lost in a Redis restart without
 * persistence. It may or may not have run. `code` is `'ERR_THREADKIT_JOB_LOST'`.
 *
 * @example
 * try {
 *   await remote.execute(data);
 * } catch (err) {
 *   if (err instanceof JobLostError) await remote.execute(data); // safe if the task is idempotent
 * }
 */
export declare class JobLostError extends ThreadkitError {
  readonly code: 'ERR_THREADKIT_JOB_LOST';
  /** The BullMQ job id. */
  readonly jobId: string;
}
