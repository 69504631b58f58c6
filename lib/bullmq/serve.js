// @ts-check
'use strict';
/**
 * serve(): a BullMQ Worker whose processor is a threadkit WorkerPool.
 *
 * BullMQ takes jobs from Redis and renews their locks on this thread; the
 * pool runs them on its worker threads. This thread only decodes, hands the
 * task to the pool and encodes the result, so it stays free to renew locks
 * however long a job computes (BullMQ's in-process processors block it, and
 * then their jobs stall and run twice).
 *
 * - Concurrency: by default the pool's maxWorkers plus a prefetch that
 *   follows the jobs' length, 1 to 32 (prefetch.js); an explicit one is kept.
 *   When the prefetch falls (long jobs after tiny ones), the jobs held here
 *   that the pool has not started, beyond the new concurrency, go back to the
 *   queue for any consumer (BullMQ's moveToWait; not with maxStartedAttempts,
 *   which counts each start, nor with a limiter, which counts each fetch).
 *   "Jobs wait in the pool" is read as more jobs held than maxWorkers: with
 *   concurrentTasksPerWorker above 1 the check may run while none waits, and
 *   then finds nothing to give back.
 * - A job's name picks the export (protocol.js), its TIMEOUT_OPT is the
 *   pool's timeout (the pool's watchdog stops the thread: no zombie).
 * - Abort: producers publish a job id on the queue's cancel channel; this
 *   consumer aborts that job's pool task (pool[ABORT_TASK]), as its signal
 *   would. No job gets an AbortSignal: the processor takes two parameters, so
 *   BullMQ makes no AbortController per job, and the pool registers no abort
 *   listener per job (together about 10 to 16 µs of this thread per job);
 *   a cancel, rare, finds the running job in #running. A cancel that arrives
 *   before the job starts here is remembered for CANCEL_MEMORY_MS. An aborted
 *   job fails as UnrecoverableError, so BullMQ does not retry it.
 * - A task error is stored, encoded, in the job's hash (ERROR_FIELD) before
 *   the job fails, so the producer rejects with its class and properties.
 * - A worker script that cannot start: each job it touched goes back to
 *   waiting, this consumer pauses, and 'error' is emitted once.
 */

/** @typedef {import('./load.js').Redis} Redis */

const { EventEmitter } = require('node:events');
const { isNativeError } = require('node:util').types;
const { loadBullmq } = require('./load.js');
const { WorkerPool } = require('../pool/worker-pool.js');
const { JOB_ID, TASK_REF, ABORT_TASK, UNQUEUE_TASK, MAX_WORKERS } = require('../pool/internal.js');
const { STARTUP_FAILED } = require('../pool/lifecycle.js');
const { toJob, fromJob, errorToString } = require('./envelope.js');
const { DEFAULT_EXPORT, TIMEOUT_OPT, ERROR_FIELD, CANCEL_CHANNEL } = require('./protocol.js');
const { describe } = require('../validate.js');
const { AdaptivePrefetch, IDLE_RESET_MS, STALL_MIN_MS, MIN_PREFETCH } = require('./prefetch.js');

const CANCEL_MEMORY_MS = 60_000;
/** Names of errors that steer BullMQ's own flow (a processor throws them after moving the job itself). */
const BULLMQ_CONTROL_ERRORS = new Set(['DelayedError', 'WaitingError', 'WaitingChildrenError']);
const RATE_LIMIT_MESSAGE = 'bullmq:rateLimitExceeded';
const ABORT_REASON = 'aborted by the caller of RemotePool.execute';
/** What a given-back job's pool task rejects with (serve only reads run.givenBack). */
const GIVEN_BACK = new Error('threadkit/bullmq: given back to the queue');

/** A job that runs here: its pool task (TASK_REF sets taskId), whether a cancel aborted it or the prefetch gave it back, when it started and the jobs in flight then. */
class RunningJob {
  constructor(t0, inFlight) {
    this.taskId = -1;
    this.aborted = false;
    this.givenBack = false;
    this.t0 = t0;
    this.inFlight = inFlight;
  }
}

