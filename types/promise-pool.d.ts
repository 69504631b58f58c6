/// <reference types="node" />
/**
 * PromisePool and RateLimit: at most N async functions in flight, with priorities, timeouts, pause,
 * events and a rate limit, on one thread or with a limit shared across threads.
 */

import { EventEmitter } from 'node:events';
import type { PrimitiveHandle, Semaphore } from './sync.js';
import type { AbortError, ClosedError, InvalidHandleError, PoolClearedError, TimeoutError } from './errors.js';

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
  /**
   * Lower runs first; FIFO among tasks of the same priority. Any finite number; default 0.
   * @throws {TypeError} for a non-number; {@link RangeError} for NaN or ±Infinity.
   * @example
   * pool.add(() => sendAlert(), { priority: -1 }); // ahead of every priority-0 task still waiting
   */
  priority?: number;
  /**
   * Milliseconds the task may run, counted from its start (not while it waits). Then the signal
   * `fn` got aborts and the task's promise rejects with {@link TimeoutError}, even if `fn` ignores
   * the signal. The task keeps its slot until `fn` settles, so the pool never runs more than its
   * limit. Overrides the pool's {@link PromisePoolOptions.timeout}; `Infinity`: none.
   * @throws {RangeError} for a negative number, NaN or a non-number.
   * @example
   * const res = await pool.add((signal) => fetch(url, { signal }), { timeout: 5000 });
   */
  timeout?: number;
}

/** Options of {@link PromisePool.mapIterable} (and of {@link PromisePool.map} with an async iterable). */
export interface PoolMapIterableOptions {
  /**
   * `true` (the default): results come in input order. `false`: as items finish.
   * @example
   * for await (const r of pool.mapIterable(urls, get, { ordered: false })) console.log(r);
   */
  ordered?: boolean;
  /**
   * At most this many items of this run in the pool at once (default: the pool's `concurrency`).
   * @example
   * pool.mapIterable(rows, insert, { concurrency: 2 });
   */
  concurrency?: number;
  /**
   * How many items beyond `concurrency` may be pulled from the source and not yet handed to you
   * (finished, or waiting for an earlier one under `ordered`). Default `min(concurrency, 16)`; with no
   * finite concurrency (a shared Semaphore with no local cap), the whole lookahead is `buffer`, default 32.
   * @example
   * pool.mapIterable(hugeStream, parse, { buffer: 0 }); // pull only as the pool has room and results are taken
   */
  buffer?: number;
  /**
   * Gives up the run: the iteration throws {@link AbortError}, items not started never start, and
   * the signal passed to running items aborts.
   * @example
   * pool.mapIterable(source, fn, { signal: AbortSignal.timeout(60_000) });
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
  /**
   * Async iterables only: see {@link PoolMapIterableOptions.buffer}.
   * @example
   * await pool.map(readRows(), insert, { buffer: 4 });
   */
  buffer?: number;
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
  /**
   * Rate limit, as p-queue's: at most `intervalCap` task starts in each fixed window of `interval`
   * ms. Give both or neither. A refused start waits for the next window on a timer. With a number
   * limit the rate is this pool's. With a Semaphore limit the **semaphore carries the rate** (it is
   * shared from then on): every PromisePool it limits, on any thread, counts its starts in the same
   * windows (aligned to the epoch), so the cap holds across all of them together. A semaphore
   * carries one rate: a pool that asks it for another throws.
   * @throws {TypeError} / {@link RangeError} if only one is given, for a bad value (interval: finite > 0;
   *   intervalCap: integer ≥ 1; with a Semaphore, interval a whole number of ms), or (TypeError) when the
   *   Semaphore already carries another rate.
   * @example
   * const pool = new PromisePool(10, { interval: 1000, intervalCap: 5 }); // ≤ 5 starts per second
   * // in each of several workers: together ≤ 5 starts per second
   * const shared = new PromisePool(Semaphore.from(workerData.sem), { interval: 1000, intervalCap: 5 });
   */
  interval?: number;
  /** See {@link PromisePoolOptions.interval}. @example new PromisePool(4, { interval: 60_000, intervalCap: 100 }); */
  intervalCap?: number;
  /**
   * A rate limit shared with other pools, on any thread: a {@link RateLimit} or its `handle`.
   * Every pool that uses it counts its starts in the same windows, so the cap holds across threads.
   * Excludes `interval`/`intervalCap`.
   * @throws {InvalidHandleError} for a value that is not a RateLimit handle.
   * @example
   * // main.js
   * const rate = new RateLimit({ interval: 1000, intervalCap: 50 });
   * new Worker('./w.js', { workerData: { rate: rate.handle } });
   * // w.js: this worker and all others together start ≤ 50 tasks per second
   * const pool = new PromisePool(8, { rateLimit: workerData.rate });
   */
  rateLimit?: RateLimit | RateLimitHandle;
  /**
   * A default {@link PoolTaskOptions.timeout} for every `add` (and `wrap`) task; map items have none.
   * @example
   * const pool = new PromisePool(10, { timeout: 30_000 });
   */
  timeout?: number;
  /**
   * `false`: the pool starts paused (queue tasks, then {@link PromisePool.resume}). Default `true`.
   * @example
   * const pool = new PromisePool(4, { autoStart: false });
   */
  autoStart?: boolean;
}

