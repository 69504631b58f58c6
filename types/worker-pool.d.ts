/// <reference types="node" />
/**
 * WorkerPool: CPU work on real OS threads, with priorities, timeouts, cancellation and crash recovery.
 */

import { EventEmitter } from 'node:events';
import type { AbortError, ClosedError, DataCloneError, QueueFullError, TimeoutError, WorkerCrashedError } from './errors.js';
import type { PoolStream, StreamOptions } from './pool-stream.js';

/** Options of {@link WorkerPool}'s constructor. Every field is optional. */
export interface WorkerPoolOptions {
  /** Workers kept even when idle. Default: half of `maxWorkers`, rounded up. */
  minWorkers?: number;
  /** Most workers at once (1 to 1024). Default: the number of CPUs this process may use (num_cpus). */
  maxWorkers?: number;
  /** A worker above `minWorkers` exits after this many ms without finishing a task. Default 10000. */
  idleTimeout?: number;
  /**
   * Most tasks waiting in the queue; `execute` beyond it rejects with {@link QueueFullError}. Default Infinity.
   * `0`: no queue, a task is refused unless a worker is free for it (idle, starting, or one the pool may
   * still start below `maxWorkers`). `'auto'`: 4 × `maxWorkers`, enough that each worker finds its next
   * task queued while a producer refills the queue, little enough that no task waits behind a long line.
   */
  maxQueue?: number | 'auto';
  /**
   * Retire a worker after it completed this many tasks (1 to 2^32-1; default Infinity), for task code that
   * leaks memory or state. Its last result is delivered first; a replacement starts when work is queued or
   * `minWorkers` asks for one. A task is never lost or run twice because of it.
   */
  maxTasksPerWorker?: number;
  /**
   * Tasks one worker runs at once (an integer from 1 to 65536; default 1), for async tasks that
   * mostly wait on I/O or timers. While fewer than this many are in flight, a worker takes its next
   * task as soon as the last one awaits; a synchronous task still holds its thread alone.
   * Timeouts, aborts, crashes and metrics stay per task:
   * - A task that times out or is aborted rejects at once (`TimeoutError` / `AbortError`) and its
   *   `context.signal` aborts; the worker's other tasks go on. It keeps its slot until its function
   *   returns, or for `abortGrace` at most: one that ignores its signal longer no longer counts
   *   against the limit (it may still run; its result is dropped).
   * - If the worker does not come back to its event loop within `abortGrace` (a synchronous loop
   *   holds the thread), it is stopped, and its other running tasks reject with
   *   {@link WorkerCrashedError}, as in a crash.
   * - A worker that dies rejects exactly the tasks it was running; queued tasks go to other workers.
   * - `maxTasksPerWorker` counts tasks: a worker takes no more than that many, and retires once they
   *   have all returned. `utilization` is the share of task slots in use.
   * @example
   * ```ts
   * // Each of 2 workers keeps up to 16 fetches in flight.
   * const pool = new WorkerPool('./fetch-task.js', { maxWorkers: 2, concurrentTasksPerWorker: 16 });
   * const pages = await Promise.all(urls.map((url) => pool.execute(url)));
   * ```
   */
  concurrentTasksPerWorker?: number;
  /** A label for the pool, returned as `getMetrics().name`: a string (anything else is a TypeError); `null` or absent gives `'threadkit'`. */
  name?: string | null;
  /** Given to each worker as `require('node:worker_threads').workerData` (structured-cloned). */
  workerData?: unknown;
  /** Passed to each `Worker` (heap limits). A worker that runs out of memory rejects its task with {@link WorkerCrashedError} and is replaced. */
  resourceLimits?: import('node:worker_threads').ResourceLimits;
  /** Passed to each `Worker`: its `process.env`. */
  env?: NodeJS.Dict<string> | typeof import('node:worker_threads').SHARE_ENV;
  /**
   * Passed to each `Worker`. `['--require', 'tsx/cjs']` runs a TypeScript worker
   * script (Node 20, 22 and 24): a script whose extension has a require hook is
   * loaded with `require()`.
   */
  execArgv?: string[];
  /** Default run-time limit (ms, up to 2^31-1) of every task; see {@link ExecuteOptions.timeout}. Default: none. */
  taskTimeout?: number;
  /**
   * Lower the workers' scheduling priority by this many nice levels (0 to 19;
   * Linux only, ignored elsewhere), so the main thread wins the CPU when both
   * want it. Default 0.
   */
  niceIncrement?: number;
  /**
   * After an abort, how long (ms) a running task may take to stop by itself before its worker is terminated
   * (with `concurrentTasksPerWorker` > 1: how long its worker may take to come back to its event loop). Default 1000.
   */
  abortGrace?: number;
}

