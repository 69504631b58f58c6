/// <reference types="node" />
/**
 * Semaphore, Mutex, RwLock, Permit, AtomicCounter, acquireAll and deadlock detection: the locks whose
 * acquire methods return Promises, on one thread or shared across worker_threads by `handle`.
 */

import type { AbortError, BrokenBarrierError, ClosedError, DeadlockError, InvalidHandleError, NotHeldError, TimeoutError } from './errors.js';

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

/** Options of an acquire that may wait (Semaphore, Mutex, RwLock): {@link WaitOptions} and a queue priority. */
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
  /**
   * Waits for a shared (read) lock, queued by `options.priority` (default 0)
   * with the writers: a read lock never passes a writer queued ahead of it.
   * @example
   * const g = await rw.readLock({ priority: -1, timeout: 1000 });
   */
  readLock(options?: AcquireOptions): Promise<Permit>;
  /** Waits for the exclusive (write) lock, queued by `options.priority` (default 0). */
  writeLock(options?: AcquireOptions): Promise<Permit>;
  /** A read lock now, or `null`. */
  tryReadLock(): Permit | null;
  /** The write lock now, or `null`. */
  tryWriteLock(): Permit | null;
  /** Runs `fn` under a read lock (queued by `options.priority`, default 0). */
  runRead<T>(fn: () => T | Promise<T>, options?: AcquireOptions): Promise<T>;
  /** Runs `fn` under the write lock (queued by `options.priority`, default 0). */
  runWrite<T>(fn: () => T | Promise<T>, options?: AcquireOptions): Promise<T>;
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

/**
 * A flag that any thread can raise and lower, and wait for (Python's
 * `threading.Event`, across threads). Waits are served in FIFO order; a
 * wait keeps its thread alive only while another thread is involved (see
 * the Liveness rule in docs/sync.md).
 *
 * @example
 * const ready = new Event();
 * new Worker(file, { workerData: ready.handle }); // there: Event.from(workerData).set()
 * await ready.wait({ timeout: 5000 });           // resolves once any thread called set()
 */
export declare class Event {
  /**
   * @param options `set: true` starts the Event set (default: clear).
   * @throws {TypeError} for options that are not an object, or a `set` that is not a boolean.
   */
  constructor(options?: { set?: boolean });
  /** Attaches to an Event created elsewhere (usually on another thread). @throws {InvalidHandleError} */
  static from(handle: PrimitiveHandle<'Event'>): Event;
  /** Cloneable handle for {@link Event.from}. Taking it makes the Event shareable. */
  readonly handle: PrimitiveHandle<'Event'>;
  /** True while set, on every thread. */
  readonly isSet: boolean;
  /** Waits queued now, on all threads. */
  readonly waiting: number;
  /** Sets the flag: every queued wait (on every thread) resolves, in queue order, and later waits resolve at once. Setting a set Event does nothing. */
  set(): void;
  /** Clears the flag: later waits wait for the next {@link Event.set}. A wait already woken by `set()` still resolves. */
  clear(): void;
  /**
   * Resolves once the flag is set: at once (in a microtask) if it is set now.
   * Rejects with {@link AbortError} or {@link TimeoutError}, and with
   * {@link TypeError} / {@link RangeError} for bad options.
   */
  wait(options?: WaitOptions): Promise<void>;
}

/** A {@link Barrier}'s cloneable handle. */
export interface BarrierHandle {
  readonly __threadkit: 'Barrier';
  readonly id: number;
  readonly nonce: number;
  readonly parties: number;
}

/**
 * `parties` callers of {@link Barrier.wait}, on any threads, pass together
 * (Python's `threading.Barrier`); then it is ready for the next round
 * (cyclic: the rounds never mix). A party that gives up (its `signal` or
 * `timeout`) or whose thread dies while it waits breaks the barrier: the
 * others reject with {@link BrokenBarrierError}, and so does every later
 * wait until {@link Barrier.reset}. A waiting party keeps its thread alive.
 *
 * @example
 * const barrier = new Barrier(4);               // main + 3 workers
 * for (let i = 0; i < 3; i++) new Worker(file, { workerData: barrier.handle }); // Barrier.from(workerData) there
 * const index = await barrier.wait({ timeout: 10_000 }); // 0..3, in arrival order
 * if (index === 3) console.log('last to arrive');
 */
