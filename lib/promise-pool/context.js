// @ts-check
'use strict';
/**
 * The async context a waiting PromisePool task runs in.
 *
 * A task that finds a free slot starts synchronously, inside `add`, in the
 * caller's context. A task that has to wait records the context of its `add`
 * in an `AsyncResource` and its runner calls it through `runInAsyncScope`,
 * but only when there is a context to record. With the async_hooks-based
 * AsyncLocalStorage (Node 20 and 22; 24 with --no-async-context-frame) a
 * context exists only while some async hook with an `init` callback is
 * enabled (every AsyncLocalStorage in use enables one), and then Node tags
 * every new promise with its async id, so the promise `add` creates anyway
 * tells, for the price of one property read, whether a resource is needed.
 * Without one, the task records nothing (`scope` null) and, when it starts,
 * runs where its runner is, unless hooks have been enabled in the meantime
 * (a probe promise tells): then it runs in a fresh resource made inside a
 * resource created while no hook was on, so it sees no store, exactly as a
 * resource recorded at its `add` would have shown it, and a store it sets
 * with `enterWith` stays its own. On Node 20 to 24 that promises are tagged
 * is known (and this package's tests check it); on other versions it is
 * tested once, on first use, by enabling an empty hook for a moment (Node
 * turns promise tagging off again only at the next microtask, so the rest
 * of that synchronous run records a resource per waiting task: correct,
 * only slower). If the test fails, or if AsyncLocalStorage is not the
 * async_hooks-based one (AsyncContextFrame, the default from Node 24 on),
 * every waiting task records a resource. A map records one context for all
 * of its items.
 */

const { AsyncResource, AsyncLocalStorage, createHook } = require('node:async_hooks');

function noop() {}

/** The async context of a waiting task's `add` call. */
class Scope extends AsyncResource {
  constructor() {
    super('PromisePoolTask');
  }
}

/** In a runner: the task was started by `add` itself, in its caller's context. */
const HERE = Symbol('here');

/**
 * The symbol under which Node's async_hooks tag a promise with its async id
 * while an init hook is enabled, once `findAsyncIdKey()` has found it usable;
 * null while unknown, false if it cannot be relied on (then every waiting
 * task records its context).
 */
let asyncIdKey = null;
/** An AsyncResource made while no hook was enabled: it holds no store. */
let bareScope = null;

/**
 * Node majors whose promise tagging under an init hook is known (and tested),
 * so no live probe is needed. 24 counts only with --no-async-context-frame
 * (`npm run test:node-matrix` runs those tests so); by default it has no
 * `_propagate` and never gets here.
 */
const TAGGING_KNOWN = [20, 21, 22, 24];

/**
 * The async id symbol, if promises are tagged with it while a hook is on; else false.
 * @returns {symbol | false}
 */
function findAsyncIdKey() {
  try {
    // Only the async_hooks-based AsyncLocalStorage keeps its stores on async resources.
    // @ts-expect-error _propagate: an internal of the async_hooks-based implementation.
    if (typeof AsyncLocalStorage.prototype._propagate !== 'function') return false;
    const key = Object.getOwnPropertySymbols(new AsyncResource('PromisePoolProbe')).find((s) => s.description === 'async_id_symbol');
    if (key === undefined) return false;
    if (new Promise(noop)[key] !== undefined) return key; // a hook is on already, and promises are tagged
    // Node 20 to 24 tag every promise while an init hook is enabled
    // (promiseInitHook in lib/internal/async_hooks.js); our tests check it.
    // Elsewhere, test it. The test's hook keeps promise tagging on until the
    // next microtask, so the rest of this synchronous run records a scope
    // per waiting task: correct, only slower.
    if (TAGGING_KNOWN.includes(Number(process.versions.node.split('.')[0]))) return key;
    const hook = createHook({ init: noop }).enable();
    const tagged = new Promise(noop)[key] !== undefined;
    hook.disable();
    return tagged ? key : false;
  } catch {
    return false;
  }
}

/**
 * The scope a task that waits must record, given the promise its `add` just made: null if none is needed.
 * @param {Promise<unknown>} promise
 * @returns {Scope | null}
 */
function scopeFor(promise) {
  if (asyncIdKey === null) asyncIdKey = findAsyncIdKey();
  if (asyncIdKey === false || promise[asyncIdKey] !== undefined) return new Scope();
  bareScope ??= new AsyncResource('PromisePoolTask');
  return null;
}

function newBareScope() {
  return new Scope();
}

/**
 * For a task that recorded no scope, at its start: null if still no hook is on, else a fresh resource with no store.
 * @returns {Scope | null}
 */
function scopeAtStart() {
  if (Promise.resolve()[asyncIdKey] === undefined) return null;
  return bareScope.runInAsyncScope(newBareScope);
}

module.exports = { HERE, scopeFor, scopeAtStart };
