// @ts-check
'use strict';
/**
 * RemotePool: WorkerPool.execute's contract, with the work done by whichever
 * consumer (serve()) takes the job from a BullMQ queue.
 *
 * - execute() adds a job with an id of its own (so its result cannot arrive
 *   before the promise is known) and keeps the promise's resolvers.
 * - Results come from a QueueEvents stream reader (no polling): 'completed'
 *   resolves, 'failed' (after BullMQ's retries) rejects with the task's error
 *   read from the job's hash, 'removed' rejects. Every settlement goes
 *   through #settle, which deletes the record first: exactly once.
 * - The stream reader starts from the stream's last id at start-up, so no
 *   event of a job added afterwards is missed.
 * - Reconnection: each time the Redis connection is ready again, every
 *   pending job's state is read once (reconcile): a finished job settles, a
 *   job Redis no longer has rejects with JobLostError.
 * - timeout: counted by the consumer's pool from when a thread takes the
 *   job. Here, once the job is active (or the connection to Redis drops), a
 *   guard of timeout + ACTIVE_GRACE_MS reads its state if no result came:
 *   finished settles, lost rejects, still queued or running (a retry, a
 *   redelivery) waits again, and a Redis that does not answer within
 *   STATE_CHECK_MS rejects with TimeoutError.
 * - signal: rejects at once; then the job is removed if it waits, or its
 *   consumer is asked, over the queue's cancel channel, to abort it.
 */

/** @typedef {import('./load.js').Redis} Redis */

const { EventEmitter } = require('node:events');
const { randomUUID } = require('node:crypto');
const { loadBullmq } = require('./load.js');
const { toJob, fromJob, errorFromString } = require('./envelope.js');
const { DEFAULT_EXPORT, TIMEOUT_OPT, ERROR_FIELD, CANCEL_CHANNEL, bullmqPriority } = require('./protocol.js');
const { checkRemoteOptions } = require('./options.js');
const { startAbortListener, stopAbortListener } = require('../abort-listeners.js');
const { describe } = require('../validate.js');
const { ThreadkitError, AbortError, ClosedError, TimeoutError } = require('../errors.js');

const ACTIVE_GRACE_MS = 5000;
const STATE_CHECK_MS = 3000;
/** What a state check that Redis did not answer in time gives (not a string: states are strings). */
const NO_ANSWER = Symbol('no answer');

/**
 * How long close() waits for a BullMQ connection to close. ioredis emits no
 * 'end' for a disconnect while it waits to reconnect (Redis went away), and
 * BullMQ's close() waits for that 'end'; the disconnect itself has stopped
 * the reconnection by then, so nothing is left running.
 */
const CLOSE_WAIT_MS = 2000;

async function closeWithin(closing, ms) {
  let timer;
  const gaveUp = new Promise((resolve) => {
    timer = setTimeout(resolve, ms);
  });
  await Promise.race([closing.catch(() => {}), gaveUp]);
  clearTimeout(timer);
}

/** A job that Redis no longer has (removed, or lost in a Redis restart without persistence). It may or may not have run. */
class JobLostError extends ThreadkitError {
  constructor(message, options) {
    super(message, options);
    this.code = 'ERR_THREADKIT_JOB_LOST';
    this.jobId = options?.jobId;
  }
}

class Pending {
  constructor(resolve, reject, timeout) {
    this.resolve = resolve;
    this.reject = reject;
    this.timeout = timeout;
    this.abort = null;
    this.guard = null;
    /** Resolves once the job is in Redis. */
    this.added = null;
  }
}

class RemotePool extends EventEmitter {
  #queue;
  #events = null;
  #ready;
  #pending = new Map();
  #submitted = 0;
  #completed = 0;
  #failed = 0;
  #closed = null;
  #bullmq;

  /**
   * @param {string} queueName
   * @param {object} queueOptions BullMQ's QueueOptions
   */
  constructor(queueName, queueOptions) {
    super();
    if (typeof queueName !== 'string' || queueName === '') throw new TypeError(`queueName must be a non-empty string, got ${describe(queueName)}`);
    if (queueOptions === null || typeof queueOptions !== 'object') {
      throw new TypeError(`queueOptions must be BullMQ's QueueOptions object (at least { connection }), got ${describe(queueOptions)}`);
    }
    this.#bullmq = loadBullmq();
    this.#queue = new this.#bullmq.Queue(queueName, queueOptions);
    this.#queue.on('error', (e) => this.#error(e));
    this.#ready = this.#start(queueName, queueOptions);
    this.#ready.catch((e) => this.#error(e));
  }

  /** The BullMQ Queue the jobs go to (for its getters: counts, jobs, metrics). */
  get queue() {
    return this.#queue;
  }

