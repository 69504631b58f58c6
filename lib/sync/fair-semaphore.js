// @ts-check
'use strict';
/**
 * FairSemaphore: the JS half of the one semaphore engine behind Semaphore,
 * Mutex and RwLock (the Rust half is `threadkit_core::semaphore`).
 *
 * The state word `state[0]` lives in a SharedArrayBuffer:
 * `permits << 2 | CLOSED (2) | WAITERS (1)`. Fast paths here are one
 * compare-and-swap and no native call. They refuse to run while WAITERS or
 * CLOSED is set, so nobody barges past a queued waiter, and fall back to the
 * native slow path, which owns the queue (see the Rust module docs for why
 * this is race-free). The loom models in crates/core/tests/loom.rs check
 * exactly this algorithm (`try_acquire` / `try_release`).
 *
 * `state[1]` is the bound word: `max | RELEASE_ANYWHERE`. `max` is the most
 * permits that may be free at once; `setPermits` changes it (native code
 * owns the change, see `Semaphore::set_max`). A bound lowered below what is
 * held leaves a debt that releases pay before any permit is free again;
 * WAITERS stays set while it lasts, so every release takes the slow path.
 * RELEASE_ANYWHERE (a `{ max }` semaphore) lets a thread release permits it
 * does not hold, as long as at most `max` are free.
 *
 * `ledger[slot]` counts the permits this thread holds, so they can be given
 * back if the thread dies (not on a RELEASE_ANYWHERE semaphore, whose
 * permits have no owner: see `Semaphore::given_back` in the core).
 *
 * Local mode: a primitive whose `handle` has never been taken exists on one
 * thread only. Its word, bound, debt and held count are plain JS fields (an Atomics
 * op costs ~15 ns here, a sixth of the whole uncontended budget), its
 * waiters queue in a JS linked list and are woken by a direct call: no
 * native call and no shared memory at all, even under contention. Taking
 * the handle switches it to shared mode for good: the word moves into a
 * SharedArrayBuffer, the thread attaches natively, and the queued waiters
 * move, in order, into the native queue. Instances made with
 * `from(handle)` start shared.
 */

const { native, isolateId, STATUS, waiters, newToken, ledgerBox } = require('../isolate.js');
const { AbortError, ClosedError } = require('../errors.js');
const { validateInteger, validateWaitOptions } = require('../validate.js');

const MIN_PRIORITY = -(2 ** 31);
const MAX_PRIORITY = 2 ** 31 - 1;
const { detection, currentScopes, registerWait } = require('./deadlock.js');
const { newPermit, newResolvedPermit, grantedPermit } = require('./permit.js');
const { captured, capture, forget } = require('../resolvers.js');
const { LocalWaiter, Waiter, watch, cleanupExtra, waitName } = require('./waiters.js');
const { insertRanked, untail } = require('./ranked-queue.js');
const { lockWaitChannel, traceLockWait } = require('../diagnostics.js');
const { releaseLocalAnywhere, releaseLocalSlow, setBound, throwNotHeld } = require('./bound.js');
const { checkHandle } = require('./handle-check.js');
const { moveToShared, attachShared } = require('./share.js');
const { closeEngine } = require('./close.js');
const { joinLease, acquireLeasing } = require('./lease.js');
const { takeSharedFrom, releaseSharedFrom } = require('./shared-paths.js');

/** The state word's layout (crates/core/src/semaphore.rs, exported by src/protocol.rs). */
const { SEM_WAITERS: WAITERS, SEM_CLOSED: CLOSED, SEM_SHIFT: SHIFT, SEM_MAX_PERMITS: MAX_PERMITS } = native;
/** `semAcquire` returns `QUEUED_KEY_BASE + key` when it queued the waiter, `semAcquireLeasing` also SEM_LEASED (src/protocol.rs). */
const { QUEUED_KEY_BASE, SEM_LEASED } = native;
/** The bound word `state[1]` (crates/core/src/semaphore/word.rs, exported by src/protocol.rs). */
const { SEM_BOUND_MASK: BOUND_MASK, SEM_RELEASE_ANYWHERE: RELEASE_ANYWHERE } = native;
const HANDLE_TAG = '__threadkit';
/** `word` in shared mode, where the real word is `state[0]`: its WAITERS and CLOSED bits fail every local fast path. */
const SHARED_WORD = -1;
/** Where `acquireLeasing` leaves the promise of a waiter that queued on a lease. */
const leased = { promise: null };

