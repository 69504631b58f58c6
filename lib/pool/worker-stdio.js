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
 */

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
          post([{ chunk, encoding }]);
          cb();
        };
        stream._writev = (chunks, cb) => {
          post(chunks.map((c) => ({ chunk: c.chunk, encoding: c.encoding })));
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
