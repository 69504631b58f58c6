// @ts-check
'use strict';
/**
 * The shared channel core: the JS side of a channel (or AsyncQueue) whose
 * `handle` has been taken. The buffer and the waiter queues live in Rust
 * (`crates/core/src/channel/`), shared by every thread of the process;
 * values are stored there as bytes (see lib/codec/index.js), so **every value is
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
 * Waking reuses the semaphore machinery (lib/isolate.js): each blocked
 * operation is a waiter in the per-thread `waiters` table under a token;
 * native code posts `(token, code)` to the owner's mailbox and its one
 * wake-up (src/owner_wake) settles it. Codes: 1 done, 2 closed, 3 dropped (a
 * select's losing case).
 *
 * # Fast paths (why a stream can beat postMessage)
 * A native call per value costs about as much as postMessage itself, so
 * the common cases make none:
 * - Receive: every native receive also brings copies of up to 64 values
 *   buffered behind the one received, with their sequence numbers. Later
 *   receives take the oldest value with one compare-and-swap on the
 *   buffer's shared head word (`takeCopy`); whoever wins the CAS (this
 *   thread, another one, or native code) has it, so nothing is taken twice
 *   and the order is global. Copies are dropped at the end of the turn.
 * - Send (Channel with a buffer): slots are reserved 64 at a time; a send
 *   into a reserved slot appends the encoded value to this thread's outbox
 *   (a SharedArrayBuffer native code can read) and resolves at once. The
 *   outbox goes into the channel on this thread's next native call for the
 *   channel, and at the end of the current event-loop turn; if the thread
 *   dies first, native code delivers what it committed. So a value sent on
 *   one thread reaches receivers on other threads at the latest at the end
 *   of the sender's current turn; reserved slots count as full (but a
 *   `trySend`, or a select with a default, that finds the channel full
 *   takes back the slots other threads reserved and have not used: see
 *   outbox.js), and after `close()` receivers wait for values still
 *   on their way in reserved slots before they see the end.
 * AsyncQueue does not batch sends (its `join` counts items when they enter
 * the shared core).
 */

const { native, isolateId, waiters, newToken } = require('../isolate.js');
const { ClosedError } = require('../errors.js');
const { Waiter, DONE, EMPTY, RESOLVED, SEND, RECV, JOIN, abortError } = require('./waiter.js');
const { Scratch, decode, encodeCopy } = require('../codec/index.js');

/** This thread's buffer for shared-channel values, sent and received. */
const buf = new Scratch(64 * 1024);
const scratch = (n) => buf.room(n);
const encodeInto = (value) => buf.encode(value);
const { outboxFor, forgetOutbox, flushOtherThan, flushUnlessAmong } = require('./outbox.js');

const {
  STATUS_CLOSED: CLOSED,
  STATUS_WOULD_BLOCK: WOULD_BLOCK,
  STATUS_GROUP_FIRED: GROUP_FIRED,
  STATUS_NOTHING_UNFINISHED: NOTHING_UNFINISHED,
  STATUS_TOO_BIG: TOO_BIG,
  CANCEL_REMOVED: REMOVED,
  QUEUED_BASE,
  QUEUED_KEY_BASE,
  RECV_BATCH_HEADER: HEADER,
  SELECT_HEADER,
  SELECT_SENT,
  SELECT_CLOSED,
} = native;
/**
 * Head word layout (crates/core/src/seq_buffer.rs, exported by src/protocol.rs):
 * `seq << SHIFT | NATIVE_ONLY | SENDERS_WAITING`. NATIVE_ONLY: JS must not
 * take by itself (values were given back, or a select with a default is deciding).
 */
const { HEAD_SENDERS_WAITING: SENDERS_WAITING, HEAD_NATIVE_ONLY: NATIVE_ONLY, HEAD_SHIFT: SHIFT, HEAD_SEQ_MASK: SEQ_MASK } = native;
const FLAGS = (1 << SHIFT) - 1;
/** Copies fetched per native receive, for later takes without a native call. */
const BATCH = 64;

