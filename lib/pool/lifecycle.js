// @ts-check
'use strict';
/**
 * A WorkerPool's worker threads: spawn, control messages, exit (crash or
 * retirement), start-up failure, idle retirement and replacement. What state
 * each worker is in, and whether to start or retire one, is the native
 * core's (crates/core/src/task_queue/workers.rs): this module asks it, and
 * handles the threads' events.
 */

const { Worker, MessageChannel, receiveMessageOnPort } = require('node:worker_threads');
const path = require('node:path');
const native = require('../native.js');
const { waker } = require('./doorbell.js');
const { MSG } = require('./messages.js');
const { WorkerRecord } = require('./records.js');
const { clockMs } = require('../clock.js');
const { trimSoon } = require('./trim.js');
const { outputWritten } = require('./worker-stdio.js');
const { WORDS, WORKER_WORDS } = require('./worker-words.js');
const { settle, checkRoom } = require('./settle.js');
const { directResult, resultLost } = require('./direct.js');
const { WorkerCrashedError, TimeoutError } = require('../errors.js');
const { workerEntry } = require('./entry.js');
const { ringSent, workerGone } = require('./stream-rings.js');
const { ownerTag } = require('./stream-ring.js');

/** The addon file native.js loaded, for workers to load directly (null if not found). */
const ADDON = Object.keys(require.cache).find((k) => k.endsWith('.node') && path.basename(k).startsWith('threadkit.')) ?? null;
/** The doorbell's layout (src/spin.rs): the sequence word and the count of workers asleep on it. */
const { BELL_SEQ: SEQ, BELL_SLEEPERS, BELL_INTS } = native;
/** Wakes up to `count` workers waiting on a pool's doorbell, counting them out (doorbell.js). */
const wakeSleepers = waker(native);
/**
 * Not public API, for threadkit/bullmq's serve(): the mark of an error that
 * says the worker script could not start (`err[STARTUP_FAILED] === true`).
 */
const STARTUP_FAILED = Symbol('threadkit.startupFailed');

/** @typedef {import('./state.js').PoolState} PoolState */

/**
 * Starts a worker (the native core decided that the pool needs one).
 * @param {import('./state.js').PoolState} s
 */
function grow(s) {
  if (s.state === 'terminated') return;
  const err = spawn(s);
  if (err) startupFailed(s, err, undefined);
}

/**
 * Starts a worker if the native core says the pool needs one now.
 * @param {PoolState} s
 */
function growIfNeeded(s) {
  if (native.poolShouldStartWorker(s.id)) grow(s);
}

/**
 * Starts a worker. Returns the error if the Worker could not even be created (bad execArgv, env, workerData).
 * @param {PoolState} s
 * @returns {Error | null}
 */
function spawn(s) {
  const slot = s.nextSlot++;
  const { port1, port2 } = new MessageChannel();
  const stdio = new Int32Array(new SharedArrayBuffer(4 * WORKER_WORDS));
  const o = s.opts;
  let worker;
  try {
    worker = new Worker(workerEntry(), {
      workerData: {
        /** @type {import('./worker/thread.js').WorkerInternal} */
        internal: {
          pool: s.id,
          slot,
          bell: s.bell.buffer,
          script: s.script,
          source: s.source,
          control: port2,
          niceIncrement: o.niceIncrement,
          concurrency: o.concurrentTasksPerWorker,
          abortGrace: o.abortGrace,
          addon: ADDON,
          stdio: stdio.buffer,
        },
        user: o.workerData,
      },
      transferList: [port2],
      execArgv: o.execArgv,
      env: o.env,
      resourceLimits: o.resourceLimits,
    });
  } catch (e) {
    port1.close();
    return e;
  }
  s.startupError = null;
  worker.unref();
  const rec = new WorkerRecord(worker, slot, port1, stdio);
  s.workers.set(slot, rec);
  native.poolWorkerSpawned(s.id, slot);
  port1.on('message', (m) => onControl(s, rec, m));
  port1.unref();
  s.mailbox?.connect(port1);
  worker.on('error', (e) => {
    rec.lastError = e;
    // A worker takes tasks as soon as it registered natively, maybe before this
    // thread handled its 'ready' message: ask the native record.
    // Errors before that are start-up failures, reported through the tasks.
    if (s.pool.listenerCount('error') > 0 && native.poolWorkerStarted(s.id, slot)) s.pool.emit('error', e);
  });
  worker.on('exit', (code) => onExit(s, rec, code));
  // On the next tick: the constructor starts minWorkers workers before anyone could listen.
  const created = { threadId: rec.threadId, slot };
  process.nextTick(() => s.pool.emit('workerCreate', created));
  if (s.workers.size > o.minWorkers) watchIdle(s);
  return null;
}