/** The options that may follow a concurrency or a Semaphore: `new PromisePool(10, { interval, intervalCap })`. */
export type PromisePoolExtraOptions = Omit<PromisePoolOptions, 'concurrency' | 'limit'>;

/**
 * The events a {@link PromisePool} emits, and their listeners' arguments. Emitted only while someone
 * listens; a listener that throws does not disturb the pool (its error is rethrown in a microtask).
 * @example
 * pool.on('completed', (result) => log(result));
 * await events.once(pool, 'idle');
 */
export interface PromisePoolEvents {
  /** A task started. */
  active: [];
  /** Nothing runs and nothing waits any more. */
  idle: [];
  /** The last waiting task left the queue (it started, was aborted, or was cleared). */
  empty: [];
  /** A task fulfilled, with its value (emitted when it settles). */
  completed: [result: unknown];
  /**
   * A task failed, with its error (a timed-out task's {@link TimeoutError}, when its function
   * settles). With no listener nothing is emitted: the task's own promise carries the error.
   */
  error: [error: unknown];
}

/**
 * Handle of a {@link RateLimit}: send it to another thread, attach there with {@link RateLimit.from}.
 * @example
 * new Worker(file, { workerData: { rate: rate.handle } });
 */
export interface RateLimitHandle {
  readonly __threadkit: 'RateLimit';
  readonly state: SharedArrayBuffer;
}

/**
 * A rate limit: at most `intervalCap` starts in each fixed window of `interval` ms, counted in a
 * SharedArrayBuffer with `Atomics` (no native call), so that every thread holding it (through
 * {@link RateLimit.from}) shares the same count. Windows are `[origin + k·interval, origin + (k+1)·interval)`,
 * `origin` being when it was made (`Date.now()`); across a boundary up to `2·intervalCap` starts can
 * fall within `interval` ms, as with p-queue. Give it to pools as {@link PromisePoolOptions.rateLimit}.
 * @example
 * const rate = new RateLimit({ interval: 1000, intervalCap: 10 });
 * const a = new PromisePool(4, { rateLimit: rate });
 * const b = new PromisePool(4, { rateLimit: rate.handle }); // or in a worker
 */
export declare class RateLimit {
  /**
   * @throws {TypeError} / {@link RangeError} for a bad `interval` (finite ms > 0) or `intervalCap` (integer 1 to 2^31-1).
   * @example
   * const rate = new RateLimit({ interval: 1000, intervalCap: 10 });
   */
  constructor(options: { interval: number; intervalCap: number });
  /**
   * Attaches to a RateLimit made on another thread.
   * @throws {InvalidHandleError} for anything but a RateLimit's `handle`.
   * @example
   * const rate = RateLimit.from(workerData.rate);
   */
  static from(handle: RateLimitHandle): RateLimit;
  /**
   * A plain object to send to another thread. Throws a TypeError for the rate a Semaphore carries
   * (`pool.rateLimit` of a pool limited by one): share the Semaphore instead.
   * @example new Worker(file, { workerData: { rate: rate.handle } });
   */
  readonly handle: RateLimitHandle;
  /** The window length in ms. @example rate.interval; // 1000 */
  readonly interval: number;
  /** Starts allowed per window. @example rate.intervalCap; // 10 */
  readonly intervalCap: number;
  /** When window 0 began (`Date.now()` milliseconds; 0 for a rate a Semaphore carries). @example Math.floor((Date.now() - rate.origin) / rate.interval); // the window now */
  readonly origin: number;
  /**
   * Takes one start in the window of `now` (default `Date.now()`): `false` if that window is full,
   * or if another thread has already opened a later one (then read the clock again).
   * @example
   * if (rate.tryTake()) send();
   */
  tryTake(now?: number): boolean;
  /** Milliseconds until the next window opens (at least 1). @example setTimeout(retry, rate.msToNextWindow()); */
  msToNextWindow(now?: number): number;
}

