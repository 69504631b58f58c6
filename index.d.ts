/**
 * threadkit: synchronisation primitives for Node.js that work within one
 * thread **and across worker_threads**, built in Rust with napi-rs.
 *
 * Every primitive can be handed to a worker: put its `handle` in `workerData`
 * or a message, and call `X.from(handle)` on the other side. Both sides then
 * share one lock, with FIFO fairness across threads.
 *
 * If a worker exits or crashes while it holds permits or locks, they are
 * **released** (not poisoned), and its queued waiters are removed.
 *
 * @packageDocumentation
 */

/** Options accepted by every method that may wait. */
export interface WaitOptions {
  /** Abort the wait: the waiter leaves the queue at once and the promise rejects with {@link AbortError}. */
  signal?: AbortSignal;
  /** Give up after this many milliseconds: the waiter leaves the queue at once and the promise rejects with {@link TimeoutError}. */
  timeout?: number;
}

/**
 * What `acquire`, `readLock` and `writeLock` resolve to: holds permits until
 * released. Works with `using`:
 *
 * @example
 * {
 *   using guard = await mutex.acquire();
 *   // ... critical section ...
 * } // released here, even on throw
 */
export declare class Permit implements Disposable {
  private constructor();
  /** Permits this guard holds; 0 once released. */
  readonly permits: number;
  /** True once released. */
  readonly released: boolean;
  /** Releases what this guard holds. Calling it again does nothing. */
  release(): void;
  /** Same as {@link Permit.release}. */
  [Symbol.dispose](): void;
}

/** A plain, cloneable description of a primitive, for `X.from(handle)` on another thread. Do not modify it. */
export interface PrimitiveHandle<Kind extends string = string> {
  readonly __threadkit: Kind;
  readonly id: number;
  readonly max: number;
  readonly state: SharedArrayBuffer;
}

/**
 * A counting semaphore: a fixed pool of permits. Fair (strict FIFO, weighted:
 * a large request at the head is never overtaken by small ones), closable,
 * and shared across threads.
 *
 * @example
 * const sem = new Semaphore(3);
 * await sem.runExclusive(async () => fetchSomething()); // at most 3 at once
 *
 * const guard = await sem.acquire(2, { timeout: 1000 });
 * try { work(); } finally { guard.release(); }
 */
export declare class Semaphore {
  /**
   * @param permits total permits: an integer from 1 to 536870911.
   * @throws {RangeError} for 0, negative, fractional, NaN or too large counts.
   */
  constructor(permits: number);
  /** Attaches to a Semaphore created elsewhere (usually on another thread). @throws {InvalidHandleError} */
  static from(handle: PrimitiveHandle<'Semaphore'>): Semaphore;
  /** Cloneable handle for {@link Semaphore.from}. Taking it makes the semaphore shareable. */
  readonly handle: PrimitiveHandle<'Semaphore'>;
  /** Total permits. */
  readonly permits: number;
  /** Permits free right now. */
  readonly available: number;
  /** Waiters queued, on all threads. */
  readonly waiting: number;
  /** True after {@link Semaphore.close}. */
  readonly closed: boolean;
  /**
   * Waits for `n` permits (default 1) and resolves to a guard holding them.
   * Rejects with {@link RangeError} if `n` is not an integer in 1..permits,
   * {@link ClosedError} once closed, {@link AbortError} or {@link TimeoutError}.
   */
  acquire(n?: number, options?: WaitOptions): Promise<Permit>;
  /** Takes `n` permits if they are free and nobody is queued; otherwise returns `null` at once. */
  tryAcquire(n?: number): Permit | null;
  /**
   * Returns `n` permits taken on this thread (the method form; a guard's
   * `release()` does the same).
   * @throws {NotHeldError} if this thread holds fewer than `n`.
   */
  release(n?: number): void;
  /** Runs `fn` holding one permit; releases it when `fn` settles, also on throw. */
  runExclusive<T>(fn: () => T | Promise<T>, options?: WaitOptions): Promise<T>;
  /**
   * Rejects every queued waiter, on every thread, and every later acquire
   * with {@link ClosedError}. Releases still work. Closing twice does nothing.
   */
  close(reason?: unknown): void;
}

