// @ts-check
'use strict';
/**
 * A WorkerPool made from a function (`new WorkerPool(fn, options)`): the
 * function's source text, checked on the main thread, becomes the worker's
 * task function. Only the text crosses threads, so the function cannot use
 * variables from outside it; a read of one fails in the worker as a
 * ReferenceError, which guard() rewrites into an error that says why.
 *
 * The main thread (options.js) and each worker (worker/load.js) compile the
 * same wrapper, made here, so that what the constructor accepts is what the
 * worker runs.
 */

const vm = require('node:vm');
const { describe } = require('../validate.js');

/** The file name of the compiled source in stack traces: how guard() tells the function's own frames. */
const FUNCTION_FILE = 'threadkit:worker-pool-function';
/** The `code` of the error a read of an outer variable becomes. */
const OUTER_VARIABLE = 'ERR_THREADKIT_OUTER_VARIABLE';
/** The `code` of the error an `import()` inside the function becomes. */
const FUNCTION_IMPORT = 'ERR_THREADKIT_FUNCTION_IMPORT';

/**
 * The script that evaluates to a maker of the task function. Strict mode, so
 * that an assignment to an outer variable throws as a read does, instead of
 * creating a global in the worker. `require` is the one name given to it.
 * @param {string} source
 * @returns {vm.Script}
 */
function compile(source) {
  return new vm.Script(`'use strict'; (function (require) { return (${source}\n); })`, { filename: FUNCTION_FILE });
}

/**
 * `fn`'s source text, if it can run as a worker's task function; else a TypeError that says why.
 * @param {unknown} fn
 * @returns {string}
 */
function functionSource(fn) {
  if (typeof fn !== 'function') throw new TypeError(`a WorkerPool task function must be a function, got ${describe(fn)}`);
  const name = typeof fn.name === 'string' ? fn.name.trim() : '';
  const label = name ? `\`${name}\`` : 'the anonymous function';
  const kind = Object.prototype.toString.call(fn);
  if (kind === '[object GeneratorFunction]' || kind === '[object AsyncGeneratorFunction]') {
    throw new TypeError(`a WorkerPool task function cannot be a generator (${label}): return the values as an array instead`);
  }
  const source = Function.prototype.toString.call(fn);
  if (/\{\s*\[native code\]\s*\}$/.test(source)) {
    throw new TypeError(
      `a WorkerPool task function needs its source text, and ${label} is bound or native, which has none: pass the function itself (no .bind), or a worker script`,
    );
  }
  if (/^class\b/.test(source)) throw new TypeError(`a WorkerPool task function cannot be a class (${label}): pass a function`);
  try {
    compile(source);
  } catch (e) {
    // By name: vm's SyntaxError may come from another realm (a test runner's sandbox).
    if (e?.name !== 'SyntaxError') throw e;
    if (parsesSloppy(source)) {
      throw new TypeError(`${label} is not valid in strict mode, in which a WorkerPool function runs: ${e.message}`, { cause: e });
    }
    throw new TypeError(
      `the source of ${label} does not stand alone (${e.message}): a method shorthand such as \`{ f(x) {} }.f\`, a getter or a setter has no source of its own; write it as \`function f(x) {}\` or an arrow function`,
      { cause: e },
    );
  }
  return source;
}

/**
 * Whether `source` parses as an expression outside strict mode (it then failed only for strict mode's rules).
 * @param {string} source
 * @returns {boolean}
 */
function parsesSloppy(source) {
  try {
    new vm.Script(`(${source}\n)`);
    return true;
  } catch {
    return false;
  }
}

/**
 * Compiles `source` in this thread (a worker) into its task function, guarded.
 * `require` inside resolves as from a file in the current directory.
 * @param {string} source
 * @returns {(data: unknown, context: unknown) => unknown}
 */
function taskFunction(source) {
  const path = require('node:path');
  const requireHere = require('node:module').createRequire(path.join(process.cwd(), 'worker-pool-function.js'));
  const fn = compile(source).runInThisContext()(requireHere);
  return function guarded(data, context) {
    let result;
    try {
      result = fn(data, context);
    } catch (e) {
      throw explain(e);
    }
    if (result !== null && (typeof result === 'object' || typeof result === 'function') && typeof result.then === 'function') {
      return Promise.resolve(result).catch((e) => {
        throw explain(e);
      });
    }
    return result;
  };
}

/**
 * The function's own ReferenceError for a free name becomes an error that
 * says why the name is missing; an `import()` inside it, one that says to use
 * require(). Any other error, and a ReferenceError thrown by code the
 * function called (a module it required), is the task's own and passes as is.
 * @param {unknown} e
 * @returns {unknown}
 */
function explain(e) {
  if (!(e instanceof Error)) return e;
  const code = /** @type {{ code?: unknown }} */ (e).code;
  if (code === 'ERR_VM_DYNAMIC_IMPORT_CALLBACK_MISSING' || code === 'ERR_VM_DYNAMIC_IMPORT_CALLBACK_MISSING_FLAG') {
    const err = new TypeError('a WorkerPool function cannot use import(): use require() inside it, or a worker script', { cause: e });
    return Object.assign(err, { code: FUNCTION_IMPORT });
  }
  const free = e instanceof ReferenceError ? /^(\S+) is not defined$/.exec(e.message) : null;
  // The frame that threw: the function's own code, not a module it required.
  const thrower = typeof e.stack === 'string' ? e.stack.split('\n').find((line) => /^\s+at /.test(line)) : undefined;
  if (free === null || thrower === undefined || !thrower.includes(`${FUNCTION_FILE}:`)) return e;
  const name = free[1];
  const err = new ReferenceError(
    `a WorkerPool function cannot use variables from outside it (\`${name}\`): it runs from its source text in a worker thread, where \`${name}\` is not defined; pass them in the task's data`,
  );
  err.stack = `${err.name}: ${err.message}\n${e.stack.split('\n').slice(1).join('\n')}`;
  return Object.assign(err, { code: OUTER_VARIABLE, variable: name });
}

module.exports = { functionSource, taskFunction, OUTER_VARIABLE, FUNCTION_IMPORT };
