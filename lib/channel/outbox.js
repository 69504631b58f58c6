// @ts-check
'use strict';
/**
 * The send fast path of a shared Channel: one Outbox per (thread, channel),
 * shared by every object for that channel on the thread (native code keeps
 * one outbox and one count of reserved slots per thread and channel).
 *
 * Slots are reserved in bulk (`chanFlush(id, CREDITS)`); while this thread
 * holds one, a send claims it (a compare-and-swap on the outbox's `avail`
 * word), encodes its value straight into the outbox, a SharedArrayBuffer
 * that native code can read, and resolves at once. Another thread's
 * `trySend` that finds the channel full may take back the slots not claimed
 * yet (crates/core/src/channel/credits.rs): a send here then finds none and
 * reserves again, or takes the native path. The
 * value is counted there last (`count`, an Int32 stored after the bytes), so
 * a thread terminated at any moment leaves either a whole value, which native
 * code delivers, or none, and then that send had not resolved. The outbox
 * goes into the channel on this thread's next native call for the channel
 * (every such call flushes first, which keeps program order), and at the end
 * of the current event-loop turn at the latest, when unused slots are given
 * back too.
 *
 * Layout: bytes 0..4 the committed count, 4..8 the unclaimed reserved
 * slots, from byte 8 `[u32 length][bytes]` per value (see `Outbox` in
 * src/channel_fast.rs).
 */

const { native, isolateId } = require('../isolate.js');
const { encodeTo } = require('../codec/index.js');

const { STATUS_CLOSED: CLOSED, OUTBOX_DATA: DATA } = native;
const CREDITS = 64;
const OUTBOX_BYTES = 64 * 1024;

class Outbox {
  /**
   * @param {number} id  the channel's process-wide id
   * @param {Int32Array} state  the channel's state words
   */
  constructor(id, state) {
    this.id = id;
    /** The channel's state words; [1] is 1 once it is closed. */
    this.state = state;
    this.u8 = null;
    /** [0]: committed values, [1]: reserved slots not claimed yet (native code may take them back). */
    this.words = null;
    this.committed = 0;
    this.used = DATA;
    /** Slots were reserved since the last flush (some may be claimed, or taken back). */
    this.holding = false;
    this.flushing = false;
  }

  /**
   * Sends `value` into a reserved slot. Returns false if no slot could be
   * reserved (full, or senders queued) or the value is too big: the caller
   * takes the native path. Throws ClosedError (via `closedError`) once
   * closed, and DataCloneError.
   */
  send(value, closedError) {
    // Slots reserved before a close do not outlive it: a send that starts
    // after the close was seen (here or by any thread it heard from) fails.
    // One racing the close is delivered before receivers see it closed
    // (they wait while slots are reserved), as a send just before it.
    if (Atomics.load(this.state, 1) !== 0) throw closedError();
    // At most one outbox of this thread holds values: another one goes in
    // first, so sends on different channels land in program order.
    flushOtherThan(this);
    if (!this.claim() && !(this.reserve(closedError) && this.claim())) return false;
    let at = this.used;
    let n = encodeTo(value, this.u8, at + 4);
    if (n < 0) {
      // Too big for what is left: flush (the claimed slot goes back with the unused ones) and start over.
      if (at === DATA || !(this.reserve(closedError) && this.claim())) return false;
      at = this.used;
      n = encodeTo(value, this.u8, at + 4);
      if (n < 0) return false; // the claimed slot goes back at the next flush
    }
    this.u8.writeUInt32LE(n, at);
    this.used = at + 4 + n;
    Atomics.store(this.words, 0, ++this.committed);
    dirty = this;
    return true;
  }

  /** Takes one reserved slot; false if none is left (used, or taken back by another thread). */
  claim() {
    const words = this.words;
    if (words === null) return false;
    for (;;) {
      const c = Atomics.load(words, 1);
      if (c <= 0) return false;
      if (Atomics.compareExchange(words, 1, c, c - 1) === c) return true;
    }
  }

  /** Flushes, then reserves new slots; false if none. */
  reserve(closedError) {
    if (this.u8 === null) this.create();
    const r = native.chanFlush(isolateId, this.id, CREDITS);
    this.committed = 0;
    this.used = DATA;
    this.holding = r > 0;
    if (r === CLOSED) throw closedError();
    if (this.holding) this.scheduleFlush();
    return this.holding;
  }

  create() {
    const sab = new SharedArrayBuffer(OUTBOX_BYTES);
    const u8 = Buffer.from(sab);
    const r = native.chanOutbox(isolateId, this.id, u8);
    if (r !== 0) throw new Error(`threadkit: could not set up a channel outbox (status ${r})`);
    this.u8 = u8;
    this.words = new Int32Array(sab, 0, 2);
  }

  /** Moves the committed values into the channel and gives back unused slots. */
  flush() {
    if (dirty === this) dirty = null;
    if (this.committed === 0 && !this.holding) return;
    native.chanFlush(isolateId, this.id, 0);
    this.committed = 0;
    this.used = DATA;
    this.holding = false;
  }

  /** Native code just flushed the committed values and kept the unused slots (chanRecvBatch). */
  flushedKeepingSlots() {
    // The unclaimed slots stay in `words[1]`.
    if (dirty === this) dirty = null;
    this.committed = 0;
    this.used = DATA;
  }

  /** Native code just flushed the committed values, and gave the unused slots back if `gaveBack` (chanSelectTry). */
  flushedNatively(gaveBack) {
    this.flushedKeepingSlots();
    if (gaveBack) this.holding = false;
  }

  scheduleFlush() {
    if (this.flushing) return;
    this.flushing = true;
    setImmediate(() => {
      this.flushing = false;
      this.flush();
    });
  }
}

/** channel id -> this thread's Outbox. */
const outboxes = new Map();
/** The outbox of this thread that holds committed values, if any (there is at most one). */
let dirty = null;

/**
 * Before a native call on the channel of `outbox` (null: one without an
 * outbox): values this thread sent earlier on another channel go in first,
 * so that no later operation of this thread is seen before them.
 * @param {Outbox} outbox
 */
function flushOtherThan(outbox) {
  if (dirty !== null && dirty !== outbox) dirty.flush();
}

/**
 * Before a native call that flushes the outboxes of its channels itself: another one of this thread goes in first.
 * @param {Outbox[]} outboxes
 */
function flushUnlessAmong(outboxes) {
  if (dirty !== null && !outboxes.includes(dirty)) dirty.flush();
}

/**
 * This thread's outbox for channel `id`, made on first use.
 * @param {number} id
 * @param {Int32Array} state  the channel's state words
 * @returns {Outbox}
 */
function outboxFor(id, state) {
  let o = outboxes.get(id);
  if (o === undefined) outboxes.set(id, (o = new Outbox(id, state)));
  return o;
}

/**
 * This thread detached from channel `id` (native code flushed it).
 * @param {number} id
 */
function forgetOutbox(id) {
  if (dirty !== null && dirty.id === id) dirty = null;
  outboxes.delete(id);
}

module.exports = { outboxFor, forgetOutbox, flushOtherThan, flushUnlessAmong };