/** What {@link WorkerPool.options} reads back: every option resolved, defaults filled in. */
export interface WorkerPoolResolvedOptions {
  /** Workers kept even when idle (a pool size sets both counts). */
  readonly minWorkers: number;
  /** Most workers taking tasks at once. */
  readonly maxWorkers: number;
  /** ms without a task after which a worker above `minWorkers` exits. */
  readonly idleTimeout: number;
  /** Most tasks waiting: a count, `0` (no queue), or `Infinity`; `'auto'` reads back as its number. */
  readonly maxQueue: number;
  /** Tasks a worker completes before it retires (`Infinity`: never). */
  readonly maxTasksPerWorker: number;
  /** Tasks one worker runs at once (1: one at a time). */
  readonly concurrentTasksPerWorker: number;
  /** Default run-time limit of every task in ms (`0`: none). */
  readonly taskTimeout: number;
  /** ms an aborted running task has to stop before its worker is terminated. */
  readonly abortGrace: number;
  /** Nice levels the workers run below the main thread (Linux). */
  readonly niceIncrement: number;
  /** The pool's label (`'threadkit'` unless given). */
  readonly name: string;
  /** As given (or `undefined`). */
  readonly workerData: unknown;
  /** As given (or `undefined`). */
  readonly resourceLimits: import('node:worker_threads').ResourceLimits | undefined;
  /** As given (or `undefined`). */
  readonly env: NodeJS.Dict<string> | typeof import('node:worker_threads').SHARE_ENV | undefined;
  /** As given (or `undefined`). */
  readonly execArgv: string[] | undefined;
}

/** Options of {@link WorkerPool.close}. */
export interface WorkerPoolCloseOptions {
  /** After this many ms, terminate instead (every unsettled task rejects with {@link ClosedError}). Default Infinity. */
  timeout?: number;
  /** Reject the queued tasks with {@link ClosedError} now; running tasks still finish. Default false. */
  force?: boolean;
}

/** Options of {@link WorkerPool.execute}. */
export interface ExecuteOptions {
  /** Lower numbers run first; FIFO within one priority. A 32-bit integer. Default 0. */
  priority?: number;
  /**
   * Abort the task. A queued task leaves the queue at once; a running task's
   * `signal` (see {@link TaskContext}) is aborted, and if it has not finished
   * within `abortGrace` ms its worker is terminated and replaced (with `concurrentTasksPerWorker` above 1:
   * only if the worker has not come back to its event loop by then). Either way
   * the promise rejects with {@link AbortError} at once.
   */
  signal?: AbortSignal;
  /**
   * Longest run time in ms (up to 2^31-1), counted from when a worker takes the task
   * (for a task with a `transfer` list or shared memory, from when its data reached the worker). A
   * native watchdog thread stops the worker when it passes (even if the task
   * is stuck in a synchronous loop and the main thread is blocked); the task
   * rejects with {@link TimeoutError} and the worker is replaced.
   */
  timeout?: number;
  /**
   * ArrayBuffers (or MessagePorts) to move to the worker without copying.
   * They are detached from the caller at once: they move (by postMessage) to
   * the pool's mailbox thread, and from there to the worker that takes the
   * task, so the task starts even while the calling thread is blocked.
   * Priority, `maxQueue`, timeouts and crash handling apply as to any task.
   */
  transfer?: ReadonlyArray<ArrayBuffer | import('node:worker_threads').MessagePort>;
  /** Call this named export of the worker script instead of the default export (not for a pool made from a function). */
  name?: string;
  /**
   * Called on the calling thread with each value the task sends with
   * {@link TaskContext.progress}: in order, and every one before the
   * promise settles. Values are copied as results are. A listener that
   * throws does not affect the task; its error is rethrown as an uncaught
   * exception, as an EventEmitter listener's is.
   *
   * @example
   * // worker: module.exports = async (files, { progress }) => { for (const f of files) { await work(f); progress(f); } };
   * await pool.execute(files, { onProgress: (f) => console.log('done', f) });
   */
  onProgress?: (value: any) => void;
}

