// @ts-check
'use strict';
/**
 * A pool.stream() task is marked in its payload, in front of it:
 *
 *   [STREAM_TAG][u32 highWaterMark, LE][the task's payload]
 *
 * so only streams pay for the mark, and the worker learns how many values
 * it may send ahead of the caller. A trace frame (trace-frame.js), when
 * there is one, goes in front of this one.
 *
 * The values the task yields travel back through a byte ring in shared
 * memory (stream-ring.js), not through the task's payload or completion.
 */

const { T } = require('../codec/tags.js');

const STREAM_TAG = T.STREAM;
const HEAD = 5;

/**
 * `payload` marked as a stream's.
 * @param {number} highWaterMark
 * @param {Buffer} payload
 * @returns {Buffer}
 */
function frameStream(highWaterMark, payload) {
  const out = Buffer.allocUnsafe(HEAD + payload.length);
  out[0] = STREAM_TAG;
  out.writeUInt32LE(highWaterMark, 1);
  payload.copy(out, HEAD);
  return out;
}

/**
 * The stream mark at `buf[at]`: its highWaterMark, and where the task's payload starts.
 * @param {Buffer} buf
 * @param {number} at
 * @returns {{ highWaterMark: number, at: number }}
 */
function readStream(buf, at) {
  return { highWaterMark: buf.readUInt32LE(at + 1), at: at + HEAD };
}

module.exports = { STREAM_TAG, frameStream, readStream };