/** receiveNative's answer when the receiver was queued (never a user value). */
class Queued {
  constructor(key) {
    this.key = key;
  }
}

/** Per-thread attachments: channel id -> number of live cores on this thread. */
const attachments = new Map();
const collector = new FinalizationRegistry((id) => {
  const n = attachments.get(id) - 1;
  if (n > 0) attachments.set(id, n);
  else {
    attachments.delete(id);
    forgetOutbox(id);
    native.chanDetach(isolateId, id); // flushes what the outbox committed
  }
});

class SharedCore {
  /**
   * @param {number} id      process-wide channel id
   * @param {number} cap     buffer size (Infinity = unbounded)
   * @param {'Channel' | 'AsyncQueue'} what  the public class, for messages
   * @param {boolean} creating  true for the first share by the creator
   * @param {number | undefined} unfinished  carried over from the local core
   * @param {SharedArrayBuffer} state  the state words (see `word`)
   * Sets `this.status` to chanOpen's status (0 = ok).
   */
  constructor(id, cap, what, creating, unfinished, state) {
    this.id = id;
    this.cap = cap;
    this.what = what;
    /** @type {true} */
    this.shared = true;
    this.state = state;
    /** [0]: the buffer's head word, `seq << SHIFT | NATIVE_ONLY | SENDERS_WAITING`; [1]: 1 once closed. */
    this.word = new Int32Array(state);
    /** Copies of buffered values `{ bytes, offs, seq, count }` (see takeCopy). */
    this.inbox = null;
    this.expiry = false;
    this.syncing = false;
    /** Channel with a buffer only: this thread's outbox (outbox.js). */
    this.outbox = null;
    this.closedError = this.closedError.bind(this);
    this.status = native.chanOpen(isolateId, id, cap === Infinity ? -1 : cap, creating, unfinished ?? 0, this.word);
    if (this.status !== 0) return;
    if (what === 'Channel' && cap > 0) this.outbox = outboxFor(id, this.word);
    attachments.set(id, (attachments.get(id) ?? 0) + 1);
    collector.register(this, id);
  }

  get length() {
    this.flushOut();
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
    if (this.outbox !== null && this.outbox.send(value, this.closedError)) return true;
    const n = encodeInto(value);
    this.flushOut();
    const r = native.chanSendRaw(isolateId, this.id, scratch(), n, 0, 0);
    if (r === 0) return true;
    if (r === WOULD_BLOCK) return false;
    throw this.statusError(r);
  }

  tryReceive() {
    const v = this.takeCopy();
    if (v !== EMPTY) return v;
    return this.receiveNative(0, undefined);
  }

  /**
   * Takes the oldest value without a native call, if this thread holds a
   * copy of it (fetched in an earlier batch): one compare-and-swap of the
   * head word decides, so a value is taken once even if other threads race
   * for it (see crates/core/src/seq_buffer.rs). EMPTY if not possible.
   */
  takeCopy() {
    const inbox = this.inbox;
    if (inbox === null) return EMPTY;
    // This thread's earlier sends on other channels go in first (program order).
    flushOtherThan(this.outbox);
    const word = this.word;
    for (;;) {
      const s = Atomics.load(word, 0);
      if ((s & NATIVE_ONLY) !== 0) break;
      const h = s >>> SHIFT;
      const i = (h - inbox.seq) & SEQ_MASK;
      if (i >= inbox.count) break;
      if (Atomics.compareExchange(word, 0, s, (((h + 1) & SEQ_MASK) << SHIFT) | (s & FLAGS)) === s) {
        if ((s & SENDERS_WAITING) !== 0) this.scheduleSync();
        return decode(inbox.bytes, inbox.offs[2 * i], inbox.offs[2 * i + 1]);
      }
    }
    this.inbox = null;
    return EMPTY;
  }