/**
 * A primitive's `handle`: plain and cloneable, for `X.from(handle)` on another thread.
 * @typedef {object} SemaphoreHandle
 * @property {string} __threadkit  the public class's name
 * @property {number} id  process-wide primitive id
 * @property {number} max  the bound when the handle was taken (the live one is in `state`)
 * @property {SharedArrayBuffer} state  the state word and the bound word
 */

class FairSemaphore {
  /**
   * @param {string} kind  the public class's name, used in handles and messages
   * @param {number} max   the bound: the most permits free at once
   * @param {SemaphoreHandle} [handle]  attach to an existing primitive instead of creating one
   * @param {number} [initial]  permits free at first (default `max`)
   * @param {boolean} [anywhere]  allow release on threads that hold no permit
   */
  constructor(kind, max, handle, initial = max, anywhere = false) {
    this.kind = kind;
    this.shared = handle !== undefined;
    /** Local mode only: the waiter list and the close reason. */
    this.head = null;
    this.tail = null;
    this.localWaiting = 0;
    /**
     * Local mode, only while a waiter with a priority other than 0 is queued
     * (null otherwise, so plain FIFO costs nothing): the last waiter of each
     * priority's run, and the priorities in use, sorted.
     * @type {Map<number, any> | null}
     */
    this.tails = null;
    /** @type {number[] | null} */
    this.levels = null;
    this.closeReason = undefined;
    this.lb = ledgerBox;
    /**
     * Shared mode: this thread's lease on the queue, while it may hold one (lease.js).
     * @type {import('./lease.js').Group | null}
     */
    this.lease = null;
    if (handle === undefined) {
      this.id = native.newPrimitiveId();
      this.anywhere = anywhere;
      /** Local mode: the word, the bound, its debt and this thread's held permits. */
      this.word = initial << SHIFT;
      this.maxLocal = max;
      this.debt = 0;
      this.heldLocal = 0;
      /** @type {Int32Array | null} */
      this.state = null;
      this.slot = -1;
      this.guess = 0;
      this.after = 0;
      return;
    }
    this.id = handle.id;
    this.word = SHARED_WORD;
    this.maxLocal = 0;
    this.debt = 0;
    this.heldLocal = 0;
    this.state = new Int32Array(handle.state);
    /** Shared mode: the word this thread's last fast acquire saw before and left after its CAS. */
    this.guess = Atomics.load(this.state, 0) & ~(WAITERS | CLOSED);
    this.after = this.guess;
    this.anywhere = (Atomics.load(this.state, 1) & RELEASE_ANYWHERE) !== 0;
    this.slot = attachShared(this, false);
  }

  /**
   * The bound: the most permits free at once.
   * @returns {number}
   */
  get max() {
    return this.state === null ? this.maxLocal : Atomics.load(this.state, 1) & BOUND_MASK;
  }

  /**
   * A plain, cloneable description: send it to a worker and call `from` there.
   * @returns {Readonly<SemaphoreHandle>}
   */
  handle() {
    if (!this.shared) this.share();
    const state = /** @type {Int32Array} */ (this.state);
    return Object.freeze({ [HANDLE_TAG]: this.kind, id: this.id, max: this.max, state: /** @type {SharedArrayBuffer} */ (state.buffer) });
  }

  /** An InvalidHandleError unless `handle` (any value) is an intact handle of a `kind` (a string). */
  static checkHandle(/** @type {any} */ handle, /** @type {string} */ kind) {
    checkHandle(handle, kind, HANDLE_TAG, MAX_PERMITS);
  }

