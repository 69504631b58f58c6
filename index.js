'use strict';
/**
 * threadkit: cross-thread sync primitives for Node.js, built in Rust.
 * The public API is documented in index.d.ts and README.md.
 *
 * Each export loads its module on first access, so a program pays (in heap,
 * and in the node binary's pages for the builtins those modules use) only for
 * the parts it uses: a program that only runs a WorkerPool never loads the
 * sync primitives, channels or PromisePool (about 1 MB less RSS, measured on
 * Node 20). Every access after the first returns the same object. The ESM
 * entry (index.mjs) reads every export, so it loads everything.
 */

// The native addon loads now, not with the first export used: it is cheap
// (one dlopen), and a machine it cannot load on then fails at the first
// require/import, with lib/native.js's NativeBindingError.
require('./lib/native.js');

const SYNC = './lib/sync/index.js';
const ERRORS = './lib/errors.js';

/** [export name, module that defines it], in the API's order. */
const EXPORTS = [
  ['Semaphore', SYNC],
  ['Mutex', SYNC],
  ['RwLock', SYNC],
  ['Permit', SYNC],
  ['AtomicCounter', './lib/sync/atomic-counter.js'],
  ['acquireAll', SYNC],
  ['setDeadlockDetection', './lib/sync/deadlock.js'],
  ['WorkerPool', './lib/pool/worker-pool.js'],
  ['Channel', './lib/channel/index.js'],
  ['select', './lib/channel/select.js'],
  ['AsyncQueue', './lib/channel/async-queue.js'],
  ['ThreadkitError', ERRORS],
  ['AbortError', ERRORS],
  ['TimeoutError', ERRORS],
  ['ClosedError', ERRORS],
  ['NotHeldError', ERRORS],
  ['DeadlockError', ERRORS],
  ['InvalidHandleError', ERRORS],
  ['QueueFullError', ERRORS],
  ['WorkerCrashedError', ERRORS],
  ['DataCloneError', ERRORS],
  ['PromisePool', './lib/promise-pool/index.js'],
  ['PoolClearedError', ERRORS],
];

/** Modules already loaded: file -> exports (one require() per file, not per export). */
const loaded = new Map();

function load(file) {
  let m = loaded.get(file);
  if (m === undefined) {
    m = require(file);
    loaded.set(file, m);
  }
  return m;
}

for (const [name, file] of EXPORTS) {
  Object.defineProperty(module.exports, name, {
    enumerable: true,
    configurable: true,
    get() {
      const value = load(file)[name];
      Object.defineProperty(module.exports, name, { value, enumerable: true, configurable: true, writable: true });
      return value;
    },
    // Assignable, as a plain exports object is (mocks and stubs replace exports).
    set(value) {
      Object.defineProperty(module.exports, name, { value, enumerable: true, configurable: true, writable: true });
    },
  });
}
