// @ts-check
'use strict';
/**
 * The queue lease, the JS half (the design and the proof are in
 * crates/core/src/semaphore/lease.rs; the loom models check these two
 * compare-and-swaps as `lease_join` / `lease_hand_off`).
 *
 * While every waiter of a shared primitive is on this thread, this thread
 * may hold the queue's lease: its waiters wait in a {@link Group} here, in
 * FIFO order, and native code's queue is empty. The lease word `state[2]`
 * (`isolateId << SHIFT | count`) is what other threads' native calls see:
 * any of them breaks the lease, which turns the group into one entry at the
 * head of the native queue, served one waiter at a time.
 *
 * While the lease holds, queuing a waiter is one compare-and-swap of the
 * lease word (count + 1) and a release on this thread that hands its permits
 * to the group's head is another (count - 1): no native call, and neither
 * the state word nor the ledger changes (the permits pass from this thread
 * to this thread). A failed compare-and-swap means the lease was broken:
 * the caller goes native, and the group is served by native grants.
 *
 * passOn() reads the lease (and the state word) for a PromisePool: a
 * finished task's permit may stay with the pool for its next task when the
 * pool's own queued acquire is the lease's one waiter, since a release
 * would hand it to exactly that waiter.
 */

const { native, isolateId, waiters } = require('../isolate.js');
const { newResolvedPermit } = require('./permit.js');
const { captured, capture, forget } = require('../resolvers.js');

const { SEM_LEASE_SHIFT: SHIFT, SEM_LEASE_COUNT_MAX: COUNT_MAX, SEM_LEASE_MAX_OWNER: MAX_OWNER, WAKE_CLOSED } = native;
const { SEM_WAITERS: WAITERS, SEM_CLOSED: CLOSED } = native;
/** This thread's lease word with a count of 0 (no lease if this thread's id is too large for the word). */
const BASE = isolateId <= MAX_OWNER ? isolateId << SHIFT : -1;

/** One waiter of a group: as small as the local mode's waiters. */
class Member {
  /**
   * @param {Promise<unknown>} promise
   * @param {(permit: unknown) => void} resolve
   * @param {(error: Error) => void} reject
   */
  constructor(promise, resolve, reject) {
    /** What its acquire returned: how its caller knows it (passOn). */
    this.promise = promise;
    this.resolve = resolve;
    this.reject = reject;
    /** @type {Member | null} */
    this.next = null;
  }
}

/**
 * The waiters of one lease, all asking for `permits`; registered under the
 * lease's token, so that native code's grants (after a break) find it.
 */
class Group {
  /**
   * @param {import('./fair-semaphore.js').FairSemaphore} engine
   * @param {number} permits
   * @param {number} token
   */
  constructor(engine, permits, token) {
    this.engine = engine;
    this.permits = permits;
    this.token = token;
    /** Waiters in the group: the lease word's count while the lease holds. */
    this.size = 0;
    /** @type {Member | null} */
    this.head = null;
    /** @type {Member | null} */
    this.tail = null;
    /** Settling a group is never late (its waiters cannot be cancelled). */
    this.cancelled = false;
  }

  /** A new waiter at the tail; its promise. */
  push() {
    const promise = new Promise(capture);
    const m = new Member(promise, /** @type {any} */ (captured.resolve), /** @type {any} */ (captured.reject));
    forget();
    if (this.tail === null) this.head = m;
    else this.tail.next = m;
    this.tail = m;
    this.size++;
    return promise;
  }

  /** The head waiter now holds `permits` (already in the ledger). */
  serveHead() {
    const m = /** @type {Member} */ (this.head);
    this.head = m.next;
    if (this.head === null) this.tail = null;
    this.size--;
    m.resolve(newResolvedPermit(this.engine, this.permits));
  }

  /** A native grant (the lease was broken): the head is served; the group stays registered while waiters are left. */
  grant() {
    this.serveHead();
    if (this.size > 0) waiters.set(this.token, this);
  }

  /**
   * The primitive was closed: every waiter of the group rejects.
   * @param {number} code
   */
  fail(code) {
    const error = code === WAKE_CLOSED ? this.engine.closedError() : new Error(`threadkit: unknown wake code ${code}`);
    for (let m = this.head; m !== null; m = m.next) m.reject(error);
    this.head = this.tail = null;
    this.size = 0;
  }
}

