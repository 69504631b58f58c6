// @ts-check
'use strict';
/**
 * pool.stream(): the caller's side of a task whose function returns a
 * generator (or any iterable). The values it yields come through a byte
 * ring in shared memory (stream-ring.js) that the worker took at the first
 * value: a new one it sent over its control port (lifecycle.js: MSG.STREAM),
 * or one it sent before and reuses, which this side finds by its OWNER word
 * (stream-rings.js: the claim wakes this thread, whose drain looks again);
 * the iterator decodes each value straight from the ring when the caller
 * takes it, and frees the ring for reuse once it is done with it (its end
 * was taken, or it returned, aborted or failed). The worker side is
 * worker/stream.js.
 *
 * Backpressure: the worker runs at most `highWaterMark` values (and at most
 * a ring of bytes) ahead of what the caller has taken, counted in the ring,
 * so a slow caller holds at most that much and pauses the generator.
 *
 * The end: the task's completion still comes through the pool's completion
 * queue, after its values. When it settles, the values are those the worker
 * wrote into the ring by then; the error, if any, comes after them.
 */

const native = require('../native.js');
const { validateInteger } = require('../validate.js');
const { settle, checkRoom } = require('./settle.js');
const { runnerOf, abortRunning } = require('./lifecycle.js');
const { AbortError } = require('../errors.js');
const { RingReader, NONE, ownerTag } = require('./stream-ring.js');
const { findRing, attachClaimed, abandoned } = require('./stream-rings.js');

/**
 * Values the worker may send ahead of the caller, unless `highWaterMark` says otherwise. The ring bounds
 * their bytes (64 KiB) whatever the count, so the default lets small values fill about a ring: about 4000
 * records of a few fields fit. P5 (100k small records), alternating runs at load 2.6: 1.84x postMessage at
 * 256 (twice), 2.04-2.31x at 1024 (4 runs), 2.39-2.55x at 4096 (2 runs): a small window makes the worker and
 * the caller sleep in turn.
 */
const DEFAULT_HIGH_WATER_MARK = 4096;
const MAX_HIGH_WATER_MARK = 2 ** 20;

/** @typedef {{ resolve: (r: IteratorResult<any>) => void, reject: (e: unknown) => void }} Waiter */

/**
 * The AsyncIterableIterator that pool.stream() returns.
 * @template T
 * @implements {AsyncIterableIterator<T>}
 */
class TaskStream {
  /** @param {number} highWaterMark */
  constructor(highWaterMark) {
    this.highWaterMark = highWaterMark;
    /** The ring the values come through, once the worker has sent it. @type {RingReader | null} */
    this.ring = null;
    /** The caller wants no more values (it aborted or returned). */
    this.dropped = false;
    /** The pool's state and the task's id, set when it is queued (attach). @type {import('./state.js').PoolState | undefined} */
    this.s = undefined;
    this.id = 0;
    /** The OWNER word of its ring while it holds it (ownerTag(id)). */
    this.tag = 0;
    /** next() calls waiting for a value, in order. @type {Waiter[]} */
    this.waiters = [];
    /** 0: open; 1: the task ended, after the values held; 2: the error is still to throw; 3: done. */
    this.state = 0;
    /** The task's error, thrown after the values held. @type {unknown} */
    this.error = undefined;
    /** Resolves when the task has ended (the worker's generator has finished). @type {Promise<void>} */
    this.ended = Promise.resolve();
  }

  /**
   * The task was queued as `id` in pool `s`: its record gets this stream.
   * @param {import('./state.js').PoolState} s
   * @param {number} id
   */
  attach(s, id) {
    const rec = s.tasks.get(id);
    if (rec !== undefined) rec.stream = this;
    this.s = s;
    this.id = id;
    this.tag = ownerTag(id);
    // If the caller drops this stream unread, its ring is freed when it is collected.
    abandoned.register(this, { s, tag: this.tag }, this);
  }

  /**
   * A new ring the worker sent for this task's values (it comes before the
   * task's end: the worker flags its control port, which the drain reads
   * first). Returns false if this stream does not take it (it has one, or
   * wants no more values): the caller frees it.
   * @param {SharedArrayBuffer} sab
   * @returns {boolean}
   */
  attachRing(sab) {
    if (!this.useRing(sab)) return false;
    if (this.waiters.length > 0) this.serve();
    return true;
  }

  /**
   * Takes `sab` as this stream's ring, if it has none yet and still wants values.
   * @param {SharedArrayBuffer} sab
   * @returns {boolean}
   */
  useRing(sab) {
    if (this.ring !== null || this.state >= 3 || this.dropped) return false;
    this.s?.ringless.delete(this.tag);
    this.ring = new RingReader(sab, this.tag);
    if (this.state !== 0) this.ring.close();
    return true;
  }

  /**
   * Looks for a ring the worker reused for this task (its claim stored our
   * tag in it): true if this stream has a ring now.
   * @returns {boolean}
   */
  lookForRing() {
    if (this.ring !== null) return true;
    if (this.s === undefined || this.dropped || this.state >= 3) return false;
    const sab = findRing(this.s, this.tag);
    return sab !== null && this.useRing(sab);
  }

  /** This stream is done with its ring: the worker may reuse it. */
  release() {
    this.ring?.release();
    this.ring = null;
    abandoned.unregister(this);
  }

