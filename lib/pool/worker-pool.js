// @ts-check
'use strict';
/**
 * WorkerPool: runs a worker script's task function on real OS threads.
 *
 * Data flow (see src/pool.rs and crates/core/src/task_queue/):
 *   execute() -> encode -> native priority queue -> doorbell (Atomics.notify)
 *   worker: poolTake -> run -> poolComplete -> native completion queue
 *   native: wakes this thread once per batch -> drain() settles promises.
 * Workers pull from the queue themselves, so dispatch goes on while this
 * thread is blocked; a native watchdog thread stops workers whose task ran
 * past its timeout, also while this thread is blocked.
 *
 * Every task promise settles exactly once: with the worker's result, with a
 * TimeoutError (watchdog), a WorkerCrashedError (its worker died), an
 * AbortError (its signal), or a ClosedError (terminate()).
 *
 * This file is the public API. The rest, by concept, works on the pool's
 * shared state (state.js): worker threads in lifecycle.js, direct tasks
 * (data only postMessage can carry) in direct.js, completions in drain.js
 * and settle.js. Each worker's state and the grow/idle policy are the native
 * core's.
 */

const { EventEmitter } = require('node:events');
const native = require('../native.js');
const { encode, encodeDirect, encodeForJob } = require('../codec/index.js');
const { TaskRecord } = require('./records.js');
const { startAbortListener } = require('../abort-listeners.js');
const { resolveTask, normalizeOptions, executeOptions, closeOptions } = require('./options.js');
const { PoolState } = require('./state.js');
const { settle, settleIdle, checkRoom, watchTakes, hasRoom } = require('./settle.js');
const { post } = require('./direct.js');
const { SEQ, BELL_SLEEPERS, wakeSleepers, STARTUP_FAILED, grow, spawn, readOutput, runnerOf, abortRunning, stopThreads } = require('./lifecycle.js');
const { metricsOf } = require('./samples.js');
const { drain } = require('./drain.js');
const { AbortError, ClosedError, QueueFullError, DataCloneError } = require('../errors.js');
const { taskChannel } = require('../diagnostics.js');
const { frameTrace } = require('./trace-frame.js');
const { frameStream } = require('./stream-frame.js');
const { TaskStream, streamHighWaterMark } = require('./stream.js');
const { workerEntry } = require('./entry.js');
const { MAILBOX_HELD, JOB_ID, TASK_REF, ABORT_TASK, UNQUEUE_TASK, MAX_WORKERS, STREAM } = require('./internal.js');

const { SUBMIT_START_WORKER } = native;

/**
 * execute()'s `name` on a pool made from a function: it has only that function.
 * @param {string} name
 * @returns {never}
 */
function noNames(name) {
  throw new TypeError(
    `execute() got name ${JSON.stringify(name)}, but a WorkerPool made from a function has no named exports: it runs only that function (pass a worker script for named exports)`,
  );
}

/** @typedef {import('../../index.js').ExecuteOptions & { [JOB_ID]?: string, [TASK_REF]?: { taskId?: number }, [STREAM]?: TaskStream<any> }} ExecuteInternal */

class WorkerPool extends EventEmitter {
  /** @type {PoolState} */
  #s;
  /** What execute() uses without options. @type {Readonly<ReturnType<typeof executeOptions>>} */
  #defaults;
  #nextTask = 1;
  /** The resolved options, as `options` returns them. @type {Readonly<import('../../index.js').WorkerPoolResolvedOptions>} */
  #options;