class Server extends EventEmitter {
  #pool;
  #worker;
  #bullmq;
  /** The connection subscribed to the cancel channel (a duplicate of the worker's). */
  #subscriber = null;
  #subscribing;
  /** The jobs whose pool task runs here: job id -> RunningJob. */
  #running = new Map();
  /** Job ids whose cancel arrived while they did not run here: id -> when. */
  #cancelled = new Map();
  #startupReported = false;
  #closing = null;
  /** The default concurrency's prefetch (null with an explicit `concurrency`). */
  #prefetch = null;
  /** Resets the prefetch once no job has run here for IDLE_RESET_MS (set while none runs). */
  #idleTimer = null;
  /** Checks that jobs still complete while some wait in the pool (#stallCheck). */
  #stallTimer = null;
  /** When a job last completed here, or the first of a busy spell arrived (performance.now()). */
  #lastDone = 0;
  /** When more jobs than pool threads came to be held here (performance.now()): the stall check's gap starts no earlier. */
  #fullSince = 0;
  /** Whether jobs the pool has not started may go back to the queue (not with maxStartedAttempts). */
  #mayGiveBack;

  constructor(pool, queueName, workerOptions) {
    super();
    this.#bullmq = loadBullmq();
    this.#pool = pool;
    const options = { ...workerOptions };
    if (options.concurrency === undefined) {
      this.#prefetch = new AdaptivePrefetch(pool[MAX_WORKERS]);
      options.concurrency = this.#prefetch.concurrency;
    }
    this.#mayGiveBack = !options.maxStartedAttempts && !options.limiter;
    // Two parameters, not three: BullMQ then makes no AbortSignal per job (see #cancel).
    const processor = (job, token) => this.#process(job, token);
    const worker = new this.#bullmq.Worker(queueName, processor, options);
    this.#worker = worker;
    worker.on('error', (e) => this.#error(e));
    worker.on('stalled', (jobId, prev) => this.emit('stalled', jobId, prev));
    worker.on('failed', (job, err, prev) => this.emit('failed', job, err, prev));
    this.#subscribing = this.#subscribe().catch((e) => this.#error(e));
  }

  /** The BullMQ Worker that takes the jobs (its `concurrency`, `pause()`, `resume()`, events...). */
  get worker() {
    return this.#worker;
  }

  /** Stops taking jobs, lets the running ones finish, and closes the connections. The pool stays open. */
  close() {
    this.#closing ??= (async () => {
      await this.#worker.close();
      await this.#subscribing;
      const sub = this.#subscriber;
      this.#subscriber = null;
      // disconnect, not quit: a QUIT waits in ioredis' offline queue while Redis is away.
      sub?.disconnect();
    })();
    return this.#closing;
  }

  async #subscribe() {
    const client = /** @type {Redis} */ (await this.#worker.backend.client);
    if (this.#closing) return;
    const sub = /** @type {Redis} */ (client.duplicate());
    this.#subscriber = sub;
    sub.on('error', (e) => this.#error(e));
    sub.on('message', (_channel, jobId) => this.#cancel(jobId));
    await sub.subscribe(this.#worker.toKey(CANCEL_CHANNEL));
  }

  #cancel(jobId) {
    const run = this.#running.get(jobId);
    if (run !== undefined) {
      if (!run.aborted) {
        run.aborted = true;
        this.#pool[ABORT_TASK](run.taskId, ABORT_REASON);
      }
      return;
    }
    const now = Date.now();
    for (const [id, at] of this.#cancelled) {
      if (now - at < CANCEL_MEMORY_MS) break;
      this.#cancelled.delete(id);
    }
    this.#cancelled.set(jobId, now);
  }

  /** Like BullMQ's own Worker: 'error' to the listeners, else to the console (never an uncaught throw). */
  #error(e) {
    if (this.listenerCount('error') > 0) this.emit('error', e);
    else console.error(e);
  }

  async #process(job, token) {
    const { UnrecoverableError, WaitingError } = this.#bullmq;
    if (this.#cancelled.size > 0 && this.#cancelled.delete(job.id)) throw new UnrecoverableError(`${ABORT_REASON} before it started`);
    let data;
    try {
      data = fromJob(job.data);
    } catch (e) {
      throw new UnrecoverableError(`threadkit/bullmq: the data of job ${job.id} cannot be decoded: ${e?.message}`);
    }
    if (this.#idleTimer !== null) {
      clearTimeout(this.#idleTimer);
      this.#idleTimer = null;
    }
    const oldest = this.#prefetch !== null && this.#running.size > 0 ? this.#running.values().next().value : undefined;
    const run = new RunningJob(performance.now(), this.#running.size + 1);
    if (oldest !== undefined) this.#setConcurrency(this.#prefetch.running(oldest.t0, run.t0, oldest.inFlight));
    const options = { [JOB_ID]: job.id, [TASK_REF]: run };
    if (job.name !== DEFAULT_EXPORT) options.name = job.name;
    const timeout = job.opts[TIMEOUT_OPT];
    if (timeout !== undefined) options.timeout = timeout;
    let result;
    if (this.#running.size === 0) this.#lastDone = run.t0;
    this.#running.set(job.id, run);
    if (this.#prefetch !== null && this.#running.size > this.#pool[MAX_WORKERS]) {
      if (this.#running.size === this.#pool[MAX_WORKERS] + 1) this.#fullSince = run.t0;
      this.#armStallCheck();
    }
    try {
      result = await this.#pool.execute(data, options);
      this.#lastDone = performance.now();
      if (this.#prefetch !== null) this.#setConcurrency(this.#prefetch.observe(run.t0, this.#lastDone, run.inFlight));
    } catch (err) {
      if (run.givenBack) {
        // A cancel that came since is remembered (#cancel): honour it here rather than queue the job again.
        if (this.#cancelled.size > 0 && this.#cancelled.delete(job.id)) throw new UnrecoverableError(`${ABORT_REASON} before it started`);
        await this.#backToWait(job, token);
        throw new WaitingError();
      }
      this.#lastDone = performance.now();
      if (run.aborted) throw new UnrecoverableError(`aborted: ${ABORT_REASON}`);
      if (err?.[STARTUP_FAILED] === true) {
        await this.#startupFailed(job, token, err);
        throw new WaitingError();
      }
      throw await this.#failed(job, err);
    } finally {
      // A given-back job left #running already, and this consumer may hold it again by now.
      if (this.#running.get(job.id) === run) this.#running.delete(job.id);
      if (this.#prefetch !== null && this.#running.size === 0) this.#idleSoon();
    }
    return toJob(result, 'the task result');
  }

  #idleSoon() {
    if (this.#idleTimer !== null) clearTimeout(this.#idleTimer);
    this.#idleTimer = setTimeout(() => {
      this.#idleTimer = null;
      if (this.#running.size === 0) this.#setConcurrency(this.#prefetch.reset());
    }, IDLE_RESET_MS);
    this.#idleTimer.unref();
  }

  /** While jobs wait in the pool: a look every STALL_MIN_MS that some still complete. */
  #armStallCheck() {
    if (this.#stallTimer !== null) return;
    this.#stallTimer = setTimeout(() => this.#stallLook(), STALL_MIN_MS);
    this.#stallTimer.unref();
  }

  /** The timer's look: cheap while jobs complete (the common case), #stallCheck once none has for STALL_MIN_MS. */
  #stallLook() {
    const timer = /** @type {NodeJS.Timeout} */ (this.#stallTimer);
    if (this.#closing === null && this.#running.size > this.#pool[MAX_WORKERS] && this.#stallGap() < STALL_MIN_MS) {
      timer.refresh();
      return;
    }
    // After this turn's poll phase, so that completions already delivered count (a busy thread delays both).
    setImmediate(() => {
      this.#stallTimer = null;
      this.#stallCheck();
    });
  }

  /** ms since a job last completed here, or since the pool filled up if later. */
  #stallGap() {
    return performance.now() - Math.max(this.#lastDone, this.#fullSince);
  }

  /**
   * No completion for STALL_MIN_MS or more while jobs wait in the pool (since #lastDone, and since the pool
   * filled up): every running job has run that long, so the jobs are at least that long (prefetch.js).
   */
  #stallCheck() {
    const threads = this.#pool[MAX_WORKERS];
    if (this.#closing !== null || this.#prefetch === null || this.#running.size <= threads) return;
    const gap = this.#stallGap();
    let c = this.#worker.concurrency;
    if (gap >= STALL_MIN_MS) {
      c = this.#prefetch.waited(gap);
      this.#setConcurrency(c);
      if (this.#mayGiveBack) this.#giveBackBeyond(c);
    }
    // Again while there is something to lower or to give back; the next job that fills the pool re-arms it.
    if (this.#running.size > threads && (c > threads + MIN_PREFETCH || this.#running.size > c)) this.#armStallCheck();
  }

  /** Gives the newest jobs that the pool has not started back to the queue, until at most `c` are held here. */
  #giveBackBeyond(c) {
    if (this.#running.size <= c) return;
    const held = [...this.#running];
    for (let k = held.length - 1; k >= 0 && this.#running.size > c; k--) {
      const [id, run] = held[k];
      if (run.aborted || !this.#pool[UNQUEUE_TASK](run.taskId, GIVEN_BACK)) continue;
      run.givenBack = true; // #process puts the job back in the queue
      this.#running.delete(id);
    }
  }

  /** Puts a job this consumer holds back in the queue's wait list, where any consumer may take it. */
  async #backToWait(job, token) {
    try {
      await job.moveToWait(token);
    } catch {
      // Its lock expires, and BullMQ's stalled check puts it back.
    }
  }

  /** The default concurrency follows the jobs' length (prefetch.js); BullMQ's run loop reads it before each fetch. */
  #setConcurrency(c) {
    if (c !== this.#worker.concurrency) this.#worker.concurrency = c;
  }

  /** Stores the task's error for the producer; returns the error for BullMQ to fail the job with. */
  async #failed(job, err) {
    try {
      const client = /** @type {Redis} */ (await this.#worker.backend.client);
      await client.hset(this.#worker.toKey(job.id), ERROR_FIELD, errorToString(err));
    } catch {
      // The producer falls back to an Error with BullMQ's failedReason.
    }
    // isNativeError, not instanceof: the pool's errors come from another realm under vm-based runners (jest).
    if (!isNativeError(err)) return new Error(String(err));
    if (BULLMQ_CONTROL_ERRORS.has(err.name) || err.message === RATE_LIMIT_MESSAGE) {
      // Thrown by task code, these would make BullMQ treat the job as moved: fail it plainly.
      return new Error(`${err.name}: ${err.message}`, { cause: err });
    }
    return err; // UnrecoverableError (by name) keeps its meaning: no retry
  }

  /** The pool cannot start its worker script: put the job back and stop taking jobs (once). */
  async #startupFailed(job, token, err) {
    await this.#backToWait(job, token);
    if (this.#startupReported) return;
    this.#startupReported = true;
    // Not awaited: pause() waits for the running jobs, and this is one of them.
    this.#worker.pause(true).catch((e) => this.#error(e));
    const why = err.cause?.message ?? err.message;
    this.#error(
      new Error(
        `threadkit/bullmq: the worker script cannot start, so this consumer stopped taking jobs from queue "${this.#worker.name}" (they stay waiting for another consumer): ${why}`,
        { cause: err },
      ),
    );
  }
}

/**
 * Serves queue `queueName` with `pool`: every job runs as `pool.execute`.
 * @param {import('../pool/worker-pool.js').WorkerPool} pool
 * @param {string} queueName
 * @param {object} workerOptions BullMQ's WorkerOptions
 */
function serve(pool, queueName, workerOptions) {
  if (!(pool instanceof WorkerPool)) throw new TypeError(`serve() needs a threadkit WorkerPool as its first argument, got ${describe(pool)}`);
  if (typeof queueName !== 'string' || queueName === '') throw new TypeError(`queueName must be a non-empty string, got ${describe(queueName)}`);
  if (workerOptions === null || typeof workerOptions !== 'object') {
    throw new TypeError(`workerOptions must be BullMQ's WorkerOptions object (at least { connection }), got ${describe(workerOptions)}`);
  }
  return new Server(pool, queueName, workerOptions);
}

module.exports = { serve };
