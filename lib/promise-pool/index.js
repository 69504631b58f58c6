// @ts-check
'use strict';
/**
 * PromisePool: runs async functions with at most `concurrency` of them in
 * flight. The limit is either local (a number) or one threadkit Semaphore,
 * so that several threads share one budget: each running task holds one of
 * its permits.
 *
 * Implementation details
 * - Where Q1's time goes (1M tasks added at once, concurrency 10): nearly all
 *   of it is the garbage collector, and what it costs is the number of
 *   objects each waiting task keeps alive, more than their bytes. The
 *   promise `add` returns and its resolve function (with the function's
 *   context: 3 objects, 160 bytes) cannot be avoided. Everything else can:
 *   a waiting plain task is three slots of the queue (fn, resolve, scope),
 *   with no task object. Measured (min of 3 processes each) against
 *   a copy that kept one small AsyncResource more per task (40 bytes), the
 *   pool without it needed 1.4-1.8x less time; the linked list of task
 *   objects (AsyncResources themselves) this replaces cost more still.
 * - The queue (task-queue.js) is a linked list of chunks of 3-slot entries:
 *   O(1) push and pop, and no entry is ever copied. A task with a signal
 *   (and a map item) is one object in the first slot; it can leave the
 *   queue at once (O(1)): it is marked dead and skipped when it reaches the
 *   head.
 * - A *runner* is one object with two handlers, made once and reused: it
 *   calls a task, subscribes its handlers to the result with the internal
 *   `then` (what `await` does), and when they are called it settles the
 *   task's promise and takes the next pending task itself. So a finished
 *   task hands its slot on without a new closure or microtask of ours; the
 *   only promises per task are the one `add` returns and the one `then`
 *   returns (map items have no promise of their own: they write into the
 *   map's result array; see map.js). An `await` in an async
 *   loop did the same job but allocated a context and two closures per
 *   await: the pool ran Q1 ~1.2x slower with it. A task that throws
 *   synchronously reaches its runner like any other outcome, a microtask
 *   later, so tasks that fail at once never nest calls.
 * - Async context: see context.js. A task that finds a free
 *   slot starts synchronously, inside `add`, in the caller's context.
 * - Local mode makes no native call. Shared mode asks the semaphore for a
 *   permit with `tryAcquire` (one compare-and-swap) before each start; when
 *   none is free, the pool keeps exactly one `acquire` queued (FIFO with the
 *   other threads' waiters) and starts the head task when it is granted.
 */

const { Semaphore } = require('../sync/index.js');
const { PoolClearedError } = require('../errors.js');
const { MapRun, abortError } = require('./map.js');
const { HERE, scopeFor, scopeAtStart } = require('./context.js');
const { validateFunction, validateOptionKeys, describe } = require('../validate.js');
const { captured, capture, forget, takeResolve } = require('../resolvers.js');
const { TaskQueue, QUEUED, STARTED } = require('./task-queue.js');
const { startAbortListener } = require('../abort-listeners.js');
const { checkConcurrency, checkSignal, semaphoreFrom } = require('./options.js');
const { SignalTask, failEntry, Runner, awaitOutcome, IDLE_RUNNERS_KEPT, NativePromise, promiseThen } = require('./runner.js');

let enqueue;
let drop;

class PromisePool {
  #concurrency;
  #sem;
  #active = 0;
  /**
   * Waiting tasks: entries [x, resolve, scope]. x is the fn of a plain task
   * (resolve: its promise's resolve function), or a SignalTask or MapTask
   * (resolve: null). scope: the Scope to run it in, or null if its `add` had
   * no context to record (see scopeFor).
   */
  #queue = new TaskQueue();
  /** Shared mode: an `acquire` of ours is queued on the semaphore. */
  #acquiring = false;
  #idleResolvers = null;
  /** Runners with no task, kept for reuse (at most IDLE_RUNNERS_KEPT). */
  #idleRunners = [];
  /** #finish calls under way, and whether #pump is: a #pump called meanwhile returns at once. */
  #finishing = 0;
  #pumping = false;

