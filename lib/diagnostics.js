// @ts-check
'use strict';
/**
 * threadkit's `diagnostics_channel` tracing channels (node:diagnostics_channel,
 * `tracingChannel`), declared in one place:
 *
 * - `threadkit:pool:task`: every WorkerPool task, from execute() until its
 *   promise settles. Context: `{ pool, id, name, data, jobId, traceContext,
 *   waitTime, runTime, threadId }` (see docs/tracing.md).
 * - `threadkit:lock:wait`: every acquire of a Mutex, Semaphore or RwLock
 *   that had to queue (a wait longer than zero). Context: `{ kind, permits,
 *   shared, waitTime }`.
 *
 * Nothing is published, and nothing is allocated, while nobody subscribes:
 * callers check `hasSubscribers` once per operation and take their
 * untraced path when it is false.
 */

const dc = require('node:diagnostics_channel');
const { clockMs } = require('./clock.js');

const TASK = 'threadkit:pool:task';
const LOCK_WAIT = 'threadkit:lock:wait';

/**
 * The channel, with a `hasSubscribers` that also works on Node 20 before
 * 20.13 (where TracingChannel has none: any of its five channels counts).
 * @param {string} name
 */
function tracing(name) {
  /** @type {any} */
  const tc = dc.tracingChannel(name);
  if ('hasSubscribers' in tc) return tc;
  const parts = [tc.start, tc.end, tc.asyncStart, tc.asyncEnd, tc.error];
  Object.defineProperty(tc, 'hasSubscribers', { get: () => parts.some((c) => c.hasSubscribers) });
  return tc;
}

/** @type {import('node:diagnostics_channel').TracingChannel<any, any> & { readonly hasSubscribers: boolean }} */
const taskChannel = /** @type {any} */ (tracing(TASK));
/** @type {import('node:diagnostics_channel').TracingChannel<any, any> & { readonly hasSubscribers: boolean }} */
const lockWaitChannel = /** @type {any} */ (tracing(LOCK_WAIT));

/**
 * A queued acquire of `kind` (its promise made already): traced on
 * `threadkit:lock:wait`. Call only when `lockWaitChannel.hasSubscribers`.
 * `waitTime` (ms) is set before the async events.
 * @template T
 * @param {string} kind 'Mutex', 'Semaphore' or 'RwLock'
 * @param {number} permits
 * @param {boolean} shared the primitive's state is in shared memory (its handle was taken)
 * @param {Promise<T>} queued
 * @returns {Promise<T>}
 */
function traceLockWait(kind, permits, shared, queued) {
  const ctx = { kind, permits, shared, waitTime: /** @type {number | undefined} */ (undefined) };
  const since = clockMs();
  const done = () => {
    ctx.waitTime = clockMs() - since;
  };
  return lockWaitChannel.tracePromise(
    () =>
      queued.then(
        (v) => (done(), v),
        (e) => {
          done();
          throw e;
        },
      ),
    ctx,
  );
}

module.exports = { TASK, LOCK_WAIT, taskChannel, lockWaitChannel, traceLockWait };
