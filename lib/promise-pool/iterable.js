// @ts-check
'use strict';
/**
 * PromisePool's `map` (its checks, and async iterables) and `mapIterable`.
 *
 * A sync iterable given to `map` is copied at the call and run by MapRun
 * (map.js). An async iterable, and anything given to `mapIterable`, is
 * pulled by a Puller with backpressure: an item is pulled only while fewer
 * than `concurrency` of its items are in the pool and fewer than
 * `concurrency + buffer` have been pulled but not handed to the consumer. So
 * an infinite source, or a slow early item under `ordered: true`, never
 * makes it read ahead without bound. Items go through the pool's own `add`
 * (with the run's signal, so that giving up removes the queued ones).
 */

const { AbortError } = require('../errors.js');
const { MapRun, abortError } = require('./map.js');
const { validateFunction, validateOptionKeys, validateInteger, describe } = require('../validate.js');
const { captured, capture, forget } = require('../resolvers.js');
const { startAbortListener, stopAbortListener } = require('../abort-listeners.js');
const { checkConcurrency, checkSignal } = require('./options.js');

/** The lookahead of a run with no finite concurrency (a shared limit with no local cap) and no `buffer`. */
const DEFAULT_WINDOW = 32;
/** `buffer`'s default: min(concurrency, this). */
const DEFAULT_BUFFER = 16;

/** What the consumer gets once the source is done and every item was handed over. */
const DONE = Symbol('done');

/**
 * @typedef {[index: number, ok: boolean, value: unknown]} Entry
 */

/** Pulls items from an iterator into a pool, at most `limit` in the pool and `window` not yet consumed. */
class Puller {
  /**
   * @param {import('./index.js').PromisePool} pool
   * @param {Iterator<unknown> | AsyncIterator<unknown>} it
   * @param {(item: any, index: number, signal: AbortSignal) => unknown} fn
   * @param {number} limit
   * @param {number} window
   * @param {boolean} ordered
   * @param {AbortSignal | undefined} outer
   */
  constructor(pool, it, fn, limit, window, ordered, outer) {
    this.pool = pool;
    this.it = it;
    this.fn = fn;
    this.limit = limit;
    this.window = window;
    this.ordered = ordered;
    this.ac = new AbortController();
    this.signal = this.ac.signal;
    this.nextIndex = 0;
    /** Items in the pool now. */
    this.inPool = 0;
    /** Items pulled and not yet handed to the consumer (the lookahead, for tests: `pulled - consumed`). */
    this.taken = 0;
    this.pulling = false;
    this.sourceDone = false;
    this.closed = false;
    /** @type {unknown} the error the run failed with */
    this.error = undefined;
    this.failed = false;
    /** @type {Entry[]} settled entries the consumer may take, in delivery order */
    this.ready = [];
    /** @type {Map<number, Entry>} ordered: settled entries waiting for an earlier one */
    this.held = new Map();
    this.nextOut = 0;
    /** @type {(() => void) | null} the consumer waiting for an entry */
    this.wake = null;
    this.outer = outer;
    this.outerAbort = outer === undefined ? null : startAbortListener(outer, () => this.fail(abortError(outer, 'PromisePool map')));
  }

  pull() {
    while (!this.pulling && !this.sourceDone && !this.closed && this.inPool < this.limit && this.taken < this.window) {
      let r;
      try {
        r = this.it.next();
      } catch (error) {
        this.fail(error);
        return;
      }
      if (r !== null && typeof r === 'object' && typeof (/** @type {any} */ (r).then) === 'function') {
        this.pulling = true;
        /** @type {Promise<IteratorResult<unknown>>} */ (r).then(
          (res) => {
            this.pulling = false;
            this.got(res);
            this.pull();
          },
          (error) => {
            this.pulling = false;
            this.fail(error);
          },
        );
        return;
      }
      this.got(/** @type {IteratorResult<unknown>} */ (r));
    }
  }

  /** @param {IteratorResult<unknown>} res */
  got(res) {
    if (this.closed) return;
    if (res === null || typeof res !== 'object') {
      this.fail(new TypeError(`the iterator's next() returned ${describe(res)}, not an object like { value, done }`));
      return;
    }
    if (res.done) {
      this.sourceDone = true;
      this.notify();
      return;
    }
    const index = this.nextIndex++;
    const item = res.value;
    this.taken++;
    this.inPool++;
    // timeout: Infinity, as map items of an array: the pool-wide timeout is for add().
    this.pool
      .add((signal) => this.fn(item, index, /** @type {AbortSignal} */ (signal)), { signal: this.signal, timeout: Infinity })
      .then(
        (value) => this.settled(index, true, value),
        (error) => this.settled(index, false, error),
      );
  }