  /**
   * @param {number | Semaphore | { __threadkit?: unknown, concurrency?: number, limit?: Semaphore | object }} limit
   */
  constructor(limit) {
    if (typeof limit === 'number') {
      this.#concurrency = checkConcurrency(limit, 'concurrency');
      this.#sem = null;
    } else if (limit instanceof Semaphore || (limit !== null && typeof limit === 'object' && limit.__threadkit !== undefined)) {
      this.#concurrency = Infinity;
      this.#sem = semaphoreFrom(limit);
    } else if (limit !== null && typeof limit === 'object') {
      validateOptionKeys(limit, 'options', ['concurrency', 'limit']);
      if (limit.limit === undefined && limit.concurrency === undefined) {
        throw new TypeError(
          'new PromisePool(options) needs options.concurrency (a positive integer or Infinity) or options.limit (a Semaphore or its handle)',
        );
      }
      this.#concurrency = limit.concurrency === undefined ? Infinity : checkConcurrency(limit.concurrency, 'options.concurrency');
      this.#sem = limit.limit === undefined ? null : semaphoreFrom(limit.limit);
    } else {
      throw new TypeError(
        `new PromisePool() needs a concurrency (a positive integer or Infinity), a Semaphore or its handle, or { concurrency, limit }, got ${describe(limit)}`,
      );
    }
  }

  /** Tasks running now. */
  get activeCount() {
    return this.#active;
  }

