// @ts-check
'use strict';
/**
 * Flat records: lib/codec's fast path for the most common message, a plain
 * object whose own properties are all numbers, strings, booleans, null or
 * undefined (`{ id: 7, name: 'x', done: false }`).
 *
 * JSON costs ~0.3 µs per parse here even for a tiny object, so such records
 * travel in a binary layout instead, and the receiver builds each object
 * with a function compiled once per shape (an object literal with those keys),
 * so records of one shape share one hidden class, as JSON.parse's would.
 * Exact, like structured clone: numbers are float64 (-0, NaN and Infinity
 * kept), properties whose value is undefined are kept, and key order is
 * kept. Objects with integer-like keys (which objects order differently) or
 * a `__proto__` key are not taken here.
 *
 * Layout: tag RECORD, u16 length of the shape, the shape (the keys as a JSON
 * array, UTF-8), then per property a type byte and its payload:
 * 0 float64 · 1 string (u32 byte length, UTF-8) · 2 ASCII string (u32
 * length, bytes) · 3 true · 4 false · 5 null · 6 undefined.
 */

const RECORD = require('./tags.js').T.RECORD;
const MAX_KEYS = 32;
const MAX_SHAPES = 1024;
const INDEX_LIKE = /^\d+$/;

/** Sender: the shape of the previous record (most streams repeat one shape). */
let lastKeys = null;
let lastShape = null;
const shapes = new Map();

function shapeOf(keys) {
  if (lastKeys !== null && lastKeys.length === keys.length) {
    let same = true;
    for (let i = 0; i < keys.length; i++) {
      if (lastKeys[i] !== keys[i]) {
        same = false;
        break;
      }
    }
    if (same) return lastShape;
  }
  const json = JSON.stringify(keys);
  let shape = shapes.get(json);
  if (shape === undefined) {
    const bytes = Buffer.from(json, 'utf8');
    // The shape's length is written in 16 bits.
    const ok = keys.length > 0 && keys.length <= MAX_KEYS && bytes.length <= 0xffff && keys.every((k) => k !== '__proto__' && !INDEX_LIKE.test(k));
    shape = { ok, bytes };
    if (shapes.size >= MAX_SHAPES) shapes.clear();
    shapes.set(json, shape);
  }
  lastKeys = keys;
  lastShape = shape;
  return shape;
}

/** Writes a short string as ASCII; -1 if it is not ASCII. */
function writeAscii(str, t, at) {
  const n = str.length;
  for (let i = 0; i < n; i++) {
    const c = str.charCodeAt(i);
    if (c > 127) return -1;
    t[at + i] = c;
  }
  return n;
}

/** `n` as little-endian u32 at `t[at..]` (without writeUInt32LE's range checks: `n` is a length). */
function writeU32(t, at, n) {
  t[at] = n & 0xff;
  t[at + 1] = (n >>> 8) & 0xff;
  t[at + 2] = (n >>> 16) & 0xff;
  t[at + 3] = n >>> 24;
}

/**
 * Encodes plain object `v` (its prototype is Object.prototype) at `t[at..]`.
 * Returns its length, -1 if it does not fit, or -2 if it is not a flat record.
 */
