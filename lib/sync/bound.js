// @ts-check
'use strict';
/**
 * A Semaphore's bound (`max`), for the engine in fair-semaphore.js: releases
 * on a semaphore that allows release anywhere, the debt a lowered bound
 * leaves (paid by releases before any permit is free again), and
 * `setPermits`. Shared mode's rules are the core's (`Semaphore::set_max`);
 * local mode mirrors them here.
 */

const { native, isolateId, settleWakes } = require('../isolate.js');
const { NotHeldError } = require('../errors.js');

const { SEM_WAITERS: WAITERS, SEM_SHIFT: SHIFT } = native;

/** @typedef {import('./fair-semaphore.js').FairSemaphore} FairSemaphore */

/**
 * Local mode, a semaphore that allows release anywhere: its own permits
 * first, then new ones, while at most `max` end up free (after any debt).
 * @param {FairSemaphore} e
 * @param {number} n
 */
function releaseLocalAnywhere(e, n) {
  const free = e.word >> SHIFT;
  const rest = n - Math.min(n, e.debt);
  if (free + rest > e.maxLocal) throwOverRelease(e, n, free, e.maxLocal);
  e.heldLocal -= Math.min(n, e.heldLocal);
  if ((e.word & WAITERS) === 0) e.word += n << SHIFT;
  else releaseLocalSlow(e, n);
}

/**
 * Local mode, WAITERS set: pay the debt first, then serve the queue.
 * @param {FairSemaphore} e
 * @param {number} n
 */
function releaseLocalSlow(e, n) {
  const paid = Math.min(n, e.debt);
  e.debt -= paid;
  e.serveLocal((e.word >> SHIFT) + n - paid);
}

/**
 * Changes the bound to `max` (validated): raising it frees the difference
 * (after paying any debt) and serves the waiters that now fit; lowering it
 * takes the difference from the free permits and owes the rest.
 * @param {FairSemaphore} e
 * @param {number} max
 */
function setBound(e, max) {
  if (e.shared) {
    const r = native.semSetPermits(isolateId, e.id, max);
    if (r < 0) throw new Error(`threadkit: ${e.kind} setPermits failed (status ${r})`);
    settleWakes(r);
    return;
  }
  const old = e.maxLocal;
  let free = e.word >> SHIFT;
  e.maxLocal = max;
  if (max < old) {
    const take = Math.min(old - max, free);
    e.debt += old - max - take;
    free -= take;
  } else {
    const paid = Math.min(max - old, e.debt);
    e.debt -= paid;
    free += max - old - paid;
  }
  e.serveLocal(free);
}

/**
 * The RangeError for a release that would leave more than `max` permits free.
 * @param {FairSemaphore} e
 * @param {number} n
 * @param {number} free
 * @param {number} max
 * @returns {never}
 */
function throwOverRelease(e, n, free, max) {
  throw new RangeError(`cannot release ${n} permit(s) of this ${e.kind}: ${free} of its ${max} are free, and no more than max may be free at once`);
}

/**
 * The NotHeldError for a release of `n` permits by a thread that holds `held`.
 * @param {FairSemaphore} e
 * @param {number} n
 * @param {number} held
 * @returns {never}
 */
function throwNotHeld(e, n, held) {
  if (e.max === 1) {
    throw new NotHeldError(
      e.available === 1
        ? `${e.kind}.release() was called but the ${e.kind.toLowerCase()} is not locked`
        : `${e.kind}.release() was called on a thread that does not hold the lock (another thread holds it)`,
    );
  }
  throw new NotHeldError(`cannot release ${n} permit(s) of this ${e.kind}: this thread holds ${held}`);
}

module.exports = { releaseLocalAnywhere, releaseLocalSlow, setBound, throwOverRelease, throwNotHeld };
