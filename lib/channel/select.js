// @ts-check
'use strict';
/**
 * select: wait on several channel operations and run exactly one (Go's
 * `select`).
 *
 * 1. Poll: try every case once, in a random order (so that when several are
 *    ready, each is picked with equal chance, as in Go). The first that
 *    completes is the result. With `default: true`, if none is ready the
 *    select completes at once with index -1; that decision must hold at one
 *    moment (Go), so the shared channels' cases are then tried in one native
 *    call that sees all of them at once (`pollAtOnce`).
 * 2. Wait: queue one waiter per case, all in one group. The first waiter to
 *    complete wins and the others are taken out of their queues.
 *    - Local channels: everything is synchronous on this thread, so the
 *      group settles in the same call that serves the winner, which unlinks
 *      the losers at once.
 *    - Shared channels: the waiters carry a native select group that fires
 *      at most once (see the Rust channel core), so a second case can never
 *      complete, not even on another thread at the same moment; a losing
 *      waiter that was already dropped natively is discarded when its wake
 *      arrives. No value is taken by a loser, so none has to be given back.
 *    If any case's channel is shared, the others are shared too (their
 *    handle is taken), so that one group covers all of them.
 */

const { native } = require('../isolate.js');
const { ChannelBase, setSelectRestarter } = require('./index.js');
const { Waiter, DONE, EMPTY, SEND, RECV } = require('./waiter.js');
const { trySelectShared } = require('./shared.js');
const { encodeCopy } = require('../codec/index.js');
const { AbortError, TimeoutError } = require('../errors.js');
const { validateWaitOptions, describe } = require('../validate.js');
const { waitsForever, startWaitTimer, stopWaitTimer } = require('../wait-timer.js');
const { startAbortListener, stopAbortListener } = require('../abort-listeners.js');

/**
 * One case of a select, as the caller wrote it.
 * @typedef {{ receive?: import('./index.js').ChannelBase, send?: import('./index.js').ChannelBase, value?: unknown }} SelectCase
 */
/**
 * What a select resolves with.
 * @typedef {{ index: number, value: unknown, ok: boolean }} SelectResult
 */

class SelectGroup {
  /**
   * @param {SelectCase[]} cases
   * @param {(r: SelectResult) => void} resolve
   * @param {(error: Error) => void} reject
   */
  constructor(cases, resolve, reject) {
    this.cases = cases;
    this.resolve = resolve;
    this.reject = reject;
    this.waiters = [];
    this.settled = false;
    this.timer = undefined;
    this.abort = undefined;
  }

  win(w, x) {
    if (this.settled) return;
    this.settled = true;
    this.finish(w);
    this.resolve(result(w.index, w.side, x));
  }

  lose(error) {
    if (this.settled) return;
    this.settled = true;
    this.finish(null);
    this.reject(error);
  }

  finish(winner) {
    if (this.timer !== undefined) stopWaitTimer(this.timer);
    if (this.abort !== undefined) stopAbortListener(this.abort);
    for (const w of this.waiters) if (w !== winner) w.core.unregister(w);
  }

  /** Timeout or abort: give up unless a case already won (its wake is on the way). */
  cancel(error) {
    if (this.settled) return;
    for (const w of this.waiters) w.core.unregister(w);
    if (this.waiters.some((w) => !w.settled)) return;
    this.settled = true;
    this.finish(null);
    this.reject(error);
  }
}

/**
 * @param {number} index
 * @param {number} side  SEND or RECV
 * @param {unknown} [x]  the received value, or DONE
 * @returns {SelectResult}
 */
function result(index, side, x) {
  if (side === SEND) return { index, value: undefined, ok: true };
  return x === DONE ? { index, value: undefined, ok: false } : { index, value: x, ok: true };
}

/**
 * 0..n-1 in random order: no case is favoured.
 * @param {number} n
 * @returns {number[]}
 */
function shuffled(n) {
  const order = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    const t = order[i];
    order[i] = order[j];
    order[j] = t;
  }
  return order;
}