/** The second argument of every task function, inside the worker. */
export interface TaskContext {
  /**
   * Aborted when the caller aborts this task (or it times out): stop soon after. The worker is
   * terminated after `abortGrace` if the task still runs (with `concurrentTasksPerWorker` above 1:
   * if the worker has not come back to its event loop).
   */
  readonly signal: AbortSignal;
  /**
   * The id of the BullMQ job this task runs for, when a `threadkit/bullmq` consumer (`serve`) runs it;
   * `undefined` for tasks submitted to the pool directly. Delivery through BullMQ is at-least-once (a job
   * whose consumer died runs again elsewhere), so task code with side effects can key them on this id.
   *
   * @example
   * module.exports = async (order, { jobId }) => db.insertOnce({ key: jobId, total: order.total });
   */
  readonly jobId: string | undefined;
  /**
   * This task's id: unique within its pool, the id the pool uses for it internally (and the `id` of its
   * `threadkit:pool:task` tracing events).
   */
  readonly taskId: number;
  /**
   * What a `threadkit:pool:task` subscriber set as the start event's `traceContext` (see {@link PoolTaskTrace}) when
   * this task was submitted, deserialized; `undefined` when nobody traced it.
   * @example
   * module.exports = (data, { traceContext }) => tracer.startActiveSpan('work', { links: linkFrom(traceContext) }, (span) => run(data, span));
   */
  readonly traceContext: unknown;
  /**
   * Sends `value` to the caller's `onProgress` ({@link ExecuteOptions.onProgress}), encoded like a result and
   * batched with the pool's completions. Returns `false`, sending nothing, once the task has ended (timed out,
   * or called from code still running after the task returned). A value that only postMessage can carry (a
   * SharedArrayBuffer) throws {@link DataCloneError}. Works when destructured.
   *
   * @example
   * module.exports = async (urls, { progress }) => { for (const u of urls) { await fetch(u); progress(u); } };
   */
  progress(value: unknown): boolean;
  /**
   * Wraps a result so that the ArrayBuffers (or MessagePorts) in `transfer`
   * move to the caller instead of being copied; they are detached in the
   * worker. Without `transfer`, `value` must be an ArrayBuffer or a typed
   * array on one, and that buffer moves. Return what it returns. A bad list
   * throws `TypeError`; one postMessage refuses (a buffer listed twice)
   * rejects the task with {@link DataCloneError}. Works when destructured.
   *
   * @example
   * module.exports = (n, { move }) => move(new Float64Array(n).fill(1)); // no copy of the array
   */
  move<T>(value: T, transfer?: ReadonlyArray<ArrayBuffer | import('node:worker_threads').MessagePort>): T;
}

/** A task function as a worker script exports it (the default export may also be a `Promise<TaskFunction>`). */
export type TaskFunction<T = any, R = any> = (data: T, context: TaskContext) => R | Promise<R>;

/** Duration percentiles in milliseconds. */
export interface DurationSummary {
  /** The median. */
  readonly p50: number;
  /** The 90th percentile. */
  readonly p90: number;
  /** The 99th percentile. */
  readonly p99: number;
  /** The longest. */
  readonly max: number;
}