/**
 * A mutual-exclusion lock (a Semaphore of one permit) shared across threads.
 *
 * @example
 * const mutex = new Mutex();
 * await mutex.runExclusive(async () => { balance += await deposit(); });
 *
 * // the method form
 * await mutex.acquire();
 * try { ... } finally { mutex.release(); }
 */
export declare class Mutex {
  constructor();
  /** Attaches to a Mutex created elsewhere (usually on another thread). @throws {InvalidHandleError} */
  static from(handle: PrimitiveHandle<'Mutex'>): Mutex;
  /** Cloneable handle for {@link Mutex.from}. */
  readonly handle: PrimitiveHandle<'Mutex'>;
  /** Waiters queued, on all threads. */
  readonly waiting: number;
  /** True after {@link Mutex.close}. */
  readonly closed: boolean;
  /** Waits for the lock; resolves to a guard. */
  acquire(options?: WaitOptions): Promise<Permit>;
  /** Takes the lock if it is free and nobody is queued; otherwise `null`. */
  tryAcquire(): Permit | null;
  /**
   * Unlocks (the method form).
   * @throws {NotHeldError} if the mutex is not locked, or is locked by another thread.
   */
  release(): void;
  /** True while some thread holds the lock. */
  isLocked(): boolean;
  /** Resolves when the lock is next free for this caller (it queues like `acquire`, then releases at once). */
  waitForUnlock(options?: WaitOptions): Promise<void>;
  /** Runs `fn` holding the lock; unlocks when `fn` settles, also on throw. */
  runExclusive<T>(fn: () => T | Promise<T>, options?: WaitOptions): Promise<T>;
  /** Rejects every waiter and later acquire with {@link ClosedError}. */
  close(reason?: unknown): void;
}

/**
 * A readers-writer lock shared across threads: many readers or one writer.
 * It is fair: a waiting writer blocks readers that arrive after it (writers
 * are not starved), and readers queued before a writer go first (readers are
 * not starved either).
 *
 * @example
 * const rw = new RwLock();
 * const value = await rw.runRead(() => cache.get(key));
 * await rw.runWrite(() => cache.set(key, value));
 */
export declare class RwLock {
  constructor();
  /** Attaches to an RwLock created elsewhere. @throws {InvalidHandleError} */
  static from(handle: PrimitiveHandle<'RwLock'>): RwLock;
  /** Cloneable handle for {@link RwLock.from}. */
  readonly handle: PrimitiveHandle<'RwLock'>;
  /** Read locks held, on all threads (0 while a writer holds it). */
  readonly readers: number;
  /** Waiters queued, on all threads. */
  readonly waiting: number;
  /** True after {@link RwLock.close}. */
  readonly closed: boolean;
  /** True while a writer holds the lock. */
  isWriteLocked(): boolean;
  /** Waits for a shared (read) lock. */
  readLock(options?: WaitOptions): Promise<Permit>;
  /** Waits for the exclusive (write) lock. */
  writeLock(options?: WaitOptions): Promise<Permit>;
  /** A read lock now, or `null`. */
  tryReadLock(): Permit | null;
  /** The write lock now, or `null`. */
  tryWriteLock(): Permit | null;
  /** Runs `fn` under a read lock. */
  runRead<T>(fn: () => T | Promise<T>, options?: WaitOptions): Promise<T>;
  /** Runs `fn` under the write lock. */
  runWrite<T>(fn: () => T | Promise<T>, options?: WaitOptions): Promise<T>;
  /** Rejects every waiter and later lock request with {@link ClosedError}. */
  close(reason?: unknown): void;
}

/**
 * A 64-bit integer counter in shared memory (the seed's SafeCounter). Exact
 * under contention from any number of threads. Values must stay within
 * ±(2^53 - 1) to be exact JS numbers.
 *
 * @example
 * const hits = new AtomicCounter();
 * new Worker(file, { workerData: hits.handle }); // AtomicCounter.from(workerData) there
 * hits.increment();
 */