  /** Moves this thread's outbox into the channel (before any other native call: program order). */
  flushOut() {
    flushOtherThan(this.outbox);
    if (this.outbox !== null) this.outbox.flush();
  }

  /** Queued senders move into freed slots when native code runs: make it run soon. */
  scheduleSync() {
    if (this.syncing) return;
    this.syncing = true;
    setImmediate(() => {
      this.syncing = false;
      native.chanSync(isolateId, this.id);
    });
  }

  /**
   * A native receive (token 0: a try). Returns the value, EMPTY, DONE, or
   * a Queued; keeps the copies that come with it.
   */
  receiveNative(token, gid) {
    const b = scratch();
    flushOtherThan(this.outbox);
    // Native code flushes this thread's outbox first (keeping its slots).
    const r = native.chanRecvBatch(isolateId, this.id, b, token, gid ?? 0, this.cap === 0 ? 0 : BATCH);
    if (this.outbox !== null) this.outbox.flushedKeepingSlots();
    if (r >= 0) {
      const first = b.readUInt32LE(0);
      const count = b.readUInt32LE(4);
      if (count > 0) this.keepCopies(b, HEADER + first, r, count, b.readUInt32LE(8));
      return decode(b, HEADER, HEADER + first);
    }
    if (r === TOO_BIG) return decode(native.chanClaim(isolateId, this.id, token));
    if (r === WOULD_BLOCK) return EMPTY;
    if (r === CLOSED) return DONE;
    if (r <= QUEUED_BASE) return new Queued(QUEUED_BASE - r);
    throw this.statusError(r);
  }

  keepCopies(b, from, to, count, seq) {
    const bytes = Buffer.from(b.subarray(from, to));
    const offs = new Int32Array(2 * count);
    let at = 0;
    for (let i = 0; i < count; i++) {
      const len = bytes.readUInt32LE(at);
      offs[2 * i] = at + 4;
      offs[2 * i + 1] = at + 4 + len;
      at += 4 + len;
    }
    this.inbox = { bytes, offs, seq, count };
    if (!this.expiry) {
      // Copies are only good while their numbers are recent: drop them at
      // the end of this turn of the event loop.
      this.expiry = true;
      setImmediate(() => {
        this.expiry = false;
        this.inbox = null;
      });
    }
  }

  send(value, options) {
    // As in local mode: a closed channel says so first, then an aborted signal.
    if (Atomics.load(this.word, 1) !== 0) return Promise.reject(this.closedError());
    if (options !== undefined && options.signal !== undefined && options.signal.aborted) {
      return Promise.reject(abortError(this.what, SEND, options.signal));
    }
    let n;
    try {
      if (this.outbox !== null && this.outbox.send(value, this.closedError)) return RESOLVED;
      n = encodeInto(value);
    } catch (err) {
      return Promise.reject(err);
    }
    this.flushOut();
    const token = newToken();
    const r = native.chanSendRaw(isolateId, this.id, scratch(), n, token, 0);
    if (r === 0) return RESOLVED;
    if (r >= QUEUED_KEY_BASE) return this.park(SEND, r - QUEUED_KEY_BASE, token, options, false);
    return Promise.reject(this.statusError(r));
  }

