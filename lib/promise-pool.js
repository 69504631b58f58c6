'use strict';
/**
 * PromisePool: runs async functions with at most `concurrency` of them in
 * flight. The limit is either local (a number) or one threadkit Semaphore,
 * so that several threads share one budget: each running task holds one of
 * its permits.
 *
 * Implementation details
 * - Pending tasks wait in a doubly linked list (the task is its own node):
 *   O(1) push, pop and removal of an aborted task. Never `Array#shift`.
 * - A *runner* is one async loop: it runs a task, awaits it, then takes the
 *   next pending task itself. So a finished task hands its slot on without a
 *   new promise, closure or microtask of ours; the only promise per `add` is
 *   the one it returns (map items have none: they write into the map's
 *   result array; see promise-pool-map.js).
 * - A task that finds a free slot starts synchronously, inside `add`, in the
 *   caller's async context. A task that has to queue records that context:
 *   the queued task object *is* an `AsyncResource` (one object, not two),
 *   and its runner calls `fn` through `runInAsyncScope`. Measured with 1M
 *   queued tasks: ~0.2 µs per task in isolation, ~5% of Q1 end to end;
 *   `AsyncResource.bind` (a bound function plus defineProperty per task) and
 *   p-limit's promise-per-task "start gate" cost far more. Skipping the
 *   capture when no AsyncLocalStorage is active was not worth it: there is
 *   no public, version-proof way to tell (Node 22+ may carry the context
 *   without async hooks), and it saved at most ~5-10%. A map records one
 *   context for all of its items.
 * - Where Q1's time goes (1M tasks queued at once): mostly the garbage
 *   collector, since every waiting task keeps its promise, resolve function
 *   and task object alive (~340 bytes; p-limit ~770). A ring buffer instead
 *   of the linked list measured the same, so the list stays (it removes an
 *   aborted task without leaving a hole). A bare-bones pool (two arrays, no
 *   context capture, no abort, no shared mode) measured 3.8x p-limit in a
 *   run where this one measured 3.0x: the 4x goal is out of reach of pool
 *   bookkeeping alone. Of that 25% gap, ~14% is the task object (fn and
 *   resolve in parallel arrays instead) and ~8% the AsyncResource, in one
 *   decomposition run.
 * - Local mode makes no native call. Shared mode asks the semaphore for a
 *   permit with `tryAcquire` (one compare-and-swap) before each start; when
 *   none is free, the pool keeps exactly one `acquire` queued (FIFO with the
 *   other threads' waiters) and starts the head task when it is granted.
 */

const { AsyncResource } = require('node:async_hooks');
const { Semaphore } = require('./sync.js');
const { PoolClearedError } = require('./errors.js');
const { MapRun, abortError } = require('./promise-pool-map.js');
const { validateFunction, describe } = require('./validate.js');

// One executor for every promise: no closure per `add`.
let nextResolve;
let nextReject;
function captureResolvers(resolve, reject) {
  nextResolve = resolve;
  nextReject = reject;
}

/**
 * A task from `add` that starts at once (QueuedTask is the one that waits).
 * Kept small, since a long queue holds many: no reject function (a failure
 * resolves the promise with a rejected one), and the signal's state out of
 * line. `scope` is the AsyncResource to call `fn` in, or null for "here".
 */
class Task {
  constructor(fn, resolve, extra) {
    this.prev = null;
    this.next = null;
    this.scope = null;
    this.extra = extra;
    this.fn = fn;
    this.resolve = resolve;
  }

  start() {
    const x = this.extra;
    return x === null ? this.fn() : this.fn(x.signal);
  }

  done(value) {
    this.resolve(value);
  }

  fail(error) {
    this.resolve(Promise.reject(error));
  }
}

/**
 * A task that has to wait: it is also the AsyncResource that records the
 * caller's async context (one object instead of two per waiting task).
 */
class QueuedTask extends AsyncResource {
  constructor(fn, resolve, extra) {
    super('PromisePoolTask');
    this.prev = null;
    this.next = null;
    this.scope = this;
    this.extra = extra;
    this.fn = fn;
    this.resolve = resolve;
  }
}
QueuedTask.prototype.start = Task.prototype.start;
QueuedTask.prototype.done = Task.prototype.done;
QueuedTask.prototype.fail = Task.prototype.fail;

/** `{ signal, onAbort }` of a task given a signal. */
class SignalExtra {
  constructor(signal) {
    this.signal = signal;
    this.onAbort = null;
  }
}

function checkConcurrency(value, name) {
  if (value === Infinity || (Number.isInteger(value) && value > 0)) return value;
  const Err = typeof value === 'number' ? RangeError : TypeError;
  throw new Err(`${name} must be a positive integer or Infinity, got ${describe(value)}`);
}

