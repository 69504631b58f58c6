// @ts-check
'use strict';
/**
 * The opt-in deadlock detector (JS side; the graph is native and shared by
 * every thread, see `threadkit_core::deadlock`).
 *
 * Off by default: nothing here runs on any path until
 * `setDeadlockDetection(true)` is called, and it is a per-thread switch (call
 * it in each thread that should take part).
 *
 * What it sees: a lock taken by `runExclusive`, `runRead` or `runWrite` is
 * held by a *scope* for as long as the callback runs, and the scope is
 * carried through the callback's async context (AsyncLocalStorage). An
 * acquire that has to queue inside such a context is a wait of those scopes.
 * When the waits form a cycle in which every lock is held only by stuck
 * scopes, no one in it can ever run again: the acquire that closes the cycle
 * rejects with a DeadlockError naming it, instead of hanging. Locks held
 * through a guard or the `release()` method form are outside its view (such
 * a holder may release at any time), so cycles through them are not
 * reported.
 */

const { AsyncLocalStorage } = require('node:async_hooks');
const { native, isolateId } = require('../isolate.js');
const { DeadlockError } = require('../errors.js');

/**
 * Made on first use: the async_hooks-based AsyncLocalStorage of Node 24 (with
 * --no-async-context-frame) enables its hook in its constructor, and an
 * enabled hook tags every promise of the thread with an async id.
 */
let scopes = null;
const detection = { enabled: false };
let counter = 0;

/**
 * A process-wide unique id: this thread's id times 2^32 plus a counter.
 * @returns {number}
 */
function newId() {
  counter = counter === 0xffffffff ? 1 : counter + 1;
  return isolateId * 0x100000000 + counter;
}

/**
 * Turns deadlock detection on or off for waits that start from now on (the public export).
 * @param {boolean} enabled
 */
function setDeadlockDetection(enabled) {
  if (typeof enabled !== 'boolean') throw new TypeError('setDeadlockDetection() needs true or false');
  detection.enabled = enabled;
}

/**
 * The scopes around the current async context, or undefined.
 * @returns {number[] | undefined}
 */
function currentScopes() {
  const s = scopes?.getStore();
  return s === undefined || s.length === 0 ? undefined : s;
}

/**
 * Runs `fn` as a scope holding `permits` of `engine` (already acquired) and
 * ends the scope when it settles.
 * @template T
 * @param {{ id: number }} engine
 * @param {number} permits
 * @param {() => T | Promise<T>} fn
 * @returns {Promise<T>}
 */
async function runAsScope(engine, permits, fn) {
  scopes ??= new AsyncLocalStorage();
  const outer = scopes.getStore() ?? [];
  const scope = newId();
  native.ddHold(isolateId, scope, engine.id, permits);
  try {
    return await scopes.run([...outer, scope], fn);
  } finally {
    native.ddEndScope(scope);
  }
}

/**
 * Registers a queued wait on `engine` made inside `within`; returns a
 * DeadlockError if it closes a cycle (the caller must then cancel it).
 * @param {{ id: number, kind: string }} engine
 * @param {number[]} within  the scopes the wait is made in (currentScopes())
 * @returns {{ id: number | undefined, error: Error | undefined }} the wait's id, or the DeadlockError
 */
function registerWait(engine, within) {
  const id = newId();
  const cycle = native.ddWait(isolateId, id, engine.id, within);
  if (cycle === null) return { id, error: undefined };
  const steps = [];
  for (let i = 0; i < cycle.length; i += 2) steps.push({ primitive: cycle[i], threadId: cycle[i + 1] });
  const name = (p) => `#${p}`;
  const text = steps
    .map((s, i) => `${name(s.primitive)} is held by thread ${s.threadId}, which waits for ${name(steps[(i + 1) % steps.length].primitive)}`)
    .join('; ');
  const error = new DeadlockError(
    `deadlock: ${engine.kind} #${engine.id} can never be acquired here: ${text}. ` +
      'This acquire was rejected to break the cycle; take the locks in one order (acquireAll does that).',
    { cycle: steps },
  );
  return { id: undefined, error };
}

module.exports = { detection, setDeadlockDetection, currentScopes, runAsScope, registerWait };
