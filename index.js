'use strict';
/**
 * threadkit: cross-thread sync primitives for Node.js, built in Rust.
 * The public API is documented in index.d.ts and README.md.
 */

const { Semaphore, Mutex, RwLock, Permit, acquireAll } = require('./lib/sync.js');
const { AtomicCounter } = require('./lib/atomic-counter.js');
const { setDeadlockDetection } = require('./lib/deadlock.js');
const { WorkerPool } = require('./lib/pool/worker-pool.js');
const { ThreadkitError, AbortError, TimeoutError, ClosedError, NotHeldError, DeadlockError, InvalidHandleError, QueueFullError, WorkerCrashedError, DataCloneError, PoolClearedError } = require('./lib/errors.js');
const { PromisePool } = require('./lib/promise-pool.js');
const { Channel } = require('./lib/channel.js');
const { select } = require('./lib/select.js');
const { AsyncQueue } = require('./lib/async-queue.js');

module.exports = {
  Semaphore,
  Mutex,
  RwLock,
  Permit,
  AtomicCounter,
  acquireAll,
  setDeadlockDetection,
  WorkerPool,
  Channel,
  select,
  AsyncQueue,
  ThreadkitError,
  AbortError,
  TimeoutError,
  ClosedError,
  NotHeldError,
  DeadlockError,
  InvalidHandleError,
  QueueFullError,
  WorkerCrashedError,
  DataCloneError,
  PromisePool,
  PoolClearedError,
};