export declare class AtomicCounter {
  /** @param initial starting value (default 0), a safe integer. */
  constructor(initial?: number);
  /** Attaches to a counter created elsewhere. @throws {InvalidHandleError} */
  static from(handle: AtomicCounterHandle): AtomicCounter;
  /** Cloneable handle for {@link AtomicCounter.from}. */
  readonly handle: AtomicCounterHandle;
  /** The current value. */
  get(): number;
  /** Sets the value. */
  set(value: number): void;
  /** Adds `by` (default 1); returns the new value. */
  increment(by?: number): number;
  /** Subtracts `by` (default 1); returns the new value. */
  decrement(by?: number): number;
  /**
   * Sets `value` if the counter equals `expected`, atomically. Returns the
   * value that was there: the exchange happened iff it equals `expected`.
   */
  compareExchange(expected: number, value: number): number;
}

/** Handle of an {@link AtomicCounter}. */
export interface AtomicCounterHandle {
  readonly __threadkit: 'AtomicCounter';
  readonly state: SharedArrayBuffer;
}

/** A guard over several locks taken by {@link acquireAll}; releases them in reverse order. */
export interface MultiGuard extends Disposable {
  readonly released: boolean;
  release(): void;
}

/**
 * Takes several locks in one global order (their creation order, the same
 * on every thread), so that two callers naming them in different orders
 * cannot deadlock. A Semaphore is taken for one permit and an RwLock for
 * writing. If any acquire fails (timeout, abort, close), the locks already
 * taken are released and the promise rejects. `timeout` covers the whole call.
 *
 * @example
 * using both = await acquireAll([accountA, accountB]);
 */
export declare function acquireAll(locks: ReadonlyArray<Mutex | Semaphore | RwLock>, options?: WaitOptions): Promise<MultiGuard>;

/**
 * Turns the opt-in deadlock detector on or off **for the calling thread**
 * (call it in each thread that should take part). Off by default; while off,
 * no path pays anything for it.
 *
 * What it sees: a lock taken by `runExclusive`, `runRead` or `runWrite` is
 * held by that callback's async context (a *scope*) until the callback
 * settles. An acquire that has to queue inside such a context waits on behalf
 * of those scopes. When the waits form a cycle (on one thread or across
 * threads) in which every lock is held only by stuck scopes, the acquire that
 * closes the cycle rejects with {@link DeadlockError} naming it, instead of
 * hanging forever. Locks held through a guard or the `release()` method form
 * are outside its view, so cycles through them are not reported.
 *
 * @example
 * setDeadlockDetection(true);
 * await Promise.all([
 *   a.runExclusive(() => b.runExclusive(work)),
 *   b.runExclusive(() => a.runExclusive(work)), // one of these may reject with DeadlockError
 * ]);
 */
export declare function setDeadlockDetection(enabled: boolean): void;

/** Options of {@link WorkerPool}'s constructor. Every field is optional. */
export interface WorkerPoolOptions {
  /** Workers kept even when idle. Default: half of `maxWorkers`, rounded up. */
  minWorkers?: number;
  /** Most workers at once (1 to 1024). Default: the number of CPUs this process may use (num_cpus). */
  maxWorkers?: number;
  /** A worker above `minWorkers` exits after this many ms without finishing a task. Default 10000. */
  idleTimeout?: number;
  /** Most tasks waiting in the queue (1 or more); `execute` beyond it rejects with {@link QueueFullError}. Default Infinity. */
  maxQueue?: number;
  /** A label for the pool, returned as `getMetrics().name`. Default `'threadkit'`. */
  name?: string;
  /** Given to each worker as `require('node:worker_threads').workerData` (structured-cloned). */
  workerData?: unknown;
  /** Passed to each `Worker` (heap limits). A worker that runs out of memory rejects its task with {@link WorkerCrashedError} and is replaced. */
  resourceLimits?: import('node:worker_threads').ResourceLimits;
  /** Passed to each `Worker`: its `process.env`. */
  env?: NodeJS.Dict<string> | typeof import('node:worker_threads').SHARE_ENV;
  /** Passed to each `Worker`, e.g. `['--import', 'tsx']` to run a TypeScript worker script. */
  execArgv?: string[];
  /** Default run-time limit (ms, up to 2^31-1) of every task; see {@link ExecuteOptions.timeout}. Default: none. */
  taskTimeout?: number;
  /**
   * Lower the workers' scheduling priority by this many nice levels (0 to 19;
   * Linux only, ignored elsewhere), so the main thread wins the CPU when both
   * want it. Default 0.
   */
  niceIncrement?: number;
  /** After an abort, how long (ms) a running task may take to stop by itself before its worker is terminated. Default 1000. */
  abortGrace?: number;
}

