'use strict';
/**
 * The code that runs inside every WorkerPool worker.
 *
 * It loads the user's script, then pulls tasks from the pool's native queue
 * itself (no hop through the main thread), runs them one at a time, and hands
 * results back to the native completion queue.
 *
 * - When the queue is empty it may spin briefly (adaptive, only with a core
 *   idle: native poolSpin, src/spin.rs), then blocks in a futex wait for
 *   0.25 ms, then waits with `Atomics.waitAsync` on the pool's doorbell, so
 *   its event loop stays free for timers and I/O (see `waitForWork`).
 * - After an async task it goes back to the queue when the task settles.
 * - It yields to its event loop every few milliseconds even when the queue
 *   never empties, so abort messages and the user's timers still run.
 * - The control port carries abort requests, and the worker's port to the
 *   pool's mailbox thread (mailbox-thread.js), which holds the data of direct tasks
 *   (a transfer list, or shared memory: only postMessage carries those); the
 *   worker asks it for the data when it takes such a task from the queue.
 *   The control port also keeps the thread alive while it waits for work.
 *
 * Script forms: a function as the default export or `module.exports` (or a
 * Promise of one: an async loaded script), named exported functions (picked
 * with `execute(data, { name })`), or the seed
 * documents' form: the script listens on `parentPort` for `{ taskId, data }`
 * and replies `{ taskId, data }` or `{ taskId, error }`. For that form the
 * worker emits each task on `parentPort` and catches the reply in
 * `parentPort.postMessage`, so the script runs unchanged.
 */

const wt = require('node:worker_threads');
const { MSG } = require('./messages.js');
const fs = require('node:fs');
const path = require('node:path');
const wtInternal = require('node:worker_threads').workerData.internal;
// The addon file the main thread loaded, required directly: napi-rs' loader
// (native.js) probes the platform on every load, which costs each worker
// memory and start-up time.
const native = wtInternal.addon ? require(wtInternal.addon) : require('../native.js');
const { STATUS_NO_TASK: EMPTY, TAKE_STRIDE, TAKE_ID, TAKE_NAME, BELL_SEQ: SEQ, BELL_SLEEPERS: SLEEPERS } = native;
const { encode, encodeDirect, decode, isDirect, DIRECT_LEN, jobIdOf, JOB_TAG } = require('../codec/index.js');

const { internal, user } = wt.workerData;
wt.workerData = user;
// `import { workerData } from 'node:worker_threads'` reads a facade that Node
// builds on the first ESM import of the module, from the values at that
// moment. Only a preload (--import) can have built it before the line above;
// otherwise it does not exist yet and will see `user`. node:module is not
// loaded when it is not needed (memory per worker).
if (esmHooksGiven()) require('node:module').syncBuiltinESMExports();

const { pool, slot, bell, script, control, niceIncrement, stdio } = internal;
if (niceIncrement > 0) native.poolNiceCurrentThread(niceIncrement);
const doorbell = new Int32Array(bell); // [sequence, sleepers] (src/spin.rs: BELL_*)
const YIELD_EVERY_MS = 4;
const SPIN_WAIT_MS = 0.25;
/** The workers' full spin (spinStats()[5], µs) in ms: the first step of a futex wait. */
const FULL_SPIN_MS = native.spinStats()[5] / 1000;
/** This worker's last sleep on the doorbell ended within FULL_SPIN_MS (poolSpin's `wokeSoon`). */
let wokeSoon = false;

const meta = new Float64Array(TAKE_STRIDE);
let scratch = Buffer.allocUnsafeSlow(16 * 1024); // see SCRATCH_SIZE
let mod = null;
const fnCache = new Map();
let seedMode = false;
/** Seed-form tasks in flight: taskId -> settle(reply). */
const seedReplies = new Map();
/** The task running now: { id, controller } (controller made on demand). */
let current = null;

/** A result to be moved, not copied: what `context.move` returns. */
class Moved {
  constructor(value, transfer) {
    this.value = value;
    this.transfer = transfer;
  }
}

