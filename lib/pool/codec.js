'use strict';
/**
 * How task data and results cross threads through the native queue.
 *
 * One tag byte, then the value. Numbers (int32 or double), strings, booleans, null and
 * undefined have fast paths (no `v8.serialize`, whose per-call overhead is
 * ~4 µs here). Everything else is `v8.serialize`, which is Node's structured
 * clone: the same rules as `postMessage`. Errors keep their class, message
 * and stack (v8's rules), plus their own enumerable properties such as
 * `code`, which v8 drops.
 *
 * `encode` writes into one reusable buffer and returns a view of it; the
 * view is only valid until the next `encode` (native code copies it).
 */

// Loaded on first use: workers whose tasks only pass numbers and strings
// never load it, nor node:v8 (less memory per idle worker).
let v8Values = null;
const v8 = {
  serialize: (v) => (v8Values ??= require('../v8-values.js')).serialize(v),
  deserialize: (b) => (v8Values ??= require('../v8-values.js')).deserialize(b),
};

const T = Object.freeze({ V8: 0, NUMBER: 1, STRING: 2, UNDEFINED: 3, NULL: 4, TRUE: 5, FALSE: 6, ERROR: 7, INT32: 8, DIRECT: 9, JOB: 10 });
const DEFAULT_SIZE = 16 * 1024;

let out = Buffer.allocUnsafeSlow(16 * 1024);

function room(n) {
  if (out.length < n) out = Buffer.allocUnsafeSlow(Math.max(n, out.length * 2));
  // Give back the memory of an earlier huge value.
  else if (n <= DEFAULT_SIZE && out.length > 64 * DEFAULT_SIZE) out = Buffer.allocUnsafeSlow(DEFAULT_SIZE);
}

/** The one-byte payload of a task whose data the main thread keeps (sent by postMessage when a worker takes it). */
const DIRECT_LEN = 1;
function encodeDirect() {
  out[0] = T.DIRECT;
  return out.subarray(0, 1);
}
function isDirect(buf, at = 0) {
  return buf[at] === T.DIRECT;
}

function tagged(tag, body) {
  room(body.length + 1);
  out[0] = tag;
  out.set(body, 1);
  return out.subarray(0, body.length + 1);
}

function serialize(value, what) {
  try {
    return v8.serialize(value);
  } catch (e) {
    const { DataCloneError } = require('../errors.js');
    const why = String(e.message).length > 160 ? `${String(e.message).slice(0, 160)}...` : e.message;
    throw new DataCloneError(
      `${what} cannot be cloned to another thread: ${why} Only structured-cloneable values (no functions, symbols or class instances with native state) can be passed.`,
      { cause: e },
    );
  }
}

/** Encodes `value`; `what` names it in a DataCloneError ("task data", "task result"). */
function encode(value, what = 'value') {
  switch (typeof value) {
    case 'number':
      // Integers travel as int32 so the receiver gets a small integer, as
      // structured clone gives it: code specialised by V8 on a double
      // (30.0 from readDoubleLE) ran fib(30) 1.6x slower than on 30.
      if ((value | 0) === value && !Object.is(value, -0)) {
        room(5);
        out[0] = T.INT32;
        out.writeInt32LE(value, 1);
        return out.subarray(0, 5);
      }
      room(9);
      out[0] = T.NUMBER;
      out.writeDoubleLE(value, 1);
      return out.subarray(0, 9);
    case 'string': {
      // UTF-8 cannot carry a lone surrogate; structured clone can.
      if (!value.isWellFormed()) return tagged(T.V8, serialize(value, what));
      room(value.length * 3 + 1);
      out[0] = T.STRING;
      const n = out.utf8Write(value, 1);
      return out.subarray(0, n + 1);
    }
    case 'undefined':
      out[0] = T.UNDEFINED;
      return out.subarray(0, 1);
    case 'boolean':
      out[0] = value ? T.TRUE : T.FALSE;
      return out.subarray(0, 1);
    case 'object':
      if (value === null) {
        out[0] = T.NULL;
        return out.subarray(0, 1);
      }
      if (value instanceof Error) return encodeError(value);
      return tagged(T.V8, serialize(value, what));
    default:
      return tagged(T.V8, serialize(value, what));
  }
}

function encodeError(err) {
  const extra = {};
  for (const key of Object.keys(err)) {
    try {
      v8.serialize(err[key]);
      extra[key] = err[key];
    } catch {
      // A property that cannot cross threads is dropped, not fatal.
    }
  }
  let body;
  try {
    body = v8.serialize([err, extra]);
  } catch {
    const plain = new Error(String(err.message));
    plain.stack = String(err.stack);
    body = v8.serialize([plain, { ...extra, name: err.name }]);
  }
  return tagged(T.ERROR, body);
}

/**
 * A task that carries the id of the BullMQ job it runs for (threadkit/bullmq's
 * serve): `[JOB][u32 id length][id, UTF-8][the value, encoded]`. Only serve's
 * tasks pay for it; `decode` skips the id, and the worker reads it with
 * `jobIdOf` (a one-byte test for every other task).
 */
function encodeForJob(value, what, jobId) {
  const inner = encode(value, what);
  const id = Buffer.from(jobId, 'utf8');
  const bytes = Buffer.allocUnsafe(5 + id.length + inner.length);
  bytes[0] = T.JOB;
  bytes.writeUInt32LE(id.length, 1);
  id.copy(bytes, 5);
  inner.copy(bytes, 5 + id.length);
  return bytes;
}

/** The job id in task bytes that `encodeForJob` wrote (at `buf[0]`), else undefined. */
function jobIdOf(buf) {
  if (buf[0] !== T.JOB) return undefined;
  return buf.utf8Slice(5, 5 + buf.readUInt32LE(1));
}

/** Decodes bytes `buf[start, end)` (a Buffer). */
function decode(buf, start, end) {
  switch (buf[start]) {
    case T.JOB:
      return decode(buf, start + 5 + buf.readUInt32LE(start + 1), end);
    case T.INT32:
      return buf.readInt32LE(start + 1);
    case T.NUMBER:
      return buf.readDoubleLE(start + 1);
    case T.STRING:
      return buf.utf8Slice(start + 1, end);
    case T.UNDEFINED:
      return undefined;
    case T.NULL:
      return null;
    case T.TRUE:
      return true;
    case T.FALSE:
      return false;
    case T.ERROR: {
      const [err, extra] = v8.deserialize(buf.subarray(start + 1, end));
      return require('../errors.js').reviveError(Object.assign(err, extra));
    }
    default:
      return v8.deserialize(buf.subarray(start + 1, end));
  }
}

module.exports = { encode, encodeError, decode, encodeDirect, isDirect, DIRECT_LEN, encodeForJob, jobIdOf, JOB_TAG: T.JOB };