/**
 * @param {unknown} cases
 */
function checkCases(cases) {
  if (!Array.isArray(cases)) {
    throw new TypeError(`select() needs an array of cases like { receive: channel } or { send: channel, value }, got ${describe(cases)}`);
  }
  const isChannel = (c) => c instanceof ChannelBase && c.kind === 'Channel';
  cases.forEach((c, i) => {
    const ok = c !== null && typeof c === 'object' && isChannel(c.receive) !== isChannel(c.send);
    if (!ok) throw new TypeError(`select() case ${i} must be { receive: channel } or { send: channel, value }, got ${describeCase(c)}`);
  });
}

/**
 * How a bad select() case reads in its error: its keys, each channel field
 * shown as `Channel` or as what it is instead.
 * @param {unknown} c
 */
function describeCase(c) {
  if (c === null || typeof c !== 'object') return describe(c);
  const field = (k) => `${k}: ${k === 'value' ? '…' : c[k] instanceof ChannelBase && c[k].kind === 'Channel' ? 'Channel' : describe(c[k])}`;
  return `{ ${Object.keys(c).map(field).join(', ')} }`;
}

/**
 * Tries the cases once in `order`; a result, or null if none is ready.
 * @param {SelectCase[]} cases
 * @param {number[]} order
 * @returns {SelectResult | null}
 */
function poll(cases, order) {
  for (const i of order) {
    const r = tryCase(cases, i);
    if (r !== null) return r;
  }
  return null;
}

/**
 * @param {SelectCase[]} cases
 * @param {number} i
 * @returns {SelectResult | null}
 */
function tryCase(cases, i) {
  const c = cases[i];
  if (c.receive !== undefined) {
    const x = ChannelBase.coreOf(c.receive).tryReceive();
    if (x !== EMPTY) return result(i, RECV, x);
  } else if (ChannelBase.coreOf(c.send).trySend(c.value)) return result(i, SEND);
  return null;
}

const sideOf = (c) => (c.receive !== undefined ? RECV : SEND);
const coreOfCase = (c) => ChannelBase.coreOf(c.receive ?? c.send);

/**
 * poll() for a select with a default: a result, or null if there was one
 * moment at which no case was ready. Local channels change only on this
 * thread, so trying them one by one is exact; shared ones may change on
 * other threads between two tries, so all of them that the order reaches
 * are tried in one native call. A shared receive first in line may take a
 * value it holds a copy of (one compare-and-swap: it is ready then).
 * @param {SelectCase[]} cases
 * @param {number[]} order
 * @returns {SelectResult | null}
 */
function pollAtOnce(cases, order) {
  let i = 0;
  for (; i < order.length; i++) {
    const k = order[i];
    const c = cases[k];
    const core = coreOfCase(c);
    if (core.shared) {
      if (c.receive !== undefined) {
        const x = core.takeCopy();
        if (x !== EMPTY) return result(k, RECV, x);
      }
      break;
    }
    if (c.receive !== undefined) {
      const x = core.tryReceive();
      if (x !== EMPTY) return result(k, RECV, x);
    } else if (core.trySend(c.value)) return result(k, SEND);
  }
  if (i === order.length) return null;
  // The shared cases before the first ready local one (which runs only if none of them does).
  const list = [];
  const at = [];
  let local = -1;
  for (; i < order.length && local === -1; i++) {
    const c = cases[order[i]];
    const core = coreOfCase(c);
    if (!core.shared) {
      // (`shared` is false: a LocalCore; tsc narrows only on true without strictNullChecks.)
      if (/** @type {import('./local.js').LocalCore} */ (core).ready(sideOf(c))) local = order[i];
    } else {
      list.push({ core, side: sideOf(c), value: c.value });
      at.push(order[i]);
    }
  }
  if (list.length === 1) {
    // One shared channel: a single try is already one moment (and keeps its fast paths).
    const r = tryCase(cases, at[0]);
    if (r !== null) return r;
  } else if (list.length > 1) {
    const r = trySelectShared(list);
    if (r !== null) return result(at[r.at], list[r.at].side, r.x);
  }
  return local === -1 ? null : tryCase(cases, local);
}

