// @ts-check
'use strict';
/**
 * What may refuse a PromisePool start besides its concurrency: pause, a
 * Semaphore's permit (the limit shared with other threads), and a rate
 * limit's window. A pool with none of them never calls in here (its
 * `#gated` is false); a refused start waits for exactly one thing at a
 * time: one `acquire` queued on the semaphore (FIFO with the other threads'
 * waiters), or one timer until the rate window turns, never a spin.
 *
 * A finished task's permit passes straight to the next waiting task when
 * giving it back would leave it to this pool anyway (keep()): nobody else
 * waits for the semaphore, or the only waiter, on any thread, is this pool's
 * own queued acquire. That hand-over writes nothing to shared memory. Giving
 * it back instead cost a release and a take per task, and, each time it
 * served the pool's queued acquire, two native calls (the end of this
 * thread's lease on the queue and a new one, lib/sync/lease.js): Q2's
 * shared row went from 0.75x to about 0.9x of a number limit.
 */

const { semaphoreEngine } = require('../sync/index.js');
const { passOn } = require('../sync/lease.js');

/** Why the last start was refused. */
const PAUSED = 1;
const BY_SEMAPHORE = 2;
const BY_RATE = 3;

/**
 * The pool's side of a wait, called when it ends.
 * @typedef {object} GateOwner
 * @property {() => boolean} wants  a task waits and a slot is free (so a granted permit would be used now)
 * @property {() => void} startNext  start the head task (its slot and permit are taken), then pump
 * @property {() => void} pump  start what fits
 * @property {(error: unknown) => void} failAll  the semaphore was closed: nothing waiting can ever start
 */

/** @typedef {import('../sync/fair-semaphore.js').FairSemaphore} FairSemaphore */

class StartGate {
  /**
   * @param {any} sem  the shared Semaphore, or null
   * @param {any} rate  the RateLimit, or null
   * @param {boolean} paused
   * @param {GateOwner} owner
   */
  constructor(sem, rate, paused, owner) {
    this.sem = sem;
    /**
     * The Semaphore's engine: a start takes a bare permit from it (no Permit
     * object per task, which only the garbage collector would see again).
     * Null for a subclass of Semaphore, whose own methods are called.
     * @type {FairSemaphore | null}
     */
    this.engine = sem === null ? null : semaphoreEngine(sem);
    this.rate = rate;
    this.paused = paused;
    this.owner = owner;
    this.refused = 0;
    /**
     * The promise of our `acquire` queued on the semaphore, while it waits
     * (null otherwise): the semaphore tells it apart from other waiters by it (keep()).
     * @type {Promise<unknown> | null}
     */
    this.pending = null;
    this.rateTimer = null;
    /** The handlers of the queued acquire, made once (a closure pair per wait was garbage). */
    this.granted = () => this.#granted();
    this.failed = (/** @type {unknown} */ error) => {
      this.pending = null;
      this.owner.failAll(error);
    };
  }

  /** Whether a start can be refused at all (else the pool skips the gate). */
  get closes() {
    return this.paused || this.sem !== null || this.rate !== null;
  }

  /** Not paused, a permit, a start in the rate window: true, with the permit and the start taken. */
  take() {
    if (this.paused) {
      this.refused = PAUSED;
      return false;
    }
    // While our acquire waits, so does every start (nobody takes a permit past a waiter, and ours is one).
    if (this.sem !== null && (this.pending !== null || !this.#tryTake())) {
      this.refused = BY_SEMAPHORE;
      return false;
    }
    if (this.rate === null || this.rate.tryTake()) return true;
    if (this.sem !== null) this.#giveBack();
    this.refused = BY_RATE;
    return false;
  }

  /**
   * A task finished and another waits: whether its permit may pass straight
   * to that one, with no write to the semaphore. True when giving it back
   * would leave it to us anyway: nobody waits for the semaphore, or the only
   * waiter, on every thread, is our own queued acquire (lib/sync/lease.js's passOn).
   * The caller then owes takeKept(). Never for a subclass (it sees every
   * take and release).
   * @returns {boolean}
   */
  keep() {
    return !this.paused && this.engine !== null && passOn(this.engine, 1, this.pending);
  }

  /** take() for a start that holds a kept permit: false (with the permit given back) if pause or the rate refuse it. */
  takeKept() {
    if (this.paused) this.refused = PAUSED;
    else if (this.rate === null || this.rate.tryTake()) return true;
    else this.refused = BY_RATE;
    this.#giveBack();
    return false;
  }

  /** After a refused take(): wait for what refused it (a paused pool waits for resume(), which pumps). */
  waitAfterRefusal() {
    if (this.refused === BY_SEMAPHORE) this.#waitForPermit();
    else if (this.refused === BY_RATE) this.#waitForWindow();
  }

  /** One permit now, if it is free and nobody waits. */
  #tryTake() {
    const e = this.engine;
    return e !== null ? e.tryAcquire(1) : this.sem.tryAcquire() !== null;
  }

  /** Gives back a permit the pool took and does not use. */
  #giveBack() {
    const e = this.engine;
    if (e !== null) e.release(1);
    else this.sem.release();
  }

  /** The rate window is full: one timer until the next one opens (other threads may fill it first: then again). */
  #waitForWindow() {
    if (this.rateTimer !== null) return;
    this.rateTimer = setTimeout(() => {
      this.rateTimer = null;
      this.owner.pump();
    }, this.rate.msToNextWindow());
  }

  /** Keep one acquire queued on the semaphore while tasks wait for a permit. */
  #waitForPermit() {
    if (this.pending !== null) return;
    const e = this.engine;
    /** @type {Promise<unknown>} */
    const pending = e !== null ? e.acquire(1, undefined) : this.sem.acquire();
    this.pending = pending;
    pending.then(this.granted, this.failed);
  }

  /** The queued acquire got its permit: start the head task with it, or give it back. */
  #granted() {
    this.pending = null;
    if (!this.owner.wants() || this.paused) {
      this.#giveBack();
      return;
    }
    if (this.rate !== null && !this.rate.tryTake()) {
      this.#giveBack();
      this.#waitForWindow();
      return;
    }
    this.owner.startNext();
  }
}

module.exports = { StartGate };
