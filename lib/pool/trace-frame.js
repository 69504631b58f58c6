// @ts-check
'use strict';
/**
 * A task's tracing context (what a `threadkit:pool:task` subscriber put in
 * the start event's `traceContext`) travels with its payload, in front of it:
 *
 *   [TRACE_TAG][u32 length, LE][the context, encoded][the task's payload]
 *
 * The task's payload is unchanged behind it (a plain value, a BullMQ job
 * frame, or the DIRECT byte), so only traced tasks pay for the frame, and a
 * worker pays one byte compare per task to look for it.
 */

const { T } = require('../codec/tags.js');
const { encode, decode } = require('../codec/index.js');

const TRACE_TAG = T.TRACE;
const HEAD = 5;

/**
 * `payload` with `context` in front of it.
 * @param {unknown} context
 * @param {Buffer} payload
 * @returns {Buffer}
 */
function frameTrace(context, payload) {
  // encode() returns a view of one shared buffer, which `payload` may be too: keep it first.
  payload = Buffer.from(payload);
  let ctx;
  try {
    ctx = encode(context, 'traceContext');
  } catch (e) {
    throw new TypeError(
      `the traceContext a threadkit:pool:task subscriber set cannot be sent to the worker: ${/** @type {Error} */ (e)?.message ?? e}`,
      { cause: e },
    );
  }
  const out = Buffer.allocUnsafe(HEAD + ctx.length + payload.length);
  out[0] = TRACE_TAG;
  out.writeUInt32LE(ctx.length, 1);
  ctx.copy(out, HEAD);
  payload.copy(out, HEAD + ctx.length);
  return out;
}

/**
 * Where the task's own payload starts in `buf` (0 if there is no trace frame), and the context.
 * @param {Buffer} buf
 * @returns {{ at: number, context: unknown }}
 */
function readTrace(buf) {
  const at = HEAD + buf.readUInt32LE(1);
  return { at, context: decode(buf, HEAD, at) };
}

module.exports = { TRACE_TAG, frameTrace, readTrace };