  /** Tasks waiting to start. */
  get pendingCount() {
    return this.#queue.live;
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
    if (typeof fn !== 'function') validateFunction(fn, 'fn');
    if (options !== undefined) return this.#addWithOptions(fn, options);
    const promise = new Promise(capture);
    const resolve = takeResolve(); // before #takePermit, which may make promises of its own
    if (this.#queue.live === 0 && this.#active < this.#concurrency && this.#takePermit()) {
      this.#start(fn, resolve, HERE);
      return promise;
    }
    this.#queue.push(fn, resolve, scopeFor(promise));
    if (this.#active < this.#concurrency) this.#pump();
    return promise;
  }

  #addWithOptions(fn, options) {
    validateOptionKeys(options, 'options', ['signal']);
    const signal = checkSignal(options, 'options');
    if (signal === undefined) return this.add(fn);
    if (signal.aborted) return Promise.reject(abortError(signal, 'PromisePool task'));
    const promise = new Promise(capture);
    const task = new SignalTask(fn, takeResolve(), signal);
    if (this.#queue.live === 0 && this.#active < this.#concurrency && this.#takePermit()) {
      task.state = STARTED;
      this.#start(task, null, HERE);
      return promise;
    }
    task.abort = startAbortListener(signal, () => {
      task.fail(abortError(signal, 'PromisePool task')); // before remove(), which hollows the task
      this.#queue.remove(task);
      this.#checkIdle();
    });
    this.#queue.push(task, null, scopeFor(promise));
    if (this.#active < this.#concurrency) this.#pump();
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
      validateOptionKeys(options, 'options', ['stopOnError', 'signal', 'concurrency']);
      if (options.stopOnError !== undefined) {
        if (typeof options.stopOnError !== 'boolean')
          throw new TypeError(`options.stopOnError must be a boolean, got ${describe(options.stopOnError)}`);
        stopOnError = options.stopOnError;
      }
      signal = checkSignal(options, 'options');
      if (options.concurrency !== undefined) limit = checkConcurrency(options.concurrency, 'options.concurrency');
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
    new MapRun(this, enqueue, drop, list, fn, stopOnError, signal, limit, resolve, reject).begin();
    return promise;
  }

  /** Resolves once nothing runs and nothing waits. */
  onIdle() {
    if (this.#active === 0 && this.#queue.live === 0) return Promise.resolve();
    const promise = new Promise(capture);
    (this.#idleResolvers ??= []).push(takeResolve());
    return promise;
  }

  /** Rejects every pending task with PoolClearedError; running tasks go on. */
  clear() {
    if (this.#queue.live === 0) return;
    const error = new PoolClearedError();
    const taken = this.#queue.takeAll();
    for (let i = 0; i < taken.length; i += 2) failEntry(taken[i], taken[i + 1], error);
    this.#checkIdle();
  }

  // ------------------------------------------------------------ internals

  /**
   * Starts a task whose slot (and, in shared mode, permit) is taken, on an
   * idle runner. `scope`: HERE (started by `add`, in its caller's context),
   * a Scope, or null (its `add` had no context to record).
   */
  #start(x, resolve, scope) {
    this.#active++;
    const r = this.#idleRunners.pop() ?? this.#newRunner();
    r.x = x;
    r.resolve = resolve;
    if (!this.#launch(r, scope)) this.#next(r);
  }

  /** Takes the first pending task and starts it (its slot and permit are taken). */
  #startNext() {
    this.#active++;
    const r = this.#idleRunners.pop() ?? this.#newRunner();
    if (!this.#launch(r, this.#queue.takeInto(r))) this.#next(r);
  }

  #newRunner() {
    const r = new Runner();
    r.ok = (value) => {
      this.#finish(r, true, value);
      this.#next(r);
    };
    r.fail = (error) => {
      this.#finish(r, false, error);
      this.#next(r);
    };
    return r;
  }

  /**
   * Calls runner r's task (r.x) and subscribes the runner to the outcome:
   * true. If it throws synchronously it is settled at once (so a map with
   * stopOnError starts nothing after it): false, and the caller moves the
   * runner on.
   */
  #launch(r, scope) {
    const x = r.x;
    let outcome;
    try {
      if (scope === null) scope = scopeAtStart();
      let result;
      if (typeof x === 'function') result = scope === null || scope === HERE ? x() : scope.runInAsyncScope(x);
      else result = scope === null || scope === HERE ? x.start() : scope.runInAsyncScope(x.start, x);
      outcome = NativePromise.resolve(result);
    } catch (error) {
      this.#finish(r, false, error);
      return false;
    }
    try {
      // What `await result` does, minus the await's own context and closures.
      promiseThen.call(outcome, r.ok, r.fail);
    } catch {
      // then() looks up the promise's constructor and species, which await
      // does not; if they throw, subscribe the way await does.
      awaitOutcome(outcome, r);
    }
    return true;
  }

  /**
   * Settles runner r's task (after giving back its permit). Whatever the
   * settling queues (a map's next item) is started by the runner's #next,
   * not from in here, so tasks that fail at once never nest calls.
   */
  #finish(r, ok, value) {
    const x = r.x;
    const resolve = r.resolve;
    r.x = null;
    r.resolve = null;
    this.#finishing++;
    try {
      // Before settling: a map may queue its next item from `done`, and should find the permit free.
      if (this.#sem !== null) {
        try {
          this.#sem.release();
        } catch (error) {
          // Only if this thread released the pool's permits behind its back:
          // say so, but let the task settle and the pool go on.
          process.emitWarning(`PromisePool: ${error?.message ?? error}`, { type: error?.name ?? 'Warning', code: error?.code });
        }
      }
      if (typeof x === 'function') resolve(ok ? value : NativePromise.reject(value));
      else if (ok) x.done(value);
      else x.fail(value);
    } finally {
      this.#finishing--;
    }
  }

  /** Runner r's task is settled: it runs the next pending task itself, or goes idle. */
  #next(r) {
    let idle = true;
    const q = this.#queue;
    while (q.live !== 0 && this.#active <= this.#concurrency && this.#takePermit()) {
      if (this.#launch(r, q.takeInto(r))) {
        idle = false;
        break;
      }
    }
    if (idle) {
      this.#active--;
      if (this.#idleRunners.length < IDLE_RUNNERS_KEPT) this.#idleRunners.push(r);
    }
    if (q.live !== 0) {
      // A pump starts nothing unless a slot is free (concurrency raised, or this runner went idle).
      if (this.#active < this.#concurrency) this.#pump();
    } else if (idle) this.#checkIdle();
  }

  /**
   * Starts pending tasks while there are free slots (and permits). Never
   * nested: called while a task settles, it does nothing, because every
   * #finish is followed by the runner's #next, which takes pending tasks and
   * pumps; called while a pump runs, it does nothing, because that pump's
   * loop checks pending and free slots again.
   */
  #pump() {
    if (this.#pumping || this.#finishing !== 0) return;
    this.#pumping = true;
    try {
      while (this.#queue.live !== 0 && this.#active < this.#concurrency) {
        if (!this.#takePermit()) {
          this.#waitForPermit();
          return;
        }
        this.#startNext();
      }
    } finally {
      this.#pumping = false;
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
        if (this.#queue.live === 0 || this.#active >= this.#concurrency) {
          this.#sem.release();
          return;
        }
        this.#startNext();
        this.#pump();
      },
      (error) => {
        // The semaphore was closed: nothing pending can ever start.
        this.#acquiring = false;
        const taken = this.#queue.takeAll();
        for (let i = 0; i < taken.length; i += 2) failEntry(taken[i], taken[i + 1], error);
        this.#checkIdle();
      },
    );
  }

  #checkIdle() {
    if (this.#active !== 0 || this.#queue.live !== 0 || this.#idleResolvers === null) return;
    const resolvers = this.#idleResolvers;
    this.#idleResolvers = null;
    for (const resolve of resolvers) resolve();
  }

  static {
    // For MapRun, without making them public: queue an item; remove the ones still queued.
    enqueue = (pool, task, scope) => {
      pool.#queue.push(task, null, scope);
      if (pool.#active < pool.#concurrency) pool.#pump();
    };
    drop = (pool, tasks) => {
      for (const task of tasks) {
        if (task.state === QUEUED) pool.#queue.remove(task);
      }
      pool.#checkIdle();
    };
  }
}

module.exports = { PromisePool };
