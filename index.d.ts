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

/**
 * A value could not be structured-cloned to cross threads through a shared
 * {@link Channel} or {@link AsyncQueue} (a function, a symbol, an object with
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
  /** The buffer's shared head word (receivers take values with a compare-and-swap on it). */
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
  | { readonly ok: true; readonly closed: false; readonly value: T }
  | { readonly ok: false; readonly closed: boolean; readonly value: undefined };

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
 *   receiver on the same thread. A value that cannot be cloned rejects that
 *   send with {@link DataCloneError}.
 * - A thread that dies while blocked in `send` or `receive` leaves the queue
 *   (its pending send never happens); a value handed to a receiver whose
 *   thread dies before taking it goes to the next receiver.
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
  readonly index: number;
  readonly value: T | undefined;
  readonly ok: boolean;
}

/**
 * Options of {@link select}: `signal` and `timeout` as for every wait, plus `default`.
 * @example
 * await select([{ receive: ch }], { default: true });   // never waits
 * await select([{ receive: ch }], { timeout: 100 });    // TimeoutError after 100 ms
 */
export interface SelectOptions extends WaitOptions {
  /** If true and no case is ready now, resolve at once with `{ index: -1 }` (Go's `default:`). */
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
 * @example
 * const r = await select([{ receive: results }, { send: jobs, value: job }], { timeout: 1000 });
 * if (r.index === 0) console.log('result', r.value);
 * else console.log('job sent');
 *
 * @example
 * // non-blocking
 * const r = await select([{ receive: ch }], { default: true });
 * if (r.index === -1) console.log('nothing ready');
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
