/// <reference types="node" />
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
 * On a machine without a native binary for it, `require('threadkit')` and
 * `import` throw (no export is reached) a `NativeBindingError` with
 * `code: 'ERR_THREADKIT_NATIVE_BINDING'`, `platform`, `arch`, `libc` (Linux,
 * else null), `supported` (the platforms with a binary) and a message that
 * says how to build from source.
 *
 * The declarations use Node's own types (`@types/node`, an optional peer
 * dependency: a TypeScript project has its own, and a second copy would clash).
 *
 * @packageDocumentation
 * @module threadkit
 */

import { EventEmitter } from 'node:events';

/** Options accepted by every method that may wait. */
export interface WaitOptions {
  /**
   * Abort the wait: the waiter leaves the queue at once and the promise rejects with {@link AbortError}.
   * Any number of waits may share one signal: it gets one listener in all (no `MaxListenersExceededWarning`).
   */
  signal?: AbortSignal;
  /**
   * Give up after this many milliseconds: the waiter leaves the queue at once and the promise rejects with {@link TimeoutError}.
   * A non-negative number of any size (also above setTimeout's 2^31-1 ms), or `Infinity` for no limit (the default).
   * @throws {RangeError} for a negative number or NaN.
   */
  timeout?: number;
}

/** Options of a Semaphore's or a Mutex's acquire: {@link WaitOptions} and a queue priority. */
export interface AcquireOptions extends WaitOptions {
  /**
   * Where this acquire queues if it must wait: behind every waiter with a
   * lower or equal priority (on every thread), ahead of the others. Lower
   * first; FIFO within a priority. An integer from -2^31 to 2^31-1; default 0.
   * It only orders the queue: an acquire that can take its permits at once
   * does so, and a waiting head with a large request still blocks those behind it.
   * @throws {RangeError} / {TypeError} (as a rejection) for anything else, naming the value.
   * @example
   * await mutex.acquire({ priority: -1 }); // ahead of every waiter with priority 0
   */
  priority?: number;
}

/**
 * What `acquire`, `readLock` and `writeLock` resolve to (and `tryAcquire`
 * returns): holds permits until released. Exported for `instanceof`; it
 * cannot be constructed (`new Permit()` throws a `TypeError`). Works with
 * `using`:
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
  /** The bound when the handle was taken (a Semaphore's live bound is in `state`; see `setPermits`). */
  readonly max: number;
  readonly state: SharedArrayBuffer;
}

/** Options of `new Semaphore(permits, options)`. */
export interface SemaphoreOptions {
  /**
   * The bound: at most `max` permits are ever free at once (an integer from 1
   * to 536870911, at least `permits`). Giving it also allows `release()` on
   * threads that hold no permit (the signalling pattern: one thread waits,
   * another releases). Default: `permits`, with release only by holders.
   */
  max?: number;
}

/**
 * A counting semaphore: a pool of permits with a bound. Fair (strict FIFO,
 * weighted: a large request at the head is never overtaken by small ones),
 * closable, and shared across threads.
 *
 * @example
 * const sem = new Semaphore(3);
 * await sem.runExclusive(async () => fetchSomething()); // at most 3 at once
 *
 * const guard = await sem.acquire(2, { timeout: 1000 });
 * try { work(); } finally { guard.release(); }
 *
 * // Signalling: start empty; any thread may release, up to max.
 * const ready = new Semaphore(0, { max: 1 });
 * new Worker(file, { workerData: ready.handle }); // Semaphore.from(workerData).release() there
 * await ready.acquire();                          // resolves once the worker released
 */
