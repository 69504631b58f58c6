'use strict';
/**
 * Task output, inside a WorkerPool worker. Node sends a worker's stdout and stderr to the main thread
 * itself, but holds each write until the main thread has acknowledged the
 * one before, and the acknowledgement needs this thread's event loop: a
 * task's later lines arrived after its result, or never (the process ended
 * on the result). Here each write goes at once over the control port, in
 * order, and `written[0] = 1` tells the pool to read this port before it
 * settles the task that wrote (the message is queued before the completion).
 * Tasks that write nothing cost nothing: the streams are patched when first
 * used.
 *
 * No backpressure: each write's callback runs at once, so a worker that
 * writes faster than the main thread writes out grows the main thread's
 * queue without bound. Node's own worker stdio holds the callback until the
 * main thread acknowledges, but then later writes wait in the stream and
 * follow the task's result, the loss this file exists to prevent; a bound
 * that keeps the order would have to post what the stream holds before the
 * task completes, which needs the stream's internals.
 */

/**
 * What to post for `chunk`: a Buffer that views part of a larger ArrayBuffer
 * (a slice, or a small Buffer from Node's 8 KB pool) is copied into one of its
 * own size, since postMessage clones a view's whole ArrayBuffer.
 */
function own(chunk) {
  if (typeof chunk === 'string' || (chunk.byteOffset === 0 && chunk.byteLength === chunk.buffer.byteLength)) return chunk;
  const copy = new Uint8Array(chunk.byteLength);
  copy.set(chunk);
  return copy;
}

/** Sends `process[name]`'s writes over `control`, flagging each in `written[0]`. */
function captureStream(name, control, written) {
  const post = (chunks) => {
    control.postMessage({ type: 'stdio', name, chunks });
    Atomics.store(written, 0, 1);
  };
  const desc = Object.getOwnPropertyDescriptor(process, name);
  if (typeof desc?.get !== 'function' || !desc.configurable) return;
  let stream;
  Object.defineProperty(process, name, {
    configurable: true,
    enumerable: desc.enumerable,
    get() {
      if (stream === undefined) {
        stream = desc.get.call(process);
        stream._write = (chunk, encoding, cb) => {
          post([{ chunk: own(chunk), encoding }]);
          cb();
        };
        stream._writev = (chunks, cb) => {
          post(chunks.map((c) => ({ chunk: own(c.chunk), encoding: c.encoding })));
          cb();
        };
      }
      return stream;
    },
  });
}

/** Captures this worker's stdout and stderr (see above). */
function captureStdio(control, written) {
  captureStream('stdout', control, written);
  captureStream('stderr', control, written);
}

module.exports = { captureStdio };
