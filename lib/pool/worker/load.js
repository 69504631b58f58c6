// @ts-check
'use strict';
/**
 * Loading the task script inside a worker, and finding its task functions:
 * a function as the default export or `module.exports` (or a Promise of one:
 * an async loaded script), named exported functions (picked with
 * `execute(data, { name })`), or the seed form (seed-form.js). A pool made
 * from a function has no script: its source is the default function
 * (../function-task.js).
 */

const fs = require('node:fs');
const path = require('node:path');
const wt = require('node:worker_threads');
const { native, pool, script, internal } = require('./thread.js');

/**
 * A task function: the data, and the task's context.
 * @typedef {(data: unknown, context: import('./task-context.js').TaskContext) => unknown} TaskFunction
 */

/** The script's module namespace, once loaded. @type {Record<string, any> | null} */
let mod = null;
/** Task functions by name id (0: the default one). @type {Map<number, TaskFunction>} */
const fnCache = new Map();
/**
 * seed-form.js, loaded once the script turns out to be in the seed form: each
 * module a worker loads costs it memory (bench M1), and few scripts use it.
 * @type {typeof import('./seed-form.js') | null}
 */
let seedForm = null;

/**
 * @param {unknown} f
 * @returns {f is Function}
 */
function isFunction(f) {
  return typeof f === 'function';
}

/**
 * A promise, or anything `await` treats as one.
 * @param {unknown} v
 * @returns {v is PromiseLike<unknown>}
 */
function isThenable(v) {
  return v !== null && (typeof v === 'object' || typeof v === 'function') && isFunction(/** @type {any} */ (v).then);
}

/** @returns {TaskFunction | null} */
function defaultFunction() {
  if (isFunction(mod.default)) return mod.default;
  if (mod.default && isFunction(mod.default.default)) return mod.default.default; // transpiled ESM in CJS
  if (seedForm !== null) return seedForm.seedTask;
  return null;
}

/**
 * The task function for a name id (0: the default one), or a TypeError naming what is missing.
 * @param {number} nameId
 * @returns {TaskFunction}
 */
function fnFor(nameId) {
  let fn = fnCache.get(nameId);
  if (fn) return fn;
  if (nameId === 0) {
    fn = defaultFunction();
  } else {
    const name = native.poolNameOf(pool, nameId);
    fn =
      name !== null && isFunction(mod[name]) ? mod[name] : name !== null && mod.default && isFunction(mod.default[name]) ? mod.default[name] : null;
    if (!fn) throw new TypeError(`worker script ${script} has no exported function named "${name}"`);
  }
  if (!fn) {
    throw new TypeError(
      `worker script ${script} has no default task function (module.exports = fn or export default fn); call execute(data, { name }) to pick a named export`,
    );
  }
  fnCache.set(nameId, fn);
  return fn;
}

/**
 * Whether the worker runs with ESM loader hooks or preloads, or with flags
 * that change which files are ESM (in execArgv or NODE_OPTIONS).
 * @returns {boolean}
 */
function esmHooksGiven() {
  const flag = /^--(?:import|loader|experimental-loader|experimental-default-type|experimental-detect-module)(?:=|$)/;
  const nodeOptions = process.env.NODE_OPTIONS;
  return process.execArgv.some((a) => flag.test(a)) || (typeof nodeOptions === 'string' && nodeOptions.split(/\s+/).some((a) => flag.test(a)));
}

/**
 * Whether Node treats `file` as CommonJS: `.cjs`, or `.js` whose nearest package.json does not say "type": "module".
 * @param {string} file
 * @returns {boolean}
 */
function isCommonJS(file) {
  if (file.endsWith('.cjs')) return true;
  if (!file.endsWith('.js')) return false;
  for (let dir = path.dirname(file); ;) {
    let text = null;
    try {
      text = fs.readFileSync(path.join(dir, 'package.json'), 'utf8');
    } catch {
      // none here: look further up
    }
    if (text !== null) {
      try {
        return JSON.parse(text).type !== 'module';
      } catch {
        return false; // let import() report the broken package.json
      }
    }
    const up = path.dirname(dir);
    if (up === dir || path.basename(dir) === 'node_modules') return true;
    dir = up;
  }
}