export declare class Semaphore {
  /**
   * @param permits permits free at first: an integer from 1 to 536870911, or
   *   from 0 to `options.max` when `max` is given.
   * @param options `max`: the bound, which also allows release on any thread.
   * @throws {RangeError} for 0 (without `max`), negative, fractional, NaN or too large counts, or `permits > max`.
   * @throws {TypeError} for options that are not an object, or a `max` that is not a number.
   */
  constructor(permits: number, options?: SemaphoreOptions);
  /** Attaches to a Semaphore created elsewhere (usually on another thread). @throws {InvalidHandleError} */
  static from(handle: PrimitiveHandle<'Semaphore'>): Semaphore;
  /** Cloneable handle for {@link Semaphore.from}. Taking it makes the semaphore shareable. */
  readonly handle: PrimitiveHandle<'Semaphore'>;
  /** The bound: at most this many permits are free at once (changed by {@link Semaphore.setPermits}, on any thread). */
  readonly permits: number;
  /** Permits free right now (never negative; 0 while a lowered bound is still owed permits). */
  readonly available: number;
  /** Waiters queued, on all threads. */
  readonly waiting: number;
  /** True after {@link Semaphore.close}. */
  readonly closed: boolean;
  /**
   * Waits for `n` permits (default 1) and resolves to a guard holding them.
   * Rejects with {@link RangeError} if `n` is not an integer in 1..permits,
   * {@link ClosedError} once closed, {@link AbortError} or {@link TimeoutError}.
   * A request queued before {@link Semaphore.setPermits} lowered the bound
   * below it waits until the bound is raised again (or it is aborted).
   */
  acquire(n?: number, options?: AcquireOptions): Promise<Permit>;
  /** Takes `n` permits if they are free and nobody is queued; otherwise returns `null` at once. */
  tryAcquire(n?: number): Permit | null;
  /**
   * Returns `n` permits (default 1; the method form: a guard's `release()`
   * does the same). Without `options.max`, they must be permits this thread
   * took. With `options.max`, any thread may release, its own permits first
   * and then new ones; permits it never took are not charged to it (if it
   * dies, it gives back only what it took and still holds).
   * @throws {NotHeldError} without `max`, if this thread holds fewer than `n`.
   * @throws {RangeError} with `max`, if more than `max` permits would be free.
   */
  release(n?: number): void;
  /**
   * Changes the bound (async-mutex's `setValue`), on every thread. Raising it
   * frees the difference and serves the waiters that now fit. Lowering it
   * takes the difference from the free permits; what they cannot cover
   * (permits held above the new bound) is owed: nothing is free again until
   * that many held permits have been released. `available` never goes negative.
   * @param n the new bound, an integer from 1 to 536870911.
   * @throws {RangeError} / {TypeError} for anything else, naming the value.
   * @example
   * const sem = new Semaphore(2);
   * sem.setPermits(4); // two more tasks may run now
   */
  setPermits(n: number): void;
  /**
   * Resolves once `weight` permits (default 1) are free for this caller: it
   * queues like `acquire(weight)` (FIFO with the others), then releases at
   * once, so it holds nothing when it resolves.
   * Rejects as {@link Semaphore.acquire} does.
   * @example
   * await sem.waitForUnlock(2, { timeout: 1000 });
   */
  waitForUnlock(weight?: number, options?: AcquireOptions): Promise<void>;
  /** Runs `fn` holding one permit; releases it when `fn` settles, also on throw. */
  runExclusive<T>(fn: () => T | Promise<T>, options?: AcquireOptions): Promise<T>;
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
  /** Waits for the lock (queued by `options.priority`, default 0); resolves to a guard. */
  acquire(options?: AcquireOptions): Promise<Permit>;
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
  waitForUnlock(options?: AcquireOptions): Promise<void>;
  /** Runs `fn` holding the lock; unlocks when `fn` settles, also on throw. */
  runExclusive<T>(fn: () => T | Promise<T>, options?: AcquireOptions): Promise<T>;
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
  /** Whether `release()` (or disposal) has run. */
  readonly released: boolean;
  /** Releases every lock it holds, in reverse order; calling it again does nothing. */
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
  /** Call this named export of the worker script instead of the default export. */
  name?: string;
}

