/// <reference types="node" />
/**
 * The error classes every part of threadkit rejects with (each has a stable `code`).
 */

import type { Barrier, setDeadlockDetection } from './sync.js';
import type { WorkerPool } from './worker-pool.js';
import type { PromisePool } from './promise-pool.js';
import type { AsyncQueue, Channel } from './channel.js';

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
 * A {@link Barrier} broke: a party gave up (abort, timeout) or its thread
 * died while waiting, or `abort()` / `reset()` was called. Waits reject with
 * it until `reset()`.
 * @example
 * try { await barrier.wait(); } catch (e) { if (e instanceof BrokenBarrierError) barrier.reset(); }
 */
export declare class BrokenBarrierError extends ThreadkitError {
  readonly code: 'ERR_THREADKIT_BROKEN_BARRIER';
}
