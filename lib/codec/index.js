// @ts-check
'use strict';
/**
 * The codec: how a value crosses threads as bytes, on every path (WorkerPool
 * task data and results, Channel and AsyncQueue values, threadkit/bullmq
 * envelopes). One tag byte (tags.js, the one tag space), then the body.
 *
 * `v8.serialize` (Node's structured clone) costs ~4 µs per call here, mostly
 * fixed overhead, so common values take exact fast paths:
 * - numbers: INT32 for an int32 (the receiver gets a small integer, as
 *   structured clone gives it), else NUMBER (float64; -0, NaN kept);
 * - well-formed strings as UTF-8 (UTF-8 cannot carry a lone surrogate);
 * - undefined, null, true, false: the tag alone;
 * - RECORD: a flat record, a plain object of numbers, strings, booleans,
 *   null and undefined (record.js);
 * - JSON / ASCII_JSON: other plain data: plain objects and arrays (no holes,
 *   no extra array properties, no shared or cyclic references) of finite
 *   numbers other than -0, well-formed strings, booleans and null. For
 *   exactly this subset JSON round-trips to the same result as structured
 *   clone;
 * - ERROR: an Error keeps its class, message and stack (v8's rules), plus
 *   its own enumerable properties such as `code`, which v8 drops;
 * - V8: anything else (Map, Set, Date, BigInt, typed arrays, class
 *   instances, ...) is `v8.serialize` output: the rules of `postMessage`.
 *
 * node:v8 is loaded on first use (v8-values.js): requiring it adds about
 * 1.4 MB to the RSS of an empty Node 20 process, which a program whose
 * values all take the fast paths never needs.
 */

const { isProxy } = require('node:util').types;
const { T } = require('./tags.js');

// record.js and v8-values.js are loaded on first use: a WorkerPool worker
// that only ever sees numbers never needs them, and each module a worker
// loads costs it memory (bench M1).
/** @type {typeof import('./record.js') | null} */
let recordModule = null;
/** @type {typeof import('./v8-values.js') | null} */
let v8Module = null;
const record = () => (recordModule ??= require('./record.js'));
const v8 = () => (v8Module ??= require('./v8-values.js'));

/** Plain-data check limits: beyond these, use v8.serialize. */
const MAX_DEPTH = 8;
const MAX_OBJECTS = 32;
/** Longer JSON goes to v8.serialize, which needs no 3-bytes-per-character bound. */
const MAX_JSON = 16384;

const seen = [];

/** A JSON-exact primitive: a finite number other than -0, a string, a boolean, null. */
function plainLeaf(x) {
  switch (typeof x) {
    case 'string':
    case 'boolean':
      return true;
    case 'number':
      return x - x === 0 && (x !== 0 || 1 / x > 0);
    default:
      return x === null;
  }
}

/** True if object `v` is plain data that JSON round-trips exactly (see the module docs). */
function isPlain(v, depth) {
  if (depth > MAX_DEPTH || seen.length >= MAX_OBJECTS || seen.includes(v) || isProxy(v)) return false;
  seen.push(v);
  if (Array.isArray(v)) {
    if (Object.getPrototypeOf(v) !== Array.prototype) return false;
    const n = v.length;
    let own = 0;
    for (const k in v) {
      if (++own > n) return false;
      void k;
    }
    if (own !== n) return false; // holes or extra properties
    for (let i = 0; i < n; i++) {
      const x = v[i];
      if (typeof x === 'object' && x !== null ? !isPlain(x, depth + 1) : !plainLeaf(x)) return false;
    }
    return true;
  }
  if (Object.getPrototypeOf(v) !== Object.prototype) return false;
  for (const k in v) {
    const x = v[k];
    if (typeof x === 'object' && x !== null ? !isPlain(x, depth + 1) : !plainLeaf(x)) return false;
  }
  return true;
}

function plain(v) {
  const ok = isPlain(v, 0);
  seen.length = 0;
  return ok;
}