/** What {@link WorkerPool.getMetrics} returns. */
export interface WorkerPoolMetrics {
  /** The pool's `name` option. */
  readonly name: string;
  /** Workers that take tasks, as {@link WorkerPool.size}: at most `maxWorkers`. */
  readonly workers: number;
  /** Workers waiting for work. */
  readonly idleWorkers: number;
  /** Tasks being run. */
  readonly runningTasks: number;
  /** Tasks waiting in the queue. */
  readonly queueSize: number;
  /** Tasks accepted by `execute` (and `map`) since the pool started. */
  readonly tasksSubmitted: number;
  /** Tasks that resolved. */
  readonly tasksCompleted: number;
  /** Tasks that rejected (thrown, timed out, crashed, aborted or terminated). */
  readonly tasksFailed: number;
  /** Time from submission to start, over the latest 4096 tasks (max: all time). */
  readonly waitTime: DurationSummary;
  /** Run time, over the latest 4096 tasks (max: all time). */
  readonly runTime: DurationSummary;
  /** Busy time / worker-alive time since the pool was created, 0 to 1. */
  readonly utilization: number;
  /** ms since the pool was created. */
  readonly uptime: number;
}

/**
 * Runs CPU-bound work on a pool of worker threads, off the event loop.
 *
 * The worker script exports the task function (`module.exports = fn`,
 * `export default fn`, or named exports picked with `name`), sync or async,
 * or a Promise of it (`module.exports = load()`, `export default load()`:
 * the worker waits for it before its first task; a rejection is a start-up
 * failure, like a throw at import time).
 * The seed form also runs unchanged: a script that listens on `parentPort` for
 * `{ taskId, data }` and replies `{ taskId, data }` or `{ taskId, error }`.
 *
 * Task data and results are structured-cloned (`node:v8`), with exact fast
 * paths for numbers, strings, booleans, flat objects and plain data (the
 * codec that shared channels use too); typed arrays and Buffers arrive as
 * copies that own their memory. Task data and results may also hold
 * SharedArrayBuffers, or typed arrays on them (shared, not copied: the value
 * then travels by postMessage), and task data may transfer ArrayBuffers and
 * MessagePorts (`transfer`). A worker that crashes rejects only its
 * own task with {@link WorkerCrashedError} and is replaced. An idle pool does
 * not keep the process alive; pending tasks do. What a task writes to stdout
 * or stderr reaches this process's stdout or stderr before its promise
 * settles, in order; a worker with 16 MB of it unwritten waits on its next write.
 *
 * An EventEmitter ({@link WorkerPoolEvents}). Events: `'workerCreate'` and `'workerExit'` (`{ threadId, slot, code? }`;
 * `'workerCreate'` is emitted on the next tick, so a listener attached right
 * after the constructor sees the `minWorkers` workers it started),
 * `'error'` (an uncaught error in a running worker; only emitted when someone
 * listens), `'drain'` (the queue became empty).
 *
 * @example
 * // worker.js: module.exports = (n) => fib(n);
 * const pool = new WorkerPool(require.resolve('./worker.js'), 4);
 * const results = await pool.map([30, 31, 32]);
 * await pool.close();
 */
/**
 * The events a {@link WorkerPool} emits, and their listeners' arguments
 * (`pool.on(name, listener)`, `events.once(pool, name)`, `emit`, `listenerCount`).
 * @example
 * pool.on('workerExit', ({ threadId, code }) => console.log(`worker ${threadId} exited with ${code}`));
 * await events.once(pool, 'drain'); // the queue is empty
 */
export interface WorkerPoolEvents {
  /** A worker thread started (`minWorkers` at construction, then as the pool grows or replaces one). */
  workerCreate: [info: { threadId: number; slot: number }];
  /** A worker thread exited; `code` is its exit code. */
  workerExit: [info: { threadId: number; slot: number; code: number }];
  /** An uncaught error in a running worker (only emitted when someone listens). */
  error: [error: unknown];
  /** The queue became empty. */
  drain: [];
}