/**
 * Whether a require hook is registered for `file`'s extension (`.ts` after
 * `--require tsx/cjs`, for instance): then require() is what loads it, and
 * import() would refuse the extension. `.js` and `.cjs` are Node's own.
 * @param {string} file
 * @returns {boolean}
 */
function requireHookFor(file) {
  const ext = path.extname(file);
  return ext !== '' && ext !== '.js' && ext !== '.cjs' && ext !== '.mjs' && Object.hasOwn(require.extensions, ext);
}

/**
 * Loads the user's script, as a module namespace (`{ default, ...named }`).
 *
 * CommonJS goes through require(): import() would start Node's ESM loader in
 * every worker, about 170 KB of heap and 160 KB of external memory each
 * (measured on Node 20), for nothing a CommonJS script needs. So does an
 * extension that a require hook handles (a .ts with `--require tsx/cjs`).
 * ESM, other extensions and any other script when ESM loader hooks or
 * preloads are given go through import(), so those hooks apply. A `.js`
 * file that Node itself decides is ESM (syntax detection on newer Node)
 * throws one of the two codes below before it runs, and goes to import().
 * @returns {Promise<Record<string, any>>}
 */
async function loadScript() {
  if ((!esmHooksGiven() && isCommonJS(script)) || requireHookFor(script)) {
    try {
      return { default: require(script) };
    } catch (e) {
      if (e?.code !== 'ERR_REQUIRE_ESM' && e?.code !== 'ERR_REQUIRE_ASYNC_MODULE') throw e;
    }
  }
  return import(require('node:url').pathToFileURL(script).href);
}

/**
 * An "async loaded" script exports a Promise of its task function (or of an
 * object of functions): `module.exports = load()` or `export default load()`.
 * The worker waits for it before it takes any task; a rejection is a start-up
 * failure, as a throw at import time is.
 * @param {Record<string, any>} ns
 * @returns {Promise<Record<string, any>>}
 */
async function resolveExports(ns) {
  if (!isThenable(ns.default) && !isThenable(ns.default?.default)) return ns;
  const out = { ...ns, default: await ns.default };
  // Transpiled ESM in CommonJS: exports.default = load().
  if (isThenable(out.default?.default)) out.default = { ...out.default, default: await out.default.default };
  return out;
}

/**
 * Routes the script's `parentPort.postMessage` calls through the seed form's
 * reply catcher, once there is one. Patched before the script loads, so that
 * a script that keeps a reference to `postMessage` is caught too.
 */
function patchParentPort() {
  const port = wt.parentPort;
  const post = port.postMessage.bind(port);
  /**
   * @param {any} msg
   * @param {any} [transfer]
   */
  port.postMessage = function postMessage(msg, transfer) {
    if (seedForm !== null && seedForm.settleReply(msg, transfer)) return;
    return post(msg, transfer);
  };
}

/**
 * Loads the task script and checks that it has a task function in one of
 * the forms; rejects with a TypeError naming the script otherwise.
 * @returns {Promise<void>}
 */
async function loadTaskScript() {
  if (internal.source !== undefined) {
    mod = { default: require('../function-task.js').taskFunction(internal.source) };
    return;
  }
  patchParentPort();
  mod = await resolveExports(await loadScript());
  if (!isFunction(mod.default) && wt.parentPort.listenerCount('message') > 0) seedForm = require('./seed-form.js');
  if (!defaultFunction() && !Object.values(mod).some(isFunction) && !(mod.default && Object.values(mod.default).some(isFunction))) {
    throw new TypeError(
      `worker script ${script} exports no task function: export a function (module.exports = fn, or export default fn), named functions, or listen on parentPort for { taskId, data } messages`,
    );
  }
}

module.exports = { esmHooksGiven, fnFor, isFunction, isThenable, loadTaskScript };
