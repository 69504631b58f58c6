// @ts-check
'use strict';
/**
 * What may refuse a PromisePool start besides its concurrency: pause, a
 * Semaphore's permit (the limit shared with other threads), and a rate
 * limit's window. A pool with none of them never calls in here (its
 * `#gated` is false); a refused start waits for exactly one thing at a
 * time: one `acquire` queued on the semaphore (FIFO with the other threads'
 * waiters), or one timer until the rate window turns, never a spin.
 */

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

class StartGate {
  /**
   * @param {any} sem  the shared Semaphore, or null
   * @param {any} rate  the RateLimit, or null
   * @param {boolean} paused
   * @param {GateOwner} owner
   */
  constructor(sem, rate, paused, owner) {
    this.sem = sem;
    this.rate = rate;
    this.paused = paused;
    this.owner = owner;
    this.refused = 0;
    /** An `acquire` of ours is queued on the semaphore. */
    this.acquiring = false;
    this.rateTimer = null;
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
    const sem = this.sem;
    if (sem !== null && sem.tryAcquire() === null) {
      this.refused = BY_SEMAPHORE;
      return false;
    }
    if (this.rate === null || this.rate.tryTake()) return true;
    if (sem !== null) sem.release();
    this.refused = BY_RATE;
    return false;
  }

  /** After a refused take(): wait for what refused it (a paused pool waits for resume(), which pumps). */
  waitAfterRefusal() {
    if (this.refused === BY_SEMAPHORE) this.#waitForPermit();
    else if (this.refused === BY_RATE) this.#waitForWindow();
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
    if (this.acquiring) return;
    this.acquiring = true;
    this.sem.acquire().then(
      () => {
        this.acquiring = false;
        if (!this.owner.wants() || this.paused) {
          this.sem.release();
          return;
        }
        if (this.rate !== null && !this.rate.tryTake()) {
          this.sem.release();
          this.#waitForWindow();
          return;
        }
        this.owner.startNext();
      },
      (error) => {
        this.acquiring = false;
        this.owner.failAll(error);
      },
    );
  }
}

module.exports = { StartGate };