  receive(options, raw) {
    if (options !== undefined && options.signal !== undefined && options.signal.aborted) {
      return Promise.reject(abortError(this.what, RECV, options.signal));
    }
    let v = this.takeCopy();
    if (v !== EMPTY) return Promise.resolve(v);
    const token = newToken();
    try {
      v = this.receiveNative(token, 0);
    } catch (err) {
      return Promise.reject(err);
    }
    if (v === DONE) return Promise.resolve(raw ? DONE : undefined);
    if (v instanceof Queued) return this.park(RECV, v.key, token, options, raw);
    return Promise.resolve(v);
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
      if (r >= 0) v = decode(b, 0, r);
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
    this.flushOut();
    const token = newToken();
    const r = w.side === SEND ? native.chanSend(isolateId, this.id, bytes, token, gid) : native.chanRecv(isolateId, this.id, token, gid);
    if (typeof r !== 'number') {
      w.done(decode(r));
      return 'done';
    }
    if (r >= QUEUED_KEY_BASE) {
      this.adopt(w, r - QUEUED_KEY_BASE, token);
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
    this.flushOut();
    return native.chanClose(isolateId, this.id) === 1;
  }

  taskDone() {
    const r = native.chanTaskDone(isolateId, this.id);
    return r === NOTHING_UNFINISHED ? -1 : r;
  }

  join(options) {
    if (options !== undefined && options.signal !== undefined && options.signal.aborted) {
      // As in local mode: nothing unfinished resolves even with an aborted signal.
      if (native.chanUnfinished(isolateId, this.id) === 0) return RESOLVED;
      return Promise.reject(abortError(this.what, JOIN, options.signal));
    }
    const token = newToken();
    const r = native.chanJoin(isolateId, this.id, token);
    if (r === 0) return RESOLVED;
    if (r >= QUEUED_KEY_BASE) return this.park(JOIN, r - QUEUED_KEY_BASE, token, options, false);
    return Promise.reject(this.statusError(r));
  }
}

/**
 * A select with a default over shared channels: runs the first ready case
 * of `list` (`{ core, side, value }`, in order), deciding over all their
 * channels at one moment in one native call (another thread could act
 * between two separate tries: crates/core/src/channel/select.rs). Returns
 * `{ at, x }` (`at`: position in `list`; `x`: the received value, DONE, or
 * undefined for a send), or null if no case was ready. Throws ClosedError
 * for a send case on a closed channel, and DataCloneError.
 * @param {{ core: SharedCore, side: number, value?: unknown }[]} list
 * @returns {{ at: number, x: unknown } | null}
 */
function trySelectShared(list) {
  // Into the scratch buffer: [channel id, side] per case (u32), then [length][bytes] per send case's value.
  const values = [];
  let size = 8 * list.length;
  for (const { side, value } of list) {
    if (side !== SEND) continue;
    const v = encodeCopy(value);
    values.push(v);
    size += 4 + v.length;
  }
  // This thread's earlier sends go in first (program order): native code flushes the outboxes of
  // these channels (and gives back their unused slots where a send case can use them).
  flushUnlessAmong(list.map((c) => c.core.outbox));
  const b = scratch(size);
  for (let k = 0; k < list.length; k++) {
    b.writeUInt32LE(list[k].core.id, 8 * k);
    b.writeUInt32LE(list[k].side, 8 * k + 4);
  }
  let at = 8 * list.length;
  for (const v of values) {
    b.writeUInt32LE(v.length, at);
    v.copy(b, at + 4);
    at += 4 + v.length;
  }
  const token = newToken();
  const r = native.chanSelectTry(isolateId, b, list.length, token);
  // (A failed call flushed nothing.)
  if (r < 0 && r !== TOO_BIG && r !== WOULD_BLOCK) throw list[0].core.statusError(r);
  for (const { core, side } of list) if (core.outbox !== null) core.outbox.flushedNatively(side === SEND);
  if (r === WOULD_BLOCK) return null;
  const k = b.readUInt32LE(0);
  const kind = b.readUInt32LE(4);
  const { core, side } = list[k];
  if (kind === SELECT_SENT) return { at: k, x: undefined };
  if (kind === SELECT_CLOSED) {
    if (side === SEND) throw core.closedError();
    return { at: k, x: DONE };
  }
  const x = r === TOO_BIG ? decode(native.chanClaim(isolateId, core.id, token)) : decode(b, SELECT_HEADER, SELECT_HEADER + r);
  return { at: k, x };
}

module.exports = { SharedCore, trySelectShared };
