// @ts-check
'use strict';
/**
 * The worker's task loop: it pulls tasks from the pool's native queue itself
 * (no hop through the main thread), runs them one at a time, and hands
 * results back to the native completion queue (results.js).
 *
 * - When the queue is empty it may spin briefly (adaptive, only with a core
 *   idle: native poolSpin, src/spin.rs), then blocks in a futex wait for
 *   0.25 ms, then waits with `Atomics.waitAsync` on the pool's doorbell, so
 *   its event loop stays free for timers and I/O (see `waitForWork`).
 * - After an async task it goes back to the queue when the task settles; with
 *   concurrentTasksPerWorker > 1 it takes the next one at once while fewer
 *   than that many are in flight (loopShared).
 * - It yields to its event loop every few milliseconds even when the queue
 *   never empties, so abort messages and the user's timers still run.
 */

const wt = require('node:worker_threads');
const { MSG } = require('../messages.js');
const { native, pool, slot, control, doorbell, leave, internal } = require('./thread.js');
const { waker } = require('../doorbell.js');
const { STATUS_NO_TASK: EMPTY, TAKE_STRIDE, TAKE_ID, TAKE_NAME, BELL_SEQ: SEQ, BELL_SLEEPERS: SLEEPERS } = native;
/** Wakes up to `count` workers waiting on the doorbell, counting them out (doorbell.js). */
const wakeSleepers = waker(native);
const { encode, decode, isDirect, DIRECT_LEN, jobIdOf, JOB_TAG } = require('../../codec/index.js');
const { fnFor, isThenable } = require('./load.js');
const { TaskContext } = require('./task-context.js');
const { complete } = require('./results.js');
const { T } = require('../../codec/tags.js');

/**
 * direct-data.js, loaded with the first direct task: most workers never see
 * one, and each module a worker loads costs it memory (bench M1).
 * @returns {typeof import('./direct-data.js')}
 */
const directData = () => require('./direct-data.js');
/**
 * stream.js, loaded with the first pool.stream() task (bench M1, as above).
 * @returns {typeof import('./stream.js')}
 */
const streams = () => require('./stream.js');

const YIELD_EVERY_MS = 4;
const SPIN_WAIT_MS = 0.25;
/** The workers' full spin (spinStats()[5], µs) in ms: the first step of a futex wait. */
const FULL_SPIN_MS = native.spinStats()[5] / 1000;
/** This worker's last sleep on the doorbell ended within FULL_SPIN_MS (poolSpin's `wokeSoon`). */
let wokeSoon = false;

const meta = new Float64Array(TAKE_STRIDE);
const SCRATCH_SIZE = 16 * 1024;
let scratch = Buffer.allocUnsafeSlow(SCRATCH_SIZE);
/** The task running now (controller made on demand). @type {import('./task-context.js').RunningTask | null} */
let current = null;
/** Tasks this worker may run at once (concurrentTasksPerWorker). */
const LIMIT = internal.concurrency ?? 1;
/** With LIMIT > 1: the async tasks in flight, by id (`current` is only the last one started). */
const runningById = new Map();

/**
 * A message from the pool on the control port.
 * @param {import('../messages.js').PoolToWorkerMessage} msg
 */
function onControl(msg) {
  if (msg === null || typeof msg !== 'object') return;
  if (msg.type === MSG.MAILBOX) {
    directData().useMailbox(msg.port);
  } else if (msg.type === MSG.ABORT) {
    // This thread is back on its event loop: it is not stuck, its other tasks go on (poolMustStop).
    if (LIMIT > 1) native.poolAbortSeen(pool, slot, msg.id);
    const task = LIMIT === 1 ? current : runningById.get(msg.id);
    if (task && task.id === msg.id) {
      task.abortReason = new Error(msg.reason ?? 'aborted');
      task.controller?.abort(task.abortReason);
      if (task.stream) streams().stop(task);
      if (LIMIT > 1) setTimeout(abandon, internal.abortGrace, task).unref();
    }
  }
}

/**
 * A direct task (its data is held by the mailbox thread: it has a transfer
 * list, or holds SharedArrayBuffers or ports that only postMessage can
 * carry): this worker took it from the queue, so it asks for the data now.
 * @param {number} id
 * @param {number} nameId
 * @param {unknown} traceContext
 * @param {number} highWaterMark > 0 for a pool.stream() task
 * @returns {Promise<void>}
 */
function fetchAndRun(id, nameId, traceContext, highWaterMark) {
  current = { id, controller: undefined, abortReason: undefined, jobId: undefined, traceContext };
  if (LIMIT > 1) runningById.set(id, current);
  // The pool posted this worker's mailbox port before it queued the task:
  // take it (and anything before it) off the control port now, whether or
  // not this thread's event loop has run since.
  for (let m; (m = wt.receiveMessageOnPort(control)) !== undefined;) onControl(m.message);
  return directData()
    .fetchData(id)
    .then((msg) => {
      if (LIMIT > 1) runningById.delete(id); // start() lists it again if it goes async
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
      return start(id, nameId, -1, msg.data, traceContext, 0, highWaterMark);
    });
}