function checkSignal(options, name) {
  const signal = options.signal;
  if (signal !== undefined && !(signal !== null && typeof signal === 'object' && typeof signal.aborted === 'boolean' && typeof signal.addEventListener === 'function')) {
    throw new TypeError(`${name}.signal must be an AbortSignal, got ${describe(signal)}`);
  }
  return signal;
}

function checkOptions(options, name, allowed) {
  if (options === null || typeof options !== 'object') {
    throw new TypeError(`${name} must be an object like { ${allowed.join(', ')} }, got ${describe(options)}`);
  }
  for (const key of Object.keys(options)) {
    if (!allowed.includes(key)) throw new TypeError(`${name}.${key} is not an option; use ${allowed.join(', ')}`);
  }
}

/** Attaches to a shared limit given as a Semaphore or its handle. */
function semaphoreFrom(limit) {
  if (limit instanceof Semaphore) return limit;
  if (limit !== null && typeof limit === 'object' && limit.__threadkit !== undefined) return Semaphore.from(limit);
  throw new TypeError(`options.limit must be a threadkit Semaphore or its \`handle\`, got ${describe(limit)}`);
}

let enqueue;
let drop;

class PromisePool {
  #concurrency;
  #sem;
  #active = 0;
  #pending = 0;
  #head = null;
  #tail = null;
  /** Shared mode: an `acquire` of ours is queued on the semaphore. */
  #acquiring = false;
  #idleResolvers = null;

  /**
   * @param {number | Semaphore | { concurrency?: number, limit?: Semaphore | object }} limit
   */
  constructor(limit) {
    if (typeof limit === 'number') {
      this.#concurrency = checkConcurrency(limit, 'concurrency');
      this.#sem = null;
    } else if (limit instanceof Semaphore || (limit !== null && typeof limit === 'object' && limit.__threadkit !== undefined)) {
      this.#concurrency = Infinity;
      this.#sem = semaphoreFrom(limit);
    } else if (limit !== null && typeof limit === 'object') {
      checkOptions(limit, 'options', ['concurrency', 'limit']);
      if (limit.limit === undefined && limit.concurrency === undefined) {
        throw new TypeError('new PromisePool(options) needs options.concurrency (a positive integer or Infinity) or options.limit (a Semaphore or its handle)');
      }
      this.#concurrency = limit.concurrency === undefined ? Infinity : checkConcurrency(limit.concurrency, 'options.concurrency');
      this.#sem = limit.limit === undefined ? null : semaphoreFrom(limit.limit);
    } else {
      throw new TypeError(`new PromisePool() needs a concurrency (a positive integer or Infinity), a Semaphore or its handle, or { concurrency, limit }, got ${describe(limit)}`);
    }
  }

  /** Tasks running now. */
  get activeCount() {
    return this.#active;
  }

  /** Tasks waiting to start. */
  get pendingCount() {
    return this.#pending;
  }

  /** The shared Semaphore this pool takes a permit of per running task, or null. */
  get limit() {
    return this.#sem;
  }

  get concurrency() {
    return this.#concurrency;
  }

  /** Raising it starts pending tasks at once; lowering it lets running tasks finish. */
  set concurrency(value) {
    this.#concurrency = checkConcurrency(value, 'concurrency');
    this.#pump();
  }

  add(fn, options) {
    validateFunction(fn, 'fn');
    let signal;
    if (options !== undefined) {
      checkOptions(options, 'options', ['signal']);
      signal = checkSignal(options, 'options');
      if (signal?.aborted) return Promise.reject(abortError(signal, 'PromisePool task'));
    }
    const promise = new Promise(captureResolvers);
    const extra = signal === undefined ? null : new SignalExtra(signal);
    if (this.#head === null && this.#active < this.#concurrency && this.#takePermit()) {
      this.#active++;
      this.#run(new Task(fn, nextResolve, extra));
      return promise;
    }
    const task = new QueuedTask(fn, nextResolve, extra);
    if (extra !== null) {
      extra.onAbort = () => {
        this.#unlink(task);
        task.fail(abortError(signal, 'PromisePool task'));
        this.#checkIdle();
      };
      signal.addEventListener('abort', extra.onAbort, { once: true });
    }
    this.#push(task);
    this.#pump();
    return promise;
  }

  map(items, fn, options) {
    if (items === null || items === undefined || typeof items[Symbol.iterator] !== 'function') {
      throw new TypeError(`map() needs an iterable (an array, a Set, a generator...) as items, got ${describe(items)}`);
    }
    validateFunction(fn, 'fn');
    let stopOnError = true;
    let signal;
    let limit = Infinity;
    if (options !== undefined) {
      checkOptions(options, 'options', ['stopOnError', 'signal', 'concurrency']);
      if (options.stopOnError !== undefined) {
        if (typeof options.stopOnError !== 'boolean') throw new TypeError(`options.stopOnError must be a boolean, got ${describe(options.stopOnError)}`);
        stopOnError = options.stopOnError;
      }
      signal = checkSignal(options, 'options');
      if (options.concurrency !== undefined) limit = checkConcurrency(options.concurrency, 'options.concurrency');
    }
    const list = Array.isArray(items) ? items : Array.from(items);
    if (signal?.aborted) return Promise.reject(abortError(signal, 'PromisePool map'));
    if (list.length === 0) return Promise.resolve([]);
    const promise = new Promise(captureResolvers);
    new MapRun(this, enqueue, drop, list, fn, stopOnError, signal, limit, nextResolve, nextReject).begin();
    return promise;
  }

