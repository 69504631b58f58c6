// @ts-check
'use strict';
/**
 * Shared mode's paths of the engine (fair-semaphore.js) past the first
 * compare-and-swap: its retries, and the release's other cases. Kept apart
 * so that `takeShared` and `releaseShared` stay small enough for V8 to
 * inline into their callers (TurboFan inlines at most ~920 bytes of
 * bytecode into one function: S1's shared loop, whole, was ~1150 before,
 * and `takeShared` was left out).
 */

const { native, isolateId, STATUS, settleWakes } = require('../isolate.js');
const { throwOverRelease, throwNotHeld } = require('./bound.js');
const { handOff } = require('./lease.js');

const { SEM_WAITERS: WAITERS, SEM_CLOSED: CLOSED, SEM_SHIFT: SHIFT, SEM_BOUND_MASK: BOUND_MASK } = native;

/**
 * takeShared's retries, from the word `s` that a load or a failed compare-and-swap found.
 * @param {import('./fair-semaphore.js').FairSemaphore} e  shared
 * @param {number} n
 * @param {number} s
 * @returns {boolean}
 */
function takeSharedFrom(e, n, s) {
  const st = /** @type {Int32Array} */ (e.state);
  const lg = e.lb.arr;
  const slot = e.slot;
  for (;;) {
    if ((s & (WAITERS | CLOSED)) !== 0 || s >> SHIFT < n) return false;
    const after = s - (n << SHIFT);
    const seen = Atomics.compareExchange(st, 0, s, after);
    if (seen === s) {
      lg[slot] += n; // no call between the compare-and-swap and the ledger write (see releaseSharedFrom)
      e.guess = s;
      e.after = after;
      return true;
    }
    s = seen;
  }
}

/**
 * releaseShared's other cases: not held, this thread's lease, a release
 * anywhere, waiters, or a compare-and-swap that found the word `seen`.
 * @param {import('./fair-semaphore.js').FairSemaphore} e  shared
 * @param {number} n
 * @param {number | undefined} seen
 */
function releaseSharedFrom(e, n, seen) {
  const lg = e.lb.arr;
  const slot = e.slot;
  const held = lg[slot];
  const anywhere = e.anywhere;
  if (held < n && !anywhere) throwNotHeld(e, n, held);
  // This thread's own waiters on its lease come first: the permits pass to them without a native call.
  if (e.lease !== null && handOff(e, n)) return;
  // Computed before the compare-and-swap: between it and the ledger write
  // there must be no call. V8 stops a terminated thread at a call (as at a
  // loop's back edge), and a thread stopped between the two leaves a ledger
  // that still counts permits it already gave back, which its death would
  // then give back a second time (the terminated-workers tests caught it).
  const left = held > n ? held - n : 0;
  const st = /** @type {Int32Array} */ (e.state);
  // Expect the word as this thread's last acquire left it; a wrong guess
  // only costs the CAS that returns the real word. A guess with WAITERS set is never used.
  let s = seen !== undefined ? seen : (e.after & WAITERS) === 0 && !anywhere ? e.after : Atomics.load(st, 0);
  while ((s & WAITERS) === 0) {
    // Releases anywhere may overfill; native code has the last word (a setPermits may race).
    if (anywhere && (s >> SHIFT) + n > (Atomics.load(st, 1) & BOUND_MASK)) break;
    const next = Atomics.compareExchange(st, 0, s, s + (n << SHIFT));
    if (next === s) {
      lg[slot] = left;
      return;
    }
    s = next;
  }
  const r = native.semRelease(isolateId, e.id, n); // debits the ledger
  if (r === STATUS.OVER_RELEASE) throwOverRelease(e, n, Atomics.load(st, 0) >> SHIFT, e.max);
  if (r < 0) throw new Error(`threadkit: ${e.kind} release failed (status ${r})`);
  settleWakes(r);
}

module.exports = { takeSharedFrom, releaseSharedFrom };
