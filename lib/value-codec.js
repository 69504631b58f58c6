'use strict';
/**
 * How a value crosses threads through a shared channel: structured clone
 * (`node:v8` serialize), with fast paths for numbers and strings, whose
 * per-call cost in `v8.serialize` is mostly overhead.
 *
 * Format (the first byte tells): 1 = a float64 number, 2 = a UTF-8 string,
 * 0xFF = `v8.serialize` output (its version tag always comes first).
 */

const v8 = require('node:v8');
const { DataCloneError } = require('./errors.js');

const NUMBER = 1;
const STRING = 2;

function encode(value) {
  if (typeof value === 'number') {
    const b = Buffer.allocUnsafe(9);
    b[0] = NUMBER;
    b.writeDoubleLE(value, 1);
    return b;
  }
  if (typeof value === 'string' && value.length < 4096) {
    const b = Buffer.allocUnsafe(1 + value.length * 3);
    b[0] = STRING;
    const n = b.write(value, 1, 'utf8');
    return b.subarray(0, n + 1);
  }
  try {
    return v8.serialize(value);
  } catch (err) {
    throw new DataCloneError(
      `this value cannot be sent through a shared channel: it cannot be structured-cloned (${err?.message ?? err}). Send plain data (objects, arrays, Map, Set, Date, typed arrays, ...), not functions, symbols or class instances with native state`,
      { cause: err },
    );
  }
}

function decode(b) {
  const tag = b[0];
  if (tag === NUMBER) return b.readDoubleLE(1);
  if (tag === STRING) return b.toString('utf8', 1);
  return v8.deserialize(b);
}

module.exports = { encode, decode };