  /**
   * @param {number} index
   * @param {boolean} ok
   * @param {unknown} value
   */
  settled(index, ok, value) {
    this.inPool--;
    if (this.closed) return;
    /** @type {Entry} */
    const entry = [index, ok, value];
    if (!this.ordered) this.ready.push(entry);
    else {
      this.held.set(index, entry);
      for (let e; (e = this.held.get(this.nextOut)) !== undefined; this.nextOut++) {
        this.held.delete(this.nextOut);
        this.ready.push(e);
      }
    }
    this.notify();
    this.pull();
  }

  notify() {
    const wake = this.wake;
    this.wake = null;
    if (wake !== null) wake();
  }

  /**
   * The next entry, DONE, or a rejection with the run's error.
   * @returns {Promise<Entry | typeof DONE>}
   */
  async take() {
    for (;;) {
      if (this.failed) throw this.error;
      if (this.ready.length !== 0) {
        const e = /** @type {Entry} */ (this.ready.shift());
        this.taken--;
        this.pull();
        return e;
      }
      if (this.sourceDone && this.taken === 0) return DONE;
      await new Promise((resolve) => {
        this.wake = /** @type {() => void} */ (resolve);
      });
    }
  }

  /**
   * Gives up with `error`: the consumer gets it, queued items leave the pool, running ones see their signal abort.
   * @param {unknown} error
   */
  fail(error) {
    if (this.closed) return;
    this.failed = true;
    this.error = error;
    this.close(error);
    this.notify();
  }

  /**
   * Stops pulling and lets go of the source.
   * @param {unknown} reason  for the items' signal
   */
  close(reason) {
    if (this.closed) return;
    this.closed = true;
    if (this.outerAbort !== null) stopAbortListener(this.outerAbort);
    this.outerAbort = null;
    this.ac.abort(reason);
    const it = this.it;
    if (typeof it.return === 'function' && !this.sourceDone) {
      try {
        Promise.resolve(it.return()).catch(() => {});
      } catch {
        // The source's cleanup failed: nothing left to tell it.
      }
    }
  }
}

/**
 * @param {any} options
 * @param {string[]} extra  keys allowed besides concurrency, buffer and signal
 * @param {import('./index.js').PromisePool} pool
 */
function readRunOptions(options, extra, pool) {
  let limit = pool.concurrency;
  let buffer;
  let signal;
  if (options !== undefined) {
    validateOptionKeys(options, 'options', ['concurrency', 'buffer', 'signal', ...extra]);
    if (options.concurrency !== undefined) limit = checkConcurrency(options.concurrency, 'options.concurrency');
    if (options.buffer !== undefined) buffer = validateInteger(options.buffer, 'options.buffer', 0, Number.MAX_SAFE_INTEGER);
    signal = checkSignal(options, 'options');
  }
  const window = limit === Infinity ? (buffer ?? DEFAULT_WINDOW) || 1 : limit + (buffer ?? Math.min(limit, DEFAULT_BUFFER));
  return { limit, window, signal };
}

/**
 * An iterator for `items`: async if it has one, else sync; a TypeError naming the value otherwise.
 * @param {any} items
 * @param {string} what
 */
function iteratorOf(items, what) {
  if (items !== null && items !== undefined) {
    if (typeof items[Symbol.asyncIterator] === 'function') return items[Symbol.asyncIterator]();
    if (typeof items[Symbol.iterator] === 'function') return items[Symbol.iterator]();
  }
  throw new TypeError(`${what} needs an iterable or async iterable (an array, a generator, a stream...) as items, got ${describe(items)}`);
}

/**
 * PromisePool.map.
 * @param {import('./index.js').PromisePool} pool
 * @param {any} enqueue  the pool's private queue operations, for MapRun
 * @param {any} drop
 * @param {any} items
 * @param {any} fn
 * @param {any} options
 * @returns {Promise<unknown[]>}
 */