/** `v8.serialize(value)`, or a DataCloneError naming `what` ("task data", "the value sent"). */
function serialize(value, what) {
  try {
    return v8().serialize(value);
  } catch (e) {
    const { DataCloneError } = require('../errors.js');
    const msg = String(e?.message ?? e);
    const why = msg.length > 160 ? `${msg.slice(0, 160)}...` : msg;
    throw new DataCloneError(
      `${what} cannot be cloned to another thread: it cannot be structured-cloned (${why}). Send plain data (objects, arrays, Map, Set, Date, typed arrays, ...), not functions, symbols or class instances with native state.`,
      { cause: e },
    );
  }
}

/** UTF-8 of `str` at `t[at..]`; the caller checked that `str.length * 3` bytes fit. */
function writeUtf8(str, t, at) {
  if (str.length <= 64) {
    const n = record().writeAscii(str, t, at);
    if (n >= 0) return n;
  }
  return t.utf8Write(str, at);
}

/** `bytes` after `tag` at `t[at..]`; -1 if they do not fit. */
function putTagged(tag, bytes, t, at) {
  if (1 + bytes.length > t.length - at) return -1;
  t[at] = tag;
  t.set(bytes, at + 1);
  return 1 + bytes.length;
}

function putV8(value, t, at, what) {
  const s = serialize(value, what);
  if (s.length > t.length - at) return -1;
  t.set(s, at); // its first byte is T.V8
  return s.length;
}

/**
 * Encodes `value` straight into `t` at `at`; returns its length, or -1 if it
 * does not fit in `t.length - at` bytes. Throws DataCloneError (naming
 * `what`) for a value that structured clone refuses.
 */
function encodeTo(value, t, at, what = 'the value') {
  const room = t.length - at;
  switch (typeof value) {
    case 'number':
      if ((value | 0) === value && (value !== 0 || 1 / value > 0)) {
        if (room < 5) return -1;
        t[at] = T.INT32;
        t.writeInt32LE(value, at + 1);
        return 5;
      }
      if (room < 9) return -1;
      t[at] = T.NUMBER;
      t.writeDoubleLE(value, at + 1);
      return 9;
    case 'string':
      if (!value.isWellFormed()) return putV8(value, t, at, what);
      if (1 + value.length * 3 > room) return -1;
      t[at] = T.STRING;
      return 1 + writeUtf8(value, t, at + 1);
    case 'undefined':
    case 'boolean':
      if (room < 1) return -1;
      t[at] = value === undefined ? T.UNDEFINED : value ? T.TRUE : T.FALSE;
      return 1;
    case 'object':
      return encodeObject(value, t, at, room, what);
    default:
      return putV8(value, t, at, what);
  }
}

function encodeObject(value, t, at, room, what) {
  if (value === null) {
    if (room < 1) return -1;
    t[at] = T.NULL;
    return 1;
  }
  // A Proxy goes to v8.serialize, which refuses it as structured clone does.
  if (isProxy(value)) return putV8(value, t, at, what);
  if (Object.getPrototypeOf(value) === Object.prototype) {
    const n = record().encodeRecord(value, t, at);
    if (n !== -2) return n;
  } else if (value instanceof Error) {
    return putTagged(T.ERROR, errorBody(value), t, at);
  }
  const json = plain(value) ? JSON.stringify(value) : undefined;
  if (json !== undefined && json.length <= MAX_JSON) {
    if (1 + json.length * 3 > room) return -1;
    const n = writeUtf8(json, t, at + 1);
    t[at] = n === json.length ? T.ASCII_JSON : T.JSON;
    return 1 + n;
  }
  return putV8(value, t, at, what);
}

/** v8.serialize([err, its own enumerable properties that can be cloned]). */
function errorBody(err) {
  const extra = {};
  for (const key of Object.keys(err)) {
    try {
      v8().serialize(err[key]);
      extra[key] = err[key];
    } catch {
      // A property that cannot cross threads is dropped, not fatal.
    }
  }
  try {
    return v8().serialize([err, extra]);
  } catch {
    const bare = new Error(String(err.message));
    bare.stack = String(err.stack);
    return v8().serialize([bare, { ...extra, name: err.name }]);
  }
}

