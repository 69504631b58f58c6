'use strict';
/**
 * WorkerPool: runs a worker script's task function on real OS threads.
 *
 * Data flow (see src/pool.rs and crates/core/src/task_queue.rs):
 *   execute() -> encode -> native priority queue -> doorbell (Atomics.notify)
 *   worker: poolTake -> run -> poolComplete -> native completion queue
 *   native: wakes this thread once per batch -> #drain() settles promises.
 * Workers pull from the queue themselves, so dispatch goes on while this
 * thread is blocked; a native watchdog thread stops workers whose task ran
 * past its timeout, also while this thread is blocked.
 *
 * Every task promise settles exactly once: with the worker's result, with a
 * TimeoutError (watchdog), a WorkerCrashedError (its worker died), an
 * AbortError (its signal), or a ClosedError (terminate()).
 *
 * Direct tasks: data that only postMessage can carry (a transfer list, or
 * SharedArrayBuffers and ports) is posted by execute() itself to the pool's
 * mailbox thread (mailbox-thread.js); the queue holds a one-byte placeholder with
 * the task's priority, and the worker that takes it asks the mailbox for the
 * data. So such tasks keep priority, maxQueue, timeouts and crash handling,
 * and start while this thread is blocked, like any task. Direct results (shared memory, or `move`d
 * buffers) come the other way: the worker posts the value on its control
 * port, then completes the task with the same placeholder, and #drain joins
 * the two in whichever order they arrive.
 */

const { Worker, MessageChannel, receiveMessageOnPort } = require('node:worker_threads');
const { MSG } = require('./messages.js');
const { EventEmitter } = require('node:events');
const path = require('node:path');
const native = require('../native.js');
const WATCHDOG_STOPS = native.poolWatchdogStops();
const { encode, encodeDirect, encodeForJob, decode, isDirect, DIRECT_LEN } = require('../codec/index.js');
const { Samples } = require('./samples.js');
const { Mailbox } = require('./mailbox.js');
const { WorkerRecord, TaskRecord, clockMs } = require('./records.js');
const { startAbortListener } = require('../abort-listeners.js');
const { resolveScript, normalizeOptions, executeOptions, checkMs } = require('./options.js');
const { trimSoon } = require('./trim.js');
const { outputWritten, STDIO_INTS } = require('./worker-stdio.js');
const { AbortError, TimeoutError, ClosedError, QueueFullError, WorkerCrashedError, DataCloneError } = require('../errors.js');

const BOOTSTRAP = path.join(__dirname, 'worker.js');
/** The addon file native.js loaded, for workers to load directly (null if not found). */
const ADDON = Object.keys(require.cache).find((k) => k.endsWith('.node') && path.basename(k).startsWith('threadkit.')) ?? null;
/** poolDrain's completion layout (src/protocol.rs). */
const {
  COMPLETION_STRIDE,
  COMPLETION_ID,
  COMPLETION_OUTCOME,
  COMPLETION_WAIT_US,
  COMPLETION_RUN_US,
  COMPLETION_OFFSET,
  COMPLETION_LENGTH,
  COMPLETION_WORKER,
  OUTCOME_FULFILLED,
  OUTCOME_REJECTED,
  DRAIN_OVERSIZE_BASE,
} = native;
/** Completions taken per poolDrain call (it loops until the queue is empty). */
const DRAIN_BATCH = 64;
const { BELL_SEQ: SEQ, BELL_SLEEPERS, BELL_INTS } = native;
const TERMINATE_WAIT_MS = 5000;
/** Promise jobs an idle pool waits for a next task before it unrefs (#settleIdle). */
const UNREF_HOPS = 8;
const SCRATCH_SIZE = 16 * 1024;

/** Not public API: `pool[MAILBOX_HELD]()` resolves to how many tasks' data the mailbox holds (tests check that none leaks). */
const MAILBOX_HELD = Symbol('threadkit.mailboxHeld');
/**
 * Not public API, for threadkit/bullmq's serve(): the execute() option that
 * gives the BullMQ job id (TaskContext.jobId in the worker), the pool's
 * maxWorkers (`pool[MAX_WORKERS]`), and the mark of an error that says the
 * worker script could not start (`err[STARTUP_FAILED] === true`).
 */