export declare class Barrier {
  /**
   * @param parties how many callers pass together: an integer from 1 to 2^31-1.
   * @throws {RangeError} / {TypeError} for anything else, naming the value.
   */
  constructor(parties: number);
  /** Attaches to a Barrier created elsewhere (usually on another thread). @throws {InvalidHandleError} */
  static from(handle: BarrierHandle): Barrier;
  /** Cloneable handle for {@link Barrier.from}. */
  readonly handle: BarrierHandle;
  readonly parties: number;
  /** Parties waiting now, on all threads. */
  readonly waiting: number;
  /** True from a break until {@link Barrier.reset}. */
  readonly broken: boolean;
  /**
   * Arrives, and resolves once `parties` callers have arrived, to this
   * caller's arrival index (0 to parties-1, distinct in a round; the last to
   * arrive gets parties-1 and passes at once).
   * Rejects with {@link BrokenBarrierError} if the barrier is or becomes
   * broken; with {@link AbortError} or {@link TimeoutError} if this caller
   * gives up, which breaks it for the others (a signal aborted before the
   * call rejects without arriving, and breaks nothing). If the barrier
   * tripped before the give-up took effect, the wait resolves instead.
   */
  wait(options?: WaitOptions): Promise<number>;
  /** Breaks the barrier: current and later waits reject with {@link BrokenBarrierError} until {@link Barrier.reset}. */
  abort(): void;
  /** Current waits reject with {@link BrokenBarrierError}; the barrier is then whole and empty again. */
  reset(): void;
}

/** A {@link KeyedMutex}'s cloneable handle. */
export interface KeyedMutexHandle {
  readonly __threadkit: 'KeyedMutex';
  readonly id: number;
  readonly nonce: number;
}

/**
 * One lock per key (async-mutex#18/#42), across threads: callers with the
 * same key run one at a time, FIFO, on whatever threads they are; callers
 * with different keys do not wait for each other. A key's lock exists only
 * while it is held, so memory follows the keys in use, not the keys ever
 * used. Keys are strings or numbers, told apart as a `Map` does (`1` and
 * `'1'` are two keys). A thread that dies holding a key releases it.
 *
 * @example
 * const perUser = new KeyedMutex();
 * new Worker(file, { workerData: perUser.handle }); // KeyedMutex.from(workerData) there
 * await perUser.runExclusive(userId, () => updateBalance(userId)); // one update per user at a time
 *
 * const guard = await perUser.acquire('report', { timeout: 1000 });
 * try { writeReport(); } finally { guard.release(); }
 */
export declare class KeyedMutex {
  constructor();
  /** Attaches to a KeyedMutex created elsewhere (usually on another thread). @throws {InvalidHandleError} */
  static from(handle: KeyedMutexHandle): KeyedMutex;
  /** Cloneable handle for {@link KeyedMutex.from}. */
  readonly handle: KeyedMutexHandle;
  /** Keys held now, on all threads. */
  readonly size: number;
  /** Whether `key` is held, on any thread. @throws {TypeError} for a key that is not a string or a number (or is NaN). */
  isLocked(key: string | number): boolean;
  /** Acquires queued for `key`, on all threads. @throws {TypeError} as {@link KeyedMutex.isLocked}. */
  waiting(key: string | number): number;
  /**
   * Waits for `key` (FIFO per key, across threads) and resolves to a guard
   * that releases it. Rejects with {@link TypeError} for a bad key (naming
   * it), {@link AbortError} or {@link TimeoutError}.
   */
  acquire(key: string | number, options?: WaitOptions): Promise<Permit>;
  /** Takes `key` if nobody holds it; otherwise `null`. @throws {TypeError} for a bad key. */
  tryAcquire(key: string | number): Permit | null;
  /**
   * Releases `key` (the method form).
   * @throws {NotHeldError} if this thread does not hold it.
   */
  release(key: string | number): void;
  /** Runs `fn` holding `key`; releases it when `fn` settles, also on throw. */
  runExclusive<T>(key: string | number, fn: () => T | Promise<T>, options?: WaitOptions): Promise<T>;
}