/**
 * Runs one task; returns a promise if it is async. Its payload (`scratch[0..len)`)
 * may start with a trace frame, then a stream mark, before its data.
 * @param {number} id
 * @param {number} nameId
 * @param {number} len the encoded data's length in `scratch`
 * @returns {Promise<void> | undefined}
 */
function run(id, nameId, len) {
  let at = 0;
  let traceContext;
  if (len > 0 && scratch[0] === T.TRACE) {
    try {
      // Loaded with the first traced task: most workers never see one (bench M1).
      const frame = require('../trace-frame.js').readTrace(scratch);
      at = frame.at;
      traceContext = frame.context;
    } catch (e) {
      complete(id, true, e);
      return undefined;
    }
  }
  let highWaterMark = 0;
  if (len - at > 1 && scratch[at] === T.STREAM) {
    const mark = require('../stream-frame.js').readStream(scratch, at);
    highWaterMark = mark.highWaterMark;
    at = mark.at;
  }
  if (len - at === DIRECT_LEN && isDirect(scratch, at)) return fetchAndRun(id, nameId, traceContext, highWaterMark);
  return start(id, nameId, len, undefined, traceContext, at, highWaterMark);
}

/**
 * Calls the task function; its data is in `scratch[at..len)`, or is `data` if `len` < 0.
 * @param {number} id
 * @param {number} nameId
 * @param {number} len
 * @param {unknown} data
 * @param {unknown} traceContext
 * @param {number} at
 * @param {number} highWaterMark > 0 for a pool.stream() task: what it returns is iterated (stream.js)
 * @returns {Promise<void> | undefined}
 */
function start(id, nameId, len, data, traceContext, at, highWaterMark) {
  // An abort that came while a direct task's data was fetched (fetchAndRun) still counts.
  const before = /** @type {import('./task-context.js').RunningTask | null} */ (LIMIT > 1 ? (runningById.get(id) ?? null) : current);
  const abortReason = before !== null && before.id === id ? before.abortReason : undefined;
  /** @type {import('./task-context.js').RunningTask} */
  const task = { id, controller: undefined, abortReason, jobId: undefined, traceContext };
  current = task;
  /** @type {any} */
  let result;
  try {
    if (len >= 0) {
      if (scratch[at] === JOB_TAG) task.jobId = jobIdOf(at === 0 ? scratch : scratch.subarray(at));
      data = decode(scratch, at, len);
    }
    result = fnFor(nameId)(data, new TaskContext(task));
  } catch (e) {
    current = null;
    complete(id, true, e);
    return undefined;
  }
  if (highWaterMark > 0) {
    if (LIMIT > 1) runningById.set(id, task);
    return streams().pump(task, result, highWaterMark, (rejected, v) => {
      current = null;
      if (LIMIT > 1) runningById.delete(id);
      complete(id, rejected, v);
    });
  }
  if (isThenable(result)) {
    if (LIMIT > 1) runningById.set(id, task);
    return Promise.resolve(result).then(
      (v) => {
        current = null;
        if (LIMIT > 1) runningById.delete(id);
        complete(id, false, v);
      },
      (e) => {
        current = null;
        if (LIMIT > 1) runningById.delete(id);
        complete(id, true, e);
      },
    );
  }
  current = null;
  complete(id, false, result);
  return undefined;
}

/**
 * Takes the next task into `meta` and `scratch`: its data's length, or a negative status.
 * @returns {number}
 */
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
 * @param {number} seen
 * @returns {boolean}
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
  // notify for nothing. A notify that wakes a sleeper ('ok') takes it off
  // SLEEPERS itself (awake), so a burst of submits notifies it only once; it
  // subtracts after the wake, so SLEEPERS is never below the real count.
  Atomics.add(doorbell, SLEEPERS, 1);
  // The futex wait's first FULL_SPIN_MS tell poolSpin whether a spin would
  // have caught this wake-up (its budget only learns from spins otherwise).
  let r = FULL_SPIN_MS > 0 ? Atomics.wait(doorbell, SEQ, seen, FULL_SPIN_MS) : 'timed-out';
  if (r !== 'timed-out') {
    wokeSoon = true;
    return awake(r);
  }
  r = Atomics.wait(doorbell, SEQ, seen, SPIN_WAIT_MS);
  if (r !== 'timed-out') return awake(r);
  const w = Atomics.waitAsync(doorbell, SEQ, seen);
  if (!w.async) return awake(/** @type {string} */ (w.value));
  if (LIMIT > 1) {
    bellWait = true;
    w.value.then(rangShared);
    return false;
  }
  w.value.then((got) => {
    awake(got);
    loop();
  });
  return false;
}