const JOB_ID = Symbol('threadkit.jobId');
/**
 * Not public API, for serve(): an execute() option `{ taskId }` whose taskId
 * execute() sets, and `pool[ABORT_TASK](taskId, reason)`, which aborts that
 * task as its AbortSignal would. serve() aborts a job only when a cancel for
 * it arrives; an AbortSignal per job costs its listener on every job.
 */
const TASK_REF = Symbol('threadkit.taskRef');
const ABORT_TASK = Symbol('threadkit.abortTask');
const MAX_WORKERS = Symbol('threadkit.maxWorkers');
const STARTUP_FAILED = Symbol('threadkit.startupFailed');

/** A direct result whose worker exited before its port message arrived (not seen to happen; a guard against a pending promise). */
function resultLost(exitCode) {
  return new WorkerCrashedError('the worker that ran this task exited before its result arrived', { exitCode });
}

class WorkerPool extends EventEmitter {
  #id;
  #script;
  #opts;
  /** What execute() uses without options. */
  #defaults;
  #state = 'open';
  #workers = new Map();
  /** Threads in #workers that this thread stopped (w.leaving) and that have not exited yet. */
  #leavingThreads = 0;
  #tasks = new Map();
  /** Ids of unsettled direct tasks (their data went to the mailbox). */
  #direct = new Set();
  /** The mailbox thread, started with the first direct task (a Mailbox). */
  #mailbox = null;
  #nextTask = 1;
  #nextSlot = 0;
  #bell = new Int32Array(new SharedArrayBuffer(4 * BELL_INTS));
  #meta = new Float64Array(COMPLETION_STRIDE * DRAIN_BATCH);
  #scratch = Buffer.allocUnsafeSlow(SCRATCH_SIZE);
  #refd = false;
  /** Microtask hops left before an idle pool is unref'd (0: no check queued; see #settleIdle). */
  #unrefHops = 0;
  #backlog = false;
  /** Native code wakes #drain on takes (see #watchTakes). */
  #watching = false;
  #startupError = null;
  #roomWaiters = [];
  #idleWaiters = [];
  #idleTimer = null;
  #terminated = null;
  #createdAt = clockMs();
  #workerTimeClosed = 0;
  #busyTime = 0;
  #submitted = 0;
  #completed = 0;
  #failed = 0;
  #waitTimes = new Samples();
  #runTimes = new Samples();

