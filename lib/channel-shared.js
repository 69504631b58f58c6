'use strict';
/**
 * The shared channel core: the JS side of a channel (or AsyncQueue) whose
 * `handle` has been taken. The buffer and the waiter queues live in Rust
 * (`crates/core/src/channel.rs`), shared by every thread of the process;
 * values are stored there as bytes (see value-codec.js), so **every value is
 * cloned**, also between a sender and a receiver on the same thread.
 *
 * Why a native core rather than a ring in a SharedArrayBuffer driven by
 * Atomics: a thread can be terminated between any two JS statements. A JS
 * ring protocol (claim a slot, then write it) would leave a claimed but
 * never written slot behind, and a receiver woken for a value would lose it
 * if its thread died before reading it. In the native core every transition
 * is one call under one lock, and a value handed to a receiver stays parked
 * natively until that receiver's thread claims it; if the thread dies
 * first, the value goes back to the front of the buffer for the next
 * receiver (exactly once).
 *
 * Waking reuses the semaphore machinery (runtime.js): each blocked
 * operation is a waiter in the per-thread `waiters` table under a token;
 * native code posts `(token, code)` to the owner's mailbox and its one
 * threadsafe function settles it. Codes: 1 done, 2 closed, 3 dropped (a
 * select's losing case).
 */

const { native, isolateId, waiters, newToken } = require('./runtime.js');
const { ClosedError } = require('./errors.js');
const { Waiter, DONE, EMPTY, RESOLVED, SEND, RECV, JOIN, abortError } = require('./channel-waiter.js');
const { decode, encodeInto, decodeFrom, scratch } = require('./value-codec.js');

const CLOSED = -1;
const WOULD_BLOCK = -7;
const GROUP_FIRED = -8;
const NOTHING_UNFINISHED = -9;
const REMOVED = 1;
const TOO_BIG = -11;
const QUEUED_BASE = -1000000;

/** Per-thread attachments: channel id -> number of live cores on this thread. */
const attachments = new Map();
const collector = new FinalizationRegistry((id) => {
  const n = attachments.get(id) - 1;
  if (n > 0) attachments.set(id, n);
  else {
    attachments.delete(id);
    native.chanDetach(isolateId, id);
  }
});

class SharedCore {
  /**
   * @param {number} id      process-wide channel id
   * @param {number} cap     buffer size (Infinity = unbounded)
   * @param {boolean} creating  true for the first share by the creator
   * @param {number} [unfinished]  carried over from the local core
   * @returns the status of chanOpen through `this.status` (0 = ok)
   */
  constructor(id, cap, what, creating, unfinished) {
    this.id = id;
    this.cap = cap;
    this.what = what;
    this.shared = true;
    this.status = native.chanOpen(isolateId, id, cap === Infinity ? -1 : cap, creating, unfinished ?? 0);
    if (this.status !== 0) return;
    attachments.set(id, (attachments.get(id) ?? 0) + 1);
    collector.register(this, id);
  }

  get length() {
    const s = native.chanState(isolateId, this.id);
    return s < 0 ? 0 : Math.floor(s / 2);
  }

  get closed() {
    const s = native.chanState(isolateId, this.id);
    return s >= 0 && s % 2 === 1;
  }

  get unfinished() {
    return Math.max(0, native.chanUnfinished(isolateId, this.id));
  }

  closedError() {
    return new ClosedError(`the ${this.what} is closed`);
  }

  statusError(r) {
    if (r === CLOSED) return this.closedError();
    return new Error(`threadkit: ${this.what} operation failed (status ${r})`);
  }

  trySend(value) {
    const n = encodeInto(value);
    const r = native.chanSendRaw(isolateId, this.id, scratch(), n, 0, 0);
    if (r === 0) return true;
    if (r === WOULD_BLOCK) return false;
    throw this.statusError(r);
  }

  tryReceive() {
    const b = scratch();
    const r = native.chanRecvRaw(isolateId, this.id, b, 0, 0);
    if (r >= 0) return decodeFrom(b, r);
    if (r === TOO_BIG) return decode(native.chanClaim(isolateId, this.id, 0));
    if (r === WOULD_BLOCK) return EMPTY;
    if (r === CLOSED) return DONE;
    throw this.statusError(r);
  }

  send(value, options) {
    if (options !== undefined && options.signal !== undefined && options.signal.aborted) {
      return Promise.reject(abortError(this.what, SEND, options.signal));
    }
    let n;
    try {
      n = encodeInto(value);
    } catch (err) {
      return Promise.reject(err);
    }
    const token = newToken();
    const r = native.chanSendRaw(isolateId, this.id, scratch(), n, token, 0);
    if (r === 0) return RESOLVED;
    if (r >= 2) return this.park(SEND, r - 2, token, options, false);
    return Promise.reject(this.statusError(r));
  }