/**
 * Queues a waiter for `n` permits on this thread's lease of `e`, if it holds
 * one for `n`: its promise, or null (go native).
 * @param {import('./fair-semaphore.js').FairSemaphore} e  shared
 * @param {number} n
 * @returns {Promise<any> | null}
 */
function joinLease(e, n) {
  const g = e.lease;
  if (g === null || g.permits !== n || g.size >= COUNT_MAX) return null;
  const seen = BASE + g.size;
  if (Atomics.compareExchange(/** @type {Int32Array} */ (e.state), 2, seen, seen + 1) !== seen) {
    e.lease = null; // broken: native code serves the group from now on
    return null;
  }
  return g.push();
}

/**
 * Hands `n` released permits to the head of this thread's lease of `e`, if
 * it holds one for `n`. False: release natively.
 * @param {import('./fair-semaphore.js').FairSemaphore} e  shared
 * @param {number} n
 * @returns {boolean}
 */
function handOff(e, n) {
  const g = /** @type {Group} */ (e.lease);
  if (g.permits !== n) return false;
  const seen = BASE + g.size;
  if (Atomics.compareExchange(/** @type {Int32Array} */ (e.state), 2, seen, seen - 1) !== seen) {
    e.lease = null;
    return false;
  }
  g.serveHead();
  if (g.size === 0) {
    // The last one: end the lease, so that the fast paths work again and the loop may sleep. No native
    // grant can name its token any more (a break from now on finds no waiter), so it leaves the table.
    e.lease = null;
    waiters.delete(g.token);
    native.semLeaseEnd(isolateId, e.id);
  }
  return true;
}

/**
 * This thread holds `n` permits of `e`, is done with them and wants `n`
 * again at once (a PromisePool's finished task and its next one): true if
 * it may simply keep them (nothing is written), because a release would
 * leave them to it anyway: nobody waits and the primitive is open (its
 * re-acquire's fast path would win), or the one waiter, on every thread, is
 * the caller's own acquire (whose promise is `own`), queued on this
 * thread's lease for `n`, which the release would hand them to (the lease
 * word `BASE + 1` says that the lease holds, so the native queue is empty,
 * with that one waiter). False: release them. Never on a semaphore that
 * allows release anywhere, whose release may be refused: let it say so.
 * @param {import('./fair-semaphore.js').FairSemaphore} e
 * @param {number} n
 * @param {Promise<unknown> | null} own
 * @returns {boolean}
 */
function passOn(e, n, own) {
  if (e.anywhere) return false;
  if (!e.shared) return (e.word & (WAITERS | CLOSED)) === 0 && e.heldLocal >= n;
  if (e.lb.arr[e.slot] < n) return false; // not held: let the release say so
  const st = /** @type {Int32Array} */ (e.state);
  // The lease first: while the pool's acquire waits, that is the case, and one load (a lease that holds is
  // never closed: closing breaks it).
  const g = e.lease;
  if (own !== null && g !== null && g.size === 1 && g.permits === n && /** @type {Member} */ (g.head).promise === own) {
    if (Atomics.load(st, 2) === BASE + 1) return true;
  }
  return (Atomics.load(st, 0) & (WAITERS | CLOSED)) === 0;
}

/**
 * The native slow path of a plain acquire that may start a lease: the
 * `semAcquireLeasing` result, with the waiter queued on a new lease if it is
 * `SEM_LEASED` (then `e.lease` is set and the promise is in `out.promise`).
 * @param {import('./fair-semaphore.js').FairSemaphore} e
 * @param {number} n
 * @param {number} token
 * @param {{ promise: Promise<any> | null }} out
 * @returns {number}
 */
function acquireLeasing(e, n, token, out) {
  if (BASE < 0) return native.semAcquire(isolateId, e.id, n, token, undefined);
  const r = native.semAcquireLeasing(isolateId, e.id, n, token);
  if (r === native.SEM_LEASED) {
    const g = new Group(e, n, token);
    waiters.set(token, g);
    e.lease = g;
    out.promise = g.push();
  }
  return r;
}

module.exports = { joinLease, handOff, passOn, acquireLeasing, Group };