/**
 * A message from worker `rec` on its control port.
 * @param {PoolState} s
 * @param {WorkerRecord} rec
 * @param {import('./messages.js').WorkerToPoolMessage} m
 */
function onControl(s, rec, m) {
  if (m === null || typeof m !== 'object') return;
  if (m.type === MSG.STDIO) {
    const out = m.name === 'stderr' ? process.stderr : process.stdout;
    for (const c of m.chunks) out.write(c.chunk, c.encoding);
    outputWritten(rec.stdio, m.bytes);
  } else if (m.type === MSG.READY) {
    // Still a backlog: keep growing, one starting worker at a time.
    if (s.state !== 'terminated') growIfNeeded(s);
  } else if (m.type === MSG.RESULT) {
    directResult(s, m);
  } else if (m.type === MSG.STREAM) {
    ringSent(s, rec.slot, m, ownerTag(m.id));
  }
}

/**
 * Writes the output worker `w` flagged (see worker-stdio.js) before a task of it settles.
 * @param {PoolState} s
 * @param {WorkerRecord} w
 */
function readOutput(s, w) {
  if (w.stdio[WORDS.OUTPUT] !== 0) readPort(s, w);
}

/**
 * Handles what worker `w` posted on its control port so far, now (task output, direct results, stream rings).
 * @param {PoolState} s
 * @param {WorkerRecord} w
 */
function readPort(s, w) {
  Atomics.store(w.stdio, WORDS.OUTPUT, 0);
  for (let m; (m = receiveMessageOnPort(w.port)) !== undefined;) onControl(s, w, m.message);
}

/**
 * Worker `rec`'s thread exited (crash, retirement, stop or terminate()).
 * @param {PoolState} s
 * @param {WorkerRecord} rec
 * @param {number} code its exit code
 */
function onExit(s, rec, code) {
  s.workers.delete(rec.slot);
  trimSoon(); // what the dead worker freed stays in malloc's arenas otherwise (see trim.js)
  s.workerTimeClosed += clockMs() - rec.startedAt;
  // Direct results the worker posted before it exited are still queued on the port.
  for (let m; (m = receiveMessageOnPort(rec.port)) !== undefined;) onControl(s, rec, m.message);
  rec.port.close();
  workerGone(s, rec.slot); // before its tasks settle: their streams take the values it wrote
  s.drainNow();
  for (const id of rec.owes) settle(s, id, false, resultLost(code));
  const { tasks: lost, started } = native.poolWorkerGone(s.id, rec.slot);
  const cause = rec.lastError ?? new Error(`the worker exited with code ${code}`);
  // Every task it was running (several with concurrentTasksPerWorker), and only those.
  for (const id of lost) {
    settle(s, id, false, new WorkerCrashedError(`the worker running this task died: ${cause.message ?? cause}`, { cause, exitCode: code }));
  }
  s.pool.emit('workerExit', { threadId: rec.threadId, slot: rec.slot, code });
  if (s.state === 'terminated') return;
  if (!started) {
    startupFailed(s, cause, code);
    return;
  }
  if (s.startupError) return;
  growIfNeeded(s);
  // Its task may have been the last queued one (taken, then lost with it).
  checkRoom(s);
}

/**
 * A worker could not start (bad script, throw at import time, no task
 * function, or the Worker could not be created). If no started worker is
 * left to serve the queue, fail what is queued with that cause, and do not
 * respawn until new work arrives (no respawn storm).
 * @param {PoolState} s
 * @param {any} cause
 * @param {number | undefined} code the worker's exit code, if it ran
 */
function startupFailed(s, cause, code) {
  // A started worker still serves the queue (and is replaced as usual if it dies).
  if (native.poolWorkerCounts(s.id).serving > 0) return;
  s.startupError = cause;
  for (const id of native.poolClear(s.id)) {
    const err = new WorkerCrashedError(`the worker failed to start: ${cause?.message ?? cause}`, { cause, exitCode: code });
    err[STARTUP_FAILED] = true;
    settle(s, id, false, err);
  }
  checkRoom(s);
}