/**
 * This worker left its wait on the doorbell: it counts itself out of
 * SLEEPERS, unless a notify woke it ('ok'): the notifier did (waitForWork).
 * @param {string} [how] the wait's result
 * @returns {true}
 */
function awake(how) {
  if (how !== 'ok') Atomics.sub(doorbell, SLEEPERS, 1);
  return true;
}

// With LIMIT > 1, loopShared() replaces loop(): an async task does not hold
// it, it takes the next task while fewer than LIMIT are in flight. The same
// stack rule holds: it re-enters only from a fresh stack (a task's settle,
// setImmediate, the doorbell), and only through resume(), so at most one run
// of it is scheduled at a time (`parked` is false while one is).
let inflight = 0;
let parked = true;
/** An Atomics.waitAsync on the doorbell is outstanding (at most one). */
let bellWait = false;
/** The pool told this worker to leave while tasks were in flight: it leaves when they are done. */
let leaving = false;
/**
 * When this thread's event loop last ran, and tasks taken since. Kept across
 * runs of loopShared(): tasks that settle in a microtask resume it from a
 * microtask, so a count per run would never reach the yield.
 */
let sliceStart = Date.now();
let sliceTasks = 0;

/** Runs loopShared() unless a run of it is already scheduled. */
function resume() {
  if (!parked || leaving) return;
  parked = false;
  loopShared();
}

function loopShared() {
  for (;;) {
    if (inflight >= LIMIT) return void (parked = true); // a settle resumes it
    let n = take();
    if (n === EMPTY) {
      const seen = Atomics.load(doorbell, SEQ);
      n = take();
      if (n === EMPTY) {
        // While tasks are in flight, wait only asynchronously: a spin or a
        // futex wait would hold up their callbacks. A settle resumes us too.
        // A wait already outstanding stays the only one (it rings resume()).
        const woke = !bellWait && (inflight === 0 ? waitForWork(seen) : waitBell(seen));
        if (!woke) return void (parked = true);
        continue;
      }
    }
    if (n < 0) {
      leaving = true;
      if (inflight === 0) leave();
      return;
    }
    const id = meta[TAKE_ID];
    const pending = run(id, meta[TAKE_NAME], n);
    if (pending) {
      inflight++;
      const settled = () => settledShared(id);
      pending.then(settled, settled);
    }
    if ((++sliceTasks & 15) === 0 && Date.now() - sliceStart >= YIELD_EVERY_MS) return void setImmediate(afterYield);
  }
}

/** loopShared() again, after this thread's event loop ran (timers, abort messages). */
function afterYield() {
  sliceStart = Date.now();
  loopShared();
}

/**
 * Registers an asynchronous wait on the doorbell: true if it already moved
 * past `seen` (take again), false if the wait is outstanding.
 * @param {number} seen
 * @returns {boolean}
 */
function waitBell(seen) {
  Atomics.add(doorbell, SLEEPERS, 1);
  const w = Atomics.waitAsync(doorbell, SEQ, seen);
  if (!w.async) return awake(/** @type {string} */ (w.value));
  bellWait = true;
  w.value.then(rangShared);
  return false;
}

/** Tasks that gave up their slot (abandon) and have not returned yet. @type {Set<number>} */
const abandoned = new Set();

/**
 * An aborted task that still runs after abortGrace, on this worker that saw
 * the abort: it gives up its slot (natively too), so a task that never
 * returns cannot take the worker's slots for good. It no longer counts.
 * @param {import('./task-context.js').RunningTask} task
 */
function abandon(task) {
  if (runningById.get(task.id) !== task || !native.poolAbandon(pool, slot, task.id)) return;
  runningById.delete(task.id);
  abandoned.add(task.id);
  inflight--;
  if (leaving) {
    if (inflight === 0) leave();
  } else resume();
}

/**
 * The doorbell rang for this worker (loopShared's wait).
 * @param {string} how the wait's result
 */
function rangShared(how) {
  awake(how);
  bellWait = false;
  sliceStart = Date.now();
  // A submit wakes one sleeper: if this worker cannot take now, pass the wake-up on (counting it out, as a submit does).
  if (inflight >= LIMIT || leaving) {
    wakeSleepers(doorbell, 1);
  } else resume();
}

/**
 * An async task of loopShared() settled (its result is handed over).
 * @param {number} id
 */
function settledShared(id) {
  if (abandoned.delete(id)) return; // no longer counted
  inflight--;
  if (leaving) {
    if (inflight === 0) leave();
    return;
  }
  resume();
}

module.exports = { loop: LIMIT === 1 ? loop : resume, onControl };
