// @ts-check
'use strict';
/**
 * Settling a WorkerPool's task promises, and what follows from it: the
 * idle waiters (onIdle), room waiters (waitForRoom) and the 'drain' event.
 */

const native = require('../native.js');

/** @typedef {import('./state.js').PoolState} PoolState */

/**
 * Settles task `id` once: resolves with `value` if `ok`, else rejects with it.
 * @param {PoolState} s
 * @param {number} id
 * @param {boolean} ok
 * @param {unknown} value
 */
function settle(s, id, ok, value) {
  const rec = s.tasks.get(id);
  if (!rec) return;
  s.tasks.delete(id);
  // Its data may still wait in the mailbox (aborted or failed while queued, say).
  if (s.direct.size !== 0 && s.direct.delete(id)) s.mailbox?.drop(id);
  rec.owedBy?.owes.delete(id);
  rec.forget();
  if (ok) {
    s.completed++;
    rec.resolve(value);
  } else {
    s.failed++;
    rec.reject(value);
  }
  if (s.tasks.size === 0) settleIdle(s);
}

/** Promise jobs an idle pool waits for a next task before it unrefs (settleIdle). */
const UNREF_HOPS = 8;
/** What settleIdle's hops chain on: a `then` is a plain promise job, a third of Node's queueMicrotask (which makes an AsyncResource per call). */
const SETTLED = Promise.resolve();

/**
 * No task is outstanding: let the event loop exit (soon), and resolve onIdle().
 * @param {PoolState} s
 */
function settleIdle(s) {
  // Unref lazily: a caller that awaits each result submits the next task
  // a few promise jobs after this settle, and a ref/unref pair per task
  // costs ~1 µs. Microtasks, not setImmediate: an immediate makes the loop
  // poll once more before it sleeps (measured: +1.5 to +2.8 µs of
  // main-thread CPU per trickled task, more than it saves).
  if (s.refd && s.unrefHops === 0) {
    s.unrefHops = UNREF_HOPS;
    SETTLED.then((s.unrefCheck ??= () => unrefIfIdle(s)));
  }
  for (const r of s.idleWaiters.splice(0)) r();
}

/**
 * One hop of settleIdle's lazy unref: unref once the pool stayed idle for UNREF_HOPS promise jobs.
 * @param {PoolState} s
 */
function unrefIfIdle(s) {
  if (s.tasks.size > 0 || !s.refd) {
    s.unrefHops = 0;
    return;
  }
  if (--s.unrefHops > 0) return void SETTLED.then(s.unrefCheck);
  s.refd = false;
  native.poolRef(s.id, false);
}

/**
 * Whether one more task fits under maxQueue. With `maxQueue: 0` a task fits
 * only if a worker is free for it: idle (or with a free slot, when workers run
 * several tasks at once), starting, or one the pool may still start (below
 * maxWorkers); every task already queued takes one of those.
 * @param {PoolState} s
 * @param {number} [queued] the queue's length, if the caller has it
 * @returns {boolean}
 */
function hasRoom(s, queued = native.poolTaskCounts(s.id).queued) {
  const max = s.opts.maxQueue;
  if (max > 0) return queued < max;
  const w = native.poolWorkerCounts(s.id);
  return queued < w.free + (w.starting + s.opts.maxWorkers - w.taking) * s.opts.concurrentTasksPerWorker;
}

/**
 * Wakes room waiters and emits 'drain' once the queue has shrunk.
 * @param {PoolState} s
 */
function checkRoom(s) {
  if (!s.backlog && s.roomWaiters.length === 0) return watchTakes(s, false);
  const { queued } = native.poolTaskCounts(s.id);
  if (s.roomWaiters.length > 0 && hasRoom(s, queued)) for (const r of s.roomWaiters.splice(0)) r();
  if (s.backlog && queued === 0) {
    s.backlog = false;
    s.pool.emit('drain');
  }
  watchTakes(s, s.roomWaiters.length > 0 || (s.backlog && s.pool.listenerCount('drain') > 0));
}

/**
 * The queue shrinks when a worker takes a task, which this thread does not
 * see: while someone waits for room (waitForRoom, 'drain'), native code
 * wakes the drain on takes too.
 * @param {PoolState} s
 * @param {boolean} on
 */
function watchTakes(s, on) {
  if (on === s.watching || s.state === 'terminated') return;
  s.watching = on;
  native.poolWatchTakes(s.id, on);
}

module.exports = { settle, settleIdle, checkRoom, watchTakes, hasRoom };
