// @ts-check
'use strict';
/**
 * KeyedMutex: one FIFO lock per key (async-mutex#18/#42), across threads.
 *
 * The held keys live in one native table per KeyedMutex
 * (threadkit_core::keyed, src/keyed_mutex.rs), shared by every thread: a
 * key's lock exists only while someone holds it, so memory follows the keys
 * in use, not the keys ever used. Every acquire and release is one native
 * call, in both modes (there is no per-key shared word to run a fast path
 * on). Queued acquires are woken through the usual wake mailbox and token
 * table; a thread that dies unlocks what it held and leaves the queues.
 *
 * Keys are strings or numbers, told apart as a Map tells them (`1` and
 * `'1'` are two keys; `0` and `-0` one); native code sees them prefixed
 * with their type.
 */

const { native, isolateId, STATUS, waiters, newToken } = require('../isolate.js');
const { AbortError, NotHeldError } = require('../errors.js');
const { validateFunction, validateWaitOptions, describe } = require('../validate.js');
const { newPermit, newResolvedPermit } = require('./permit.js');
const { detacher, makeHandle, checkHandle, foreignHandle, NativeWait } = require('./native-shared.js');

const { QUEUED_KEY_BASE } = native;
const track = detacher(native.keyedDetach);
/** What `from` attaches to, read by the constructor it calls: `[id, nonce]`. */
let attaching;

/**
 * The native form of a key, or a TypeError naming it.
 * @param {unknown} key
 * @returns {string}
 */
function keyOf(key) {
  if (typeof key === 'string') return 's' + key;
  if (typeof key === 'number' && !Number.isNaN(key)) return 'n' + String(key); // String(-0) is '0'
  throw new TypeError(`a KeyedMutex key must be a string or a number (not NaN), got ${describe(key)}`);
}

/** One key held by this thread: what a guard (Permit) releases, once. */
class KeyLock {
  /**
   * @param {KeyedMutex} owner  kept alive while the key is held or awaited: collecting the last
   *   KeyedMutex object of a thread detaches it, which releases its keys
   * @param {number} id
   * @param {string} key  native form
   * @param {unknown} shown  the user's key, for messages
   */
  constructor(owner, id, key, shown) {
    this.owner = owner;
    this.id = id;
    this.key = key;
    this.shown = shown;
    this.kind = 'KeyedMutex';
  }

  /** Called by the guard (and by a grant that came after its waiter gave up). */
  release() {
    unlock(this.id, this.key, this.shown);
  }
}

/**
 * @param {number} id
 * @param {string} key
 * @param {unknown} shown
 */
function unlock(id, key, shown) {
  const r = native.keyedUnlock(isolateId, id, key);
  if (r === STATUS.OVER_RELEASE) {
    throw new NotHeldError(`KeyedMutex.release(${describe(shown)}): this thread does not hold that key`);
  }
  if (r < 0) throw new Error(`threadkit: KeyedMutex release failed (status ${r})`);
}

/**
 * A KeyLock where permit.js expects its engine: a Permit only calls `release(n)` on it.
 * @param {KeyLock} lock
 * @returns {any}
 */
function asEngine(lock) {
  return lock;
}

/** A queued acquire, found again through its token (lib/isolate.js's NativeWaiter). */
class KeyWaiter extends NativeWait {
  /**
   * @param {KeyLock} engine
   * @param {number} at  its place in the native queue
   * @param {number} token
   * @param {(permit: unknown) => void} resolve
   * @param {(error: Error) => void} reject
   */
  constructor(engine, at, token, resolve, reject) {
    super(token, resolve, reject);
    this.engine = engine;
    this.permits = 1;
    this.at = at;
  }

  grant() {
    this.cleanup();
    this.resolve(newResolvedPermit(asEngine(this.engine), 1));
  }

  /** @param {number} code */
  fail(code) {
    this.cleanup();
    this.reject(new Error(`threadkit: unknown wake code ${code}`));
  }

  /** @param {Error} error */
  cancel(error) {
    if (this.cancelled || !waiters.has(this.token)) return;
    this.cleanup();
    const e = this.engine;
    const r = native.keyedCancel(isolateId, e.id, e.key, this.at, this.token);
    // Already granted: the wake is on its way, and settleWakes unlocks it.
    if (r === STATUS.NOT_QUEUED) this.cancelled = true;
    else waiters.delete(this.token);
    this.reject(error);
  }
}

