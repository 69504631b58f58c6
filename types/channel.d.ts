/// <reference types="node" />
/**
 * Channel, select and AsyncQueue: Go-style message passing within one thread or across worker_threads.
 */

import { WaitOptions } from './sync.js';
import type { WorkerPool } from './worker-pool.js';
import type { AbortError, ClosedError, DataCloneError, InvalidHandleError, TimeoutError } from './errors.js';

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