/** Options of {@link WorkerPool.execute}. */
export interface ExecuteOptions {
  /** Lower numbers run first; FIFO within one priority. A 32-bit integer. Default 0. */
  priority?: number;
  /**
   * Abort the task. A queued task leaves the queue at once; a running task's
   * `signal` (see {@link TaskContext}) is aborted, and if it has not finished
   * within `abortGrace` ms its worker is terminated and replaced. Either way
   * the promise rejects with {@link AbortError} at once.
   */
  signal?: AbortSignal;
  /**
   * Longest run time in ms (up to 2^31-1), counted from when a worker takes the task. A
   * native watchdog thread stops the worker when it passes (even if the task
   * is stuck in a synchronous loop and the main thread is blocked); the task
   * rejects with {@link TimeoutError} and the worker is replaced.
   */
  timeout?: number;
  /**
   * ArrayBuffers (or MessagePorts) to move to the worker without copying.
   * They are detached from the caller at once; the memory moves (by
   * postMessage) when a worker takes the task from the queue. Priority,
   * `maxQueue`, timeouts and crash handling apply as to any task.
   */
  transfer?: ReadonlyArray<ArrayBuffer | import('node:worker_threads').MessagePort>;
  /** Call this named export of the worker script instead of the default export. */
  name?: string;
}

/** The second argument of every task function, inside the worker. */
export interface TaskContext {
  /** Aborted when the caller aborts this task: stop soon after (the worker is terminated after `abortGrace`). */
  readonly signal: AbortSignal;
}

/** A task function as a worker script exports it. */
export type TaskFunction<T = any, R = any> = (data: T, context: TaskContext) => R | Promise<R>;

/** Duration percentiles in milliseconds. */
export interface DurationSummary {
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly max: number;
}

/** What {@link WorkerPool.getMetrics} returns. */
export interface WorkerPoolMetrics {
  /** The pool's `name` option. */
  readonly name: string;
  /** Live workers (starting or ready). */
  readonly workers: number;
  /** Workers waiting for work. */
  readonly idleWorkers: number;
  /** Tasks being run. */
  readonly runningTasks: number;
  /** Tasks waiting in the queue. */
  readonly queueSize: number;
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
 * `export default fn`, or named exports picked with `name`), sync or async.
 * The seed form also runs unchanged: a script that listens on `parentPort` for
 * `{ taskId, data }` and replies `{ taskId, data }` or `{ taskId, error }`.
 *
 * Task data and results are structured-cloned (`node:v8`), with fast paths
 * for numbers, strings and booleans. Task data may also hold
 * SharedArrayBuffers (shared, not copied) and transferred ArrayBuffers and
 * MessagePorts (it then travels by postMessage); results may not. A worker that crashes rejects only its
 * own task with {@link WorkerCrashedError} and is replaced. An idle pool does
 * not keep the process alive; pending tasks do.
 *
 * Events: `'workerCreate'` and `'workerExit'` (`{ threadId, slot, code? }`),
 * `'error'` (an uncaught error in a running worker; only emitted when someone
 * listens), `'drain'` (the queue became empty).
 *
 * @example
 * // worker.js: module.exports = (n) => fib(n);
 * const pool = new WorkerPool(require.resolve('./worker.js'), 4);
 * const results = await pool.map([30, 31, 32]);
 * await pool.close();
 */
