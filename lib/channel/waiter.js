// @ts-check
'use strict';
/**
 * The waiter of a blocked channel operation (send, receive, or an
 * AsyncQueue join), shared by the local and the shared channel cores, and
 * the sentinels the cores return.
 *
 * A waiter settles once: `done(x)` (sent / received `x` / joined) or
 * `failWith(error)`. A waiter that belongs to a `select` reports to its
 * group instead of its own promise. Timeouts and abort signals call
 * `core.cancelWaiter(waiter, error)`, which leaves the queue at once (O(1)),
 * or, if the operation already completed in a race (shared mode), lets the
 * completion win: an operation is never both done and reported as failed.
 */

const { AbortError, TimeoutError } = require('../errors.js');
const { waitsForever, startWaitTimer, stopWaitTimer } = require('../wait-timer.js');
const { startAbortListener, stopAbortListener } = require('../abort-listeners.js');

/** A receive found the channel closed and drained. */
const DONE = Symbol('threadkit.channel.done');
/** A try-operation could not complete now. */
const EMPTY = Symbol('threadkit.channel.empty');
const RESOLVED = Promise.resolve();

const { SIDE_SEND: SEND, SIDE_RECEIVE: RECV, SIDE_JOIN: JOIN, WAKE_CLOSED, WAKE_DROPPED } = require('../native.js');
const VERB = ['send', 'receive', 'join'];

/**
 * A core's half of a Channel or AsyncQueue: local (one thread) or shared.
 * @typedef {import('./local.js').LocalCore | import('./shared.js').SharedCore} Core
 */

/** A blocked send, receive or join: in a local core's list, or queued in native code. */
class Waiter {
  /**
   * @param {Core} core
   * @param {number} side  SEND, RECV or JOIN
   * @param {unknown} value  a send's value (local mode)
   * @param {(x: unknown) => void} resolve
   * @param {(error: Error) => void} reject
   * @param {boolean} raw  a receive resolves with DONE as is
   */
  constructor(core, side, value, resolve, reject, raw) {
    this.core = core;
    this.side = side;
    /** Send: the value (local mode). */
    this.value = value;
    this.resolve = resolve;
    this.reject = reject;
    /** Receive: resolve with DONE as is (iterators, select) rather than undefined. */
    this.raw = raw;
    this.group = null;
    this.index = -1;
    /** Local-mode list links. */
    this.list = null;
    this.prev = null;
    this.next = null;
    /** Shared mode: queue key and wake token. */
    this.key = -1;
    this.token = 0;
    this.settled = false;
    /** Read by lib/isolate.js: channel waiters never take late grants back. */
    this.cancelled = false;
    this.extra = null;
  }

  done(x) {
    if (this.settled) return;
    this.settled = true;
    if (this.extra !== null) this.cleanup();
    if (this.group !== null) this.group.win(this, x);
    else this.resolve(x === DONE && !this.raw ? undefined : x);
  }

  failWith(error) {
    if (this.settled) return;
    this.settled = true;
    if (this.extra !== null) this.cleanup();
    if (this.group !== null) this.group.lose(error);
    else this.reject(error);
  }

  /** Shared mode: woken with WAKE_GRANTED by settleWakes (lib/isolate.js). */
  grant() {
    if (this.side === RECV) /** @type {import('./shared.js').SharedCore} */ (this.core).claimInto(this);
    else this.done(undefined);
  }

  /** Shared mode: woken with another code (WAKE_CLOSED, or WAKE_DROPPED: a select's losing case). */
  fail(code) {
    if (code === WAKE_CLOSED) {
      if (this.side === RECV) this.done(DONE);
      else this.failWith(this.core.closedError());
    } else if (code === WAKE_DROPPED) {
      this.settled = true;
      this.cleanup();
    } else this.failWith(new Error(`threadkit: unknown channel wake code ${code}`));
  }

  /** Arms `options.timeout` and `options.signal`. */
  watch(options, what) {
    const { timeout, signal } = options;
    if (!waitsForever(timeout)) {
      const x = (this.extra ??= { timer: undefined, abort: undefined });
      x.timer = startWaitTimer(timeout, () =>
        this.core.cancelWaiter(this, new TimeoutError(`${what} ${VERB[this.side]} timed out after ${timeout} ms`)),
      );
    }
    if (signal !== undefined) {
      const x = (this.extra ??= { timer: undefined, abort: undefined });
      x.abort = startAbortListener(signal, () => this.core.cancelWaiter(this, abortError(what, this.side, signal)));
    }
  }

  cleanup() {
    const x = this.extra;
    if (x === null) return;
    this.extra = null;
    if (x.timer !== undefined) stopWaitTimer(x.timer);
    if (x.abort !== undefined) stopAbortListener(x.abort);
  }
}

/**
 * The AbortError of an aborted send, receive or join.
 * @param {string} what  the public class
 * @param {number} side  SEND, RECV or JOIN
 * @param {AbortSignal} signal
 * @returns {import('../errors.js').AbortError}
 */
function abortError(what, side, signal) {
  return new AbortError(`${what} ${VERB[side]} was aborted`, { cause: signal.reason });
}

/** A doubly linked FIFO of waiters (local mode): O(1) push, shift and removal. */
class WaiterList {
  constructor() {
    this.head = null;
    this.tail = null;
    this.length = 0;
  }

  /**
   * @param {Waiter} w
   */
  push(w) {
    w.list = this;
    if (this.tail === null) this.head = w;
    else {
      this.tail.next = w;
      w.prev = this.tail;
    }
    this.tail = w;
    this.length++;
  }

  /**
   * @returns {Waiter | null}
   */
  shift() {
    const w = this.head;
    if (w !== null) this.remove(w);
    return w;
  }

  /**
   * @param {Waiter} w
   */
  remove(w) {
    if (w.prev === null) this.head = w.next;
    else w.prev.next = w.next;
    if (w.next === null) this.tail = w.prev;
    else w.next.prev = w.prev;
    w.prev = w.next = null;
    w.list = null;
    this.length--;
  }
}

module.exports = { Waiter, WaiterList, DONE, EMPTY, RESOLVED, SEND, RECV, JOIN, abortError };
