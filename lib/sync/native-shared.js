// @ts-check
'use strict';
/**
 * The JS side of src/shared_registry.rs, for primitives whose state is all
 * native (Barrier, KeyedMutex): their handles, and the detach when a JS
 * object on this thread is collected (each object is one native attach).
 */

const { InvalidHandleError, TimeoutError, AbortError } = require('../errors.js');
const { isolateId } = require('../isolate.js');
const { waitsForever, startWaitTimer, stopWaitTimer } = require('../wait-timer.js');
const { startAbortListener, stopAbortListener } = require('../abort-listeners.js');

const HANDLE_TAG = '__threadkit';

/**
 * Detaches `id` through `detach(isolateId, id)` once `owner` is collected.
 * @param {(iso: number, id: number) => number} detach
 * @returns {(owner: object, id: number) => void}
 */
function detacher(detach) {
  const collector = new FinalizationRegistry((/** @type {number} */ id) => detach(isolateId, id));
  return (owner, id) => collector.register(owner, id);
}

/**
 * A frozen, cloneable handle.
 * @param {string} kind
 * @param {number} id
 * @param {number} nonce
 * @param {object} [extra]
 */
function makeHandle(kind, id, nonce, extra) {
  return Object.freeze({ [HANDLE_TAG]: kind, id, nonce, ...extra });
}

/**
 * `{ id, nonce }` of an intact handle of a `kind`, or an InvalidHandleError.
 * @param {any} handle
 * @param {string} kind
 * @returns {{ id: number, nonce: number }}
 */
function checkHandle(handle, kind) {
  if (handle === null || typeof handle !== 'object' || handle[HANDLE_TAG] === undefined) {
    throw new InvalidHandleError(`${kind}.from() needs the \`handle\` of a ${kind}, got ${handle === null ? 'null' : typeof handle}`);
  }
  if (handle[HANDLE_TAG] !== kind) {
    throw new InvalidHandleError(`${kind}.from() was given the handle of a ${handle[HANDLE_TAG]}; use ${handle[HANDLE_TAG]}.from()`);
  }
  const { id, nonce } = handle;
  if (!Number.isInteger(id) || id <= 0 || id > 0xffffffff || !Number.isInteger(nonce) || nonce < 0 || nonce > 0x7fffffff) {
    throw new InvalidHandleError(`${kind}.from() was given a damaged handle; pass \`${kind.toLowerCase()}.handle\` unchanged`);
  }
  return { id, nonce };
}

/**
 * The error for a refused attach.
 * @param {string} kind
 * @param {number} id
 */
function foreignHandle(kind, id) {
  return new InvalidHandleError(
    `this ${kind} handle does not match a live ${kind} with id ${id} in this process (was it forged, copied from another process, or are all its users gone?)`,
  );
}

/**
 * What a Barrier's and a KeyedMutex's waiters share (lib/isolate.js's
 * NativeWaiter): the token native code wakes, the promise's functions, and
 * the timeout and abort signal that make it give up.
 */
class NativeWait {
  /**
   * @param {number} token
   * @param {(value: any) => void} resolve
   * @param {(error: Error) => void} reject
   */
  constructor(token, resolve, reject) {
    this.token = token;
    this.resolve = resolve;
    this.reject = reject;
    this.cancelled = false;
    /** @type {import('../wait-timer.js').WaitTimer | undefined} */
    this.timer = undefined;
    /** @type {ReturnType<typeof startAbortListener> | undefined} */
    this.abort = undefined;
  }

  /**
   * Arms the wait's timeout and abort signal: `giveUp(error)` when one fires.
   * @param {{ timeout?: number, signal?: AbortSignal } | undefined} options  validated
   * @param {string} what  the wait, for the errors: 'Barrier wait', 'KeyedMutex acquire of "a"'
   * @param {(error: Error) => void} giveUp
   */
  watch(options, what, giveUp) {
    const timeout = options?.timeout;
    if (!waitsForever(timeout)) this.timer = startWaitTimer(timeout, () => giveUp(new TimeoutError(`${what} timed out after ${timeout} ms`)));
    const signal = options?.signal;
    if (signal !== undefined) this.abort = startAbortListener(signal, () => giveUp(new AbortError(`${what} was aborted`, { cause: signal.reason })));
  }

  cleanup() {
    if (this.timer !== undefined) stopWaitTimer(this.timer);
    if (this.abort !== undefined) stopAbortListener(this.abort);
    this.timer = this.abort = undefined;
  }
}

module.exports = { detacher, makeHandle, checkHandle, foreignHandle, NativeWait };