/** The second argument of every task function, inside the worker. */
export interface TaskContext {
  /** Aborted when the caller aborts this task: stop soon after (the worker is terminated after `abortGrace`). */
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
   * Workers that take tasks: starting, or running and not stopped. Never more
   * than `maxWorkers`. A worker whose task timed out, that is terminated after
   * an abort, or that retired is not counted, although its thread may still be
   * exiting alongside its replacement (started at once): threads alive can
   * briefly exceed `maxWorkers`, tasks running cannot.
   */
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

// ---------------------------------------------------------------- PromisePool

/** Options of {@link PromisePool.add}. */
export interface PoolTaskOptions {
  /**
   * Cancels the task. While it waits in the queue, an abort removes it at
   * once (O(1)) and its promise rejects with {@link AbortError} (`cause` is
   * the signal's reason); `fn` is never called. Once it runs, the pool cannot
   * stop it: `fn` receives this signal as its argument and should stop
   * itself (pass it to `fetch`, check `signal.aborted`...).
   *
   * @example
   * const ac = new AbortController();
   * const p = pool.add((signal) => fetch(url, { signal }), { signal: ac.signal });
   * ac.abort(); // p rejects: with AbortError if it was still queued, or as fetch does
   */
  signal?: AbortSignal;
}

/** Options of {@link PromisePool.map}. */
export interface PoolMapOptions {
  /**
   * `true` (the default): the first failure rejects the map with that error,
   * no further item starts, and the `signal` passed to running items aborts.
   * `false`: every item runs and settles; if any failed, the map rejects with
   * an `AggregateError` whose `errors` are the failures in input order.
   *
   * @example
   * const r = await pool.map(urls, get, { stopOnError: false }).catch((e: AggregateError) => e.errors);
   */
  stopOnError?: boolean;
  /**
   * Gives up the whole map: it rejects with {@link AbortError}, items not
   * started yet never start, and the signal passed to running items aborts.
   *
   * @example
   * await pool.map(files, upload, { signal: AbortSignal.timeout(60_000) });
   */
  signal?: AbortSignal;
  /**
   * At most this many items of this map run at once (a positive integer or
   * Infinity; default Infinity), on top of the pool's own limit. Items are
   * handed to the pool only as earlier ones finish, so a small map
   * concurrency leaves room in the pool for other work.
   *
   * @example
   * await pool.map(rows, insert, { concurrency: 2 }); // 2 of these at once, even if the pool allows 10
   */
  concurrency?: number;
}

/** Options of the {@link PromisePool} constructor. */
export interface PromisePoolOptions {
  /**
   * The local limit: at most this many tasks of this pool run at once (a
   * positive integer or Infinity). With `limit` it is an extra cap on top of
   * the shared one, default Infinity; without `limit` it is required.
   *
   * @example
   * new PromisePool({ concurrency: 4 });
   */
  concurrency?: number;
  /**
   * A shared limit: each running task holds one permit of this Semaphore, so
   * every pool (on any thread) that uses it stays within its permits in total.
   * Give the Semaphore itself, or its `handle` (the pool attaches with
   * {@link Semaphore.from}, e.g. in a worker that got the handle in
   * `workerData`).
   *
   * @example
   * // main.js
   * const budget = new Semaphore(20);
   * new Worker('./worker.js', { workerData: { budget: budget.handle } });
   * const pool = new PromisePool(budget);
   * // worker.js: this thread and main together never run more than 20 tasks
   * const pool = new PromisePool({ limit: workerData.budget });
   */
  limit?: Semaphore | PrimitiveHandle<'Semaphore'>;
}

/**
 * Runs async functions with at most `concurrency` of them in flight; the
 * others wait in a FIFO queue. The limit is a number, or one {@link Semaphore}
 * shared with other pools and other threads (each running task holds one
 * permit).
 *
 * A task starts at once (synchronously, inside `add`) when there is room,
 * else when an earlier one settles. It runs in the async context
 * (`AsyncLocalStorage`) of the `add` or `map` call. A synchronous throw in
 * `fn` becomes a rejection. Bad arguments throw `TypeError` or `RangeError`
 * synchronously. No promise is ever left pending: a task is settled by its
 * own function, by its signal, by {@link PromisePool.clear}, or (shared mode)
 * by the Semaphore being closed ({@link ClosedError}).
 *
 * @example
 * const pool = new PromisePool(10);
 * const page = await pool.add(() => fetch(url));                 // one task
 * const sizes = await pool.map(files, (f) => stat(f).then((s) => s.size)); // in input order
 * await pool.onIdle();
 */
export declare class PromisePool {
  /**
   * @param concurrency at most this many tasks run at once: a positive integer or Infinity.
   * @throws {RangeError} for 0, negative, fractional or NaN numbers; {@link TypeError} for non-numbers.
   * @example
   * const pool = new PromisePool(10);
   */
  constructor(concurrency: number);
  /**
   * Each running task holds one permit of `limit`, a Semaphore or its handle
   * (see {@link PromisePoolOptions.limit}).
   * @throws {InvalidHandleError} for a handle that is not a valid Semaphore handle.
   * @example
   * const pool = new PromisePool(new Semaphore(20));
   * const inWorker = new PromisePool(workerData.budget); // a handle
   */
  constructor(limit: Semaphore | PrimitiveHandle<'Semaphore'>);
  /**
   * @throws {TypeError} for unknown option names, or if neither `concurrency` nor `limit` is given;
   *   {@link InvalidHandleError} for a `limit` that is not a valid Semaphore handle.
   * @example
   * const pool = new PromisePool({ limit: workerData.budget, concurrency: 4 });
   */
  constructor(options: PromisePoolOptions);