  /** Changes the bound to `max`, a validated number (bound.js). */
  setMax(/** @type {number} */ max) {
    setBound(this, max);
  }

  /**
   * The state word, wherever it lives now.
   * @returns {number}
   */
  currentWord() {
    return this.shared ? Atomics.load(this.state, 0) : this.word;
  }

  get available() {
    return this.currentWord() >> SHIFT;
  }

  get closed() {
    return (this.currentWord() & CLOSED) !== 0;
  }

  /**
   * Acquires queued now (on every thread, in shared mode).
   * @returns {number}
   */
  waiting() {
    if (!this.shared) return this.localWaiting;
    const n = native.semWaiting(isolateId, this.id);
    return n < 0 ? 0 : n;
  }

  /**
   * Permits this thread holds.
   * @returns {number}
   */
  held() {
    return this.shared ? this.lb.arr[this.slot] : this.heldLocal;
  }

  /**
   * Takes `n` permits now if no one is queued and enough are free. In shared
   * mode it is one compare-and-swap, retried only if another thread changed
   * the word in between.
   * @param {number} n  validated
   * @returns {boolean}
   */
  tryAcquire(n) {
    if (this.takeLocal(n)) return true;
    return this.shared && this.takeShared(n);
  }

  /**
   * Resolves to a {@link Permit} for `n` permits once they are held. `n`
   * must be validated. Returns a promise; never throws.
   * @param {number} n
   * @param {{ signal?: AbortSignal, timeout?: number, priority?: number }} [options]  validated but for `priority`
   * @returns {Promise<import('./permit.js').Permit>}
   */
  acquire(n, options) {
    if (options === undefined) {
      if (this.takeLocal(n) || (this.shared && this.takeShared(n))) return grantedPermit(this, n);
      return this.acquireContended(n);
    }
    return this.acquireSlow(n, options);
  }

  /**
   * A plain acquire that found no permit free: local mode's queue, this
   * thread's lease, or the slow path (kept out of `acquire`, like every
   * path but the uncontended ones, so that V8 inlines `acquire` whole).
   * @param {number} n
   * @returns {Promise<import('./permit.js').Permit>}
   */
  acquireContended(n) {
    if (!detection.enabled) {
      if (!this.shared) return this.enqueueLocal(n, undefined); // what acquireSlow would do after its checks
      if (this.lease !== null) {
        const queued = joinLease(this, n);
        if (queued !== null) return lockWaitChannel.hasSubscribers ? traceLockWait(this.kind, n, true, queued) : queued;
      }
    }
    return this.acquireSlow(n, undefined);
  }

  /**
   * Shared mode's uncontended path: one compare-and-swap on the shared word
   * and the ledger write. The CAS expects the word this thread last saw free
   * (`guess`), so a thread alone on the primitive pays no load before it;
   * a wrong guess costs nothing, since the CAS returns the real word. Only
   * the first try is here: small enough to inline (S1's shared row).
   * @param {number} n
   * @returns {boolean}
   */
  takeShared(n) {
    const st = /** @type {Int32Array} */ (this.state);
    const g = this.guess; // never has WAITERS or CLOSED set (a word seen free), only too few permits maybe
    if (g >> SHIFT < n) return takeSharedFrom(this, n, Atomics.load(st, 0));
    const after = g - (n << SHIFT);
    const seen = Atomics.compareExchange(st, 0, g, after);
    if (seen !== g) return takeSharedFrom(this, n, seen);
    this.lb.arr[this.slot] += n; // no call between the compare-and-swap and the ledger write (see releaseShared)
    this.after = after;
    return true;
  }

  /**
   * Local mode's uncontended path: takes `n` permits if they are free and
   * nobody waits. Always false in shared mode, where `word` is SHARED_WORD.
   * @param {number} n
   * @returns {boolean}
   */
  takeLocal(n) {
    const w = this.word;
    if ((w & (WAITERS | CLOSED)) !== 0 || w >> SHIFT < n) return false;
    this.word = w - (n << SHIFT);
    this.heldLocal += n;
    return true;
  }