/**
 * Checks now and then whether idle workers should retire (the native core picks them).
 * @param {PoolState} s
 */
function watchIdle(s) {
  if (s.idleTimer) return;
  const every = Math.max(20, Math.min(1000, s.opts.idleTimeout / 2));
  s.idleTimer = setInterval(() => {
    const { retired, watching } = native.poolRetireIdle(s.id, s.opts.idleTimeout);
    if (retired > 0) {
      Atomics.add(s.bell, SEQ, 1);
      wakeSleepers(s.bell, Infinity);
    }
    if (!watching) {
      clearInterval(s.idleTimer);
      s.idleTimer = null;
    }
  }, every);
  s.idleTimer.unref();
}

/**
 * A worker is being stopped (timeout, abort past its grace): start its
 * replacement now rather than when its thread exits, which a blocking call
 * can delay for long, if work is queued or minWorkers asks for it.
 * @param {PoolState} s
 */
function replace(s) {
  if (s.state === 'terminated' || s.startupError) return;
  growIfNeeded(s);
}

/**
 * The worker that runs task `id` now, if any.
 * @param {PoolState} s
 * @param {number} id
 * @returns {WorkerRecord | undefined}
 */
function runnerOf(s, id) {
  const slot = native.poolRunnerOf(s.id, id);
  return slot < 0 ? undefined : s.workers.get(slot);
}

/**
 * Task `id`, aborted while running on `w`: tells the worker, and after the
 * grace period stops it (and starts a replacement) if the native core says so
 * (poolMustStop): with one task per worker, if it still runs the task; with
 * several, if the worker did not see the abort on its event loop (it is stuck
 * in synchronous code), and then its other tasks fail as in a crash.
 * @param {PoolState} s
 * @param {WorkerRecord} w
 * @param {number} id
 * @param {any} reason
 */
function abortRunning(s, w, id, reason) {
  /** @type {import('./messages.js').AbortMessage} */
  const abort = { type: MSG.ABORT, id, reason: String(reason?.message ?? reason ?? 'aborted') };
  w.port.postMessage(abort);
  setTimeout(() => {
    if (s.workers.has(w.slot) && native.poolMustStop(s.id, w.slot, id)) {
      if (s.opts.concurrentTasksPerWorker > 1) {
        w.lastError ??= new Error(
          `it did not return to its event loop within abortGrace (${s.opts.abortGrace} ms) after task ${id} was aborted or timed out`,
        );
      }
      // It takes no other task even if this one returns before the thread stops: its
      // replacement may start now without more than maxWorkers tasks running.
      native.poolStop(s.id, w.slot);
      w.worker.terminate();
      replace(s);
    }
  }, s.opts.abortGrace).unref();
}

/** How long terminate() waits for a thread to stop before it gives up on it. */
const TERMINATE_WAIT_MS = 5000;

/**
 * Terminates `threads`; resolves when each has stopped or TERMINATE_WAIT_MS passed.
 * @param {Array<{ terminate(): Promise<number> }>} threads
 * @returns {Promise<void>}
 */
function stopThreads(threads) {
  const stops = threads.map((thread) => {
    let timer;
    const giveUp = new Promise((resolve) => {
      timer = setTimeout(resolve, TERMINATE_WAIT_MS).unref();
    });
    return Promise.race([thread.terminate().catch(() => {}), giveUp]).finally(() => clearTimeout(timer));
  });
  return Promise.all(stops).then(() => {});
}

/**
 * Task `id` timed out on worker `w`, which runs several tasks at once: the
 * watchdog did not stop it (crates/core/src/task_queue/running.rs). The task
 * rejects now and its signal aborts; the worker is stopped only if it does
 * not come back to its event loop within abortGrace (abortRunning).
 * @param {PoolState} s
 * @param {WorkerRecord | undefined} w
 * @param {number} id
 */
function timedOutShared(s, w, id) {
  const message = 'the task ran longer than its timeout; its signal was aborted';
  settle(s, id, false, new TimeoutError(message));
  if (w) abortRunning(s, w, id, message);
}

module.exports = {
  SEQ,
  BELL_SLEEPERS,
  wakeSleepers,
  BELL_INTS,
  STARTUP_FAILED,
  grow,
  spawn,
  readOutput,
  replace,
  runnerOf,
  abortRunning,
  timedOutShared,
  stopThreads,
};
