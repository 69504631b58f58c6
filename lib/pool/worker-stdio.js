// @ts-check
'use strict';
/**
 * Task output, inside a WorkerPool worker. Node sends a worker's stdout and stderr to the main thread
 * itself, but holds each write until the main thread has acknowledged the
 * one before, and the acknowledgement needs this thread's event loop: a
 * task's later lines arrived after its result, or never (the process ended
 * on the result). Here each write goes at once over the control port, in
 * order, and `written[0] = 1` tells the pool to read this port before it
 * settles the task that wrote (the message is queued before the completion).
 * Tasks that write nothing cost nothing: the streams are patched, and this
 * module loaded, when first used (lib/pool/worker.js).
 *
 * Backpressure: `written[UNREAD]` counts the bytes posted and not yet
 * written out by the main thread. A write that would take it past MAX_UNREAD
 * blocks this thread until the main thread catches up, as a full pipe does
 * (holding the write's callback instead, as Node's worker stdio does, would
 * leave later writes in the stream, after the task's result). A write on its
 * own is never held, however large. The cost: a main thread that blocks
 * waiting for a worker which has MAX_UNREAD bytes of output unread waits
 * forever, as with a full pipe.
 */

const { MSG } = require('./messages.js');

/** @typedef {import('./messages.js').StdioChunk} StdioChunk */

const { WORDS } = require('./worker-words.js');

const { OUTPUT, UNREAD } = WORDS;
const MAX_UNREAD = 16 * 1024 * 1024;

/**
 * Main thread: it wrote out a message of `bytes` bytes; wakes a worker blocked on MAX_UNREAD.
 * @param {Int32Array} written
 * @param {number} bytes
 */
function outputWritten(written, bytes) {
  Atomics.sub(written, UNREAD, bytes);
  Atomics.notify(written, UNREAD);
}

/**
 * Bytes `chunks` count against MAX_UNREAD (a string's length, not its encoded size: a bound, not an account).
 * @param {StdioChunk[]} chunks
 * @returns {number}
 */
function sizeOf(chunks) {
  let n = 0;
  for (const c of chunks) n += typeof c.chunk === 'string' ? c.chunk.length : c.chunk.byteLength;
  return Math.min(n, MAX_UNREAD);
}

/**
 * What to post for `chunk`: a Buffer that views part of a larger ArrayBuffer
 * (a slice, or a small Buffer from Node's 8 KB pool) is copied into one of its
 * own size, since postMessage clones a view's whole ArrayBuffer.
 * @param {string | Uint8Array} chunk
 * @returns {string | Uint8Array}
 */
function own(chunk) {
  if (typeof chunk === 'string' || (chunk.byteOffset === 0 && chunk.byteLength === chunk.buffer.byteLength)) return chunk;
  const copy = new Uint8Array(chunk.byteLength);
  copy.set(chunk);
  return copy;
}

/**
 * A worker stream's writes (`process[name]`), sent over `control` and
 * flagged in `written[0]`: the `_write` and `_writev` of the stream.
 * lib/pool/worker.js patches the stream on its first use and loads this
 * module on its first write, so a worker that never writes does not load it.
 * (Node itself reaches for a worker's `process.stdout` when the main thread
 * reads the worker's output stream, which it may do at any time.)
 * @param {'stdout' | 'stderr'} name
 * @param {import('node:worker_threads').MessagePort} control
 * @param {Int32Array} written
 */
function captureStream(name, control, written) {
  /** @param {StdioChunk[]} chunks */
  const post = (chunks) => {
    const bytes = sizeOf(chunks);
    for (let u; (u = Atomics.load(written, UNREAD)) > 0 && u + bytes > MAX_UNREAD;) Atomics.wait(written, UNREAD, u);
    Atomics.add(written, UNREAD, bytes);
    control.postMessage(/** @type {import('./messages.js').StdioMessage} */ ({ type: MSG.STDIO, name, chunks, bytes }));
    Atomics.store(written, OUTPUT, 1);
  };
  return {
    /**
     * @param {string | Uint8Array} chunk
     * @param {BufferEncoding} encoding
     * @param {() => void} cb
     */
    write(chunk, encoding, cb) {
      post([{ chunk: own(chunk), encoding }]);
      cb();
    },
    /**
     * @param {Array<{ chunk: string | Uint8Array, encoding: BufferEncoding }>} chunks
     * @param {() => void} cb
     */
    writev(chunks, cb) {
      post(chunks.map((c) => ({ chunk: own(c.chunk), encoding: c.encoding })));
      cb();
    },
  };
}

module.exports = { captureStream, outputWritten, MAX_UNREAD };