  async #start(queueName, queueOptions) {
    const client = /** @type {Redis} */ (await this.#queue.backend.client);
    const last = await client.xrevrange(this.#queue.keys.events, '+', '-', 'COUNT', 1);
    if (this.#closed) return;
    // The queue's own options (connection, prefix, ...), and the stream position read above.
    const events = new this.#bullmq.QueueEvents(queueName, { ...queueOptions, lastEventId: last.length > 0 ? last[0][0] : '0-0' });
    this.#events = events;
    events.on('error', (e) => this.#error(e));
    events.on('completed', ({ jobId, returnvalue }) => this.#completedEvent(jobId, returnvalue));
    events.on('failed', ({ jobId, failedReason }) => this.#failedEvent(jobId, failedReason));
    events.on('removed', ({ jobId }) => this.#lost(jobId, 'was removed from the queue before it finished'));
    events.on('active', ({ jobId }) => this.#active(jobId));
    await events.waitUntilReady();
    // After a reconnection, read what happened to the pending jobs meanwhile.
    client.on('ready', () => this.#reconcile());
    // While Redis is unreachable no 'active' event may come to start a timeout's guard: start them now.
    client.on('close', () => this.#disconnected());
  }

  /**
   * Runs the worker script's task function with `data` on a consumer.
   * @returns {Promise<any>}
   */
  execute(data, options) {
    if (this.#closed) return Promise.reject(new ClosedError('RemotePool has been closed; execute() is no longer accepted', { reason: 'closed' }));
    let task;
    let json;
    try {
      task = checkRemoteOptions(options);
      if (task.signal?.aborted) return Promise.reject(new AbortError('The task was aborted before it was queued', { cause: task.signal.reason }));
      json = toJob(data, 'task data');
    } catch (e) {
      return Promise.reject(e);
    }
    const jobId = randomUUID();
    const jobOpts = { jobId, priority: bullmqPriority(task.priority) };
    if (task.attempts !== undefined) jobOpts.attempts = task.attempts;
    if (task.backoff !== undefined) jobOpts.backoff = task.backoff;
    if (task.timeout !== undefined) jobOpts[TIMEOUT_OPT] = task.timeout;
    /** @type {Pending} */
    let rec;
    const promise = new Promise((resolve, reject) => {
      rec = new Pending(resolve, reject, task.timeout);
    });
    this.#pending.set(jobId, rec);
    this.#submitted++;
    rec.added = this.#ready.then(() => this.#queue.add(task.name ?? DEFAULT_EXPORT, json, jobOpts));
    rec.added.catch((e) => this.#settle(jobId, false, e));
    if (task.signal) rec.abort = startAbortListener(task.signal, () => this.#abort(jobId, task.signal.reason));
    return promise;
  }

  /** Runs `execute` for every item (with the same options); results in input order. */
  map(items, options) {
    if (items === null || items === undefined || typeof items[Symbol.iterator] !== 'function') {
      return Promise.reject(new TypeError(`map() needs an iterable of task data, got ${describe(items)}`));
    }
    return Promise.all(Array.from(items, (item) => this.execute(item, options)));
  }

  /** Counts since this RemotePool was created. */
  getMetrics() {
    return { submitted: this.#submitted, completed: this.#completed, failed: this.#failed, inFlight: this.#pending.size };
  }

  /**
   * Rejects every pending promise with ClosedError and closes the
   * connections. Jobs already in the queue stay there and still run.
   */
  close() {
    this.#closed ??= (async () => {
      for (const id of [...this.#pending.keys()]) {
        this.#settle(id, false, new ClosedError('RemotePool was closed before the task finished (its job stays in the queue)', { reason: 'closed' }));
      }
      await this.#ready.catch(() => {});
      if (this.#events) await closeWithin(this.#events.close(), CLOSE_WAIT_MS);
      await closeWithin(this.#queue.close(), CLOSE_WAIT_MS);
    })();
    return this.#closed;
  }

  // -------------------------------------------------------------------------

  #error(e) {
    if (this.listenerCount('error') > 0) this.emit('error', e);
    else console.error(e);
  }

  #settle(jobId, ok, value) {
    const rec = this.#pending.get(jobId);
    if (rec === undefined) return;
    this.#pending.delete(jobId);
    if (rec.abort !== null) stopAbortListener(rec.abort);
    clearTimeout(rec.guard);
    if (ok) {
      this.#completed++;
      rec.resolve(value);
    } else {
      this.#failed++;
      rec.reject(value);
    }
  }

  #completedEvent(jobId, returnvalue) {
    if (!this.#pending.has(jobId)) return;
    let value;
    try {
      value = fromJob(returnvalue);
    } catch (e) {
      this.#settle(jobId, false, e);
      return;
    }
    this.#settle(jobId, true, value);
  }

  async #failedEvent(jobId, failedReason) {
    if (!this.#pending.has(jobId)) return;
    this.#settle(jobId, false, await this.#taskError(jobId, failedReason));
  }

  /** The error the task threw, as the consumer stored it, else an Error with BullMQ's failedReason. */
  async #taskError(jobId, failedReason) {
    try {
      const client = /** @type {Redis} */ (await this.#queue.backend.client);
      const text = await client.hget(this.#queue.toKey(jobId), ERROR_FIELD);
      if (text) return errorFromString(text);
    } catch {
      // Fall back to BullMQ's reason.
    }
    return new Error(failedReason ?? 'the job failed');
  }

  #lost(jobId, what) {
    if (!this.#pending.has(jobId)) return;
    this.#settle(jobId, false, new JobLostError(`job ${jobId} ${what}; it may or may not have run`, { jobId }));
  }

  #active(jobId) {
    const rec = this.#pending.get(jobId);
    if (rec === undefined || rec.timeout === undefined) return;
    this.#arm(jobId, rec);
  }

  /** (Re)starts job `jobId`'s guard: a state check in timeout + ACTIVE_GRACE_MS. */
  #arm(jobId, rec) {
    clearTimeout(rec.guard);
    rec.guard = setTimeout(() => this.#check(jobId, true), rec.timeout + ACTIVE_GRACE_MS);
  }

  /** Reads the job's state once and settles, or re-arms the guard. */
  async #check(jobId, guard) {
    const rec = this.#pending.get(jobId);
    if (rec === undefined) return;
    let timer;
    const silent = new Promise((resolve) => {
      timer = setTimeout(() => resolve(NO_ANSWER), STATE_CHECK_MS);
    });
    let state;
    try {
      state = await Promise.race([this.#queue.getJobState(jobId), silent]);
    } catch (e) {
      state = e;
    } finally {
      clearTimeout(timer);
    }
    if (!this.#pending.has(jobId)) return;
    if (state === 'completed') {
      const job = await this.#bullmq.Job.fromId(this.#queue, jobId).catch(() => undefined);
      if (job) this.#completedEvent(jobId, job.returnvalue);
      else this.#lost(jobId, 'is no longer in Redis');
    } else if (state === 'failed') {
      const job = await this.#bullmq.Job.fromId(this.#queue, jobId).catch(() => undefined);
      await this.#failedEvent(jobId, job?.failedReason);
    } else if (state === 'unknown') {
      this.#lost(jobId, 'is no longer in Redis (removed, or lost in a Redis restart without persistence)');
    } else if (typeof state !== 'string') {
      if (!guard) return; // a reconnection check: the connection may just drop again; the guard or the next one decides
      const why = state === NO_ANSWER ? `Redis did not answer within ${STATE_CHECK_MS} ms` : `Redis failed: ${state?.message ?? state}`;
      this.#settle(
        jobId,
        false,
        new TimeoutError(`no result within the task's timeout (${rec.timeout} ms) plus ${ACTIVE_GRACE_MS} ms, and ${why}; the job may still run`),
      );
    } else if (rec.timeout !== undefined) {
      // Queued again (a retry, or redelivered after its consumer died) or still running: wait again.
      this.#arm(jobId, rec);
    }
  }

  #disconnected() {
    for (const [jobId, rec] of this.#pending) {
      if (rec.timeout !== undefined && rec.guard === null) this.#arm(jobId, rec);
    }
  }

  #reconcile() {
    if (this.#closed) return;
    for (const jobId of this.#pending.keys()) {
      const rec = this.#pending.get(jobId);
      rec.added.then(
        () => this.#check(jobId, false),
        () => {},
      );
    }
  }

  #abort(jobId, reason) {
    const rec = this.#pending.get(jobId);
    if (rec === undefined) return;
    this.#settle(jobId, false, new AbortError('The task was aborted', { cause: reason }));
    rec.added.then(
      () => this.#cancel(jobId).catch((e) => this.#error(e)),
      () => {},
    );
  }

  /** Removes a waiting job; a job that runs (locked) is aborted by its consumer, asked over the cancel channel. */
  async #cancel(jobId) {
    const removed = await this.#queue.remove(jobId);
    if (removed === 1) return;
    const client = /** @type {Redis} */ (await this.#queue.backend.client);
    await client.publish(this.#queue.toKey(CANCEL_CHANNEL), jobId);
  }
}

module.exports = { RemotePool, JobLostError };