/**
 * Runs a worker script's task function on a pool of real OS threads (`worker_threads`), off the event
 * loop. Workers take tasks from a native queue themselves; the main thread settles results in batches.
 * The task function is the script's default export (or `module.exports`); other exports are picked with
 * `execute(data, { name })`. A script in the seed documents' `parentPort` form (`{ taskId, data }`) runs too.
 * Every task promise settles exactly once, also when its worker crashes, times out or is terminated.
 *
 * @example
 * const pool = new WorkerPool(require.resolve('./hash-worker.js'), 4); // script, size
 * const h = await pool.execute({ text: 'abc', rounds: 1e6 });
 * const squares = await pool.map([1, 2, 3], { name: 'square' }); // input order
 * await pool.close(); // finish queued work, then stop (terminate() stops now)
 */
export declare class WorkerPool<TData = any, TResult = any> extends EventEmitter<WorkerPoolEvents> {
  /**
   * @param workerScript path (resolved against the current directory) or `file:` URL of the worker script.
   * @param sizeOrOptions a fixed pool size (1 to 1024), or {@link WorkerPoolOptions}.
   * @throws {TypeError} if the script is not a string/URL or does not exist.
   * @throws {RangeError} for a size of 0, -1, NaN, 1.5 or 1e9, or `minWorkers > maxWorkers`.
   */
  constructor(workerScript: string | URL, sizeOrOptions?: number | WorkerPoolOptions);
  /**
   * A pool without a script file: `task`'s source text becomes the workers' task function (sync or async).
   * It runs in another thread from its text alone, so it **cannot use variables from outside it**: pass
   * them in the task's data. A read or write of one rejects that task with a `ReferenceError` whose
   * `code` is `'ERR_THREADKIT_OUTER_VARIABLE'` and whose `variable` names it. Globals (`Math`, `Buffer`,
   * `process`, ...) and `require()` work inside (`require` resolves as from a file in the current
   * directory); `import()` does not (a `TypeError`, code `'ERR_THREADKIT_FUNCTION_IMPORT'`). The function
   * runs in strict mode, with `this` undefined. It has no named exports: `execute()`'s `name` option rejects.
   * A code-coverage tool that rewrites the function's source (adding counters from outside it) breaks it.
   * @param task an arrow function, `function` or `async function`.
   * @param sizeOrOptions a fixed pool size (1 to 1024), or {@link WorkerPoolOptions}.
   * @throws {TypeError} for a method shorthand (`{ f(x) {} }.f`), getter or setter (their source does not
   *   stand alone), a bound or native function (no source), a class or a generator.
   * @example
   * const pool = new WorkerPool((n: number) => {
   *   let a = 0, b = 1;
   *   for (let i = 0; i < n; i++) [a, b] = [b, a + b];
   *   return a;
   * }, 2);
   * const fib40 = await pool.execute(40);
   * const scaled = new WorkerPool(({ x, factor }: { x: number; factor: number }) => x * factor); // pass outer values as data
   */
  constructor(task: (data: TData, context: TaskContext) => TResult | PromiseLike<TResult>, sizeOrOptions?: number | WorkerPoolOptions);
  /**
   * Workers that take tasks: starting, or running and not stopped. Never more
   * than `maxWorkers`. A worker whose task timed out, that is terminated after
   * an abort, or that retired is not counted, although its thread may still be
   * exiting alongside its replacement (started at once): threads alive can
   * briefly exceed `maxWorkers`, tasks running cannot.
   */
  readonly size: number;
  /**
   * The options the pool runs with, resolved (a frozen object, the same on every read).
   * @example
   * const pool = new WorkerPool(script, { maxWorkers: 4, maxQueue: 'auto' });
   * pool.options.maxQueue; // 16
   */
  readonly options: WorkerPoolResolvedOptions;
  /** Tasks waiting for a worker. */
  readonly queueSize: number;
  /** Tasks not settled yet (queued or running). */
  readonly pending: number;
  /**
   * Runs the task function with `data` on a worker.
   * Rejects with {@link QueueFullError} when `maxQueue` tasks are waiting,
   * {@link DataCloneError} if `data` cannot be cloned, {@link TimeoutError},
   * {@link AbortError}, {@link WorkerCrashedError}, {@link ClosedError} after
   * `close()`/`terminate()`, or with what the task threw.
   * @example
   * const hash = await pool.execute(buf, { transfer: [buf], priority: -1, timeout: 5000 });
   */
  execute<T = TResult>(data?: TData, options?: ExecuteOptions): Promise<T>;
  /**
   * Runs `execute` for every item; resolves to the results in input order, or
   * rejects with the first error.
   * @example
   * const squares = await pool.map([1, 2, 3], { name: 'square' });
   */
  map<T = TResult>(items: Iterable<TData>, options?: ExecuteOptions): Promise<T[]>;
  /**
   * Runs a task whose function returns a generator, sync or async (or any iterable, or a promise of
   * one), and gives the values it yields, in order, as they come. The task is queued at once, as
   * with `execute`; bad options throw (a TypeError or RangeError) at the call, and what `execute`
   * would reject with (ClosedError, QueueFullError, DataCloneError, ...) rejects the first `next()`.
   *
   * - Backpressure: the worker sends at most `highWaterMark` values, and at most a 64 KiB ring of
   *   bytes, ahead of what the caller has taken; then its generator waits at its `yield`.
   * - `break` (or `return()`) stops the generator on the worker: its `signal` aborts and, at its next
   *   `yield`, its `finally` blocks run; `return()` resolves once they have. A generator that does
   *   not reach a `yield` within `abortGrace` ms has its worker terminated and replaced. A stream
   *   that is neither read to its end nor returned holds its worker.
   * - The `signal` stops it the same way, and the iteration rejects with {@link AbortError} at once.
   * - An error the generator throws rejects the iteration after the values it yielded before, with
   *   the fidelity of `execute` (class, message, code, own properties).
   * - `timeout` covers the whole stream; {@link TimeoutError} comes after the values already received.
   * - Values are copied as results are (not `transfer`red); a value that cannot be copied rejects the
   *   stream and closes the generator.
   * - `execute` of a task that returns a generator rejects with a TypeError that points here.
   * @example
   * // worker.js: exports.lines = async function* (file) { for await (const l of readLines(file)) yield parse(l); };
   * for await (const row of pool.stream('big.csv', { name: 'lines', highWaterMark: 256 })) {
   *   if (row.id === wanted) break; // the generator's finally runs on the worker
   * }
   */
  stream<T = any>(data?: TData, options?: StreamOptions): PoolStream<T>;
  /** Resolves when the queue has room (below `maxQueue`; with `maxQueue: 0`, when a worker is free): backpressure for producers. */
  waitForRoom(): Promise<void>;
  /** Resolves when no task is queued or running. */
  onIdle(): Promise<void>;
  /** Counters, wait/run percentiles and utilisation. */
  getMetrics(): WorkerPoolMetrics;
  /**
   * Graceful shutdown: refuses new tasks, finishes the queued and running
   * ones, then stops the workers. After `timeout` ms it terminates instead.
   * With `force: true` the queued tasks reject with {@link ClosedError} at once,
   * and only the running ones finish.
   * @example
   * await pool.close({ force: true, timeout: 10_000 });
   */
  close(options?: WorkerPoolCloseOptions): Promise<void>;
  /**
   * `close()`, for `await using`: the pool closes (its queued and running tasks finish) when the block ends.
   * @example
   * await using pool = new WorkerPool(script, 2);
   * await pool.execute(1);
   */
  [Symbol.asyncDispose](): Promise<void>;
  /** Stops every worker now. Every unsettled task rejects with {@link ClosedError}. Always resolves. */
  terminate(): Promise<void>;
}
