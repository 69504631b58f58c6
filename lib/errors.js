// @ts-check
'use strict';
/**
 * Typed errors. Every rejection and every misuse in threadkit is one of these
 * (or a plain TypeError/RangeError for a bad argument), with a message that
 * says what to do.
 */

class ThreadkitError extends Error {
  constructor(message, options) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** A wait was aborted through its AbortSignal. `cause` is the signal's reason. */
class AbortError extends ThreadkitError {
  constructor(message = 'The operation was aborted', options) {
    super(message, options);
    this.code = 'ABORT_ERR';
  }
}

/** A wait did not finish within its `timeout`. */
class TimeoutError extends ThreadkitError {
  constructor(message = 'The operation timed out', options) {
    super(message, options);
    this.code = 'ERR_THREADKIT_TIMEOUT';
  }
}

/** The primitive was closed; `reason` is what was passed to `close()`. */
class ClosedError extends ThreadkitError {
  constructor(message = 'closed', options) {
    super(message, options);
    this.code = 'ERR_THREADKIT_CLOSED';
    this.reason = options?.reason;
  }
}

/** A release without a matching acquire on this thread. */
class NotHeldError extends ThreadkitError {
  constructor(message, options) {
    super(message, options);
    this.code = 'ERR_THREADKIT_NOT_HELD';
  }
}

/** Scoped waiters form a cycle; `cycle` lists `{ primitive, threadId }` steps. */
class DeadlockError extends ThreadkitError {
  constructor(message, options) {
    super(message, options);
    this.code = 'ERR_THREADKIT_DEADLOCK';
    this.cycle = options?.cycle ?? [];
  }
}

/** A handle that is not a threadkit handle of the expected kind, or that does not match this process's primitive. */
class InvalidHandleError extends TypeError {
  constructor(message, options) {
    super(message, options);
    this.name = 'InvalidHandleError';
    this.code = 'ERR_THREADKIT_INVALID_HANDLE';
  }
}

/** `WorkerPool.execute` when the pool's queue already holds `maxQueue` tasks. */
class QueueFullError extends ThreadkitError {
  constructor(message, options) {
    super(message, options);
    this.code = 'ERR_THREADKIT_QUEUE_FULL';
  }
}

/**
 * The worker running the task died (uncaught error, `process.exit`, out of
 * memory) or could not start. `cause` is what killed it; `exitCode` is the
 * worker's exit code when known.
 */
class WorkerCrashedError extends ThreadkitError {
  constructor(message, options) {
    super(message, options);
    this.code = 'ERR_THREADKIT_WORKER_CRASHED';
    this.exitCode = options?.exitCode;
  }
}

/**
 * A value could not be cloned (structured clone) to cross threads, e.g. a
 * function, a symbol, a class instance with private state, or a native
 * object. `cause` is the serializer's error.
 */
class DataCloneError extends ThreadkitError {
  constructor(message, options) {
    super(message, options);
    this.code = 'ERR_THREADKIT_DATA_CLONE';
  }
}

/** `PromisePool.clear()` removed a pending task before it started. */
class PoolClearedError extends ThreadkitError {
  constructor(message = 'the task was removed from the PromisePool by clear() before it started', options) {
    super(message, options);
    this.code = 'ERR_THREADKIT_POOL_CLEARED';
  }
}

/** A Barrier was broken (a party gave up or died, `abort()`, `reset()`) while waiting, or before this wait. */
class BrokenBarrierError extends ThreadkitError {
  constructor(message = 'the Barrier is broken', options) {
    super(message, options);
    this.code = 'ERR_THREADKIT_BROKEN_BARRIER';
  }
}

/**
 * Thrown by the first `require('threadkit')` or `import` when the native addon
 * cannot load on this machine: no binary for it, or its platform package is
 * missing. It names `platform`, `arch`, `libc` (Linux only, else null) and
 * the `supported` platforms; `cause` holds the load errors. It is not an
 * export (threadkit did not load): tell it by its `code`.
 */
class NativeBindingError extends ThreadkitError {
  constructor(message, options) {
    super(message, options);
    this.code = 'ERR_THREADKIT_NATIVE_BINDING';
    this.platform = options?.platform;
    this.arch = options?.arch;
    this.libc = options?.libc ?? null;
    this.supported = options?.supported ?? [];
  }
}

const BY_CODE = new Map(
  [
    TimeoutError,
    ClosedError,
    NotHeldError,
    DeadlockError,
    InvalidHandleError,
    QueueFullError,
    WorkerCrashedError,
    DataCloneError,
    PoolClearedError,
    BrokenBarrierError,
  ].map((C) => [new C('x').code, C]),
);

/**
 * Gives an error that crossed threads its threadkit class back. v8's
 * structured clone rebuilds an error as a plain Error, keeping `name` and
 * (with lib/codec, which keeps own properties) `code`; an error with one of our codes and the
 * matching name gets that class's prototype, so `instanceof` works.
 */
function reviveError(err) {
  const C = BY_CODE.get(err?.code);
  if (C !== undefined && err.name === C.name && !(err instanceof C)) Object.setPrototypeOf(err, C.prototype);
  return err;
}

module.exports = {
  reviveError,
  NativeBindingError,
  ThreadkitError,
  PoolClearedError,
  BrokenBarrierError,
  QueueFullError,
  WorkerCrashedError,
  DataCloneError,
  AbortError,
  TimeoutError,
  ClosedError,
  NotHeldError,
  DeadlockError,
  InvalidHandleError,
};
