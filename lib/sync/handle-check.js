// @ts-check
'use strict';
/** The checks `X.from(handle)` makes before it attaches (fair-semaphore.js). */

const { InvalidHandleError } = require('../errors.js');
// Realm-independent: a handle that arrived in a message may come from another realm (a vm context, jest).
const { isSharedArrayBuffer } = require('node:util').types;

/**
 * A shared semaphore's SharedArrayBuffer (its handle's `state`): the state
 * word, the bound word and the lease word (Int32: fair-semaphore.js,
 * lease.js), then, from RATE_AT (8-aligned), the rate limit of the
 * PromisePools it limits (16 bytes: RateLimit.ofSemaphore in
 * lib/promise-pool/rate-limit.js).
 */
const RATE_AT = 16;
const SHARED_STATE_BYTES = RATE_AT + 16;

/**
 * An InvalidHandleError unless `handle` is an intact handle of a `kind`.
 * @param {any} handle  what the caller passed to `from`
 * @param {string} kind
 * @param {string} HANDLE_TAG  the tag key of handles
 * @param {number} MAX_PERMITS
 */
function checkHandle(handle, kind, HANDLE_TAG, MAX_PERMITS) {
  if (handle === null || typeof handle !== 'object' || handle[HANDLE_TAG] === undefined) {
    throw new InvalidHandleError(`${kind}.from() needs the \`handle\` of a ${kind}, got ${handle === null ? 'null' : typeof handle}`);
  }
  if (handle[HANDLE_TAG] !== kind) {
    throw new InvalidHandleError(`${kind}.from() was given the handle of a ${handle[HANDLE_TAG]}; use ${handle[HANDLE_TAG]}.from()`);
  }
  const ok =
    Number.isInteger(handle.id) &&
    handle.id > 0 &&
    handle.id <= 0xffffffff &&
    Number.isInteger(handle.max) &&
    handle.max >= 1 &&
    handle.max <= MAX_PERMITS &&
    isSharedArrayBuffer(handle.state) &&
    handle.state.byteLength === SHARED_STATE_BYTES;
  if (!ok) {
    throw new InvalidHandleError(
      `${kind}.from() was given a damaged handle; pass \`${kind.toLowerCase()}.handle\` unchanged (it must keep its SharedArrayBuffer)`,
    );
  }
}

module.exports = { checkHandle, SHARED_STATE_BYTES, RATE_AT };