  receive(options, raw) {
    if (options !== undefined && options.signal !== undefined && options.signal.aborted) {
      return Promise.reject(abortError(this.what, RECV, options.signal));
    }
    const token = newToken();
    const b = scratch();
    const r = native.chanRecvRaw(isolateId, this.id, b, token, 0);
    if (r >= 0 || r === TOO_BIG) {
      try {
        return Promise.resolve(r >= 0 ? decodeFrom(b, r) : decode(native.chanClaim(isolateId, this.id, token)));
      } catch (err) {
        return Promise.reject(err);
      }
    }
    if (r <= QUEUED_BASE) return this.park(RECV, QUEUED_BASE - r, token, options, raw);
    if (r === CLOSED) return Promise.resolve(raw ? DONE : undefined);
    return Promise.reject(this.statusError(r));
  }

  park(side, key, token, options, raw) {
    return new Promise((resolve, reject) => {
      const w = new Waiter(this, side, undefined, resolve, reject, raw);
      this.adopt(w, key, token);
      if (options !== undefined) w.watch(options, this.what);
    });
  }

  /** Makes `w` (new, or moved from the local core) a queued waiter of this core. */
  adopt(w, key, token) {
    w.core = this;
    w.key = key;
    w.token = token;
    waiters.set(token, w);
  }

  /** A woken receiver takes the value parked for it. */
  claimInto(w) {
    const b = scratch();
    const r = native.chanClaimRaw(isolateId, this.id, w.token, b);
    let v;
    try {
      if (r >= 0) v = decodeFrom(b, r);
      else if (r === TOO_BIG) v = decode(native.chanClaim(isolateId, this.id, w.token));
      else return w.failWith(new Error('threadkit: a channel value was lost (no parked value for this receiver)'));
    } catch (err) {
      return w.failWith(err);
    }
    w.done(v);
  }

  /**
   * Queues the waiter `w` of a select with group `gid`. Returns 'queued',
   * 'fired' (another case of the select already won; its wake is coming),
   * or 'done' (completed now: `w` has been settled).
   */
  register(w, gid, bytes) {
    const token = newToken();
    const r = w.side === SEND ? native.chanSend(isolateId, this.id, bytes, token, gid) : native.chanRecv(isolateId, this.id, token, gid);
    if (typeof r !== 'number') {
      w.done(decode(r));
      return 'done';
    }
    if (r >= 2) {
      this.adopt(w, r - 2, token);
      return 'queued';
    }
    if (r === 0) {
      w.done(undefined);
      return 'done';
    }
    if (r === GROUP_FIRED) return 'fired';
    if (r === CLOSED) {
      if (w.side === RECV) w.done(DONE);
      else w.failWith(this.closedError());
      return 'done';
    }
    w.failWith(this.statusError(r));
    return 'done';
  }

  /**
   * Takes a select's waiter out of the queue. If it was already served or
   * dropped, it stays in the wake table: its wake settles it (a served one
   * is the select's winner; a dropped one just goes away).
   */
  unregister(w) {
    if (w.settled) return;
    if (w.token === 0) {
      w.settled = true; // never queued
      return;
    }
    if (native.chanCancel(isolateId, this.id, w.side, w.key, w.token) === REMOVED) {
      waiters.delete(w.token);
      w.settled = true;
    }
  }

  cancelWaiter(w, error) {
    if (w.settled) return;
    if (native.chanCancel(isolateId, this.id, w.side, w.key, w.token) !== REMOVED) return; // completed in a race: the completion wins
    waiters.delete(w.token);
    w.failWith(error);
  }

  close() {
    return native.chanClose(isolateId, this.id) === 1;
  }

  taskDone() {
    const r = native.chanTaskDone(isolateId, this.id);
    return r === NOTHING_UNFINISHED ? -1 : r;
  }

  join(options) {
    if (options !== undefined && options.signal !== undefined && options.signal.aborted) {
      return Promise.reject(abortError(this.what, JOIN, options.signal));
    }
    const token = newToken();
    const r = native.chanJoin(isolateId, this.id, token);
    if (r === 0) return RESOLVED;
    if (r >= 2) return this.park(JOIN, r - 2, token, options, false);
    return Promise.reject(this.statusError(r));
  }
}

module.exports = { SharedCore };
