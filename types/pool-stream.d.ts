/// <reference types="node" />
/**
 * WorkerPool.stream(): a task whose function returns a generator streams its values to the caller.
 */

import type { ExecuteOptions, WorkerPool } from './worker-pool.js';

/**
 * Options of {@link WorkerPool.stream}: those of {@link ExecuteOptions}, where
 * `timeout` covers the whole stream and `signal` stops it, plus `highWaterMark`.
 */
export interface StreamOptions extends ExecuteOptions {
  /**
   * How many values the worker may run ahead of what the caller has taken (an integer from 1 to
   * 2^20); then the generator waits at its `yield`, so memory stays bounded however slowly the
   * caller reads. The values also pass through a ring of 64 KiB per stream, so the worker never runs
   * more bytes than that ahead either (a larger value passes through in pieces). A worker that waits
   * is woken once per quarter window, so a small one is slow for many small values. Default 4096:
   * for small values the 64 KiB ring is the bound (about 4000 records of a few fields fit).
   */
  highWaterMark?: number;
}

/** What {@link WorkerPool.stream} returns: an async iterator of the task's values, for `for await`. */
export interface PoolStream<T> extends AsyncIterableIterator<T> {
  /** The next value; `{ done: true }` after the last one. Rejects once with the task's error, if it failed. */
  next(): Promise<IteratorResult<T, undefined>>;
  /**
   * Stops the stream (what `break` in `for await` calls): the values not taken are dropped, and the
   * generator on the worker returns (its `finally` blocks run). Resolves once the task has ended.
   */
  return(value?: any): Promise<IteratorResult<T, any>>;
  [Symbol.asyncIterator](): PoolStream<T>;
}
