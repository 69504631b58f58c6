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
   * resolves to the results in input order. `signal` aborts when the map
   * gives up (see {@link PoolMapOptions}). An empty iterable resolves to `[]`.
   * @throws {TypeError} (synchronously) if `items` is not iterable, `fn` is not a function, or an option is malformed;
   *   {@link RangeError} for a bad `options.concurrency`.
   * @example
   * const pages = await pool.map(urls, (url, i, signal) => fetch(url, { signal }).then((r) => r.text()));
   */
  map<Item, R>(items: Iterable<Item>, fn: (item: Item, index: number, signal: AbortSignal) => R | PromiseLike<R>, options?: PoolMapOptions): Promise<Awaited<R>[]>;

  /**
   * Resolves once no task of this pool runs or waits (at once if none does).
   * @example
   * for (const job of jobs) pool.add(() => run(job)).catch(log);
   * await pool.onIdle();
   */
  onIdle(): Promise<void>;

  /**
   * Removes every waiting task: each rejects with {@link PoolClearedError}
   * (a map that had items waiting rejects too). Running tasks go on. The
   * pool stays usable.
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