  /**
   * The caller stopped reading (return(), `break`), or a value could not be
   * decoded: a queued task is dropped; a running one's generator is asked
   * to return (its finally blocks run), and its promise settles when it
   * has, or when abortGrace stops its worker.
   */
  stop() {
    const s = this.s;
    const id = this.id;
    if (s === undefined || !s.tasks.has(id)) return;
    if (native.poolCancel(s.id, id)) {
      settle(s, id, false, new AbortError('The stream was closed before its task started'));
      checkRoom(s);
      return;
    }
    const runner = runnerOf(s, id);
    if (runner) abortRunning(s, runner, id, 'the stream was closed by its consumer');
  }

  /**
   * Follows the task's promise (what execute() returned).
   * @param {Promise<unknown>} task
   */
  follow(task) {
    this.ended = task.then(
      () => this.end(false, undefined),
      (e) => this.end(true, e),
    );
  }

  /**
   * The task ended: with an error (thrown after the values held), or not.
   * @param {boolean} failed
   * @param {unknown} error
   */
  end(failed, error) {
    if (this.state !== 0) return;
    this.state = failed ? 2 : 1;
    this.error = error;
    // A reused ring it had not found yet holds values (the worker claimed it before it wrote them).
    this.lookForRing();
    this.ring?.close();
    this.s?.waitingStreams.delete(this);
    this.s?.ringless.delete(this.tag);
    this.serve();
  }

  /** Drops the values held: the caller aborted, and wants none of them. */
  drop() {
    this.dropped = true;
    // A ring the worker claimed for it and it had not found yet is freed too.
    if (this.ring === null && this.s !== undefined) {
      const sab = findRing(this.s, this.tag);
      if (sab !== null) this.ring = new RingReader(sab, this.tag);
    }
    this.release();
    this.s?.waitingStreams.delete(this);
    this.s?.ringless.delete(this.tag);
  }

  /**
   * The next value from the ring, or NONE. A value that cannot be decoded
   * fails the stream (its error is the next one thrown) and stops the task.
   * @returns {unknown}
   */
  take() {
    if (this.ring === null) return NONE;
    try {
      return this.ring.take();
    } catch (e) {
      if (this.state === 0) {
        this.stop();
        if (this.s !== undefined) settle(this.s, this.id, false, e);
        this.state = 2;
        this.error = e;
      }
      this.drop();
      return NONE;
    }
  }

  /**
   * Gives the waiting next() calls what has come. If some still wait, the
   * ring's writer wakes the pool's owner for more, whose drain calls this
   * again (wakeStreams).
   */
  serve() {
    const waiters = this.waiters;
    for (;;) {
      while (waiters.length > 0) {
        const value = this.take();
        if (value === NONE) break;
        /** @type {Waiter} */ (waiters.shift()).resolve({ value, done: false });
      }
      if (waiters.length === 0) return;
      if (this.state !== 0) {
        for (const w of waiters.splice(0)) this.settleEnd(w);
        return;
      }
      if (this.s === undefined) return;
      if (!this.lookForRing()) {
        // A new ring comes by message (attachRing serves); a reused one wakes the drain (wakeStreams).
        this.s.ringless.set(this.tag, this);
        return;
      }
      if (/** @type {RingReader} */ (this.ring).sleep()) {
        this.s.waitingStreams.add(this);
        return;
      }
    }
  }

  /**
   * The end, to a next() call: the error once, then done.
   * @param {Waiter} w
   */
  settleEnd(w) {
    this.release();
    if (this.state === 2) {
      this.state = 3;
      w.reject(this.error);
    } else {
      this.state = 3;
      w.resolve({ value: undefined, done: true });
    }
  }

  /** @returns {Promise<IteratorResult<T>>} */
  next() {
    if (this.waiters.length === 0) {
      const value = this.take();
      if (value !== NONE) return Promise.resolve({ value: /** @type {T} */ (value), done: false });
    }
    return new Promise((resolve, reject) => {
      this.waiters.push({ resolve, reject });
      this.serve();
    });
  }

  /**
   * Stops the stream (what `break` in `for await` calls): the worker's
   * generator returns, its `finally` blocks run, and the task's signal
   * aborts; resolves once the task has ended.
   * @param {any} [value]
   * @returns {Promise<IteratorResult<T>>}
   */
  return(value) {
    if (this.state === 0) {
      this.drop();
      this.stop();
    }
    this.state = 3;
    this.release();
    for (const w of this.waiters.splice(0)) w.resolve({ value: undefined, done: true });
    return this.ended.then(() => ({ value, done: true }));
  }

  [Symbol.asyncIterator]() {
    return this;
  }
}

/**
 * pool.stream()'s own option, checked; the rest are execute()'s.
 * @param {unknown} options
 * @returns {number} the highWaterMark
 */
function streamHighWaterMark(options) {
  const hwm = /** @type {{ highWaterMark?: unknown } | undefined} */ (options)?.highWaterMark;
  if (hwm === undefined) return DEFAULT_HIGH_WATER_MARK;
  validateInteger(hwm, 'highWaterMark', 1, MAX_HIGH_WATER_MARK);
  return /** @type {number} */ (hwm);
}

/**
 * The pool's owner was woken (its drain): serves the streams that waited
 * for a value (a ring's writer wakes the owner only for one that waits), and
 * those that waited for a ring their worker has claimed since.
 * @param {import('./state.js').PoolState} s
 */
function wakeStreams(s) {
  if (s.ringless.size > 0) attachClaimed(s);
  const waiting = s.waitingStreams;
  if (waiting.size === 0) return;
  const streams = [...waiting];
  waiting.clear();
  for (const stream of streams) stream.serve();
}

module.exports = { TaskStream, streamHighWaterMark, wakeStreams, DEFAULT_HIGH_WATER_MARK };
