'use strict';
/**
 * How a value crosses threads through a shared channel: structured clone.
 *
 * `v8.serialize` (Node's structured clone) costs ~4 µs per call here, mostly
 * fixed overhead, so common values take exact fast paths:
 * - 1: a number (float64);
 * - 2: a well-formed string (UTF-8);
 * - 5: a flat record, a plain object of numbers, strings, booleans, null
 *   and undefined (record-codec.js);
 * - 3 (4 if the JSON is ASCII): other "plain data": plain objects and arrays (no holes, no extra array
 *   properties, no shared or cyclic references) of finite numbers other
 *   than -0, well-formed strings, booleans and null, as JSON. For exactly
 *   this subset JSON round-trips to the same result as structured clone;
 *   anything else (undefined, -0, NaN, Date, Map, typed arrays, class
 *   instances, ...) falls back to
 * - 0xFF: `v8.serialize` output (its version tag always comes first).
 *
 * Hot paths encode into and decode out of one per-thread scratch buffer
 * (`scratch()`), so a value costs no Buffer allocation.
 */

// v8-values.js loads node:v8 on first use: requiring it adds about 1.4 MB to
// the RSS of an empty Node 20 process (mostly read-only pages of the node
// binary for the builtins it loads), which a program whose values all take
// the fast paths never needs.
const v8 = require('./v8-values.js');
const { isProxy } = require('node:util').types;
const { DataCloneError } = require('./errors.js');
const { RECORD, encodeRecord, decodeRecord, writeAscii, smallIntOrDouble } = require('./record-codec.js');

const NUMBER = 1;
const STRING = 2;
const JSON_TAG = 3;
/** JSON that is pure ASCII (decoded as latin1, a little faster). */
const ASCII_JSON = 4;
/** Plain-data check limits: beyond these, use v8.serialize. */
const MAX_DEPTH = 8;
const MAX_OBJECTS = 32;

let buf = Buffer.allocUnsafeSlow(64 * 1024);

/** The per-thread scratch buffer, grown to at least `n` bytes. */
function scratch(n = 0) {
  return n > buf.length ? ensure(n) : buf;
}

function ensure(n) {
  if (n > buf.length) buf = Buffer.allocUnsafeSlow(Math.max(n, buf.length * 2));
  return buf;
}

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

function serialize(value) {
  try {
    return v8.serialize(value);
  } catch (err) {
    throw new DataCloneError(
      `this value cannot be sent through a shared channel: it cannot be structured-cloned (${err?.message ?? err}). Send plain data (objects, arrays, Map, Set, Date, typed arrays, ...), not functions, symbols or class instances with native state`,
      { cause: err },
    );
  }
}

/** Encodes `value` into the scratch buffer; returns its length. Throws DataCloneError. */
function encodeInto(value) {
  let n = encodeTo(value, buf, 0);
  while (n === -1) {
    ensure(buf.length * 2);
    n = encodeTo(value, buf, 0);
  }
  return n;
}

/** UTF-8 of `str` at `t[at..]`; the caller checked that `str.length * 3` bytes fit. */
function writeUtf8(str, t, at) {
  if (str.length <= 64) {
    const n = writeAscii(str, t, at);
    if (n >= 0) return n;
  }
  return t.utf8Write(str, at);
}

/**
 * Encodes `value` straight into `t` at `at` (the sender's outbox); returns
 * its length, or -1 if it does not fit in `t.length - at` bytes. Throws
 * DataCloneError.
 */
function encodeTo(value, t, at) {
  const room = t.length - at;
  if (typeof value === 'number') {
    if (room < 9) return -1;
    t[at] = NUMBER;
    t.writeDoubleLE(value, at + 1);
    return 9;
  }
  if (typeof value === 'string' && value.length <= 16384 && value.isWellFormed()) {
    if (1 + value.length * 3 > room) return -1;
    t[at] = STRING;
    return 1 + writeUtf8(value, t, at + 1);
  }
  if (typeof value === 'object' && value !== null) {
    // A Proxy goes to v8.serialize, which refuses it as structured clone does.
    if (isProxy(value)) return serializeTo(value, t, at, room);
    if (Object.getPrototypeOf(value) === Object.prototype) {
      const n = encodeRecord(value, t, at);
      if (n !== -2) return n;
    }
    const json = plain(value) ? JSON.stringify(value) : undefined;
    if (json !== undefined && json.length <= 16384) {
      if (1 + json.length * 3 > room) return -1;
      const n = writeUtf8(json, t, at + 1);
      t[at] = n === json.length ? ASCII_JSON : JSON_TAG;
      return 1 + n;
    }
  }
  return serializeTo(value, t, at, room);
}

function serializeTo(value, t, at, room) {
  const s = serialize(value);
  if (s.length > room) return -1;
  t.set(s, at);
  return s.length;
}

/** Decodes the value in `b[start..end)`. */
function decodeAt(b, start, end) {
  const tag = b[start];
  if (tag === NUMBER) return smallIntOrDouble(b.readDoubleLE(start + 1));
  if (tag === STRING) return b.utf8Slice(start + 1, end);
  if (tag === RECORD) return decodeRecord(b, start, end);
  if (tag === ASCII_JSON) return JSON.parse(b.latin1Slice(start + 1, end));
  if (tag === JSON_TAG) return JSON.parse(b.utf8Slice(start + 1, end));
  return v8.deserialize(b.subarray(start, end));
}

/** A copy of the encoding of `value`, as its own Buffer (rare paths: select, migration). */
function encode(value) {
  const n = encodeInto(value);
  return Buffer.from(buf.subarray(0, n));
}

function decode(b) {
  return decodeAt(b, 0, b.length);
}

module.exports = { encode, decode, encodeInto, encodeTo, decodeAt, scratch };