function encodeRecord(v, t, at) {
  const keys = Object.keys(v);
  const shape = shapeOf(keys);
  if (!shape.ok) return -2;
  const end = t.length;
  const sb = shape.bytes;
  let p = at;
  if (p + 3 + sb.length > end) return -1;
  const sl = sb.length;
  t[p] = RECORD;
  t[p + 1] = sl & 0xff;
  t[p + 2] = sl >>> 8;
  // Byte by byte: Buffer#copy costs ~25 ns of fixed overhead, more than a short shape.
  if (sl <= 64) for (let i = 0; i < sl; i++) t[p + 3 + i] = sb[i];
  else sb.copy(t, p + 3);
  p += 3 + sl;
  for (let i = 0; i < keys.length; i++) {
    const x = v[keys[i]];
    switch (typeof x) {
      case 'number':
        if (p + 9 > end) return -1;
        t[p] = 0;
        t.writeDoubleLE(x, p + 1);
        p += 9;
        break;
      case 'string': {
        const len = x.length;
        if (len > 65536) return -2;
        if (p + 5 + 3 * len > end) return -1;
        let n = len <= 64 ? writeAscii(x, t, p + 5) : -1;
        if (n >= 0) t[p] = 2;
        else {
          if (!x.isWellFormed()) return -2; // UTF-8 would replace lone surrogates
          n = t.utf8Write(x, p + 5);
          t[p] = 1;
        }
        writeU32(t, p + 1, n);
        p += 5 + n;
        break;
      }
      case 'boolean':
        if (p + 1 > end) return -1;
        t[p++] = x ? 3 : 4;
        break;
      case 'undefined':
        if (p + 1 > end) return -1;
        t[p++] = 6;
        break;
      case 'object':
        if (x !== null) return -2;
        if (p + 1 > end) return -1;
        t[p++] = 5;
        break;
      default:
        return -2;
    }
  }
  return p - at;
}

/** Receiver: shape text -> function building an object of that shape. */
const builders = new Map();
const values = [];

function builderFor(shape) {
  let build = builders.get(shape);
  if (build !== undefined) return build;
  const keys = JSON.parse(shape);
  if (!Array.isArray(keys) || !keys.every((k) => typeof k === 'string' && k !== '__proto__')) {
    throw new Error('threadkit: a damaged record reached the codec');
  }
  // The keys are written as JSON string literals: the source is safe.
  // eslint-disable-next-line no-new-func
  build = new Function('v', `return {${keys.map((k, i) => `${JSON.stringify(k)}: v[${i}]`).join(', ')}};`);
  if (builders.size >= MAX_SHAPES) builders.clear();
  builders.set(shape, build);
  return build;
}

/** Receiver: the shape bytes of the previous record and its builder. */
let lastShapeBytes = Buffer.alloc(0);
let lastBuild = null;

/** The builder for the shape at `b[p..p+sl)`; compares bytes with the previous shape first. */
function builderAt(b, p, sl) {
  const last = lastShapeBytes;
  if (last.length === sl) {
    let i = 0;
    while (i < sl && last[i] === b[p + i]) i++;
    if (i === sl) return lastBuild;
  }
  const build = builderFor(b.utf8Slice(p, p + sl));
  lastShapeBytes = Buffer.from(b.subarray(p, p + sl));
  lastBuild = build;
  return build;
}

/**
 * A float64 that holds an int32 comes back as a small integer (`v | 0`), as
 * structured clone gives it. A double 30.0 is a different V8 representation,
 * and code that V8 specialises on it runs slower: fib(30) on a double was
 * 1.6x slower than on 30 (measured in the WorkerPool).
 */
function smallIntOrDouble(v) {
  return (v | 0) === v && (v !== 0 || 1 / v > 0) ? v | 0 : v;
}

/** A short ASCII string from `b[at..at+n)`: a native latin1Slice call costs ~50 ns, more than this loop. */
function shortAscii(b, at, n) {
  let s = '';
  for (let i = 0; i < n; i++) s += String.fromCharCode(b[at + i]);
  return s;
}

/** Decodes the record in `b[start..end)` (`b[start]` is the record tag). */
function decodeRecord(b, start, end) {
  const sl = b.readUInt16LE(start + 1);
  let p = start + 3;
  const build = builderAt(b, p, sl);
  p += sl;
  let i = 0;
  while (p < end) {
    const type = b[p];
    if (type === 0) {
      values[i++] = smallIntOrDouble(b.readDoubleLE(p + 1));
      p += 9;
    } else if (type === 1 || type === 2) {
      const n = b.readUInt32LE(p + 1);
      values[i++] = type === 1 ? b.utf8Slice(p + 5, p + 5 + n) : n <= 12 ? shortAscii(b, p + 5, n) : b.latin1Slice(p + 5, p + 5 + n);
      p += 5 + n;
    } else {
      values[i++] = type === 3 ? true : type === 4 ? false : type === 5 ? null : undefined;
      p += 1;
    }
  }
  return build(values);
}

module.exports = { encodeRecord, decodeRecord, writeAscii };
