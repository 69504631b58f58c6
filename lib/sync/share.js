// @ts-check
'use strict';
/**
 * The switch from local to shared mode, for the engine in fair-semaphore.js:
 * the word, bound and held count move into shared memory and native code,
 * and the queued local waiters move, in order and with their priorities,
 * into the native queue. A local debt moves as the bound it came from,
 * lowered again natively so that the core owns it from then on.
 */

const { native, isolateId, waiters, newToken, attach, STATUS } = require('../isolate.js');
const { InvalidHandleError } = require('../errors.js');
const { Waiter } = require('./waiters.js');
const { SHARED_STATE_BYTES } = require('./handle-check.js');

const { SEM_CLOSED: CLOSED, SEM_RELEASE_ANYWHERE: RELEASE_ANYWHERE, SEM_BOUND_MASK: BOUND_MASK, QUEUED_KEY_BASE } = native;

/**
 * Attaches this thread to the shared primitive of `e` (its `state` set); an
 * InvalidHandleError if native code refuses.
 * @param {import('./fair-semaphore.js').FairSemaphore} e
 * @param {boolean} creating
 * @returns {number} the ledger slot
 */
function attachShared(e, creating) {
  const state = /** @type {Int32Array} */ (e.state);
  const slot = attach(e, e.id, state, state[1] & BOUND_MASK, creating);
  if (slot < 0) {
    const kind = e.kind;
    throw new InvalidHandleError(
      slot === STATUS.FOREIGN_HANDLE
        ? `this ${kind} handle does not match a shared ${kind} with id ${e.id} in this process (was it forged, or copied from another process?)`
        : `could not attach to the ${kind} (status ${slot})`,
    );
  }
  return slot;
}

/**
 * @param {import('./fair-semaphore.js').FairSemaphore} e  in local mode
 * @param {number} sharedWord  what `e.word` holds in shared mode
 */
function moveToShared(e, sharedWord) {
  // The state word, the bound word and the lease word (lease.js), then a rate's cells (handle-check.js).
  const state = new Int32Array(new SharedArrayBuffer(SHARED_STATE_BYTES));
  // CLOSED is set through native code below, so that it keeps the reason.
  state[0] = e.word & ~CLOSED;
  // A debt moves as the bound it came from, lowered again natively below.
  const debt = e.debt;
  state[1] = (e.maxLocal + debt) | (e.anywhere ? RELEASE_ANYWHERE : 0);
  const max = e.maxLocal;
  e.state = state;
  e.slot = attachShared(e, true);
  e.lb.arr[e.slot] = e.heldLocal;
  e.heldLocal = 0;
  e.debt = 0;
  e.shared = true;
  const closed = (e.word & CLOSED) !== 0;
  e.word = sharedWord;
  if (debt > 0) native.semSetPermits(isolateId, e.id, max);
  if (closed) {
    native.semClose(isolateId, e.id, e.closeReason);
  }
  for (let w = e.head; w !== null;) {
    const next = w.next;
    w.prev = w.next = null;
    const token = newToken();
    // WAITERS is set, so native code queues it behind the ones before it.
    const priority = w.extra === null ? 0 : w.extra.priority;
    const r = native.semAcquire(isolateId, e.id, w.permits, token, priority);
    if (r < QUEUED_KEY_BASE) throw new Error(`threadkit: could not move a waiter to the shared queue (status ${r})`);
    const moved = new Waiter(e, w.permits, r - QUEUED_KEY_BASE, token, w.resolve, w.reject);
    if (w.extra !== null) {
      // Its timer and abort listener now cancel the shared waiter.
      moved.extra = w.extra;
      w.extra.moved = moved;
    }
    waiters.set(token, moved);
    w = next;
  }
  e.head = e.tail = null;
  e.tails = e.levels = null;
  e.localWaiting = 0;
}

module.exports = { moveToShared, attachShared };