/** The second argument of every task function. */
class TaskContext {
  #task;
  constructor(task) {
    this.#task = task;
  }
  /**
   * Wraps a result so that the ArrayBuffers (or MessagePorts) in `transfer`
   * move to the caller instead of being copied. Without `transfer`, `value`
   * must be an ArrayBuffer or a view on one, and that buffer moves.
   */
  move(value, transfer) {
    return new Moved(value, transferList(value, transfer));
  }
  /**
   * The id of the BullMQ job this task runs for, when threadkit/bullmq's
   * serve() submitted it (a job may run more than once: task code can use
   * the id to be idempotent); undefined for every other task.
   */
  get jobId() {
    return this.#task.jobId;
  }
  /** Aborted when the caller aborts the task; stop soon after. */
  get signal() {
    const t = this.#task;
    t.controller ??= new AbortController();
    if (t.abortReason !== undefined) t.controller.abort(t.abortReason);
    return t.controller.signal;
  }
}

/** Direct tasks whose data was asked of the mailbox: id -> { resolve(message), port }. */
const fetching = new Map();
/** This worker's port to the pool's mailbox thread (given once the pool has one). */
let mailbox = null;

function onControl(msg) {
  if (msg === null || typeof msg !== 'object') return;
  if (msg.type === MSG.MAILBOX) {
    mailbox?.close();
    const port = msg.port;
    mailbox = port;
    port.on('message', onPayload);
    // The mailbox thread exited: the data it held is gone.
    port.on('close', () => {
      for (const [id, f] of fetching) {
        if (f.port !== port) continue;
        fetching.delete(id);
        f.resolve({ lost: true });
      }
    });
    port.unref();
  } else if (msg.type === MSG.ABORT && current && current.id === msg.id) {
    current.abortReason = new Error(msg.reason ?? 'aborted');
    current.controller?.abort(current.abortReason);
  }
}

function onPayload(msg) {
  const f = fetching.get(msg.id);
  fetching.delete(msg.id);
  f?.resolve(msg);
}

control.on('message', onControl);

// Task output goes over the control port, ahead of the task's completion.
require('./worker-stdio.js').captureStdio(control, new Int32Array(stdio));

function patchParentPort() {
  const port = wt.parentPort;
  const post = port.postMessage.bind(port);
  port.postMessage = function postMessage(msg, transfer) {
    if (msg !== null && typeof msg === 'object' && seedReplies.has(msg.taskId)) {
      const settle = seedReplies.get(msg.taskId);
      seedReplies.delete(msg.taskId);
      settle(msg, transfer);
      return;
    }
    return post(msg, transfer);
  };
}

function seedTask(data) {
  const taskId = current.id;
  return new Promise((resolve, reject) => {
    seedReplies.set(taskId, (msg, transfer) => {
      if ('error' in msg && msg.error !== undefined) reject(msg.error);
      else {
        // A transfer list (or { transfer }) moves the reply's buffers, as postMessage would.
        const list = Array.isArray(transfer) ? transfer : transfer?.transfer;
        resolve(Array.isArray(list) && list.length > 0 ? new Moved(msg.data, list) : msg.data);
      }
    });
    wt.parentPort.emit('message', { taskId, data });
  });
}

function isFunction(f) {
  return typeof f === 'function';
}

function defaultFunction() {
  if (isFunction(mod.default)) return mod.default;
  if (mod.default && isFunction(mod.default.default)) return mod.default.default; // transpiled ESM in CJS
  if (seedMode) return seedTask;
  return null;
}

function fnFor(nameId) {
  let fn = fnCache.get(nameId);
  if (fn) return fn;
  if (nameId === 0) {
    fn = defaultFunction();
  } else {
    const name = native.poolNameOf(pool, nameId);
    fn =
      name !== null && isFunction(mod[name]) ? mod[name] : name !== null && mod.default && isFunction(mod.default[name]) ? mod.default[name] : null;
    if (!fn) throw new TypeError(`worker script ${script} has no exported function named "${name}"`);
  }
  if (!fn) {
    throw new TypeError(
      `worker script ${script} has no default task function (module.exports = fn or export default fn); call execute(data, { name }) to pick a named export`,
    );
  }
  fnCache.set(nameId, fn);
  return fn;
}

