// @ts-check
'use strict';
/**
 * Barrier (Python's threading.Barrier, across threads): `parties` callers of
 * `wait()`, on any threads, pass together; then it is ready for the next
 * round. A party that gives up (abort, timeout) or whose thread dies breaks
 * it for the others (BrokenBarrierError) until `reset()`.
 *
 * The whole state is native (threadkit_core::barrier, src/barrier.rs), in
 * both modes: a barrier pays one native call per arrival, and a generation's
 * waiters are woken through the usual wake mailbox (`waiters`, tokens). A
 * waiter that gives up asks native code to leave; if the barrier already
 * tripped or broke, it stays and settles with that wake instead (the
 * timeout lost the race, and no party is left behind).
 */

const { native, isolateId, STATUS, WAKE_CLOSED, waiters, newToken } = require('../isolate.js');
const { AbortError, BrokenBarrierError } = require('../errors.js');
const { validateInteger, validateWaitOptions } = require('../validate.js');
const { detacher, makeHandle, checkHandle, foreignHandle, NativeWait } = require('./native-shared.js');

const MAX_PARTIES = 2 ** 31 - 1;
const track = detacher(native.barrierDetach);
/** What `from` attaches to, read by the constructor it calls: `[id, nonce, parties]`. */
let attaching;

/** A party waiting in native code, found again through its token (lib/isolate.js's NativeWaiter). */
class BarrierWaiter extends NativeWait {
  /**
   * @param {Barrier} owner  kept alive while it waits: collecting this thread's last Barrier
   *   object detaches it, which would break the barrier
   * @param {number} id
   * @param {number} token
   * @param {number} index
   * @param {(index: number) => void} resolve
   * @param {(error: Error) => void} reject
   */
  constructor(owner, id, token, index, resolve, reject) {
    super(token, resolve, reject);
    this.owner = owner;
    this.id = id;
    this.index = index;
  }

  grant() {
    this.cleanup();
    this.resolve(this.index);
  }

  /** @param {number} code */
  fail(code) {
    this.cleanup();
    this.reject(code === WAKE_CLOSED ? brokenError() : new Error(`threadkit: unknown wake code ${code}`));
  }

  /**
   * Gives up with `error`, if it still waits; otherwise its wake is on the way and decides.
   * @param {Error} error
   */
  giveUp(error) {
    if (!waiters.has(this.token)) return;
    if (native.barrierLeave(isolateId, this.id, this.token) !== 1) return;
    waiters.delete(this.token);
    this.cleanup();
    this.reject(error);
  }
}

function brokenError() {
  return new BrokenBarrierError('the Barrier is broken: a party gave up or its thread died, or abort() or reset() was called');
}

class Barrier {
  #id;
  #nonce;
  #parties;

  /**
   * @param {number} parties  how many callers pass together: an integer from 1 to 2^31-1
   */
  constructor(parties) {
    if (attaching !== undefined) {
      [this.#id, this.#nonce, this.#parties] = attaching;
    } else {
      validateInteger(parties, 'parties', 1, MAX_PARTIES);
      const r = native.barrierNew(isolateId, parties);
      if (r.length !== 2) throw new Error(`threadkit: could not create a Barrier (status ${r[0]})`);
      [this.#id, this.#nonce] = r;
      this.#parties = parties;
    }
    track(this, this.#id);
  }

  /**
   * Attaches to a Barrier created elsewhere (usually on another thread).
   * @param {unknown} handle
   * @returns {Barrier}
   */
  static from(handle) {
    const { id, nonce } = checkHandle(handle, 'Barrier');
    const parties = native.barrierAttach(isolateId, id, nonce);
    if (parties < 0) throw foreignHandle('Barrier', id);
    attaching = [id, nonce, parties];
    try {
      return new Barrier(parties);
    } finally {
      attaching = undefined;
    }
  }

  /** A cloneable handle for `Barrier.from` (e.g. in `workerData`). */
  get handle() {
    return makeHandle('Barrier', this.#id, this.#nonce, { parties: this.#parties });
  }

  get parties() {
    return this.#parties;
  }

  /** Parties waiting now, on all threads. */
  get waiting() {
    return this.#state()[0];
  }

  /** True while broken (until `reset()`). */
  get broken() {
    return this.#state()[1] === 1;
  }

  #state() {
    const s = native.barrierState(isolateId, this.#id);
    if (s.length !== 2) throw new Error(`threadkit: Barrier state failed (status ${s[0]})`);
    return s;
  }

  /**
   * Arrives and resolves, once all parties have arrived, to this caller's
   * arrival index (0 to parties-1; the last to arrive gets parties-1).
   * @param {{ signal?: AbortSignal, timeout?: number }} [options]
   * @returns {Promise<number>}
   */
  wait(options) {
    try {
      validateWaitOptions(options);
    } catch (err) {
      return Promise.reject(err);
    }
    const signal = options?.signal;
    // Not arrived, so nothing breaks: as an acquire with an aborted signal takes nothing.
    if (signal?.aborted) return Promise.reject(new AbortError('Barrier wait was aborted', { cause: signal.reason }));
    const id = this.#id;
    const token = newToken();
    const r = native.barrierWait(isolateId, id, token);
    if (r === STATUS.CLOSED) return Promise.reject(brokenError());
    if (r < 0) return Promise.reject(new Error(`threadkit: Barrier wait failed (status ${r})`));
    if (r === this.#parties - 1) return Promise.resolve(r);
    return new Promise((resolve, reject) => {
      const w = new BarrierWaiter(this, id, token, r, resolve, reject);
      waiters.set(token, w);
      w.watch(options, 'Barrier wait', (error) => w.giveUp(error));
    });
  }

  /** Breaks the barrier: waits reject with BrokenBarrierError, now and until `reset()`. */
  abort() {
    native.barrierBreak(isolateId, this.#id, false);
  }

  /** Rejects the current waits with BrokenBarrierError, and makes the barrier whole and empty again. */
  reset() {
    native.barrierBreak(isolateId, this.#id, true);
  }
}

module.exports = { Barrier, BrokenBarrierError };