/**
 * A reusable encode buffer: each user that sends (the pool on each thread,
 * shared channels on each thread) has its own, so encoding one value never
 * overwrites another user's half-written bytes (a getter may send).
 */
class Scratch {
  constructor(size) {
    this.size = size;
    this.bytes = Buffer.allocUnsafeSlow(size);
  }

  /** The buffer, grown to at least `n` bytes. */
  room(n = 0) {
    if (n > this.bytes.length) this.bytes = Buffer.allocUnsafeSlow(Math.max(n, this.bytes.length * 2));
    return this.bytes;
  }

  /** Encodes `value` at the start of `this.bytes` (growing it); returns the length. */
  encode(value, what) {
    // Give back the memory of an earlier huge value.
    if (this.bytes.length > 64 * this.size) this.bytes = Buffer.allocUnsafeSlow(this.size);
    let n = encodeTo(value, this.bytes, 0, what);
    while (n === -1) {
      this.room(this.bytes.length * 2);
      n = encodeTo(value, this.bytes, 0, what);
    }
    return n;
  }
}

const out = new Scratch(16 * 1024);

/** The encoding of `value`, as a view that is valid until the next `encode` (native code copies it). */
function encode(value, what) {
  const n = out.encode(value, what); // may replace out.bytes: read it after
  return out.bytes.subarray(0, n);
}

/** The encoding of `value` as a Buffer of its own (rare paths: select, migration to shared mode). */
function encodeCopy(value, what) {
  return Buffer.from(encode(value, what));
}

/** The encoding of an Error, as a view like `encode`'s (also for errors of another realm, which fail `instanceof`). */
function encodeError(err) {
  const body = errorBody(err);
  const t = out.room(body.length + 1);
  return t.subarray(0, putTagged(T.ERROR, body, t, 0));
}

/** WorkerPool: the one-byte payload of a task whose data the main thread keeps (sent by postMessage when a worker takes it). */
const DIRECT_LEN = 1;
function encodeDirect() {
  out.bytes[0] = T.DIRECT;
  return out.bytes.subarray(0, DIRECT_LEN);
}
function isDirect(buf, at = 0) {
  return buf[at] === T.DIRECT;
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

/** Decodes the value in `b[start..end)`. */
function decode(b, start = 0, end = b.length) {
  switch (b[start]) {
    case T.INT32:
      return b.readInt32LE(start + 1);
    case T.NUMBER:
      return b.readDoubleLE(start + 1); // an int32 would have been INT32
    case T.STRING:
      return b.utf8Slice(start + 1, end);
    case T.RECORD:
      return record().decodeRecord(b, start, end);
    case T.ASCII_JSON:
      return JSON.parse(b.latin1Slice(start + 1, end));
    case T.JSON:
      return JSON.parse(b.utf8Slice(start + 1, end));
    case T.UNDEFINED:
      return undefined;
    case T.NULL:
      return null;
    case T.TRUE:
      return true;
    case T.FALSE:
      return false;
    case T.ERROR: {
      const [err, extra] = v8().deserialize(b.subarray(start + 1, end));
      return require('../errors.js').reviveError(Object.assign(err, extra));
    }
    case T.JOB:
      return decode(b, start + 5 + b.readUInt32LE(start + 1), end);
    case T.V8:
      return v8().deserialize(b.subarray(start, end));
    default:
      throw new Error(`threadkit: the codec met an unknown tag ${b[start]} (damaged bytes)`);
  }
}

module.exports = {
  Scratch,
  encodeTo,
  encode,
  encodeCopy,
  encodeError,
  decode,
  encodeDirect,
  isDirect,
  DIRECT_LEN,
  encodeForJob,
  jobIdOf,
  JOB_TAG: T.JOB,
};
