// @ts-check
'use strict';
/**
 * Channel: Go's channels for JS, within one thread and across threads.
 *
 * Two cores with one method set (crossbeam's "flavors", picked by a field
 * rather than by type): a channel starts with a `LocalCore` (plain JS,
 * values by reference, no native call) and moves to a `SharedCore` (native
 * buffer and queues, values structured-cloned) the first time its `handle`
 * is read. The move is one-way and keeps everything: buffered values,
 * blocked senders, receivers and joiners (in order), the closed flag and
 * the unfinished-task count. A select blocked on the channel re-registers
 * itself on the shared core. Instances made with `Channel.from(handle)` are
 * shared from the start.
 *
 * Values: **by reference while local, cloned once shared** (even between a
 * sender and a receiver on the same thread), so a program's behaviour does
 * not depend on which thread receives.
 *
 * `ChannelBase` holds the core and the handle logic; `Channel` and
 * `AsyncQueue` (async-queue.js) are thin public layers over it.
 */

const { native, isolateId, newToken } = require('../isolate.js');
const { LocalCore } = require('./local.js');
const { SharedCore } = require('./shared.js');
const { DONE, EMPTY, SEND, RECV } = require('./waiter.js');
const { encodeCopy } = require('../codec/index.js');
const { DataCloneError, InvalidHandleError } = require('../errors.js');
const { validateWaitOptions, describe } = require('../validate.js');
// Realm-independent: a handle that arrived in a message may come from another realm (a vm context, jest).
const { isSharedArrayBuffer } = require('node:util').types;

const HANDLE_TAG = '__threadkit';
const MAX_CAPACITY = 0x7fffffff;
const { STATUS_FOREIGN_HANDLE: FOREIGN_HANDLE, QUEUED_KEY_BASE } = require('../native.js');

/** Groups of selects blocked on a channel that is being shared (see select.js). */
let restartSelect = null;
/**
 * Set by select.js, which requires this module (a require back would be a circle).
 * @param {(group: object) => void} fn
 */
function setSelectRestarter(fn) {
  restartSelect = fn;
}

class ChannelBase {
  #core;
  #handle = null;

  /**
   * @param {import('./local.js').LocalCore | import('./shared.js').SharedCore} core
   */
  constructor(core) {
    this.#core = core;
  }

  /**
   * A Channel's or AsyncQueue's core (private to the public object).
   * @param {ChannelBase} x
   * @returns {import('./local.js').LocalCore | import('./shared.js').SharedCore}
   */
  static coreOf(x) {
    return x.#core;
  }

  /** The public class name, for handles and messages. */
  get kind() {
    return 'Channel';
  }

