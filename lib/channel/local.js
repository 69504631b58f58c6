// @ts-check
'use strict';
/**
 * The local channel core: a channel (or AsyncQueue) that has never been
 * shared lives on one thread only, and is plain JS: a ring buffer of values
 * and linked lists of blocked senders, receivers and joiners. Values pass
 * **by reference** (nothing is cloned) and no native call is made, so a
 * send + receive costs a few array stores and one resolved promise.
 *
 * Its semantics are exactly those of the native core
 * (`crates/core/src/channel/`): Go's channel rules, FIFO waiters, close
 * delivers buffered values and then DONE. Taking the channel's `handle`
 * moves this state into a shared core (see `index.js`).
 */

const { ClosedError } = require('../errors.js');
const { Waiter, WaiterList, DONE, EMPTY, RESOLVED, SEND, RECV, JOIN, abortError } = require('./waiter.js');

class LocalCore {
  /**
   * @param {number} cap buffer size (0 = rendezvous, Infinity = unbounded)
   * @param {'Channel' | 'AsyncQueue'} what  the public class, for messages
   */
  constructor(cap, what) {
    this.cap = cap;
    this.what = what;
    /** @type {false} */
    this.shared = false;
    this.items = new Array(16);
    this.head = 0;
    this.size = 0;
    this.sends = new WaiterList();
    this.recvs = new WaiterList();
    this.joins = new WaiterList();
    this.closed = false;
    this.unfinished = 0;
  }

  get length() {
    return this.size;
  }

  push(v) {
    let items = this.items;
    if (this.size === items.length) items = this.grow();
    items[(this.head + this.size) & (items.length - 1)] = v;
    this.size++;
  }

  shift() {
    const items = this.items;
    const v = items[this.head];
    items[this.head] = undefined;
    this.head = (this.head + 1) & (items.length - 1);
    this.size--;
    return v;
  }

  grow() {
    const old = this.items;
    const next = new Array(old.length * 2);
    for (let i = 0; i < this.size; i++) next[i] = old[(this.head + i) & (old.length - 1)];
    this.items = next;
    this.head = 0;
    return next;
  }

  /** All buffered values, oldest first (for migration). */
  drain() {
    const out = [];
    while (this.size > 0) out.push(this.shift());
    return out;
  }

  /** Hands `value` to a receiver or buffers it. false: it would block. */
  offer(value) {
    const r = this.recvs.shift();
    if (r !== null) {
      this.unfinished++;
      r.done(value);
      return true;
    }
    if (this.size < this.cap) {
      this.push(value);
      this.unfinished++;
      return true;
    }
    return false;
  }

  /** A value, DONE (closed and drained) or EMPTY. */
  take() {
    if (this.size > 0) {
      const v = this.shift();
      if (this.sends.head !== null) {
        const s = this.sends.shift();
        this.push(s.value);
        this.unfinished++;
        s.done(undefined);
      }
      return v;
    }
    const s = this.sends.shift();
    if (s !== null) {
      this.unfinished++;
      s.done(undefined);
      return s.value;
    }
    return this.closed ? DONE : EMPTY;
  }

  /** Would a try on `side` complete now (a send case on a closed channel completes by failing)? */
  ready(side) {
    if (side === SEND) return this.closed || this.recvs.head !== null || this.size < this.cap;
    return this.size > 0 || this.sends.head !== null || this.closed;
  }

  trySend(value) {
    if (this.closed) throw this.closedError();
    return this.offer(value);
  }

  tryReceive() {
    return this.take();
  }

  send(value, options) {
    if (this.closed) return Promise.reject(this.closedError());
    if (options !== undefined && options.signal !== undefined && options.signal.aborted) {
      return Promise.reject(abortError(this.what, SEND, options.signal));
    }
    if (this.offer(value)) return RESOLVED;
    return new Promise((resolve, reject) => {
      const w = new Waiter(this, SEND, value, resolve, reject, false);
      this.sends.push(w);
      if (options !== undefined) w.watch(options, this.what);
    });
  }

  receive(options, raw) {
    if (options !== undefined && options.signal !== undefined && options.signal.aborted) {
      return Promise.reject(abortError(this.what, RECV, options.signal));
    }
    const v = this.take();
    if (v !== EMPTY) return Promise.resolve(v === DONE && !raw ? undefined : v);
    return new Promise((resolve, reject) => {
      const w = new Waiter(this, RECV, undefined, resolve, reject, raw);
      this.recvs.push(w);
      if (options !== undefined) w.watch(options, this.what);
    });
  }

  /** Queues a waiter of a select (after its poll found nothing ready). */
  register(w) {
    (w.side === SEND ? this.sends : this.recvs).push(w);
  }

  /** Takes a waiter out of its queue without settling it (select losers). */
  unregister(w) {
    if (w.list !== null) w.list.remove(w);
    w.settled = true;
  }

  cancelWaiter(w, error) {
    if (w.settled) return;
    if (w.list !== null) w.list.remove(w);
    w.failWith(error);
  }

  close() {
    if (this.closed) return false;
    this.closed = true;
    for (let r = this.recvs.shift(); r !== null; r = this.recvs.shift()) r.done(DONE);
    const error = this.closedError();
    for (let s = this.sends.shift(); s !== null; s = this.sends.shift()) s.failWith(error);
    return true;
  }

  closedError() {
    return new ClosedError(`the ${this.what} is closed`);
  }

  taskDone() {
    if (this.unfinished === 0) return -1;
    if (--this.unfinished === 0) {
      for (let j = this.joins.shift(); j !== null; j = this.joins.shift()) j.done(undefined);
    }
    return this.unfinished;
  }

  join(options) {
    if (this.unfinished === 0) return RESOLVED;
    if (options !== undefined && options.signal !== undefined && options.signal.aborted) {
      return Promise.reject(abortError(this.what, JOIN, options.signal));
    }
    return new Promise((resolve, reject) => {
      const w = new Waiter(this, JOIN, undefined, resolve, reject, false);
      this.joins.push(w);
      if (options !== undefined) w.watch(options, this.what);
    });
  }
}

module.exports = { LocalCore };