  /**
   * @param {string | URL} workerScript
   * @param {number | object} [sizeOrOptions]
   */
  constructor(workerScript, sizeOrOptions) {
    super();
    this.#script = resolveScript(workerScript);
    this.#opts = normalizeOptions(sizeOrOptions);
    this.#defaults = Object.freeze(executeOptions({}, this.#opts.taskTimeout, null));
    // hasRef() tells async_hooks users (jest --detectOpenHandles) whether the
    // pool keeps the process alive: only while tasks are outstanding.
    const id = native.poolCreate(() => this.#drain(), { hasRef: () => native.poolHasRef(id) });
    if (id < 0) throw new Error(`threadkit: could not create the native pool (status ${id})`);
    this.#id = id;
    for (let i = 0; i < this.#opts.minWorkers; i++) {
      const err = this.#spawn();
      if (err) {
        // Bad execArgv, env or workerData: say so now, and leave nothing behind.
        for (const w of this.#workers.values()) w.worker.terminate();
        native.poolDestroy(id);
        throw err;
      }
    }
  }

  /**
   * Workers that take tasks: starting, or running and not stopped. A worker
   * whose task timed out, that is terminated after an abort, or that retired
   * is no longer counted, although its thread may still be exiting alongside
   * its replacement. Never more than maxWorkers.
   */
  get size() {
    let n = 0;
    for (const w of this.#workers.values()) if (this.#taking(w)) n++;
    return n;
  }

  /** Tasks waiting for a worker. */
  get queueSize() {
    return native.poolCounts(this.#id)[0];
  }

  /** Tasks submitted and not settled yet (queued or running). */
  get pending() {
    return this.#tasks.size;
  }

  /**
   * Runs the worker script's task function with `data` on a worker.
   * @returns {Promise<any>}
   */
  execute(data, options) {
    if (this.#state !== 'open') {
      return Promise.reject(
        new ClosedError(`WorkerPool has been ${this.#state === 'closing' ? 'closed' : 'terminated'}; execute() is no longer accepted`, {
          reason: this.#state,
        }),
      );
    }
    let task = this.#defaults;
    let jobId;
    let ref;
    if (options !== undefined) {
      try {
        task = executeOptions(options, this.#opts.taskTimeout, (name) => native.poolNameId(this.#id, name));
      } catch (e) {
        return Promise.reject(e);
      }
      jobId = options[JOB_ID];
      ref = options[TASK_REF];
    }
    const { priority, timeout, nameId, signal, transfer } = task;
    if (signal?.aborted) return Promise.reject(new AbortError('The task was aborted before it was queued', { cause: signal.reason }));
    if (this.#opts.maxQueue !== Infinity && this.queueSize >= this.#opts.maxQueue) {
      return Promise.reject(
        new QueueFullError(`the WorkerPool queue is full (maxQueue ${this.#opts.maxQueue}); wait with waitForRoom() or listen for 'drain'`),
      );
    }
    let bytes;
    let direct = transfer !== undefined;
    const id = this.#nextTask++;
    try {
      if (!direct) {
        try {
          bytes = jobId === undefined ? encode(data, 'task data') : encodeForJob(data, 'task data', jobId);
        } catch (e) {
          // v8.serialize refuses SharedArrayBuffers and ports; postMessage takes them.
          if (!(e instanceof DataCloneError)) throw e;
          direct = true;
          this.#post(id, data, [], e);
        }
      } else {
        this.#post(id, data, transfer, null);
      }
    } catch (e) {
      return Promise.reject(e);
    }
    if (direct) bytes = encodeDirect();
    // A direct task's run time starts when its data reached the worker.
    const queued = native.poolSubmit(this.#id, id, priority, nameId, bytes, timeout, direct);
    if (queued < 0) {
      if (direct) this.#mailbox?.drop(id);
      return Promise.reject(new Error(`threadkit: the native pool refused the task (status ${queued})`));
    }
    if (direct) this.#direct.add(id);
    const promise = this.#track(id, signal);
    if (ref !== undefined) ref.taskId = id;
    const bell = this.#bell;
    Atomics.add(bell, SEQ, 1);
    // A spinning or running worker sees SEQ move by itself (worker.js says why no wake-up is lost).
    if (Atomics.load(bell, BELL_SLEEPERS) > 0) Atomics.notify(bell, SEQ, 1);
    if (queued > 0) {
      this.#backlog = true;
      if (!this.#watching && this.listenerCount('drain') > 0) {
        this.#watchTakes(true);
        this.#checkRoom();
      }
      // Only ask for the idle count (a native call) while the pool can still grow. A worker
      // this thread stopped (timed out, aborted past its grace) is no capacity even while its
      // thread exits. A plain count here: this.size asks native code about every worker.
      if (this.#workers.size - this.#leavingThreads < this.#opts.maxWorkers && queued > native.poolIdle(this.#id)) this.#grow();
    }
    return promise;
  }

  /**
   * Posts the data of direct task `id` to the mailbox, before the task is
   * queued: transferables move now (the caller's buffers are detached at
   * once, as with postMessage), and anything that cannot be cloned fails
   * here, synchronously.
   */
  #post(id, data, transfer, encodeError) {
    const box = this.#mailbox ?? this.#openMailbox();
    try {
      box.put(id, data, transfer);
    } catch (e) {
      if (encodeError) throw encodeError;
      const why = String(e.message).slice(0, 160);
      throw new DataCloneError(`task data or its transfer list cannot be sent to a worker: ${why}`, { cause: e });
    }
  }

  [ABORT_TASK](taskId, reason) {
    this.#abort(taskId, reason);
  }

  get [MAX_WORKERS]() {
    return this.#opts.maxWorkers;
  }

  [MAILBOX_HELD]() {
    return this.#mailbox === null ? Promise.resolve(0) : this.#mailbox.held();
  }

  /** Starts the mailbox thread and connects every worker to it. */
  #openMailbox() {
    const box = new Mailbox(() => this.#mailboxGone(box));
    this.#mailbox = box;
    for (const rec of this.#workers.values()) box.connect(rec.port);
    return box;
  }

  /**
   * The mailbox thread exited (not seen to happen outside terminate(): it runs
   * no user code). The data it held is gone: queued direct tasks reject; a
   * worker waiting for its data sees its mailbox port close and rejects its
   * task. The next direct task starts a new mailbox.
   */
  #mailboxGone(box) {
    if (this.#mailbox !== box || this.#state === 'terminated') return;
    this.#mailbox = null;
    for (const id of [...this.#direct]) {
      if (native.poolCancel(this.#id, id)) {
        this.#settle(id, false, new WorkerCrashedError("the thread that held this task's data exited before a worker took it"));
      }
    }
    this.#checkRoom();
  }

  #track(id, signal) {
    let rec;
    const promise = new Promise((resolve, reject) => {
      rec = new TaskRecord(resolve, reject);
    });
    this.#tasks.set(id, rec);
    this.#submitted++;
    if (signal) {
      rec.abort = startAbortListener(signal, () => this.#abort(id, signal.reason));
    }
    if (!this.#refd) {
      this.#refd = true;
      native.poolRef(this.#id, true);
    }
    return promise;
  }

  /** Runs `execute` for every item; results in input order. */
  map(items, options) {
    if (items === null || items === undefined || typeof items[Symbol.iterator] !== 'function') {
      return Promise.reject(new TypeError(`map() needs an iterable of task data, got ${items === null ? 'null' : typeof items}`));
    }
    return Promise.all(Array.from(items, (item) => this.execute(item, options)));
  }

  /** Resolves when the queue has room for another task (always at once if maxQueue is Infinity). */
  waitForRoom() {
    if (this.#state !== 'open') return Promise.reject(new ClosedError('WorkerPool is not open', { reason: this.#state }));
    if (this.#opts.maxQueue === Infinity || this.queueSize < this.#opts.maxQueue) return Promise.resolve();
    return new Promise((resolve) => {
      this.#roomWaiters.push(resolve);
      // A take between the check above and the watch would wake nobody: look again.
      this.#watchTakes(true);
      this.#checkRoom();
    });
  }

  /** Resolves when no task is queued or running. */
  onIdle() {
    if (this.#tasks.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  /** Counters, percentiles and utilisation since the pool was created. */
  getMetrics() {
    const [queued, running] = native.poolCounts(this.#id);
    const now = clockMs();
    let alive = this.#workerTimeClosed;
    for (const w of this.#workers.values()) alive += now - w.startedAt;
    return {
      name: this.#opts.name,
      workers: this.size,
      idleWorkers: native.poolIdle(this.#id),
      runningTasks: running,
      queueSize: queued,
      tasksSubmitted: this.#submitted,
      tasksCompleted: this.#completed,
      tasksFailed: this.#failed,
      waitTime: this.#waitTimes.summary(),
      runTime: this.#runTimes.summary(),
      utilization: alive > 0 ? Math.min(1, this.#busyTime / alive) : 0,
      uptime: now - this.#createdAt,
    };
  }

  /** Finishes queued and running work, then stops. After `timeout` ms, terminates instead. */
  close(options = {}) {
    if (options === null || typeof options !== 'object') return Promise.reject(new TypeError('close options must be an object'));
    let timeout = Infinity;
    try {
      if (options.timeout !== undefined && options.timeout !== Infinity) timeout = checkMs(options.timeout, 'timeout');
    } catch (e) {
      return Promise.reject(e);
    }
    if (this.#state === 'terminated') return this.#terminated;
    this.#state = 'closing';
    for (const r of this.#roomWaiters.splice(0)) r();
    const idle = this.onIdle();
    if (timeout === Infinity) return idle.then(() => this.terminate());
    let timer;
    const expired = new Promise((resolve) => {
      timer = setTimeout(resolve, timeout);
    });
    return Promise.race([idle, expired]).then(() => {
      clearTimeout(timer);
      return this.terminate();
    });
  }

  /** Stops every worker now; every unsettled task rejects with ClosedError. Always resolves. */
  terminate() {
    if (this.#terminated) return this.#terminated;
    this.#state = 'terminated';
    clearInterval(this.#idleTimer);
    this.#drain();
    native.poolClear(this.#id);
    // What running tasks wrote precedes their ClosedError, as it precedes a result.
    for (const w of this.#workers.values()) this.#readOutput(w);
    for (const id of [...this.#tasks.keys()]) {
      this.#settle(id, false, new ClosedError('WorkerPool was terminated before the task finished', { reason: 'terminated' }));
    }
    this.#direct.clear();
    const mailbox = this.#mailbox;
    this.#mailbox = null;
    for (const r of this.#roomWaiters.splice(0)) r();
    this.#settleIdle();
    const threads = [...this.#workers.values()].map((w) => w.worker);
    if (mailbox) threads.push(mailbox);
    const stops = threads.map((thread) => {
      let timer;
      const giveUp = new Promise((resolve) => {
        timer = setTimeout(resolve, TERMINATE_WAIT_MS).unref();
      });
      return Promise.race([thread.terminate().catch(() => {}), giveUp]).finally(() => clearTimeout(timer));
    });
    this.#terminated = Promise.all(stops).then(() => {
      if (this.#refd) native.poolRef(this.#id, false);
      native.poolDestroy(this.#id);
    });
    return this.#terminated;
  }

  // -------------------------------------------------------------------------

  /**
   * Whether `w` may still take a task: not being stopped (timeout, abort past
   * its grace) nor retired for good. Only these count against maxWorkers: a
   * worker counted as gone never takes another task, so size stays within it.
   */
  #taking(w) {
    return !w.leaving && !native.poolStopping(this.#id, w.slot);
  }

  /**
   * Whether `w` stays: it takes tasks and is not asked to retire (the native
   * queue decides: work that comes in cancels a retirement). These count
   * towards minWorkers.
   */
  #staying(w) {
    return !w.leaving && !native.poolLeaving(this.#id, w.slot);
  }

  /** Workers that stay (see #staying). */
  #stayingCount() {
    let n = 0;
    for (const w of this.#workers.values()) if (this.#staying(w)) n++;
    return n;
  }

  #grow() {
    if (this.#state === 'terminated') return;
    let starting = 0;
    for (const w of this.#workers.values()) if (!w.ready && this.#taking(w)) starting++;
    if (starting === 0 && (this.size < this.#opts.maxWorkers || (this.#startupError && this.#workers.size === 0))) {
      const err = this.#spawn();
      if (err) this.#startupFailed(err, undefined);
    }
  }

  /** Starts a worker. Returns the error if the Worker could not even be created (bad execArgv, env, workerData). */
  #spawn() {
    const slot = this.#nextSlot++;
    const { port1, port2 } = new MessageChannel();
    const stdio = new Int32Array(new SharedArrayBuffer(4 * STDIO_INTS));
    const o = this.#opts;
    let worker;
    try {
      worker = new Worker(BOOTSTRAP, {
        workerData: {
          internal: {
            pool: this.#id,
            slot,
            bell: this.#bell.buffer,
            script: this.#script,
            control: port2,
            niceIncrement: o.niceIncrement,
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
    this.#startupError = null;
    worker.unref();
    const rec = new WorkerRecord(worker, slot, port1, stdio);
    this.#workers.set(slot, rec);
    port1.on('message', (m) => this.#onControl(rec, m));
    port1.unref();
    this.#mailbox?.connect(port1);
    worker.on('error', (e) => {
      rec.lastError = e;
      // A worker takes tasks as soon as it registered natively, maybe before this
      // thread handled its 'ready' message: ask the native record, not rec.ready.
      // Errors before that are start-up failures, reported through the tasks.
      if (this.listenerCount('error') > 0 && (rec.ready || native.poolWorkerStarted(this.#id, slot))) this.emit('error', e);
    });
    worker.on('exit', (code) => this.#onExit(rec, code));
    // On the next tick: the constructor starts minWorkers workers before anyone could listen.
    const created = { threadId: rec.threadId, slot };
    process.nextTick(() => this.emit('workerCreate', created));
    if (this.#workers.size > o.minWorkers) this.#watchIdle();
    return null;
  }

  #onControl(rec, m) {
    if (m === null || typeof m !== 'object') return;
    if (m.type === MSG.STDIO) {
      const out = m.name === 'stderr' ? process.stderr : process.stdout;
      for (const c of m.chunks) out.write(c.chunk, c.encoding);
      outputWritten(rec.stdio, m.bytes);
    } else if (m.type === MSG.READY) {
      rec.ready = true;
      // Still a backlog: keep growing, one starting worker at a time.
      if (this.#state !== 'terminated' && native.poolCounts(this.#id)[0] > native.poolIdle(this.#id)) this.#grow();
    } else if (m.type === MSG.RESULT) {
      const task = this.#tasks.get(m.id);
      if (task === undefined) return; // settled meanwhile (timed out, or the pool terminated)
      if (task.owedBy === undefined) task.directResult = m;
      else this.#settle(m.id, !m.rejected, m.value);
    }
  }

  /** Writes the output worker `w` flagged (see worker-stdio.js) before a task of it settles. */
  #readOutput(w) {
    if (w.stdio[0] !== 0) this.#readPort(w);
  }

  /** Handles what worker `w` posted on its control port so far, now (task output, direct results). */
  #readPort(w) {
    Atomics.store(w.stdio, 0, 0);
    for (let m; (m = receiveMessageOnPort(w.port)) !== undefined;) this.#onControl(w, m.message);
  }

  /** The completion of a direct result: settle with its port message, or wait for it. */
  #directDone(id, w) {
    const task = this.#tasks.get(id);
    const m = task.directResult;
    if (m !== undefined) this.#settle(id, !m.rejected, m.value);
    else if (w === undefined) this.#settle(id, false, resultLost(undefined));
    else {
      task.owedBy = w;
      w.owes.add(id);
    }
  }

  #onExit(rec, code) {
    this.#workers.delete(rec.slot);
    if (rec.leaving) this.#leavingThreads--;
    trimSoon(); // what the dead worker freed stays in malloc's arenas otherwise (see trim.js)
    this.#workerTimeClosed += clockMs() - rec.startedAt;
    // Direct results the worker posted before it exited are still queued on the port.
    for (let m; (m = receiveMessageOnPort(rec.port)) !== undefined;) this.#onControl(rec, m.message);
    rec.port.close();
    this.#drain();
    for (const id of rec.owes) this.#settle(id, false, resultLost(code));
    const [lost, started] = native.poolWorkerGone(this.#id, rec.slot);
    const cause = rec.lastError ?? new Error(`the worker exited with code ${code}`);
    if (lost >= 0) {
      this.#settle(lost, false, new WorkerCrashedError(`the worker running this task died: ${cause.message ?? cause}`, { cause, exitCode: code }));
    }
    this.emit('workerExit', { threadId: rec.threadId, slot: rec.slot, code });
    if (this.#state === 'terminated') return;
    if (!started) {
      this.#startupFailed(cause, code);
      return;
    }
    if (this.#startupError) return;
    const [queued] = native.poolCounts(this.#id);
    if (this.#stayingCount() < this.#opts.minWorkers || (queued > 0 && this.size < this.#opts.maxWorkers)) {
      const err = this.#spawn();
      if (err) this.#startupFailed(err, undefined);
    }
    // Its task may have been the last queued one (taken, then lost with it).
    this.#checkRoom();
  }

  /**
   * A worker could not start (bad script, throw at import time, no task
   * function, or the Worker could not be created). If no started worker is
   * left to serve the queue, fail what is queued with that cause, and do not
   * respawn until new work arrives (no respawn storm).
   */
  #startupFailed(cause, code) {
    // A started worker still serves the queue (and is replaced as usual if it dies).
    for (const w of this.#workers.values()) if (this.#taking(w) && native.poolWorkerStarted(this.#id, w.slot)) return;
    this.#startupError = cause;
    for (const id of native.poolClear(this.#id)) {
      const err = new WorkerCrashedError(`the worker failed to start: ${cause?.message ?? cause}`, { cause, exitCode: code });
      err[STARTUP_FAILED] = true;
      this.#settle(id, false, err);
    }
    this.#checkRoom();
  }

  #watchIdle() {
    if (this.#idleTimer) return;
    const every = Math.max(20, Math.min(1000, this.#opts.idleTimeout / 2));
    this.#idleTimer = setInterval(() => {
      let capacity = this.#stayingCount();
      if (capacity <= this.#opts.minWorkers) {
        clearInterval(this.#idleTimer);
        this.#idleTimer = null;
        return;
      }
      const now = clockMs();
      let retired = false;
      for (const w of this.#workers.values()) {
        if (capacity <= this.#opts.minWorkers) break;
        if (!w.ready || now - w.lastActive < this.#opts.idleTimeout || !this.#staying(w)) continue;
        if (native.poolRetire(this.#id, w.slot)) {
          capacity--;
          retired = true;
        }
      }
      if (retired) {
        Atomics.add(this.#bell, SEQ, 1);
        Atomics.notify(this.#bell, SEQ);
      }
    }, every);
    this.#idleTimer.unref();
  }

  #abort(id, reason) {
    const rec = this.#tasks.get(id);
    if (!rec) return;
    if (native.poolCancel(this.#id, id)) {
      this.#settle(id, false, new AbortError('The task was aborted while queued', { cause: reason }));
      this.#checkRoom();
      return;
    }
    let runner;
    for (const w of this.#workers.values()) {
      if (native.poolRunningTask(this.#id, w.slot) === id) {
        runner = w;
        break;
      }
    }
    // What the task wrote precedes its AbortError, as it precedes a result.
    if (runner) this.#readOutput(runner);
    this.#settle(id, false, new AbortError('The task was aborted while running', { cause: reason }));
    if (!runner) return;
    const w = runner;
    w.port.postMessage({ type: MSG.ABORT, id, reason: String(reason?.message ?? reason ?? 'aborted') });
    setTimeout(() => {
      if (this.#workers.has(w.slot) && native.poolRunningTask(this.#id, w.slot) === id) {
        this.#markLeaving(w);
        // It takes no other task even if this one returns before the thread stops: its
        // replacement may start now without more than maxWorkers tasks running.
        native.poolStop(this.#id, w.slot);
        w.worker.terminate();
        this.#replace();
      }
    }, this.#opts.abortGrace).unref();
  }

  /** This thread stops `w` (timeout, abort past its grace): it takes no task again. */
  #markLeaving(w) {
    if (w.leaving) return;
    w.leaving = true;
    this.#leavingThreads++;
  }

  /**
   * A worker is being stopped (timeout, abort past its grace): start its
   * replacement now rather than when its thread exits, which a blocking call
   * can delay for long, if work is queued or minWorkers asks for it.
   */
  #replace() {
    if (this.#state === 'terminated' || this.#startupError) return;
    const [queued] = native.poolCounts(this.#id);
    if (this.#stayingCount() < this.#opts.minWorkers || queued > native.poolIdle(this.#id)) this.#grow();
  }

  #settle(id, ok, value) {
    const rec = this.#tasks.get(id);
    if (!rec) return;
    this.#tasks.delete(id);
    // Its data may still wait in the mailbox (aborted or failed while queued, say).
    if (this.#direct.size !== 0 && this.#direct.delete(id)) this.#mailbox?.drop(id);
    rec.owedBy?.owes.delete(id);
    rec.forget();
    if (ok) {
      this.#completed++;
      rec.resolve(value);
    } else {
      this.#failed++;
      rec.reject(value);
    }
    if (this.#tasks.size === 0) this.#settleIdle();
  }

  #settleIdle() {
    // Unref lazily: a caller that awaits each result submits the next task
    // a few promise jobs after this settle, and a ref/unref pair per task
    // costs ~1 µs. Microtasks, not setImmediate: an immediate makes the loop
    // poll once more before it sleeps (measured: +1.5 to +2.8 µs of
    // main-thread CPU per trickled task, more than it saves).
    if (this.#refd && this.#unrefHops === 0) {
      this.#unrefHops = UNREF_HOPS;
      queueMicrotask(this.#unrefIfIdle);
    }
    for (const r of this.#idleWaiters.splice(0)) r();
  }

  #unrefIfIdle = () => {
    if (this.#tasks.size > 0 || !this.#refd) {
      this.#unrefHops = 0;
      return;
    }
    if (--this.#unrefHops > 0) return void queueMicrotask(this.#unrefIfIdle);
    this.#refd = false;
    native.poolRef(this.#id, false);
  };

  /** Wakes room waiters and emits 'drain' once the queue has shrunk. */
  #checkRoom() {
    if (!this.#backlog && this.#roomWaiters.length === 0) return this.#watchTakes(false);
    const [queued] = native.poolCounts(this.#id);
    if (this.#roomWaiters.length > 0 && queued < this.#opts.maxQueue) for (const r of this.#roomWaiters.splice(0)) r();
    if (this.#backlog && queued === 0) {
      this.#backlog = false;
      this.emit('drain');
    }
    this.#watchTakes(this.#roomWaiters.length > 0 || (this.#backlog && this.listenerCount('drain') > 0));
  }

  /**
   * The queue shrinks when a worker takes a task, which this thread does not
   * see: while someone waits for room (waitForRoom, 'drain'), native code
   * wakes #drain on takes too.
   */
  #watchTakes(on) {
    if (on === this.#watching || this.#state === 'terminated') return;
    this.#watching = on;
    native.poolWatchTakes(this.#id, on);
  }

  #drain() {
    if (this.#terminated && this.#tasks.size === 0) return;
    const meta = this.#meta;
    let any = false;
    for (;;) {
      const n = native.poolDrain(this.#id, meta, this.#scratch);
      if (n <= DRAIN_OVERSIZE_BASE) {
        this.#scratch = Buffer.allocUnsafeSlow((DRAIN_OVERSIZE_BASE - n) * 2);
        continue;
      }
      if (n <= 0) break;
      any = true;
      const now = clockMs();
      for (let i = 0; i < n; i++) {
        const m = i * COMPLETION_STRIDE;
        const id = meta[m + COMPLETION_ID];
        const outcome = meta[m + COMPLETION_OUTCOME];
        const runMs = meta[m + COMPLETION_RUN_US] / 1000;
        this.#waitTimes.add(meta[m + COMPLETION_WAIT_US] / 1000);
        this.#runTimes.add(runMs);
        this.#busyTime += runMs;
        const w = this.#workers.get(meta[m + COMPLETION_WORKER]);
        if (w) {
          w.lastActive = now;
          // The task's output is queued on the port before its completion: write it first.
          this.#readOutput(w);
        }
        if (!this.#tasks.has(id)) continue;
        if (outcome === OUTCOME_FULFILLED || outcome === OUTCOME_REJECTED) {
          const offset = meta[m + COMPLETION_OFFSET];
          const length = meta[m + COMPLETION_LENGTH];
          if (length === DIRECT_LEN && isDirect(this.#scratch, offset)) {
            this.#directDone(id, w);
            continue;
          }
          let value;
          try {
            value = decode(this.#scratch, offset, offset + length);
          } catch (e) {
            this.#settle(id, false, e);
            continue;
          }
          this.#settle(id, outcome === OUTCOME_FULFILLED, value);
        } else {
          if (w) this.#markLeaving(w); // the watchdog is stopping it, or, without node::Stop, we do:
          if (w && !WATCHDOG_STOPS) w.worker.terminate();
          this.#settle(id, false, new TimeoutError(`the task ran longer than its timeout; its worker was stopped and will be replaced`));
          this.#replace();
        }
      }
    }
    if (!any) {
      if (this.#watching) this.#checkRoom(); // woken by a take
      return;
    }
    // Give back the memory of an earlier huge result.
    if (this.#scratch.length > 64 * SCRATCH_SIZE) this.#scratch = Buffer.allocUnsafeSlow(SCRATCH_SIZE);
    this.#checkRoom();
  }
}

module.exports = { WorkerPool, MAILBOX_HELD, JOB_ID, TASK_REF, ABORT_TASK, MAX_WORKERS, STARTUP_FAILED };