/** The transfer list of `move(value, transfer)`, checked. */
function transferList(value, transfer) {
  if (transfer === undefined) {
    if (value instanceof ArrayBuffer) return [value];
    if (ArrayBuffer.isView(value) && value.buffer instanceof ArrayBuffer) return [value.buffer];
    throw new TypeError(
      'move(value) without a transfer list needs an ArrayBuffer or a typed array on one; pass the list: move(value, [buffer, ...])',
    );
  }
  if (!Array.isArray(transfer))
    throw new TypeError(`move(value, transfer): transfer must be an array of ArrayBuffers or MessagePorts, got ${typeof transfer}`);
  return transfer;
}

function complete(id, rejected, value) {
  if (value instanceof Moved) {
    const refused = sendDirect(id, rejected, value.value, value.transfer);
    if (refused === undefined) {
      native.poolComplete(pool, slot, id, rejected, encodeDirect());
      return;
    }
    // Not transferable (say, a buffer listed twice): say why.
    const { DataCloneError } = require('../errors.js');
    const why = String(refused?.message ?? refused).slice(0, 160);
    value = new DataCloneError(`the task result cannot be moved to the main thread: ${why}`, { cause: refused });
    rejected = true;
  }
  let bytes;
  try {
    bytes = encode(value, rejected ? 'the task error' : 'the task result');
  } catch (e) {
    if (e?.code === 'ERR_THREADKIT_DATA_CLONE' && sendDirect(id, rejected, value) === undefined) {
      bytes = encodeDirect();
    } else {
      rejected = true;
      bytes = encode(e);
    }
  }
  native.poolComplete(pool, slot, id, rejected, bytes);
}

/**
 * A result that v8.serialize refuses but postMessage can carry (it holds a
 * SharedArrayBuffer, or a typed array on one) goes over the control port; the
 * completion queue gets the one-byte direct placeholder. The message is
 * posted first, so the main thread has it queued before it can see the
 * completion. Returns postMessage's error if it refuses the value too (a
 * function, a symbol, a port that no transfer list names), else undefined.
 */
function sendDirect(id, rejected, value, transfer) {
  try {
    control.postMessage({ type: MSG.RESULT, id, rejected, value }, transfer);
    return undefined;
  } catch (e) {
    return e;
  }
}

/**
 * A direct task (its data is held by the mailbox thread: it has a transfer
 * list, or holds SharedArrayBuffers or ports that only postMessage can
 * carry): this worker took it from the queue, so it asks for the data now.
 */
function fetchAndRun(id, nameId) {
  current = { id, controller: undefined, abortReason: undefined, jobId: undefined };
  // The pool posted this worker's mailbox port before it queued the task:
  // take it (and anything before it) off the control port now, whether or
  // not this thread's event loop has run since.
  for (let m; (m = wt.receiveMessageOnPort(control)) !== undefined;) onControl(m.message);
  return new Promise((resolve) => {
    if (mailbox === null) return resolve({ lost: true });
    fetching.set(id, { resolve, port: mailbox });
    mailbox.postMessage({ type: MSG.FETCH, id });
  }).then((msg) => {
    if (msg.lost) {
      current = null;
      complete(id, true, new Error("the task's data was lost: the pool's mailbox thread exited"));
      return undefined;
    }
    if (msg.gone) {
      // Settled meanwhile (aborted, or the pool is going away): just clear the record.
      current = null;
      native.poolComplete(pool, slot, id, true, encode(undefined));
      return undefined;
    }
    native.poolStartClock(pool, slot, id); // its timeout counts from now, not from the take
    return run(id, nameId, -1, msg.data);
  });
}

/** Runs one task; returns a promise if it is async. `len` < 0: `data` is already decoded. */
function run(id, nameId, len, data) {
  if (len === DIRECT_LEN && isDirect(scratch)) return fetchAndRun(id, nameId);
  const task = { id, controller: undefined, abortReason: undefined, jobId: undefined };
  current = task;
  let result;
  try {
    if (len >= 0) {
      if (scratch[0] === JOB_TAG) task.jobId = jobIdOf(scratch);
      data = decode(scratch, 0, len);
    }
    result = fnFor(nameId)(data, new TaskContext(task));
  } catch (e) {
    current = null;
    complete(id, true, e);
    return undefined;
  }
  if (result !== null && (typeof result === 'object' || typeof result === 'function') && isFunction(result.then)) {
    return Promise.resolve(result).then(
      (v) => {
        current = null;
        complete(id, false, v);
      },
      (e) => {
        current = null;
        complete(id, true, e);
      },
    );
  }
  current = null;
  complete(id, false, result);
  return undefined;
}

