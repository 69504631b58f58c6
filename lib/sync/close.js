// @ts-check
'use strict';
/**
 * Closing a primitive of the semaphore engine (fair-semaphore.js): in local
 * mode its JS queue rejects here; in shared mode native code rejects every
 * queued waiter, on every thread (a lease's waiters as one group, lease.js).
 */

const { native, isolateId, settleWakes } = require('../isolate.js');
const { cleanupExtra } = require('./waiters.js');

const { SEM_WAITERS: WAITERS, SEM_CLOSED: CLOSED } = native;

/**
 * @param {import('./fair-semaphore.js').FairSemaphore} e
 * @param {any} [reason]  an Error (its message is kept) or any value (kept as a string)
 */
function closeEngine(e, reason) {
  const text = reason === undefined ? undefined : String(reason?.message ?? reason);
  if (!e.shared) {
    if (e.closed) return;
    e.closeReason = text;
    e.word = (e.word & ~WAITERS) | CLOSED | (e.debt > 0 ? WAITERS : 0);
    const error = e.closedError();
    for (let w = e.head; w !== null;) {
      const next = w.next;
      e.unlinkLocal(w);
      if (w.extra !== null) cleanupExtra(w.extra);
      w.reject(error);
      w = next;
    }
    return;
  }
  const r = native.semClose(isolateId, e.id, text);
  if (r < 0) throw new Error(`threadkit: ${e.kind} close failed (status ${r})`);
  settleWakes(r);
}

module.exports = { closeEngine };
