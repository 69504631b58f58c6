// @ts-check
'use strict';
/**
 * A task's result, from the worker to the pool: encoded into the native
 * completion queue, or, when only postMessage can carry it (a transfer list,
 * shared memory), posted over the control port with a one-byte placeholder
 * in the queue.
 */

const { MSG } = require('../messages.js');
const { native, pool, slot, control } = require('./thread.js');
const { encode, encodeDirect } = require('../../codec/index.js');
const { Moved } = require('./task-context.js');

/**
 * Hands task `id`'s outcome to the pool.
 * @param {number} id
 * @param {boolean} rejected
 * @param {unknown} value the result, the error, or a `Moved` result
 */
function complete(id, rejected, value) {
  if (value instanceof Moved) {
    const refused = sendDirect(id, rejected, value.value, value.transfer);
    if (refused === undefined) {
      native.poolComplete(pool, slot, id, rejected, encodeDirect());
      return;
    }
    // Not transferable (say, a buffer listed twice): say why.
    const { DataCloneError } = require('../../errors.js');
    const why = String(refused?.message ?? refused).slice(0, 160);
    value = new DataCloneError(`the task result cannot be moved to the main thread: ${why}`, { cause: refused });
    rejected = true;
  }
  let bytes;
  try {
    bytes = encode(value, rejected ? 'the task error' : 'the task result');
  } catch (e) {
    if (e?.code === 'ERR_THREADKIT_DATA_CLONE' && sendDirect(id, rejected, value) === undefined) {
      bytes = encodeDirect();
    } else {
      rejected = true;
      bytes = encode(isGenerator(value) ? notAStream() : e);
    }
  }
  native.poolComplete(pool, slot, id, rejected, bytes);
}

/**
 * A result that v8.serialize refuses but postMessage can carry (it holds a
 * SharedArrayBuffer, or a typed array on one) goes over the control port; the
 * completion queue gets the one-byte direct placeholder. The message is
 * posted first, so the main thread has it queued before it can see the
 * completion. Returns postMessage's error if it refuses the value too (a
 * function, a symbol, a port that no transfer list names), else undefined.
 * @param {number} id
 * @param {boolean} rejected
 * @param {unknown} value
 * @param {import('node:worker_threads').TransferListItem[]} [transfer]
 * @returns {any}
 */
function sendDirect(id, rejected, value, transfer) {
  try {
    control.postMessage(/** @type {import('../messages.js').ResultMessage} */ ({ type: MSG.RESULT, id, rejected, value }), transfer);
    return undefined;
  } catch (e) {
    return e;
  }
}

/**
 * @param {any} value
 * @returns {boolean}
 */
function isGenerator(value) {
  const tag = value?.[Symbol.toStringTag];
  return tag === 'Generator' || tag === 'AsyncGenerator';
}

/** What execute() gets from a task function that returned a generator. */
function notAStream() {
  return new TypeError('the task returned a generator, and execute() sends back one result: call pool.stream() to receive the values it yields');
}

module.exports = { complete };