  /**
   * @param {string | URL | ((data: any, context: import('../../index.js').TaskContext) => unknown)} workerScript a script, or a function whose source is the task function (function-task.js)
   * @param {number | import('../../index.js').WorkerPoolOptions} [sizeOrOptions]
   */
  constructor(workerScript, sizeOrOptions) {
    super();
    // A bundle without the worker entry fails here, not at the first task.
    workerEntry();
    const s = new PoolState(this, resolveTask(workerScript), normalizeOptions(sizeOrOptions));
    this.#s = s;
    this.#defaults = Object.freeze(executeOptions({}, s.opts.taskTimeout, null));
    s.drainNow = () => drain(s);
    // hasRef() tells async_hooks users (jest --detectOpenHandles) whether the
    // pool keeps the process alive: only while tasks are outstanding.
    const { minWorkers, maxWorkers } = s.opts;
    const id = native.poolCreate(() => drain(s), { hasRef: () => native.poolHasRef(id) }, minWorkers, maxWorkers);
    if (id < 0) throw new Error(`threadkit: could not create the native pool (status ${id})`);
    s.id = id;
    if (s.opts.maxTasksPerWorker !== Infinity) native.poolSetMaxTasks(id, s.opts.maxTasksPerWorker);
    if (s.opts.concurrentTasksPerWorker > 1) native.poolSetConcurrency(id, s.opts.concurrentTasksPerWorker);
    this.#options = Object.freeze({ ...s.opts });
    for (let i = 0; i < minWorkers; i++) {
      const err = spawn(s);
      if (err) {
        // Bad execArgv, env or workerData: say so now, and leave nothing behind.
        for (const w of s.workers.values()) w.worker.terminate();
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
    return native.poolWorkerCounts(this.#s.id).taking;
  }

  /**
   * The options the pool runs with, resolved: defaults filled in, a pool
   * size expanded to minWorkers and maxWorkers, `maxQueue: 'auto'` as its
   * number. A frozen object, the same one on every read.
   */
  get options() {
    return this.#options;
  }

  /**
   * Tasks waiting for a worker.
   * @returns {number}
   */
  get queueSize() {
    return native.poolTaskCounts(this.#s.id).queued;
  }

  /** Tasks submitted and not settled yet (queued or running). */
  get pending() {
    return this.#s.tasks.size;
  }

  /**
   * Runs the worker script's task function with `data` on a worker.
   * @param {unknown} data
   * @param {ExecuteInternal} [options]
   * @returns {Promise<any>}
   */
  execute(data, options) {
    // One check per task while nobody subscribes (lib/diagnostics.js).
    if (taskChannel.hasSubscribers) return this.#traced(data, options);
    return this.#submit(data, options, this.#nextTask++, undefined);
  }

  /**
   * Runs a task whose function returns a generator (or any iterable, sync
   * or async) and gives its values as they come (lib/pool/stream.js).
   * @param {unknown} data
   * @param {import('../../index.js').StreamOptions} [options]
   * @returns {AsyncIterableIterator<any>}
   */
  stream(data, options) {
    // Bad options throw here, as stream() returns no promise to reject.
    if (options !== undefined) this.#checkOptions(options);
    const stream = new TaskStream(streamHighWaterMark(options));
    stream.follow(this.execute(data, { ...options, [STREAM]: stream }));
    return stream;
  }

  /**
   * execute() while `threadkit:pool:task` has subscribers: the task's span.
   * A start subscriber may set `traceContext`; it travels with the task.
   * @param {unknown} data
   * @param {ExecuteInternal} [options]
   * @returns {Promise<any>}
   */
  #traced(data, options) {
    /** @type {import('../../index.js').PoolTaskTrace} */
    const ctx = {
      pool: this.#s.opts.name,
      id: this.#nextTask++,
      name: typeof options?.name === 'string' ? options.name : undefined,
      data,
      jobId: options?.[JOB_ID],
      traceContext: undefined,
      waitTime: undefined,
      runTime: undefined,
      threadId: undefined,
    };
    return taskChannel.tracePromise(this.#submit, ctx, this, data, options, ctx.id, ctx);
  }

  /**
   * execute()'s options, checked and resolved.
   * @param {ExecuteInternal} options
   */
  #checkOptions(options) {
    const s = this.#s;
    return executeOptions(options, s.opts.taskTimeout, s.source === undefined ? (name) => native.poolNameId(s.id, name) : noNames);
  }

  /**
   * Queues task `id`.
   * @param {unknown} data
   * @param {ExecuteInternal | undefined} options
   * @param {number} id
   * @param {import('../../index.js').PoolTaskTrace | undefined} trace its tracing context, if traced
   * @returns {Promise<any>}
   */
  #submit(data, options, id, trace) {
    const s = this.#s;
    if (s.state !== 'open') {
      return Promise.reject(
        new ClosedError(`WorkerPool has been ${s.state === 'closing' ? 'closed' : 'terminated'}; execute() is no longer accepted`, {
          reason: s.state,
        }),
      );
    }
    let task = this.#defaults;
    let jobId;
    let ref;
    let stream;
    if (options !== undefined) {
      try {
        task = this.#checkOptions(options);
      } catch (e) {
        return Promise.reject(e);
      }
      jobId = options[JOB_ID];
      ref = options[TASK_REF];
      stream = options[STREAM];
    }
    const { priority, timeout, nameId, signal, transfer, onProgress } = task;
    if (signal?.aborted) return Promise.reject(new AbortError('The task was aborted before it was queued', { cause: signal.reason }));
    if (s.opts.maxQueue !== Infinity && !hasRoom(s)) {
      return Promise.reject(
        new QueueFullError(
          s.opts.maxQueue === 0
            ? "no worker of the WorkerPool is free (maxQueue 0); wait with waitForRoom() or listen for 'drain'"
            : `the WorkerPool queue is full (maxQueue ${s.opts.maxQueue}); wait with waitForRoom() or listen for 'drain'`,
        ),
      );
    }
    let bytes;
    let direct = transfer !== undefined;
    try {
      if (!direct) {
        try {
          bytes = jobId === undefined ? encode(data, 'task data') : encodeForJob(data, 'task data', jobId);
        } catch (e) {
          // v8.serialize refuses SharedArrayBuffers and ports; postMessage takes them.
          if (!(e instanceof DataCloneError)) throw e;
          direct = true;
          post(s, id, data, [], e);
        }
      } else {
        post(s, id, data, transfer, null);
      }
    } catch (e) {
      return Promise.reject(e);
    }
    if (direct) bytes = encodeDirect();
    if (stream !== undefined) bytes = frameStream(stream.highWaterMark, bytes);
    if (trace !== undefined && trace.traceContext !== undefined) {
      try {
        bytes = frameTrace(trace.traceContext, bytes);
      } catch (e) {
        if (direct) s.mailbox?.drop(id);
        return Promise.reject(e);
      }
    }
    // A direct task's run time starts when its data reached the worker.
    const submitted = native.poolSubmit(s.id, id, priority, nameId, bytes, timeout, direct);
    if (submitted < 0) {
      if (direct) s.mailbox?.drop(id);
      return Promise.reject(new Error(`threadkit: the native pool refused the task (status ${submitted})`));
    }
    if (direct) s.direct.add(id);
    const promise = this.#track(s, id, signal, trace, onProgress);
    if (stream !== undefined) stream.attach(s, id);
    if (ref !== undefined) ref.taskId = id;
    const bell = s.bell;
    Atomics.add(bell, SEQ, 1);
    // A spinning or running worker sees SEQ move by itself (worker/task-loop.js says why no wake-up is lost).
    if (Atomics.load(bell, BELL_SLEEPERS) > 0) wakeSleepers(bell, 1);
    s.backlog = true;
    if (!s.watching && this.listenerCount('drain') > 0) {
      watchTakes(s, true);
      checkRoom(s);
    }
    // The native core's grow policy answered with the submit itself: no second call per task.
    if (submitted === SUBMIT_START_WORKER) grow(s);
    return promise;
  }

  /**
   * @param {number} taskId
   * @param {unknown} reason
   */
  [ABORT_TASK](taskId, reason) {
    this.#abort(taskId, reason);
  }

  /**
   * @param {number} taskId
   * @param {Error} error
   */
  [UNQUEUE_TASK](taskId, error) {
    if (!this.#s.tasks.has(taskId) || !this.#unqueue(taskId, error)) return false;
    this.#s.failed--; // withdrawn, not failed: the metrics count it as never submitted
    this.#s.submitted--;
    return true;
  }

  /** Takes task `id` out of the queue if no worker has taken it yet, rejecting it with `error`. @param {number} id @param {unknown} error */
  #unqueue(id, error) {
    const s = this.#s;
    if (!native.poolCancel(s.id, id)) return false;
    settle(s, id, false, error);
    checkRoom(s);
    return true;
  }

  get [MAX_WORKERS]() {
    return this.#s.opts.maxWorkers;
  }

  /** @returns {Promise<number>} */
  [MAILBOX_HELD]() {
    return this.#s.mailbox === null ? Promise.resolve(0) : this.#s.mailbox.held();
  }

  /**
   * Records task `id` until it settles, and listens for its signal's abort.
   * @param {PoolState} s
   * @param {number} id
   * @param {AbortSignal | undefined} signal
   * @param {import('../../index.js').PoolTaskTrace | undefined} trace
   * @param {((value: any) => void) | undefined} [onProgress]
   * @returns {Promise<any>}
   */
  #track(s, id, signal, trace, onProgress) {
    /** @type {TaskRecord} */
    let rec;
    const promise = new Promise((resolve, reject) => {
      rec = new TaskRecord(resolve, reject);
    });
    rec.trace = trace;
    rec.onProgress = onProgress;
    s.tasks.set(id, rec);
    s.submitted++;
    if (signal) {
      rec.abort = startAbortListener(signal, () => this.#abort(id, signal.reason));
    }
    if (!s.refd) {
      s.refd = true;
      native.poolRef(s.id, true);
    }
    return promise;
  }

  /**
   * Runs `execute` for every item; results in input order.
   * @param {Iterable<unknown>} items
   * @param {import('../../index.js').ExecuteOptions} [options]
   * @returns {Promise<any[]>}
   */
  map(items, options) {
    if (items === null || items === undefined || typeof items[Symbol.iterator] !== 'function') {
      return Promise.reject(new TypeError(`map() needs an iterable of task data, got ${items === null ? 'null' : typeof items}`));
    }
    return Promise.all(Array.from(items, (item) => this.execute(item, options)));
  }

  /**
   * Resolves when the queue has room for another task (always at once if
   * maxQueue is Infinity; with maxQueue 0, when a worker is free).
   * @returns {Promise<void>}
   */
  waitForRoom() {
    const s = this.#s;
    if (s.state !== 'open') return Promise.reject(new ClosedError('WorkerPool is not open', { reason: s.state }));
    if (s.opts.maxQueue === Infinity || hasRoom(s)) return Promise.resolve();
    return new Promise((resolve) => {
      s.roomWaiters.push(resolve);
      // A take between the check above and the watch would wake nobody: look again.
      watchTakes(s, true);
      checkRoom(s);
    });
  }

  /**
   * Resolves when no task is queued or running.
   * @returns {Promise<void>}
   */
  onIdle() {
    if (this.#s.tasks.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.#s.idleWaiters.push(resolve));
  }

  /**
   * Counters, percentiles and utilisation since the pool was created.
   * @returns {import('../../index.js').WorkerPoolMetrics}
   */
  getMetrics() {
    return metricsOf(this.#s);
  }

  /**
   * Finishes queued and running work, then stops. After `timeout` ms, terminates instead.
   * With `force: true`, queued tasks reject with ClosedError at once; running ones still finish.
   * @param {{ timeout?: number, force?: boolean }} [options]
   * @returns {Promise<void>}
   */
  close(options = {}) {
    let timeout;
    let force;
    try {
      ({ timeout, force } = closeOptions(options));
    } catch (e) {
      return Promise.reject(e);
    }
    const s = this.#s;
    if (s.state === 'terminated') return s.terminated;
    s.state = 'closing';
    if (force) {
      for (const id of native.poolClear(s.id)) {
        settle(s, id, false, new ClosedError('WorkerPool was closed with force: true before the task started', { reason: 'closing' }));
      }
      checkRoom(s);
    }
    for (const r of s.roomWaiters.splice(0)) r();
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

  /**
   * `await using pool = new WorkerPool(...)` closes the pool (`close()`: queued
   * and running tasks finish first) when the block ends.
   * @returns {Promise<void>}
   */
  [Symbol.asyncDispose]() {
    return this.close();
  }

  /**
   * Stops every worker now; every unsettled task rejects with ClosedError. Always resolves.
   * @returns {Promise<void>}
   */
  terminate() {
    const s = this.#s;
    if (s.terminated) return s.terminated;
    s.state = 'terminated';
    clearInterval(s.idleTimer);
    drain(s);
    native.poolClear(s.id);
    // What running tasks wrote precedes their ClosedError, as it precedes a result.
    for (const w of s.workers.values()) readOutput(s, w);
    for (const id of [...s.tasks.keys()]) {
      settle(s, id, false, new ClosedError('WorkerPool was terminated before the task finished', { reason: 'terminated' }));
    }
    s.direct.clear();
    const mailbox = s.mailbox;
    s.mailbox = null;
    for (const r of s.roomWaiters.splice(0)) r();
    settleIdle(s);
    /** @type {Array<{ terminate(): Promise<number> }>} */
    const threads = [...s.workers.values()].map((w) => w.worker);
    if (mailbox) threads.push(mailbox);
    s.terminated = stopThreads(threads).then(() => {
      if (s.refd) native.poolRef(s.id, false);
      native.poolDestroy(s.id);
    });
    return s.terminated;
  }

  /**
   * Aborts task `id`: cancels it if queued, else settles it and tells its worker.
   * @param {number} id
   * @param {unknown} reason
   */
  #abort(id, reason) {
    const s = this.#s;
    const rec = s.tasks.get(id);
    if (!rec) return;
    if (this.#unqueue(id, new AbortError('The task was aborted while queued', { cause: reason }))) return;
    const runner = runnerOf(s, id);
    // What the task wrote precedes its AbortError, as it precedes a result.
    if (runner) readOutput(s, runner);
    rec.stream?.drop(); // an aborted stream's caller wants no more of its values
    settle(s, id, false, new AbortError('The task was aborted while running', { cause: reason }));
    if (runner) abortRunning(s, runner, id, reason);
  }
}

module.exports = { WorkerPool, MAILBOX_HELD, JOB_ID, TASK_REF, ABORT_TASK, UNQUEUE_TASK, MAX_WORKERS, STARTUP_FAILED };
