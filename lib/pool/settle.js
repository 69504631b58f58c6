'use strict';
/**
 * Settling a WorkerPool's task promises, and what follows from it: the
 * idle waiters (onIdle), room waiters (waitForRoom) and the 'drain' event.
 */

const native = require('../native.js');

/**
 * Settles task `id` once: resolves with `value` if `ok`, else rejects with it.
 * @param {import('./state.js').PoolState} s
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

/** No task is outstanding: let the event loop exit, and resolve onIdle(). */
function settleIdle(s) {
  if (s.refd) {
    s.refd = false;
    native.poolRef(s.id, false);
  }
  for (const r of s.idleWaiters.splice(0)) r();
}

/** Wakes room waiters and emits 'drain' once the queue has shrunk. */
function checkRoom(s) {
  if (!s.backlog && s.roomWaiters.length === 0) return watchTakes(s, false);
  const [queued] = native.poolCounts(s.id);
  if (s.roomWaiters.length > 0 && queued < s.opts.maxQueue) for (const r of s.roomWaiters.splice(0)) r();
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
 */
function watchTakes(s, on) {
  if (on === s.watching || s.state === 'terminated') return;
  s.watching = on;
  native.poolWatchTakes(s.id, on);
}

module.exports = { settle, settleIdle, checkRoom, watchTakes };