  get handle() {
    if (this.#handle === null) {
      if (!this.#core.shared) {
        const groups = new Set();
        this.#core = share(/** @type {import('./local.js').LocalCore} */ (this.#core), native.newPrimitiveId(), groups);
        // Selects blocked here re-register on the shared core (and share their other channels).
        for (const g of groups) restartSelect(g);
      }
      const core = /** @type {import('./shared.js').SharedCore} */ (this.#core);
      this.#handle = Object.freeze({ [HANDLE_TAG]: this.kind, id: core.id, capacity: core.cap, state: core.state });
    }
    return this.#handle;
  }

  /** Moves to the shared core now (select on a mix of local and shared channels). */
  ensureShared() {
    void this.handle;
  }

  /**
   * Builds the shared core for `from(handle)`.
   * @param {any} handle  what the caller passed to `from`
   * @param {string} kind  the class whose `from` was called
   * @param {'Channel' | 'AsyncQueue'} what
   * @returns {import('./shared.js').SharedCore}
   */
  static attach(handle, kind, what) {
    if (handle === null || typeof handle !== 'object' || handle[HANDLE_TAG] === undefined) {
      throw new InvalidHandleError(`${kind}.from() needs the \`handle\` of a ${kind}, got ${handle === null ? 'null' : typeof handle}`);
    }
    if (handle[HANDLE_TAG] !== kind) {
      throw new InvalidHandleError(`${kind}.from() was given the handle of a ${handle[HANDLE_TAG]}; use ${handle[HANDLE_TAG]}.from()`);
    }
    const { id, capacity, state } = handle;
    const ok =
      Number.isInteger(id) &&
      id > 0 &&
      id <= 0xffffffff &&
      (capacity === Infinity || (Number.isInteger(capacity) && capacity >= 0 && capacity <= MAX_CAPACITY)) &&
      isSharedArrayBuffer(state) &&
      state.byteLength === 8;
    if (!ok)
      throw new InvalidHandleError(`${kind}.from() was given a damaged handle; pass \`handle\` unchanged (it must keep its SharedArrayBuffer)`);
    const core = new SharedCore(id, capacity, what, false, 0, state);
    if (core.status !== 0) {
      throw new InvalidHandleError(
        core.status === FOREIGN_HANDLE
          ? `this ${kind} handle does not match a live shared ${kind} in this process (was every thread that used it gone, or was it forged or copied from another process?)`
          : `could not attach to the ${kind} (status ${core.status})`,
      );
    }
    return core;
  }
}

/**
 * Moves a local core's state into a new shared core. Throws (and stays
 * local) if a buffered value cannot be cloned; a blocked sender whose value
 * cannot be cloned is rejected with DataCloneError.
 * @param {import('./local.js').LocalCore} local
 * @param {number} id  the new shared channel's id
 * @param {Set<object>} groups  collects the blocked selects, to restart once shared
 * @returns {import('./shared.js').SharedCore}
 */
function share(local, id, groups) {
  const buffered = local.drain();
  const bytes = [];
  try {
    for (const v of buffered) bytes.push(encodeCopy(v));
  } catch (err) {
    for (const v of buffered) local.push(v);
    throw new DataCloneError(`cannot share this ${local.what}: one of its buffered values cannot be cloned (${err.cause?.message ?? err.message})`, {
      cause: err.cause ?? err,
    });
  }
  // chanSend below counts the buffered values again. Fewer may be unfinished
  // than are buffered (taskDone() may come before the get()): those are
  // marked done again once they are in.
  const overcount = Math.max(0, bytes.length - local.unfinished);
  const shared = new SharedCore(id, local.cap, local.what, true, Math.max(0, local.unfinished - bytes.length), new SharedArrayBuffer(8));
  if (shared.status !== 0) throw new Error(`threadkit: could not share the ${local.what} (status ${shared.status})`);
  for (const b of bytes) {
    const r = native.chanSend(isolateId, id, b, 0, 0);
    if (r !== 0) throw new Error(`threadkit: could not move a buffered value to the shared ${local.what} (status ${r})`);
  }
  for (let i = 0; i < overcount; i++) native.chanTaskDone(isolateId, id);
  const move = (list, side) => {
    for (let w = list.shift(); w !== null; w = list.shift()) {
      if (w.group !== null) {
        groups.add(w.group);
        continue;
      }
      const token = newToken();
      let r;
      if (side === SEND) {
        let b;
        try {
          b = encodeCopy(w.value);
        } catch (err) {
          w.failWith(err);
          continue;
        }
        w.value = undefined;
        r = native.chanSend(isolateId, id, b, token, 0);
      } else if (side === RECV) r = native.chanRecv(isolateId, id, token, 0);
      else r = native.chanJoin(isolateId, id, token);
      if (typeof r === 'number' && r >= QUEUED_KEY_BASE) shared.adopt(w, r - QUEUED_KEY_BASE, token);
      else throw new Error(`threadkit: could not move a blocked operation to the shared ${local.what} (status ${r})`);
    }
  };
  move(local.sends, SEND);
  move(local.recvs, RECV);
  move(local.joins, 2);
  if (local.closed) shared.close();
  return shared;
}

/**
 * A buffer size: an integer from 0 (or 1 with Infinity allowed) to MAX_CAPACITY.
 * @param {unknown} value
 * @param {string} name
 * @param {boolean} allowInfinity
 * @returns {number}
 */
function validateCapacity(value, name, allowInfinity) {
  if (typeof value !== 'number') throw new TypeError(`${name} must be a number, got ${describe(value)}`);
  if (allowInfinity && value === Infinity) return value;
  const min = allowInfinity ? 1 : 0;
  if (!Number.isInteger(value) || value < min || value > MAX_CAPACITY) {
    throw new RangeError(`${name} must be an integer from ${min} to ${MAX_CAPACITY}${allowInfinity ? ' or Infinity' : ''}, got ${describe(value)}`);
  }
  return value;
}

/** Go-style channel; see index.d.ts for the contract. */
class Channel extends ChannelBase {
  constructor(bufferSize = 0) {
    validateCapacity(bufferSize, 'bufferSize', false);
    super(new LocalCore(bufferSize, 'Channel'));
  }

  static from(handle) {
    // Runs only the base constructor (no bufferSize check) on a Channel.
    return Reflect.construct(ChannelBase, [ChannelBase.attach(handle, 'Channel', 'Channel')], Channel);
  }

  send(value, options) {
    if (options !== undefined) validateWaitOptions(options);
    return ChannelBase.coreOf(this).send(value, options);
  }

  receive(options) {
    if (options !== undefined) validateWaitOptions(options);
    return ChannelBase.coreOf(this).receive(options, false);
  }

  trySend(value) {
    return ChannelBase.coreOf(this).trySend(value);
  }

  tryReceive() {
    const v = ChannelBase.coreOf(this).tryReceive();
    if (v === EMPTY) return { ok: false, closed: false, value: undefined };
    if (v === DONE) return { ok: false, closed: true, value: undefined };
    return { ok: true, closed: false, value: v };
  }

  close() {
    return ChannelBase.coreOf(this).close();
  }

  get length() {
    return ChannelBase.coreOf(this).length;
  }

  get capacity() {
    return ChannelBase.coreOf(this).cap;
  }

  get closed() {
    return ChannelBase.coreOf(this).closed;
  }

  async *[Symbol.asyncIterator]() {
    const core = () => ChannelBase.coreOf(this);
    for (;;) {
      const v = await core().receive(undefined, true);
      if (v === DONE) return;
      yield v;
    }
  }
}

module.exports = { ChannelBase, Channel, validateCapacity, setSelectRestarter, MAX_CAPACITY };