/**
 * Runs async functions with at most `concurrency` of them in flight; the
 * others wait in a FIFO queue. The limit is a number, or one {@link Semaphore}
 * shared with other pools and other threads (each running task holds one
 * permit).
 *
 * A task starts at once (synchronously, inside `add`) when there is room,
 * else when an earlier one settles (lowest {@link PoolTaskOptions.priority} first). It is an
 * EventEmitter ({@link PromisePoolEvents}); it can pause, rate-limit its starts (across threads
 * with a {@link RateLimit}) and time tasks out. It runs in the async context
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
export declare class PromisePool extends EventEmitter<PromisePoolEvents> {
  /**
   * @param concurrency at most this many tasks run at once: a positive integer or Infinity.
   * @param options rate limit, timeout, autoStart ({@link PromisePoolExtraOptions}).
   * @throws {RangeError} for 0, negative, fractional or NaN numbers; {@link TypeError} for non-numbers.
   * @example
   * const pool = new PromisePool(10);
   * const polite = new PromisePool(10, { interval: 1000, intervalCap: 5 });
   */
  constructor(concurrency: number, options?: PromisePoolExtraOptions);
  /**
   * Each running task holds one permit of `limit`, a Semaphore or its handle
   * (see {@link PromisePoolOptions.limit}).
   * @throws {InvalidHandleError} for a handle that is not a valid Semaphore handle.
   * @example
   * const pool = new PromisePool(new Semaphore(20));
   * const inWorker = new PromisePool(workerData.budget); // a handle
   */
  constructor(limit: Semaphore | PrimitiveHandle<'Semaphore'>, options?: PromisePoolExtraOptions);
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
   * The pool's rate limit (from `interval`/`intervalCap` or `rateLimit`), else `null`.
   * @example
   * pool.rateLimit?.intervalCap;
   */
  readonly rateLimit: RateLimit | null;
  /**
   * Whether the pool is paused ({@link PromisePool.pause}, or `autoStart: false`).
   * @example
   * if (pool.isPaused) pool.resume();
   */
  readonly isPaused: boolean;
  /**
   * Starts no more tasks until {@link PromisePool.resume}; running tasks go on, `add` still queues.
   * @example
   * pool.pause(); // e.g. while the backend is down; pool.resume() later
   */
  pause(): void;
  /**
   * Starts waiting tasks again (no-op if not paused).
   * @example
   * const pool = new PromisePool(4, { autoStart: false });
   * jobs.forEach((j) => pool.add(j));
   * pool.resume();
   */
  resume(): void;

  /**
   * Runs `fn` when there is room and resolves or rejects with its result.
   * `fn` is called with no argument, or with a signal when `options.signal` or a
   * timeout is given (so that a running task can stop cooperatively).
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
    items: Iterable<Item> | AsyncIterable<Item>,
    fn: (item: Item, index: number, signal: AbortSignal) => R | PromiseLike<R>,
    options?: PoolMapOptions,
  ): Promise<Awaited<R>[]>;

  /**
   * Runs `fn(item, index, signal)` for the items of `items` (sync or async iterable, read lazily)
   * and yields the results: in input order, or as they finish with `ordered: false`. Items are
   * pulled with backpressure: at most `concurrency` of them in the pool and `concurrency + buffer`
   * pulled but not yet yielded, so an endless source or a slow early item never makes it read
   * ahead without bound. Nothing is pulled before the first `next()`. A failed item (or source)
   * ends the iteration with its error, where its result would have come; breaking out of the
   * loop, or a failure, removes the run's waiting items and aborts the signal of its running ones.
   * @throws {TypeError} (synchronously) if `items` is not iterable, `fn` is not a function, or an option is malformed.
   * @example
   * for await (const row of pool.mapIterable(readLines(file), parse, { ordered: false })) db.insert(row);
   */
  mapIterable<Item, R>(
    items: Iterable<Item> | AsyncIterable<Item>,
    fn: (item: Item, index: number, signal: AbortSignal) => R | PromiseLike<R>,
    options?: PoolMapIterableOptions,
  ): AsyncIterableIterator<Awaited<R>>;

  /**
   * A function that runs `fn` through the pool with the arguments (and `this`) it is called with,
   * and returns its result as a promise (p-limit's `limitFunction`).
   * @throws {TypeError} if `fn` is not a function.
   * @example
   * const get = pool.wrap((url: string) => fetch(url));
   * await Promise.all(urls.map((u) => get(u))); // at most pool.concurrency at once
   */
  wrap<A extends unknown[], R>(fn: (...args: A) => R | PromiseLike<R>): (...args: A) => Promise<Awaited<R>>;

  /**
   * Resolves once no task of this pool runs or waits (at once if none does).
   * @example
   * for (const job of jobs) pool.add(() => run(job)).catch(log);
   * await pool.onIdle();
   */
  onIdle(): Promise<void>;

  /**
   * Resolves once no task waits (at once if none does); running tasks may still run.
   * @example
   * await pool.onEmpty(); // the queue is drained; add the next batch
   */
  onEmpty(): Promise<void>;

  /**
   * Resolves once fewer than `n` tasks wait (at once if so): backpressure for a producer.
   * @throws {TypeError} / {@link RangeError} unless `n` is an integer ≥ 1.
   * @example
   * for await (const job of source) {
   *   await pool.onSizeLessThan(100); // keep at most ~100 queued
   *   pool.add(() => run(job));
   * }
   */
  onSizeLessThan(n: number): Promise<void>;

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