const SCRATCH_SIZE = 16 * 1024;

function take() {
  let n = native.poolTake(pool, slot, meta, scratch);
  if (n > scratch.length) {
    scratch = Buffer.allocUnsafeSlow(n);
    native.poolTakeRest(pool, slot, scratch);
  } else if (n >= 0 && n <= SCRATCH_SIZE && scratch.length > 64 * SCRATCH_SIZE) {
    // Give back the memory of an earlier huge payload.
    const small = Buffer.allocUnsafeSlow(SCRATCH_SIZE);
    scratch.copy(small, 0, 0, n);
    scratch = small;
  }
  return n;
}

// loop() is the worker's one task loop: it takes and runs tasks, and waits in
// place when the queue is empty. It must not call itself (or a helper that
// calls it) synchronously: a worker woken for task after task would grow its
// stack by a few frames per task until it overflows. It re-enters only from a
// fresh stack: a task's promise, setImmediate, or Atomics.waitAsync.
function loop() {
  let started = Date.now();
  for (let i = 0; ; i++) {
    let n = take();
    if (n === EMPTY) {
      const seen = Atomics.load(doorbell, SEQ);
      // Work pushed before we read the sequence would not ring for us.
      n = take();
      if (n === EMPTY) {
        if (!waitForWork(seen)) return;
        started = Date.now();
        i = -1;
        continue;
      }
    }
    if (n < 0) return leave();
    const pending = run(meta[TAKE_ID], meta[TAKE_NAME], n);
    if (pending) return void pending.then(loop);
    if ((i & 15) === 15 && Date.now() - started >= YIELD_EVERY_MS) return void setImmediate(loop);
  }
}

/**
 * Waits for the doorbell to move past `seen`. Returns true when it rang while
 * this thread waited synchronously (the caller goes on taking), false when the
 * wait went asynchronous (loop() runs again from Atomics.waitAsync).
 */
function waitForWork(seen) {
  // Wait in three steps, cheapest wake-up first. The next task of a caller
  // that awaits each result arrives a few tens of microseconds after the last
  // one finished: a spin catches it with no wake-up at all. poolSpin spins in
  // native code, within the process-wide spin cap and only while a core is
  // idle, and halves its budget on every miss (src/spin.rs). Then a futex
  // wait of SPIN_WAIT_MS (a futex wake-up is much quicker than an event-loop
  // one), then Atomics.waitAsync, which leaves this thread's event loop free.
  const spun = native.poolSpin(pool, doorbell, seen, wokeSoon);
  wokeSoon = false;
  if (spun) return true;
  // No lost wake-up although a submit notifies only when SLEEPERS > 0: all
  // four accesses are sequentially consistent. This thread adds to SLEEPERS,
  // then (inside Atomics.wait / waitAsync, under the waiter list's lock)
  // compares SEQ with `seen`; a submitter adds to SEQ, then reads SLEEPERS
  // and notifies (under the same lock). If the submitter read SLEEPERS before
  // our increment, its SEQ increment came earlier still, so the wait sees
  // SEQ !== seen and returns at once; otherwise it sees SLEEPERS > 0 and
  // notifies, either a waiter already listed or, if it comes first, a wait
  // that will then see the new SEQ. A sleeper counted too long only costs a
  // notify for nothing.
  Atomics.add(doorbell, SLEEPERS, 1);
  // The futex wait's first FULL_SPIN_MS tell poolSpin whether a spin would
  // have caught this wake-up (its budget only learns from spins otherwise).
  if (FULL_SPIN_MS > 0 && Atomics.wait(doorbell, SEQ, seen, FULL_SPIN_MS) !== 'timed-out') {
    wokeSoon = true;
    return awake();
  }
  if (Atomics.wait(doorbell, SEQ, seen, SPIN_WAIT_MS) !== 'timed-out') return awake();
  const w = Atomics.waitAsync(doorbell, SEQ, seen);
  if (!w.async) return awake();
  w.value.then(() => {
    awake();
    loop();
  });
  return false;
}