class KeyedMutex {
  #id;
  #nonce;

  constructor() {
    if (attaching !== undefined) {
      [this.#id, this.#nonce] = attaching;
    } else {
      const r = native.keyedNew(isolateId);
      if (r.length !== 2) throw new Error(`threadkit: could not create a KeyedMutex (status ${r[0]})`);
      [this.#id, this.#nonce] = r;
    }
    track(this, this.#id);
  }

  /**
   * Attaches to a KeyedMutex created elsewhere (usually on another thread).
   * @param {unknown} handle
   * @returns {KeyedMutex}
   */
  static from(handle) {
    const { id, nonce } = checkHandle(handle, 'KeyedMutex');
    if (native.keyedAttach(isolateId, id, nonce) < 0) throw foreignHandle('KeyedMutex', id);
    attaching = [id, nonce];
    try {
      return new KeyedMutex();
    } finally {
      attaching = undefined;
    }
  }

  /** A cloneable handle for `KeyedMutex.from` (e.g. in `workerData`). */
  get handle() {
    return makeHandle('KeyedMutex', this.#id, this.#nonce);
  }

  /** Keys held now, on all threads (a free key takes no memory). */
  get size() {
    return this.#state(undefined)[0];
  }

  /**
   * Whether `key` is held (on any thread).
   * @param {string | number} key
   */
  isLocked(key) {
    return this.#state(keyOf(key))[0] === 1;
  }

  /**
   * Acquires queued for `key`, on all threads.
   * @param {string | number} key
   */
  waiting(key) {
    return this.#state(keyOf(key))[1];
  }

  /** @param {string | undefined} key */
  #state(key) {
    const s = native.keyedState(isolateId, this.#id, key);
    if (s[0] < 0) throw new Error(`threadkit: KeyedMutex state failed (status ${s[0]})`);
    return s;
  }

  /**
   * Resolves to a guard once this caller holds `key` (FIFO per key, across threads).
   * @param {string | number} key
   * @param {{ signal?: AbortSignal, timeout?: number }} [options]
   * @returns {Promise<import('./permit.js').Permit>}
   */
  acquire(key, options) {
    let k;
    try {
      k = keyOf(key);
      validateWaitOptions(options);
    } catch (err) {
      return Promise.reject(err);
    }
    const signal = options?.signal;
    if (signal?.aborted) return Promise.reject(new AbortError(`KeyedMutex acquire of ${describe(key)} was aborted`, { cause: signal.reason }));
    const id = this.#id;
    const lock = new KeyLock(this, id, k, key);
    const token = newToken();
    const r = native.keyedLock(isolateId, id, k, token);
    if (r === 1) return Promise.resolve(newPermit(asEngine(lock), 1));
    if (r < QUEUED_KEY_BASE) return Promise.reject(new Error(`threadkit: KeyedMutex acquire failed (status ${r})`));
    return new Promise((resolve, reject) => {
      const w = new KeyWaiter(lock, r - QUEUED_KEY_BASE, token, resolve, reject);
      waiters.set(token, w);
      w.watch(options, `KeyedMutex acquire of ${describe(key)}`, (error) => w.cancel(error));
    });
  }

  /**
   * Takes `key` if it is free; otherwise `null`.
   * @param {string | number} key
   */
  tryAcquire(key) {
    const k = keyOf(key);
    return native.keyedTryLock(isolateId, this.#id, k) === 1 ? newPermit(asEngine(new KeyLock(this, this.#id, k, key)), 1) : null;
  }

  /**
   * Unlocks `key` (the method form; a guard's `release()` does the same).
   * @param {string | number} key
   */
  release(key) {
    unlock(this.#id, keyOf(key), key);
  }

  /**
   * Runs `fn` holding `key`; unlocks when it settles, also on throw.
   * @template T
   * @param {string | number} key
   * @param {() => T | Promise<T>} fn
   * @param {{ signal?: AbortSignal, timeout?: number }} [options]
   * @returns {Promise<T>}
   */
  async runExclusive(key, fn, options) {
    validateFunction(fn, 'fn');
    const guard = await this.acquire(key, options);
    try {
      return await fn();
    } finally {
      guard.release();
    }
  }
}

module.exports = { KeyedMutex };