  /**
   * Tasks of this pool running now.
   * @example
   * if (pool.activeCount === pool.concurrency) console.log('busy');
   */
  readonly activeCount: number;
  /**
   * Tasks of this pool waiting to start (map items count once handed to the pool).
   * @example
   * if (pool.pendingCount > 1000) throw new Error('backlog too long');
   */
  readonly pendingCount: number;
  /**
   * The shared Semaphore of a pool built with one, else `null`.
   * @example
   * pool.limit?.available; // permits free on all threads
   */
  readonly limit: Semaphore | null;
  /**
   * The local limit. Settable at any time: raising it starts waiting tasks at
   * once; lowering it starts nothing new until fewer than the new value run
   * (running tasks are not interrupted). In shared mode it is a cap on top of
   * the Semaphore (default Infinity): both must have room for a task to start.
   * @throws {RangeError} / {@link TypeError} on set, for a value that is not a positive integer or Infinity (the old value stays).
   * @example
   * pool.concurrency = 2;  // back off
   * pool.concurrency = 20; // pending tasks start now
   */
  concurrency: number;

  /**
   * Runs `fn` when there is room and resolves or rejects with its result.
   * `fn` is called with no argument, or with `options.signal` when one is
   * given (so that a running task can stop cooperatively).
   * @throws {TypeError} (synchronously) if `fn` is not a function or `options` is malformed.
   * @example
   * const user = await pool.add(() => db.getUser(id));
   * const res = await pool.add((signal) => fetch(url, { signal }), { signal: AbortSignal.timeout(5000) });
   */
  add<T>(fn: (signal: AbortSignal | undefined) => T | PromiseLike<T>, options?: PoolTaskOptions): Promise<Awaited<T>>;

  /**
   * Runs `fn(item, index, signal)` for every item, through the pool, and
   * resolves to the results in input order. `items` is read at the call (an
   * array is copied, so the caller may reuse it); an error its iterator
   * throws rejects the returned promise. `signal` aborts when the map
   * gives up (see {@link PoolMapOptions}). An empty iterable resolves to `[]`.
   * @throws {TypeError} (synchronously) if `items` is not iterable, `fn` is not a function, or an option is malformed;
   *   {@link RangeError} for a bad `options.concurrency`.
   * @example
   * const pages = await pool.map(urls, (url, i, signal) => fetch(url, { signal }).then((r) => r.text()));
   */
  map<Item, R>(
    items: Iterable<Item>,
    fn: (item: Item, index: number, signal: AbortSignal) => R | PromiseLike<R>,
    options?: PoolMapOptions,
  ): Promise<Awaited<R>[]>;