  /**
   * Everything but local mode's uncontended path, kept out of `acquire` so
   * that `acquire` stays small enough for V8 to inline into its callers.
   * @param {number} n
   * @param {{ signal?: AbortSignal, timeout?: number, priority?: number }} [options]
   * @returns {Promise<import('./permit.js').Permit>}
   */
  acquireSlow(n, options) {
    const signal = options?.signal;
    const priority = options?.priority;
    if (priority !== undefined) {
      try {
        validateInteger(priority, 'options.priority', MIN_PRIORITY, MAX_PRIORITY);
      } catch (error) {
        return Promise.reject(error);
      }
    }
    if (signal?.aborted) return Promise.reject(new AbortError(`${waitName(this.kind)} was aborted`, { cause: signal.reason }));
    if (this.tryAcquire(n)) return grantedPermit(this, n); // with options, or shared
    const within = detection.enabled ? currentScopes() : undefined;
    if (!this.shared) {
      if (within === undefined) return this.enqueueLocal(n, options);
      this.share(); // the detector's graph is native
    }
    // A plain wait may queue on (or start) this thread's lease on the queue (lease.js).
    const leasing = options === undefined && within === undefined && !this.anywhere;
    for (;;) {
      const token = newToken();
      const r = leasing ? acquireLeasing(this, n, token, leased) : native.semAcquire(isolateId, this.id, n, token, priority);
      if (r === 1) return grantedPermit(this, n); // native code counted it in the ledger
      if (r === STATUS.CLOSED) return Promise.reject(this.closedError());
      if (r < 0) return Promise.reject(new Error(`threadkit: ${this.kind} acquire failed (status ${r})`));
      if (r === SEM_LEASED) {
        const queued = /** @type {Promise<any>} */ (leased.promise);
        leased.promise = null;
        return lockWaitChannel.hasSubscribers ? traceLockWait(this.kind, n, true, queued) : queued;
      }
      const queued = new Promise((resolve, reject) => {
        const w = new Waiter(this, n, r - QUEUED_KEY_BASE, token, resolve, reject);
        waiters.set(token, w);
        if (within !== undefined) {
          const { id, error } = registerWait(this, within);
          if (error !== undefined) return w.cancel(error);
          w.extras().ddWait = id;
        }
        if (options !== undefined) {
          try {
            w.watch(options);
          } catch (error) {
            w.cancel(error); // an options getter that threw on this second read: leave the queue
          }
        }
      });
      return lockWaitChannel.hasSubscribers ? traceLockWait(this.kind, n, true, queued) : queued;
    }
  }

  /** Local mode: queue in JS. */
  enqueueLocal(n, options) {
    const w0 = this.word;
    if ((w0 & CLOSED) !== 0) return Promise.reject(this.closedError());
    this.word = w0 | WAITERS;
    const promise = new Promise(capture);
    const w = new LocalWaiter(n, captured.resolve, captured.reject);
    forget();
    const priority = options?.priority ?? 0;
    if (priority !== 0 || this.tails !== null) insertRanked(this, w, priority);
    else {
      const tail = this.tail;
      if (tail === null) this.head = w;
      else {
        tail.next = w;
        w.prev = tail;
      }
      this.tail = w;
    }
    this.localWaiting++;
    if (options !== undefined) {
      try {
        watch(this, w, options, (error) => this.cancelLocal(w, error));
      } catch (error) {
        // An options getter that threw on this second read: leave the queue
        // (the waiter is its tail; nobody else can be served) and reject.
        if (w.extra !== null) cleanupExtra(w.extra);
        this.unlinkLocal(w);
        if (this.head === null && this.debt === 0) this.word &= ~WAITERS;
        return Promise.reject(error);
      }
    }
    return lockWaitChannel.hasSubscribers ? traceLockWait(this.kind, n, false, promise) : promise;
  }