function mapItems(pool, enqueue, drop, items, fn, options) {
  const isAsync = items !== null && items !== undefined && typeof items[Symbol.asyncIterator] === 'function';
  if (!isAsync && (items === null || items === undefined || typeof items[Symbol.iterator] !== 'function')) {
    throw new TypeError(`map() needs an iterable or async iterable (an array, a Set, a generator...) as items, got ${describe(items)}`);
  }
  validateFunction(fn, 'fn');
  let stopOnError = true;
  let signal;
  let limit = Infinity;
  if (options !== undefined) {
    validateOptionKeys(options, 'options', ['stopOnError', 'signal', 'concurrency', ...(isAsync ? ['buffer'] : [])]);
    if (options.stopOnError !== undefined) {
      if (typeof options.stopOnError !== 'boolean')
        throw new TypeError(`options.stopOnError must be a boolean, got ${describe(options.stopOnError)}`);
      stopOnError = options.stopOnError;
    }
    signal = checkSignal(options, 'options');
    if (options.concurrency !== undefined) limit = checkConcurrency(options.concurrency, 'options.concurrency');
  }
  if (isAsync) {
    const run = readRunOptions(options === undefined ? undefined : { ...options, stopOnError: undefined }, ['stopOnError'], pool);
    if (run.signal?.aborted) return Promise.reject(abortError(run.signal, 'PromisePool map'));
    return collect(new Puller(pool, items[Symbol.asyncIterator](), fn, run.limit, run.window, false, run.signal), stopOnError);
  }
  let list;
  try {
    list = Array.from(items); // the items as they are now (as p-limit): the caller may reuse its array
  } catch (error) {
    return Promise.reject(error); // an iterator that failed half-way is not a bad argument
  }
  if (signal?.aborted) return Promise.reject(abortError(signal, 'PromisePool map'));
  if (list.length === 0) return Promise.resolve([]);
  const promise = new Promise(capture);
  const { resolve, reject } = captured;
  forget();
  new MapRun(pool, enqueue, drop, list, fn, stopOnError, signal, limit, resolve, reject).begin();
  return promise;
}

/**
 * Runs a Puller to the end: results in input order, as map's.
 * @param {Puller} p
 * @param {boolean} stopOnError
 */
async function collect(p, stopOnError) {
  const results = [];
  /** @type {{ index: number, error: unknown }[]} */
  const errors = [];
  p.pull();
  for (;;) {
    const e = await p.take();
    if (e === DONE) break;
    const [index, ok, value] = e;
    if (ok) results[index] = value;
    else if (stopOnError) {
      p.fail(value);
      throw value;
    } else errors.push({ index, error: value });
  }
  results.length = p.nextIndex;
  if (errors.length === 0) return results;
  errors.sort((a, b) => a.index - b.index);
  throw new AggregateError(
    errors.map((e) => e.error),
    `${errors.length} of ${p.nextIndex} PromisePool map items failed`,
  );
}

/**
 * PromisePool.mapIterable: an async iterable of fn's results, pulled from `items` with backpressure.
 * @param {import('./index.js').PromisePool} pool
 * @param {any} items
 * @param {any} fn
 * @param {any} options
 * @returns {AsyncIterableIterator<unknown>}
 */
function mapIterable(pool, items, fn, options) {
  const it = iteratorOf(items, 'mapIterable()');
  validateFunction(fn, 'fn');
  const run = readRunOptions(options, ['ordered'], pool);
  let ordered = true;
  if (options?.ordered !== undefined) {
    if (typeof options.ordered !== 'boolean') throw new TypeError(`options.ordered must be a boolean, got ${describe(options.ordered)}`);
    ordered = options.ordered;
  }
  return results(new Puller(pool, it, fn, run.limit, run.window, ordered, run.signal), run.signal);
}

/**
 * @param {Puller} p
 * @param {AbortSignal | undefined} signal
 */
async function* results(p, signal) {
  try {
    if (signal?.aborted) throw abortError(signal, 'PromisePool map');
    p.pull();
    for (;;) {
      const e = await p.take();
      if (e === DONE) return;
      if (!e[1]) {
        p.fail(e[2]);
        throw e[2];
      }
      yield e[2];
    }
  } finally {
    p.close(new AbortError('PromisePool mapIterable was closed'));
  }
}

module.exports = { mapItems, mapIterable, Puller };
