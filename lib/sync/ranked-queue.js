// @ts-check
'use strict';
/**
 * Local mode's queue order by priority (lower first, FIFO within one), for
 * the engine in fair-semaphore.js. While every waiter has priority 0 the
 * engine's list is plain FIFO and `tails`/`levels` are null, so this costs
 * nothing; the first waiter with another priority builds `tails` (each
 * priority's last waiter) and `levels` (the priorities in use, sorted). A
 * waiter's priority lives in its Extra (a waiter with a priority has
 * options, so it has one); a waiter without Extra has priority 0.
 * The shared queue (crates/core/src/waiter_queue.rs) keeps the same order.
 */

const { newExtra } = require('./waiters.js');

/** @typedef {import('./fair-semaphore.js').FairSemaphore} FairSemaphore */
/** @typedef {import('./waiters.js').LocalWaiter} LocalWaiter */

/**
 * Local mode: links `w` after the last waiter whose priority is lower or
 * equal. The run is found in O(log p) (p = priorities in use); a new
 * priority is added to the sorted list in O(p).
 * @param {FairSemaphore} e
 * @param {LocalWaiter} w
 * @param {number} priority  validated
 */
function insertRanked(e, w, priority) {
  if (priority !== 0) (w.extra ??= newExtra()).priority = priority;
  let tails = e.tails;
  let levels = e.levels;
  if (tails === null || levels === null) {
    tails = e.tails = new Map();
    levels = e.levels = [];
    // Until now every waiter had priority 0: their run ends at the tail.
    if (e.tail !== null) {
      tails.set(0, e.tail);
      levels.push(0);
    }
  }
  let lo = 0;
  let hi = levels.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (levels[mid] <= priority) lo = mid + 1;
    else hi = mid;
  }
  // levels[lo - 1] is the largest priority <= this one.
  const after = lo === 0 ? null : tails.get(levels[lo - 1]);
  const next = after === null ? e.head : after.next;
  w.prev = after;
  w.next = next;
  if (after === null) e.head = w;
  else after.next = w;
  if (next === null) e.tail = w;
  else next.prev = w;
  if (lo === 0 || levels[lo - 1] !== priority) levels.splice(lo, 0, priority);
  tails.set(priority, w);
}

/**
 * Local mode, priorities in use: `w` leaves; keep its run's tail right.
 * @param {FairSemaphore} e
 * @param {LocalWaiter} w
 */
function untail(e, w) {
  const tails = /** @type {Map<number, any>} */ (e.tails);
  const p = w.extra === null ? 0 : w.extra.priority;
  if (tails.get(p) !== w) return;
  const prev = w.prev;
  if (prev !== null && (prev.extra === null ? 0 : prev.extra.priority) === p) tails.set(p, prev);
  else {
    tails.delete(p);
    const levels = /** @type {number[]} */ (e.levels);
    levels.splice(levels.indexOf(p), 1);
  }
}

module.exports = { insertRanked, untail };
