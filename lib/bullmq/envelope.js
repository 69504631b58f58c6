// @ts-check
'use strict';
/**
 * Task data, results and errors as they sit in Redis.
 *
 * BullMQ stores JSON. A value that JSON carries losslessly (null, booleans,
 * finite numbers other than -0, well-formed strings, and plain objects and
 * dense arrays of those, with no object reached twice) is stored as itself,
 * so it stays readable in Redis tooling and costs no encoding. Anything else
 * (Map, Set, Date, BigInt, Buffer, typed arrays, undefined, NaN, -0, shared
 * or cyclic references, errors) travels in an envelope: the WorkerPool's own
 * codec (structured clone, as between threads) as base64, in
 * `{ "$threadkit": "v8", "base64": "..." }`. The trade-off: such a value is
 * opaque in Redis tooling and a third larger than its bytes; a lossless-JSON
 * check walks every value once before it is sent (JSON.stringify walks it
 * again inside BullMQ).
 *
 * A plain object that happens to have a "$threadkit" key is put in an
 * envelope too, so a stored value is never mistaken for one.
 */

const { isNativeError } = require('node:util').types;
const { encode, encodeError, decode } = require('../codec/index.js');

const ENVELOPE_KEY = '$threadkit';
const ENVELOPE_KIND = 'v8';

/**
 * Array.prototype of any realm (values decoded by node:v8 under a vm-based
 * runner such as jest come from another realm): itself an array, whose
 * prototype is Object.prototype.
 */
function isArrayPrototype(p) {
  return Array.isArray(p) && Object.getPrototypeOf(Object.getPrototypeOf(p)) === null;
}

/** Whether `value` comes back from JSON.parse(JSON.stringify(value)) as the structured clone of it. */
function isLosslessJSON(value, seen) {
  switch (typeof value) {
    case 'string':
      return value.isWellFormed();
    case 'boolean':
      return true;
    case 'number':
      return Number.isFinite(value) && !Object.is(value, -0);
    case 'object': {
      if (value === null) return true;
      if (seen.has(value)) return false; // shared or cyclic: JSON would copy it, or throw
      seen.add(value);
      if (Array.isArray(value)) {
        if (!isArrayPrototype(Object.getPrototypeOf(value))) return false;
        const n = value.length;
        if (Object.keys(value).length !== n) return false; // holes or extra properties
        for (let i = 0; i < n; i++) if (!isLosslessJSON(value[i], seen)) return false;
        return true;
      }
      const proto = Object.getPrototypeOf(value);
      if (proto !== null && Object.getPrototypeOf(proto) !== null) return false; // not Object.prototype (of any realm)
      for (const key in value) {
        if (!Object.hasOwn(value, key)) return false; // an enumerable inherited key (a polluted prototype)
        if (!isLosslessJSON(value[key], seen)) return false;
      }
      return true;
    }
    default:
      return false; // undefined, bigint, symbol, function
  }
}

function isEnvelope(json) {
  return json !== null && typeof json === 'object' && !Array.isArray(json) && json[ENVELOPE_KEY] === ENVELOPE_KIND;
}

/**
 * `value` as a JSON-able value for BullMQ. `what` names it in a
 * DataCloneError ("task data", "the task result").
 */
function toJob(value, what) {
  if (isLosslessJSON(value, new Set()) && !(value !== null && typeof value === 'object' && Object.hasOwn(value, ENVELOPE_KEY))) {
    return value;
  }
  return { [ENVELOPE_KEY]: ENVELOPE_KIND, base64: encode(value, what).toString('base64') };
}

/** The value `toJob` stored. */
function fromJob(json) {
  if (!isEnvelope(json)) return json;
  const bytes = Buffer.from(json.base64, 'base64');
  return decode(bytes, 0, bytes.length);
}

/** An error as a string for the job's hash: the codec keeps its class, message, stack and own properties. */
function errorToString(err) {
  // isNativeError: an error from another realm (the pool's, under jest) fails the codec's instanceof Error.
  return (isNativeError(err) ? encodeError(err) : encode(err, 'the task error')).toString('base64');
}

function errorFromString(text) {
  const bytes = Buffer.from(text, 'base64');
  return decode(bytes, 0, bytes.length);
}

module.exports = { toJob, fromJob, errorToString, errorFromString, isLosslessJSON };
