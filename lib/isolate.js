// @ts-check
'use strict';
/**
 * This thread's isolate record: the JS side of `src/isolate.rs`, which keeps
 * one record per JS thread (main or worker) that loaded threadkit.
 *
 * Each such thread registers itself with the addon once, handing over:
 * - a wake buffer: native code writes `[token, code]` pairs into it, either
 *   during a call from this thread (its own waiters woken by its own release:
 *   no thread hop) or from the wake-up (src/owner_wake) that drains this thread's
 *   mailbox when another thread woke them;
 * - a ledger: `ledger[slot]` is the number of permits this thread holds on
 *   the primitive attached at `slot`. JS counts what its fast paths take and
 *   give back; native code counts what its slow paths hand over or take
 *   back (before JS hears of it, so a thread terminated mid-wake loses
 *   nothing), and reads it when the thread dies, to give those permits back.
 *
 * Waiter promises are created here, in JS, and their resolvers are kept in
 * `waiters` (token -> waiter). Native code only decides who is woken.
 */

const native = require('./native.js');
const { threadId } = require('node:worker_threads');

const STATUS = Object.freeze({
  CLOSED: native.STATUS_CLOSED,
  OVER_RELEASE: native.STATUS_OVER_RELEASE,
  FOREIGN_HANDLE: native.STATUS_FOREIGN_HANDLE,
  BAD_ARGUMENT: native.STATUS_BAD_ARGUMENT,
  NOT_ATTACHED: native.STATUS_NOT_ATTACHED,
  NOT_QUEUED: native.STATUS_NOT_QUEUED,
});
const { WAKE_GRANTED, WAKE_CLOSED } = native;
const WAKE_PAIRS = 1024;
const TOKEN_LIMIT = 0x7fffffff;

const wakeBuf = new Int32Array(new SharedArrayBuffer(WAKE_PAIRS * 8));
let ledger = new Int32Array(new SharedArrayBuffer(1024 * 4));
/** Holds the current ledger; engines keep the box, since growth replaces the array. */
const ledgerBox = { arr: ledger };

/**
 * A waiter queued in native code, found again through its token when it is
 * woken: a semaphore's (lib/sync/waiters.js) or a channel's
 * (lib/channel/waiter.js, which has no engine: it never takes a late grant).
 * @typedef {object} NativeWaiter
 * @property {number} token
 * @property {boolean} cancelled  rejected already (abort or timeout raced the wake)
 * @property {{ release(permits: number): void }} [engine]  takes back a grant that came after a cancel
 * @property {number} [permits]
 * @property {() => void} grant
 * @property {(code: number) => void} fail
 */

/** @type {Map<number, NativeWaiter>} token -> waiter */
const waiters = new Map();
let nextToken = 1;

/**
 * Settles the first `count` wake pairs in the wake buffer.
 * @param {number} count  wake pairs written into the wake buffer
 */
function settleWakes(count) {
  if (count <= 0) return;
  // Read everything first: settling a cancelled waiter calls back into native
  // code, which reuses the buffer.
  let late = null;
  for (let i = 0; i < count; i++) {
    const token = wakeBuf[2 * i];
    const code = wakeBuf[2 * i + 1];
    const w = waiters.get(token);
    if (w === undefined) continue;
    waiters.delete(token);
    if (w.cancelled) {
      // Its promise was already rejected (abort/timeout raced the grant):
      // give the permits straight back (native code already counted them as
      // held by this thread).
      if (code === WAKE_GRANTED) (late ??= []).push(w);
      continue;
    }
    if (code === WAKE_GRANTED) w.grant();
    else w.fail(code);
  }
  if (late !== null) {
    for (const w of late) w.engine.release(w.permits);
  }
}

// hasRef() tells async_hooks users (jest --detectOpenHandles) whether this
// thread's wake-up function keeps it alive: only while a native wait is queued.
const wakeResource = { hasRef: () => native.isolateHasRef(isolateId) };
const isolateId = native.initIsolate(settleWakes, wakeBuf, ledger, wakeResource, threadId);
if (isolateId < 0) throw new Error(`threadkit: could not register this thread with the native addon (status ${isolateId})`);

/**
 * A token for the next waiter queued in native code.
 * @returns {number} a wake token, 1 to 2^31-1, reused only after a wrap
 */
function newToken() {
  const t = nextToken;
  nextToken = nextToken === TOKEN_LIMIT ? 1 : nextToken + 1;
  return t;
}

/**
 * This thread's attachment to one shared primitive.
 * @typedef {object} Attachment
 * @property {number} slot  its index in the ledger
 * @property {number} refs  owners on this thread still alive
 * @property {ArrayBufferLike} buffer  the state buffer it was attached with
 */

/** @type {Map<number, Attachment>} Per-thread attachments: primitive id -> attachment. */
const attachments = new Map();
const collector = new FinalizationRegistry((id) => {
  const a = attachments.get(id);
  if (a === undefined || --a.refs > 0) return;
  attachments.delete(id);
  native.semDetach(isolateId, id);
});

/**
 * Attaches this thread to primitive `id` (a state word at `state[0]`) on
 * behalf of `owner`; returns the ledger slot. Detaches when every owner on
 * this thread has been collected.
 * @param {object} owner  the public object; the attachment lasts while one owner on this thread lives
 * @param {number} id  the primitive's process-wide id
 * @param {Int32Array} state  its state word(s) in shared memory
 * @param {number} max  its permit limit
 * @param {boolean} creating  true when this thread shares it first
 * @returns {number} the ledger slot, or a negative status
 */
function attach(owner, id, state, max, creating) {
  let a = attachments.get(id);
  if (a !== undefined && a.buffer !== state.buffer) {
    // Another buffer object for the same id: native code checks that it is
    // the same shared memory (a copy from another thread) and not a forgery.
    const slot = native.semAttach(isolateId, id, state, max, false);
    if (slot < 0) return slot;
  }
  if (a === undefined) {
    const slot = native.semAttach(isolateId, id, state, max, creating);
    if (slot < 0) return slot;
    if (slot >= ledger.length) growLedger(slot);
    a = { slot, refs: 0, buffer: state.buffer };
    attachments.set(id, a);
  }
  a.refs++;
  collector.register(owner, id);
  return a.slot;
}

/**
 * Replaces the ledger by one twice as long (or more) that has `slot`.
 * @param {number} slot  a slot the ledger must have
 */
function growLedger(slot) {
  let size = ledger.length * 2;
  while (size <= slot) size *= 2;
  const next = new Int32Array(new SharedArrayBuffer(size * 4));
  next.set(ledger);
  const r = native.setLedger(isolateId, next);
  if (r < 0) throw new Error(`threadkit: could not grow the permit ledger (status ${r})`);
  ledger = next;
  ledgerBox.arr = next;
}

module.exports = {
  native,
  isolateId,
  STATUS,
  WAKE_GRANTED,
  WAKE_CLOSED,
  waiters,
  newToken,
  settleWakes,
  attach,
  ledgerBox,
};
