// @ts-check
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

/**
 * Defines the exports `names`, read from the module that `load` requires on
 * first access. The require is a literal in each call below, so editors and
 * tools follow it; Node's module cache makes it one load per file.
 * @param {string[]} names
 * @param {() => Record<string, unknown>} load
 */
function lazy(names, load) {
  for (const name of names) {
    Object.defineProperty(module.exports, name, {
      enumerable: true,
      configurable: true,
      get() {
        const value = load()[name];
        Object.defineProperty(module.exports, name, { value, enumerable: true, configurable: true, writable: true });
        return value;
      },
      // Assignable, as a plain exports object is (mocks and stubs replace exports).
      set(value) {
        Object.defineProperty(module.exports, name, { value, enumerable: true, configurable: true, writable: true });
      },
    });
  }
}

// In the API's order.
lazy(['Semaphore', 'Mutex', 'RwLock', 'Permit'], () => require('./lib/sync/index.js'));
lazy(['AtomicCounter'], () => require('./lib/sync/atomic-counter.js'));
lazy(['Event'], () => require('./lib/sync/event.js'));
lazy(['Barrier'], () => require('./lib/sync/barrier.js'));
lazy(['KeyedMutex'], () => require('./lib/sync/keyed-mutex.js'));
lazy(['acquireAll'], () => require('./lib/sync/index.js'));
lazy(['setDeadlockDetection'], () => require('./lib/sync/deadlock.js'));
lazy(['WorkerPool'], () => require('./lib/pool/worker-pool.js'));
lazy(['Channel'], () => require('./lib/channel/index.js'));
lazy(['select'], () => require('./lib/channel/select.js'));
lazy(['AsyncQueue'], () => require('./lib/channel/async-queue.js'));
lazy(
  [
    'ThreadkitError',
    'AbortError',
    'TimeoutError',
    'ClosedError',
    'NotHeldError',
    'DeadlockError',
    'InvalidHandleError',
    'QueueFullError',
    'WorkerCrashedError',
    'DataCloneError',
    'BrokenBarrierError',
  ],
  () => require('./lib/errors.js'),
);
lazy(['PromisePool'], () => require('./lib/promise-pool/index.js'));
lazy(['RateLimit'], () => require('./lib/promise-pool/rate-limit.js'));
lazy(['PoolClearedError'], () => require('./lib/errors.js'));
