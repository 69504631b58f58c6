// @ts-check
'use strict';
/**
 * `v8.serialize` and `v8.deserialize`, with the two differences from
 * structured clone that matter to us fixed:
 *
 * - deserialize: every typed array, Buffer and DataView in the value owns
 *   its memory. Node's DefaultDeserializer returns an aligned typed array as
 *   a view into the bytes it was given. Our codecs decode out of scratch
 *   buffers that the next message overwrites, so such a view would change
 *   under its owner (every Uint8Array and Buffer, and the aligned wider
 *   arrays). Node copies the unaligned ones, but into its shared 8 KB Buffer
 *   pool, so their `.buffer` would hold other values' bytes. Each view gets
 *   an ArrayBuffer of its own, exactly its size.
 * - serialize: a typed array or DataView on a SharedArrayBuffer is refused,
 *   as a bare SharedArrayBuffer is. Node would copy its bytes, so the
 *   receiver would silently get a snapshot instead of the shared memory
 *   that structured clone gives. Refused, the value takes the caller's
 *   postMessage path where there is one (WorkerPool), or fails with a
 *   DataCloneError (shared channels), as a bare SharedArrayBuffer does.
 *
 * node:v8 is loaded on first use (see lib/codec/index.js for why).
 */

let classes = null;

function serialize(value) {
  classes ??= makeClasses();
  const s = new classes.Serializer();
  s.writeHeader();
  s.writeValue(value);
  return s.releaseBuffer();
}

function deserialize(bytes) {
  classes ??= makeClasses();
  const d = new classes.Deserializer(bytes);
  d.readHeader();
  return d.readValue();
}

function makeClasses() {
  const { DefaultSerializer, DefaultDeserializer } = require('node:v8');
  const { isSharedArrayBuffer, isDataView } = require('node:util').types;

  class StrictSerializer extends DefaultSerializer {
    _writeHostObject(view) {
      if (isSharedArrayBuffer(view.buffer)) {
        throw new TypeError(`#<${view.constructor.name}> on a SharedArrayBuffer could not be cloned by value (it would lose its shared memory).`);
      }
      // @ts-expect-error Node's own hook for ArrayBuffer views: in lib/v8.js, not in @types/node.
      return super._writeHostObject(view);
    }
  }

  class OwningDeserializer extends DefaultDeserializer {
    _readHostObject() {
      // @ts-expect-error Node's own hook (lib/v8.js), not in @types/node.
      const view = super._readHostObject();
      // Node's own copy of an unaligned view is a slice of its shared Buffer pool: copy that too.
      // @ts-expect-error `buffer`: the bytes being read, set by Node's Deserializer, not in @types/node.
      if (view.buffer !== this.buffer.buffer && view.byteOffset === 0 && view.buffer.byteLength === view.byteLength) return view;
      const bytes = new ArrayBuffer(view.byteLength);
      new Uint8Array(bytes).set(new Uint8Array(view.buffer, view.byteOffset, view.byteLength));
      if (isDataView(view)) return new DataView(bytes);
      if (Buffer.isBuffer(view)) return Buffer.from(bytes);
      return new view.constructor(bytes);
    }
  }

  return { Serializer: StrictSerializer, Deserializer: OwningDeserializer };
}

module.exports = { serialize, deserialize };
