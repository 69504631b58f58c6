// @ts-check
'use strict';
/**
 * The thread entry of every WorkerPool worker (lifecycle.js starts each
 * worker with this file's path). It sets the thread up, loads the user's
 * script, then runs the task loop. The worker side, by concept, in worker/:
 *
 * - thread.js: what the pool gave this thread (the addon, its handles);
 * - load.js: loading the task script and finding its task functions;
 * - seed-form.js: the seed documents' form (`parentPort` messages);
 * - task-loop.js: taking and running tasks, and waiting for work (spin,
 *   futex, waitAsync, the doorbell's sleeper count);
 * - task-context.js: a task's context (signal, jobId, move);
 * - results.js: encoding results into the completion queue;
 * - direct-data.js: fetching a direct task's data from the mailbox thread.
 *
 * The control port carries abort requests, and the worker's port to the
 * pool's mailbox thread (mailbox-thread.js). It also keeps the thread alive
 * while it waits for work.
 */

const wt = require('node:worker_threads');
// Before workerData is handed to the script: thread.js reads the pool's part of it.
const { native, internal, user, pool, slot, control, leave } = require('./worker/thread.js');
const { MSG } = require('./messages.js');
const { esmHooksGiven, loadTaskScript } = require('./worker/load.js');
const { loop, onControl } = require('./worker/task-loop.js');

/** @type {{ workerData: unknown }} */ (wt).workerData = user;
// `import { workerData } from 'node:worker_threads'` reads a facade that Node
// builds on the first ESM import of the module, from the values at that
// moment. Only a preload (--import) can have built it before the line above;
// otherwise it does not exist yet and will see `user`. node:module is not
// loaded when it is not needed (memory per worker).
if (esmHooksGiven()) require('node:module').syncBuiltinESMExports();

if (internal.niceIncrement > 0) native.poolNiceCurrentThread(internal.niceIncrement);

control.on('message', onControl);

captureStdio();

/**
 * Task output goes over the control port, ahead of the task's completion
 * (worker-stdio.js). Node makes `process.stdout` and `process.stderr` on
 * first use; these getters patch each stream then, and the stream loads
 * worker-stdio.js on its first write: a worker that never writes does not pay
 * for the module (memory per worker, bench M1).
 */
function captureStdio() {
  const written = new Int32Array(internal.stdio);
  for (const name of /** @type {const} */ (['stdout', 'stderr'])) {
    const desc = Object.getOwnPropertyDescriptor(process, name);
    if (typeof desc?.get !== 'function' || !desc.configurable) continue;
    /** @type {NodeJS.WriteStream & { _write?: Function, _writev?: Function } | undefined} */
    let stream;
    /** @type {ReturnType<typeof import('./worker-stdio.js').captureStream> | undefined} */
    let out;
    const capture = () => (out ??= require('./worker-stdio.js').captureStream(name, control, written));
    Object.defineProperty(process, name, {
      configurable: true,
      enumerable: desc.enumerable,
      get() {
        if (stream === undefined) {
          stream = desc.get.call(process);
          stream._write = (/** @type {any} */ chunk, /** @type {BufferEncoding} */ encoding, /** @type {() => void} */ cb) =>
            capture().write(chunk, encoding, cb);
          stream._writev = (/** @type {any} */ chunks, /** @type {() => void} */ cb) => capture().writev(chunks, cb);
        }
        return stream;
      },
    });
  }
}

/** Loads the script, registers with the pool and starts taking tasks. */
async function start() {
  await loadTaskScript();
  if (!native.poolWorkerRegister(pool, slot)) {
    // The pool was terminated while this worker started.
    return leave();
  }
  control.postMessage({ type: MSG.READY });
  loop();
}

start().catch((e) => {
  // Reaches the pool as the worker's 'error' event: a start-up failure.
  setImmediate(() => {
    throw e;
  });
});