  /** Resolves once nothing runs and nothing waits. */
  onIdle() {
    if (this.#active === 0 && this.#pending === 0) return Promise.resolve();
    const promise = new Promise(captureResolvers);
    (this.#idleResolvers ??= []).push(nextResolve);
    return promise;
  }

  /** Rejects every pending task with PoolClearedError; running tasks go on. */
  clear() {
    if (this.#pending === 0) return;
    const error = new PoolClearedError();
    for (const task of this.#takeAll()) task.fail(error);
    this.#checkIdle();
  }

  // ------------------------------------------------------------ internals

  /** Runs `task` (a slot and, in shared mode, a permit are already taken), then pending tasks after it. */
  async #run(task) {
    const sem = this.#sem;
    for (;;) {
      let ok = true;
      let value;
      try {
        const scope = task.scope;
        value = await (scope === null ? task.start() : scope.runInAsyncScope(task.start, task));
      } catch (error) {
        ok = false;
        value = error;
      }
      // Before settling: a map may queue its next item from `done`, and should find the permit free.
      if (sem !== null) sem.release();
      if (ok) task.done(value);
      else task.fail(value);
      task = this.#head;
      if (task === null || this.#active > this.#concurrency || !this.#takePermit()) break;
      this.#unlink(task);
    }
    this.#active--;
    if (this.#head !== null) this.#pump();
    else this.#checkIdle();
  }

  /** Starts pending tasks while there are free slots (and permits). */
  #pump() {
    while (this.#head !== null && this.#active < this.#concurrency) {
      if (!this.#takePermit()) {
        this.#waitForPermit();
        return;
      }
      const task = this.#head;
      this.#unlink(task);
      this.#active++;
      this.#run(task);
    }
  }

  #takePermit() {
    const sem = this.#sem;
    return sem === null || sem.tryAcquire() !== null;
  }

  /** Shared mode: keep one acquire queued on the semaphore while tasks wait for a permit. */
  #waitForPermit() {
    if (this.#acquiring) return;
    this.#acquiring = true;
    this.#sem.acquire().then(
      () => {
        this.#acquiring = false;
        const task = this.#head;
        if (task === null || this.#active >= this.#concurrency) {
          this.#sem.release();
          return;
        }
        this.#unlink(task);
        this.#active++;
        this.#run(task);
        this.#pump();
      },
      (error) => {
        // The semaphore was closed: nothing pending can ever start.
        this.#acquiring = false;
        for (const task of this.#takeAll()) task.fail(error);
        this.#checkIdle();
      },
    );
  }

  /** Empties the queue and returns its tasks, unlinked, in order (so that failing them may re-enter the pool). */
  #takeAll() {
    const tasks = [];
    while (this.#head !== null) {
      const task = this.#head;
      this.#unlink(task);
      tasks.push(task);
    }
    return tasks;
  }

  #push(task) {
    if (this.#tail === null) this.#head = task;
    else {
      this.#tail.next = task;
      task.prev = this.#tail;
    }
    this.#tail = task;
    this.#pending++;
  }

  /** Removes a pending task from the queue (O(1)) and drops its abort listener. */
  #unlink(task) {
    if (task.prev === null) this.#head = task.next;
    else task.prev.next = task.next;
    if (task.next === null) this.#tail = task.prev;
    else task.next.prev = task.prev;
    task.prev = task.next = null;
    this.#pending--;
    const x = task.extra;
    if (x !== null && x.onAbort !== null) {
      x.signal.removeEventListener('abort', x.onAbort);
      x.onAbort = null;
    }
  }

  #checkIdle() {
    if (this.#active !== 0 || this.#pending !== 0 || this.#idleResolvers === null) return;
    const resolvers = this.#idleResolvers;
    this.#idleResolvers = null;
    for (const resolve of resolvers) resolve();
  }

  static {
    // For MapRun, without making them public: queue an item; remove the ones still queued.
    enqueue = (pool, task) => {
      pool.#push(task);
      pool.#pump();
    };
    drop = (pool, tasks) => {
      for (const task of tasks) {
        if (task.prev !== null || pool.#head === task) pool.#unlink(task);
      }
      pool.#checkIdle();
    };
  }
}

module.exports = { PromisePool };