  /** Local mode: `w` leaves the queue at once and rejects with `error`. */
  cancelLocal(w, error) {
    const x = w.extra;
    if (x.moved !== undefined) return x.moved.cancel(error); // the waiter moved to the shared queue
    if (x.done) return;
    cleanupExtra(x);
    const wasHead = w.prev === null;
    this.unlinkLocal(w);
    w.reject(error);
    if (wasHead) this.serveLocal(this.word >> SHIFT);
  }

  unlinkLocal(w) {
    if (this.tails !== null) {
      untail(this, w);
      if (this.localWaiting === 1) this.tails = this.levels = null; // the last one: plain FIFO again
    }
    if (w.prev === null) this.head = w.next;
    else w.prev.next = w.next;
    if (w.next === null) this.tail = w.prev;
    else w.next.prev = w.prev;
    w.prev = w.next = null;
    this.localWaiting--;
  }

  /** Local mode: serve queue heads from `available` free permits; store the word. */
  serveLocal(available) {
    let w = this.head;
    while (w !== null && w.permits <= available) {
      const n = w.permits;
      available -= n;
      const next = w.next;
      this.unlinkLocal(w);
      if (w.extra !== null) cleanupExtra(w.extra);
      this.heldLocal += n;
      w.resolve(newResolvedPermit(this, n));
      w = next;
    }
    this.word = (available << SHIFT) | (this.word & CLOSED) | (this.head === null && this.debt === 0 ? 0 : WAITERS);
  }

  ensureShared() {
    if (!this.shared) this.share();
  }

  /** Takes the handle for the first time: move local waiters into the native queue (share.js). */
  share() {
    moveToShared(this, SHARED_WORD);
    this.guess = this.after = Atomics.load(/** @type {Int32Array} */ (this.state), 0) & ~(WAITERS | CLOSED);
  }

  /**
   * Gives back `n` permits held by this thread (or, on a semaphore that
   * allows release anywhere, adds them). `n` must be validated.
   * @param {number} n
   */
  release(n) {
    if (!this.shared) {
      const held = this.heldLocal;
      if (this.anywhere) return releaseLocalAnywhere(this, n);
      if (held < n) throwNotHeld(this, n, held);
      this.heldLocal = held - n;
      const w = this.word;
      if ((w & WAITERS) === 0) this.word = w + (n << SHIFT);
      else releaseLocalSlow(this, n);
      return;
    }
    this.releaseShared(n);
  }

  /**
   * `release` in shared mode (kept apart so that `release` stays small
   * enough to inline): its common case, one compare-and-swap that expects
   * the word as this thread's last acquire left it (a thread alone on the
   * primitive finds it so). Everything else is in shared-paths.js.
   * @param {number} n
   */
  releaseShared(n) {
    const lg = this.lb.arr;
    const slot = this.slot;
    const held = lg[slot];
    const a = this.after;
    if (held >= n && (a & WAITERS) === 0 && this.lease === null && !this.anywhere) {
      const seen = Atomics.compareExchange(/** @type {Int32Array} */ (this.state), 0, a, a + (n << SHIFT));
      if (seen !== a) return releaseSharedFrom(this, n, seen);
      lg[slot] = held - n; // no call in between: see shared-paths.js
      return;
    }
    releaseSharedFrom(this, n, undefined);
  }

  /**
   * Closes the primitive: every queued and future acquire rejects with a ClosedError (close.js).
   * @param {any} [reason]  an Error (its message is kept) or any value (kept as a string)
   */
  close(reason) {
    closeEngine(this, reason);
  }

  /**
   * The ClosedError an acquire on this closed primitive rejects with.
   * @returns {import('../errors.js').ClosedError}
   */
  closedError() {
    const reason = this.shared ? (native.semCloseReason(isolateId, this.id) ?? undefined) : this.closeReason;
    return new ClosedError(reason === undefined ? `the ${this.kind} is closed` : `the ${this.kind} is closed: ${reason}`, { reason });
  }
}

module.exports = { FairSemaphore, MAX_PERMITS };
