// @ts-check
'use strict';
/**
 * The JS side of src/shared_registry.rs, for primitives whose state is all
 * native (Barrier, KeyedMutex): their handles, and the detach when a JS
 * object on this thread is collected (each object is one native attach).
 */

const { InvalidHandleError } = require('../errors.js');
const { isolateId } = require('../isolate.js');

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

module.exports = { detacher, makeHandle, checkHandle, foreignHandle };
