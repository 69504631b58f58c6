'use strict';
/**
 * threadkit: cross-thread sync primitives for Node.js, built in Rust.
 * The public API is documented in index.d.ts and README.md.
 */

const { Semaphore, Mutex, RwLock, Permit, acquireAll } = require('./lib/sync.js');
const { AtomicCounter } = require('./lib/atomic-counter.js');
const errors = require('./lib/errors.js');

module.exports = {
  Semaphore,
  Mutex,
  RwLock,
  Permit,
  AtomicCounter,
  acquireAll,
  ...errors,
};