/** This worker left its wait on the doorbell. */
function awake() {
  Atomics.sub(doorbell, SLEEPERS, 1);
  return true;
}

function leave() {
  control.close();
  process.exit(0);
}

/**
 * Whether the worker runs with ESM loader hooks or preloads, or with flags
 * that change which files are ESM (in execArgv or NODE_OPTIONS).
 */
function esmHooksGiven() {
  const flag = /^--(?:import|loader|experimental-loader|experimental-default-type|experimental-detect-module)(?:=|$)/;
  const nodeOptions = process.env.NODE_OPTIONS;
  return process.execArgv.some((a) => flag.test(a)) || (typeof nodeOptions === 'string' && nodeOptions.split(/\s+/).some((a) => flag.test(a)));
}

/** Whether Node treats `file` as CommonJS: `.cjs`, or `.js` whose nearest package.json does not say "type": "module". */
function isCommonJS(file) {
  if (file.endsWith('.cjs')) return true;
  if (!file.endsWith('.js')) return false;
  for (let dir = path.dirname(file); ;) {
    let text = null;
    try {
      text = fs.readFileSync(path.join(dir, 'package.json'), 'utf8');
    } catch {
      // none here: look further up
    }
    if (text !== null) {
      try {
        return JSON.parse(text).type !== 'module';
      } catch {
        return false; // let import() report the broken package.json
      }
    }
    const up = path.dirname(dir);
    if (up === dir || path.basename(dir) === 'node_modules') return true;
    dir = up;
  }
}

/**
 * Whether a require hook is registered for `file`'s extension (`.ts` after
 * `--require tsx/cjs`, for instance): then require() is what loads it, and
 * import() would refuse the extension. `.js` and `.cjs` are Node's own.
 */
function requireHookFor(file) {
  const ext = path.extname(file);
  return ext !== '' && ext !== '.js' && ext !== '.cjs' && ext !== '.mjs' && Object.hasOwn(require.extensions, ext);
}

/**
 * Loads the user's script, as a module namespace (`{ default, ...named }`).
 *
 * CommonJS goes through require(): import() would start Node's ESM loader in
 * every worker, about 170 KB of heap and 160 KB of external memory each
 * (measured on Node 20), for nothing a CommonJS script needs. So does an
 * extension that a require hook handles (a .ts with `--require tsx/cjs`).
 * ESM, other extensions and any other script when ESM loader hooks or
 * preloads are given go through import(), so those hooks apply. A `.js`
 * file that Node itself decides is ESM (syntax detection on newer Node)
 * throws one of the two codes below before it runs, and goes to import().
 */
async function loadScript() {
  if ((!esmHooksGiven() && isCommonJS(script)) || requireHookFor(script)) {
    try {
      return { default: require(script) };
    } catch (e) {
      if (e?.code !== 'ERR_REQUIRE_ESM' && e?.code !== 'ERR_REQUIRE_ASYNC_MODULE') throw e;
    }
  }
  return import(require('node:url').pathToFileURL(script).href);
}

/**
 * An "async loaded" script exports a Promise of its task function (or of an
 * object of functions): `module.exports = load()` or `export default load()`.
 * The worker waits for it before it takes any task; a rejection is a start-up
 * failure, as a throw at import time is.
 */
async function resolveExports(ns) {
  const isThenable = (v) => v !== null && (typeof v === 'object' || typeof v === 'function') && isFunction(v.then);
  if (!isThenable(ns.default) && !isThenable(ns.default?.default)) return ns;
  const out = { ...ns, default: await ns.default };
  // Transpiled ESM in CommonJS: exports.default = load().
  if (isThenable(out.default?.default)) out.default = { ...out.default, default: await out.default.default };
  return out;
}

async function start() {
  patchParentPort();
  mod = await resolveExports(await loadScript());
  seedMode = !isFunction(mod.default) && wt.parentPort.listenerCount('message') > 0;
  if (!defaultFunction() && !Object.values(mod).some(isFunction) && !(mod.default && Object.values(mod.default).some(isFunction))) {
    throw new TypeError(
      `worker script ${script} exports no task function: export a function (module.exports = fn, or export default fn), named functions, or listen on parentPort for { taskId, data } messages`,
    );
  }
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