export declare class WorkerPool<TData = any, TResult = any> {
  /**
   * @param workerScript path (resolved against the current directory) or `file:` URL of the worker script.
   * @param sizeOrOptions a fixed pool size (1 to 1024), or {@link WorkerPoolOptions}.
   * @throws {TypeError} if the script is not a string/URL or does not exist.
   * @throws {RangeError} for a size of 0, -1, NaN, 1.5 or 1e9, or `minWorkers > maxWorkers`.
   */
  constructor(workerScript: string | URL, sizeOrOptions?: number | WorkerPoolOptions);
  /** Live workers. */
  readonly size: number;
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
  /** Resolves when the queue has room (below `maxQueue`): backpressure for producers. */
  waitForRoom(): Promise<void>;
  /** Resolves when no task is queued or running. */
  onIdle(): Promise<void>;
  /** Counters, wait/run percentiles and utilisation. */
  getMetrics(): WorkerPoolMetrics;
  /**
   * Graceful shutdown: refuses new tasks, finishes the queued and running
   * ones, then stops the workers. After `timeout` ms it terminates instead.
   */
  close(options?: { timeout?: number }): Promise<void>;
  /** Stops every worker now. Every unsettled task rejects with {@link ClosedError}. Always resolves. */
  terminate(): Promise<void>;
  on(event: 'workerCreate', listener: (info: { threadId: number; slot: number }) => void): this;
  on(event: 'workerExit', listener: (info: { threadId: number; slot: number; code: number }) => void): this;
  on(event: 'error', listener: (error: unknown) => void): this;
  on(event: 'drain', listener: () => void): this;
  once(event: 'workerCreate' | 'workerExit' | 'error' | 'drain', listener: (...args: any[]) => void): this;
  off(event: 'workerCreate' | 'workerExit' | 'error' | 'drain', listener: (...args: any[]) => void): this;
}

/** Base class of threadkit's own errors. */
export declare class ThreadkitError extends Error {}
/** A wait was aborted through its AbortSignal; `cause` is the signal's reason. */
export declare class AbortError extends ThreadkitError {
  readonly code: 'ABORT_ERR';
}
/** A wait did not finish within its `timeout`. */
export declare class TimeoutError extends ThreadkitError {
  readonly code: 'ERR_THREADKIT_TIMEOUT';
}
/** The primitive was closed. */
export declare class ClosedError extends ThreadkitError {
  readonly code: 'ERR_THREADKIT_CLOSED';
  /** The reason given to `close()`, as a string, if any. */
  readonly reason: string | undefined;
}
/** `release` without a matching acquire on this thread. */
export declare class NotHeldError extends ThreadkitError {
  readonly code: 'ERR_THREADKIT_NOT_HELD';
}
/** Scoped waiters formed a cycle (see {@link setDeadlockDetection}); this acquire was rejected to break it. */
export declare class DeadlockError extends ThreadkitError {
  readonly code: 'ERR_THREADKIT_DEADLOCK';
  /** The cycle: each step's primitive (by id) is held by a scope on `threadId` that waits for the next step's primitive. */
  readonly cycle: ReadonlyArray<{ readonly primitive: number; readonly threadId: number }>;
}
/** Not a threadkit handle of the expected kind, or one that does not match this process's primitive. */
export declare class InvalidHandleError extends TypeError {
  readonly code: 'ERR_THREADKIT_INVALID_HANDLE';
}
/** {@link WorkerPool.execute} while the queue holds `maxQueue` tasks. */
export declare class QueueFullError extends ThreadkitError {
  readonly code: 'ERR_THREADKIT_QUEUE_FULL';
}
/**
 * The worker running the task died (uncaught error, `process.exit`, out of
 * memory) or could not start (bad script, throw at import time). `cause` is
 * what killed it.
 */
export declare class WorkerCrashedError extends ThreadkitError {
  readonly code: 'ERR_THREADKIT_WORKER_CRASHED';
  /** The worker's exit code, when known. */
  readonly exitCode: number | undefined;
}
/** A value that cannot be structured-cloned (a function, a symbol, ...) was given to cross threads. */
export declare class DataCloneError extends TypeError {
  readonly code: 'ERR_THREADKIT_DATA_CLONE';
}