  /**
   * Resolves once no task of this pool runs or waits (at once if none does).
   * @example
   * for (const job of jobs) pool.add(() => run(job)).catch(log);
   * await pool.onIdle();
   */
  onIdle(): Promise<void>;

  /**
   * Removes every waiting task: each rejects with {@link PoolClearedError}
   * (a map that had items waiting rejects with it too, whatever its
   * `stopOnError`, and starts no more items). Running tasks go on. The
   * pool stays usable; when `clear()` returns, nothing waits.
   * @example
   * process.once('SIGTERM', () => pool.clear());
   */
  clear(): void;
}

/**
 * A waiting task was removed by {@link PromisePool.clear} before it started.
 * @example
 * pool.add(job).catch((e) => { if (!(e instanceof PoolClearedError)) throw e; });
 */
export declare class PoolClearedError extends ThreadkitError {
  readonly code: 'ERR_THREADKIT_POOL_CLEARED';
}

/**
 * A value could not be structured-cloned to cross threads through a shared
 * {@link Channel} or {@link AsyncQueue}, or as WorkerPool task data or a
 * result (a function, a symbol, an object with
 * native state...). Only that operation fails; `cause` is the serializer's error.
 *
 * @example
 * try { await ch.send({ callback: () => 1 }); }
 * catch (e) { if (e instanceof DataCloneError) console.error('send plain data'); }
 */
export declare class DataCloneError extends ThreadkitError {
  readonly code: 'ERR_THREADKIT_DATA_CLONE';
}

/**
 * A plain, cloneable description of a {@link Channel} or {@link AsyncQueue},
 * for `Channel.from(handle)` / `AsyncQueue.from(handle)` on another thread.
 * Do not modify it.
 *
 * @example
 * new Worker('./consumer.js', { workerData: { jobs: ch.handle } });
 */
export interface ChannelHandle<Kind extends 'Channel' | 'AsyncQueue' = 'Channel' | 'AsyncQueue'> {
  readonly __threadkit: Kind;
  readonly id: number;
  /** The buffer size (`Infinity` for an unbounded AsyncQueue). */
  readonly capacity: number;
  /** The buffer's shared head word (receivers take values with a compare-and-swap on it) and its closed flag: 8 bytes. */
  readonly state: SharedArrayBuffer;
}

/**
 * What {@link Channel.tryReceive} returns: `ok` with a value, or not `ok`
 * (`closed` tells whether the channel is closed and drained, or just empty now).
 *
 * @example
 * const r = ch.tryReceive();
 * if (r.ok) use(r.value); else if (r.closed) stop();
 */
export type TryReceiveResult<T> =
  { readonly ok: true; readonly closed: false; readonly value: T } | { readonly ok: false; readonly closed: boolean; readonly value: undefined };

/**
 * A Go-style channel: FIFO, optionally buffered, closable, and usable within
 * one thread or across `worker_threads` by any number of senders and
 * receivers (MPMC).
 *
 * - `bufferSize = 0` (default) is a **rendezvous**: `send` resolves only when
 *   a receiver has taken the value.
 * - A full buffer makes `send` wait: backpressure, with bounded memory.
 * - After `close()`, buffered values are still delivered; then `receive()`
 *   resolves to `undefined` and `for await` ends. `send` on a closed channel
 *   rejects with {@link ClosedError}; blocked senders are rejected and blocked
 *   receivers get `undefined`.
 * - Blocked senders and receivers are served in FIFO order, so one sender's
 *   values arrive in the order it sent them.
 * - **Values**: passed **by reference** while the channel is local (its
 *   `handle` was never read); **structured-cloned** once it is shared
 *   (`handle` read, or made with `Channel.from`), also between a sender and a
 *   receiver on the same thread (an Error also keeps its own properties,
 *   such as `code`, as a WorkerPool task error does). A value that cannot be cloned rejects that
 *   send with {@link DataCloneError}; so does shared memory (a
 *   SharedArrayBuffer, or a typed array on one), which a shared channel
 *   cannot pass without copying it.
 * - A thread that dies while blocked in `send` or `receive` leaves the queue
 *   (its pending send never happens); a value handed to a receiver whose
 *   thread dies before taking it goes to the next receiver, first in line
 *   (outside the buffer if the buffer is full: `length` never exceeds
 *   `capacity`).
 * - A shared channel lives while at least one thread that uses it is alive and
 *   holds it; pass the handle to a worker while the creator still holds it.
 * - Across threads, a buffered `send` may resolve before other threads can
 *   see the value: values are batched per thread and reach the channel at the
 *   latest at the end of the sender's current event-loop turn (also if that
 *   thread is terminated). Order and exactly-once delivery are not affected;
 *   after `close()`, receivers wait for such values before they see the end.
 *
 * @example
 * const ch = new Channel<number>(16);
 * (async () => { for (let i = 0; i < 100; i++) await ch.send(i); ch.close(); })();
 * for await (const v of ch) console.log(v);
 *
 * @example
 * // across threads: main.js
 * const jobs = new Channel<Job>(64);
 * new Worker('./worker.js', { workerData: jobs.handle });
 * await jobs.send({ id: 1 });
 * // worker.js
 * const jobs = Channel.from<Job>(workerData);
 * for await (const job of jobs) handle(job);
 */
export declare class Channel<T = unknown> implements AsyncIterable<T> {
  /**
   * @param bufferSize how many values can wait in the channel: an integer
   *   from 0 (rendezvous, the default) to 2147483647. Anything else throws
   *   a `RangeError` (`TypeError` if not a number).
   * @example
   * const unbufferedCh = new Channel<string>();
   * const bufferedCh = new Channel<string>(10);
   */
  constructor(bufferSize?: number);
  /**
   * Attaches to a channel shared by another thread (or this one).
   * Throws {@link InvalidHandleError} for anything but a live Channel handle.
   * @example
   * const ch = Channel.from<number>(workerData.channel);
   */
  static from<T = unknown>(handle: ChannelHandle<'Channel'>): Channel<T>;
  /**
   * A cloneable handle for `Channel.from` on another thread. Reading it the
   * first time makes the channel shared for good (values are cloned from
   * then on); it throws {@link DataCloneError} if a buffered value cannot be
   * cloned.
   * @example
   * new Worker('./w.js', { workerData: { channel: ch.handle } });
   */
  readonly handle: ChannelHandle<'Channel'>;
  /**
   * Number of values waiting in the buffer.
   * @example
   * if (ch.length === ch.capacity) console.log('full: senders will wait');
   */
  readonly length: number;
  /**
   * The buffer size given to the constructor.
   * @example
   * new Channel(8).capacity; // 8
   */
  readonly capacity: number;
  /**
   * True once `close()` was called (on any thread).
   * @example
   * if (!ch.closed) await ch.send(v);
   */
  readonly closed: boolean;
  /**
   * Sends `value`: resolves once it is in the buffer or taken by a receiver
   * (rendezvous: once taken). Waits while the buffer is full. Rejects with
   * {@link ClosedError} if the channel is or gets closed, {@link AbortError} /
   * {@link TimeoutError} per `options` (the value is then not sent), or
   * {@link DataCloneError} (shared channel, value not cloneable).
   * @example
   * await ch.send({ id: 1 }, { timeout: 1000 });
   */
  send(value: T, options?: WaitOptions): Promise<void>;
  /**
   * Receives the next value; resolves to `undefined` once the channel is
   * closed and drained. Rejects only with {@link AbortError} /
   * {@link TimeoutError} per `options` (no value is taken then).
   * @example
   * const v = await ch.receive({ signal: AbortSignal.timeout(500) });
   */
  receive(options?: WaitOptions): Promise<T | undefined>;
  /**
   * Sends without waiting: true if the value was buffered or handed to a
   * waiting receiver, false if it would have to wait. Throws
   * {@link ClosedError} on a closed channel.
   * @example
   * if (!ch.trySend(event)) dropped++;
   */
  trySend(value: T): boolean;
  /**
   * Receives without waiting.
   * @example
   * const r = ch.tryReceive();
   * if (r.ok) console.log(r.value);
   */
  tryReceive(): TryReceiveResult<T>;
  /**
   * Closes the channel (see the class docs). Returns false if it was
   * already closed.
   * @example
   * ch.close();
   */
  close(): boolean;
  /**
   * Receives until the channel is closed and drained (`undefined` values
   * sent on purpose are yielded, not treated as the end).
   * @example
   * for await (const v of ch) console.log(v);
   */
  [Symbol.asyncIterator](): AsyncIterator<T>;
}

/**
 * One case of {@link select}: receive from a channel, or send `value` to it.
 * (A select may mix cases of different value types.)
 * @example
 * const cases: SelectCase[] = [{ receive: results }, { send: jobs, value: nextJob }];
 */
export type SelectCase<T = unknown> = { readonly receive: Channel<T> } | { readonly send: Channel<T>; readonly value: T };

/**
 * What {@link select} resolves to: the `index` of the case that ran (-1 for
 * the default case); for a receive case `value` is the value and `ok` is false
 * if the channel was closed and drained; for a send case `ok` is true.
 * @example
 * const { index, value, ok } = await select([{ receive: a }, { receive: b }]);
 */
export interface SelectResult<T = unknown> {
  /** The index of the case that ran, or -1 for the default case. */
  readonly index: number;
  /** The value received (a receive case), else `undefined`. */
  readonly value: T | undefined;
  /** True for a send case and a received value; false for a receive case on a closed and drained channel, and for the default case. */
  readonly ok: boolean;
}

/**
 * Options of {@link select}: `signal` and `timeout` as for every wait, plus `default`.
 * @example
 * await select([{ receive: ch }], { default: true });   // never waits
 * await select([{ receive: ch }], { timeout: 100 });    // TimeoutError after 100 ms
 */
export interface SelectOptions extends WaitOptions {
  /**
   * If true and no case is ready now, resolve at once with `{ index: -1 }` (Go's `default:`).
   * The decision holds at one moment, as in Go: the default runs only if at some moment during
   * the call no case was ready, also while other threads use the channels.
   */
  default?: boolean;
}

/**
 * Go's `select`: waits until one of several send/receive cases can run, and
 * runs **exactly one**. When several are ready, one is chosen at random
 * (fair, as in Go). With `{ default: true }` it never waits. A send case on a
 * closed channel rejects with {@link ClosedError}; a receive case on a closed
 * channel is ready (with `ok: false`). Timeout and abort leave every queue at
 * once. Works on shared channels across threads too; if any of the channels
 * is shared, the others become shared as well.
 *
 * No cases is Go's `select {}`: with `{ default: true }` it resolves at once
 * with `{ index: -1 }`; otherwise it never settles, unless its `timeout` or
 * `signal` ends it (handy for a case list built at run time that may be empty).
 *
 * @example
 * const r = await select([{ receive: results }, { send: jobs, value: job }], { timeout: 1000 });
 * if (r.index === 0) console.log('result', r.value);
 * else console.log('job sent');
 *
 * @example
 * // non-blocking
 * const r = await select([{ receive: ch }], { default: true });
 * if (r.index === -1) console.log('nothing ready');
 *
 * @example
 * // every channel still open, or none
 * const r = await select(open.map((ch) => ({ receive: ch })), { timeout: 1000 });
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- cases may carry different types; name the result's type with `select<T>(...)`.
export declare function select<T = any>(cases: ReadonlyArray<SelectCase<any>>, options?: SelectOptions): Promise<SelectResult<T>>;

/**
 * Options of the {@link AsyncQueue} constructor.
 * @example
 * new AsyncQueue({ maxSize: 100 }); // put waits while 100 items are queued
 */
export interface AsyncQueueOptions {
  /** At most this many items wait in the queue (`put` waits while full): an integer ≥ 1, or `Infinity` (the default). */
  maxSize?: number;
}

/**
 * A producer-consumer queue in the style of Python's `asyncio.Queue`, on the
 * same core as {@link Channel} (same rules for values, threads and handles):
 * `put`/`get`, plus a count of unfinished items: every item put must be
 * marked done with `taskDone()`, and `join()` resolves when none is left,
 * across threads too.
 *
 * @example
 * const q = new AsyncQueue<string>({ maxSize: 100 });
 * for (let i = 0; i < 4; i++) (async () => {
 *   for (;;) { const url = await q.get(); await fetch(url); q.taskDone(); }
 * })();
 * for (const url of urls) await q.put(url);
 * await q.join(); // every url fetched
 */
export declare class AsyncQueue<T = unknown> {
  /**
   * @param options `{ maxSize }`: an integer ≥ 1 or `Infinity` (default);
   *   anything else throws a `RangeError` (`TypeError` if not a number).
   * @example
   * const q = new AsyncQueue<number>({ maxSize: 10 });
   */
  constructor(options?: AsyncQueueOptions);
  /**
   * Attaches to a queue shared by another thread.
   * @example
   * const q = AsyncQueue.from<Job>(workerData.queue);
   */
  static from<T = unknown>(handle: ChannelHandle<'AsyncQueue'>): AsyncQueue<T>;
  /**
   * A cloneable handle for `AsyncQueue.from`; reading it makes the queue
   * shared (items are cloned from then on).
   * @example
   * new Worker('./consumer.js', { workerData: { queue: q.handle } });
   */
  readonly handle: ChannelHandle<'AsyncQueue'>;
  /**
   * Items waiting in the queue.
   * @example
   * console.log(`${q.size} queued`);
   */
  readonly size: number;
  /**
   * The `maxSize` given to the constructor.
   * @example
   * new AsyncQueue().maxSize; // Infinity
   */
  readonly maxSize: number;
  /**
   * Items put and not yet marked done with `taskDone()`.
   * @example
   * console.log(`${q.unfinished} in progress or queued`);
   */
  readonly unfinished: number;
  /**
   * True once `close()` was called.
   * @example
   * if (q.closed) return;
   */
  readonly closed: boolean;
  /**
   * Adds an item; waits while the queue is full. Rejects with
   * {@link ClosedError} once closed, {@link DataCloneError} if a shared queue
   * cannot clone it, or {@link AbortError}/{@link TimeoutError} per `options`.
   * @example
   * await q.put(job);
   */
  put(item: T, options?: WaitOptions): Promise<void>;
  /**
   * Adds an item if there is room now; returns false otherwise.
   * @example
   * if (!q.tryPut(job)) console.log('queue full');
   */
  tryPut(item: T): boolean;
  /**
   * Takes the oldest item, waiting for one. Rejects with {@link ClosedError}
   * once the queue is closed and empty.
   * @example
   * const job = await q.get({ timeout: 5000 });
   */
  get(options?: WaitOptions): Promise<T>;
  /**
   * Marks one item done (after `get` and its processing). Throws a
   * `RangeError` if called more times than items were put.
   * @example
   * const job = await q.get(); try { await run(job); } finally { q.taskDone(); }
   */
  taskDone(): void;
  /**
   * Resolves when every item put so far has been marked done (at once if
   * none is unfinished).
   * @example
   * await q.join();
   */
  join(options?: WaitOptions): Promise<void>;
  /**
   * Closes: later `put`s and blocked `put`s reject; `get` drains the items
   * left, then rejects with {@link ClosedError}. Returns false if already closed.
   * @example
   * q.close();
   */
  close(): boolean;
}