/** Queues one waiter per case (phase 2). */
function register(group, order) {
  const { cases } = group;
  group.waiters = [];
  const channel = (c) => c.receive ?? c.send;
  if (!cases.every((c) => ChannelBase.coreOf(channel(c)).shared)) {
    if (cases.some((c) => ChannelBase.coreOf(channel(c)).shared)) cases.forEach((c) => channel(c).ensureShared());
  }
  const shared = ChannelBase.coreOf(channel(cases[0])).shared;
  if (!shared) {
    for (const i of order) {
      const c = cases[i];
      const core = ChannelBase.coreOf(channel(c));
      const w = new Waiter(core, c.receive !== undefined ? RECV : SEND, c.value, null, null, true);
      w.group = group;
      w.index = i;
      core.register(w);
      group.waiters.push(w);
    }
    return;
  }
  const bytes = cases.map((c) => (c.send !== undefined ? encodeCopy(c.value) : undefined));
  const gid = native.chanGroupNew();
  try {
    for (const i of order) {
      const c = cases[i];
      const core = ChannelBase.coreOf(channel(c));
      const w = new Waiter(core, c.receive !== undefined ? RECV : SEND, undefined, null, null, true);
      w.group = group;
      w.index = i;
      group.waiters.push(w);
      const status = core.register(w, gid, bytes[i]);
      if (status === 'done') return; // the group settled and unregistered the others
      if (status === 'fired') {
        // Another case won on another thread; its wake is on the way.
        for (const other of group.waiters) other.core.unregister(other);
        return;
      }
    }
  } finally {
    native.chanGroupEnd(gid);
  }
}

/** A blocked select whose local channel is being shared: re-register everything. */
function restart(group) {
  if (group.settled) return;
  for (const w of group.waiters) w.core.unregister(w);
  const order = shuffled(group.cases.length);
  try {
    const r = poll(group.cases, order);
    if (r !== null) {
      group.settled = true;
      group.finish(null);
      group.resolve(r);
      return;
    }
    register(group, order);
  } catch (err) {
    group.lose(err);
  }
}
setSelectRestarter(restart);

/**
 * See index.d.ts.
 * @param {SelectCase[]} cases
 * @param {{ signal?: AbortSignal, timeout?: number, default?: boolean }} [options]
 * @returns {Promise<SelectResult>}
 */
function select(cases, options) {
  try {
    checkCases(cases);
    if (options !== undefined) {
      validateWaitOptions(options);
      if (options.default !== undefined && typeof options.default !== 'boolean') {
        throw new TypeError(`options.default must be a boolean, got ${describe(options.default)}`);
      }
    }
    const signal = options?.signal;
    if (signal?.aborted) return Promise.reject(new AbortError('select was aborted', { cause: signal.reason }));
    const order = shuffled(cases.length);
    // (One case is tried at one moment anyway.)
    const r = options?.default === true && cases.length > 1 ? pollAtOnce(cases, order) : poll(cases, order);
    if (r !== null) return Promise.resolve(r);
    if (options?.default === true) return Promise.resolve({ index: -1, value: undefined, ok: false });
    return new Promise((resolve, reject) => {
      const group = new SelectGroup(cases, resolve, reject);
      try {
        // No cases: waits for ever, like Go's `select {}` (only a timeout or an abort ends it).
        if (cases.length > 0) register(group, order);
      } catch (err) {
        group.lose(err);
        return;
      }
      if (group.settled) return;
      const timeout = options?.timeout;
      if (!waitsForever(timeout)) {
        group.timer = startWaitTimer(timeout, () => group.cancel(new TimeoutError(`select timed out after ${timeout} ms`)));
      }
      if (signal !== undefined) {
        group.abort = startAbortListener(signal, () => group.cancel(new AbortError('select was aborted', { cause: signal.reason })));
      }
    });
  } catch (err) {
    return Promise.reject(err);
  }
}

module.exports = { select };
