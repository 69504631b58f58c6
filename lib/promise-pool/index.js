// @ts-check
'use strict';
/**
 * PromisePool: runs async functions with at most `concurrency` of them in
 * flight. The limit is either local (a number) or one threadkit Semaphore,
 * so that several threads share one budget: each running task holds one of
 * its permits.
 *
 * How it is built, and why (the queue, the runners, async context, shared
 * mode, and what each feature costs when unused): docs/promise-pool.md#how-it-works.
 */

const { EventEmitter } = require('node:events');
const { PoolClearedError } = require('../errors.js');
const { abortError } = require('./map.js');
const { HERE, scopeFor, scopeAtStart } = require('./context.js');
const { validateFunction, validateInteger } = require('../validate.js');
const { capture, takeResolve } = require('../resolvers.js');
const { TaskQueue, QUEUED, STARTED } = require('./task-queue.js');
const { PriorityQueue } = require('./priority-queue.js');
const { startAbortListener } = require('../abort-listeners.js');
const { checkConcurrency, readTaskOptions, parsePoolArgs } = require('./options.js');
const { SignalTask, TimedTask, failEntry, Runner, awaitOutcome, releasePermit } = require('./runner.js');
const { IDLE_RUNNERS_KEPT, NativePromise, promiseThen } = require('./runner.js');
const { mapItems, mapIterable } = require('./iterable.js');
const { QueueWatchers } = require('./watchers.js');
const { EVENTS, emitSafely, reportOutcome, listened, watchListeners } = require('./events.js');
const { StartGate } = require('./gate.js');

let enqueue;
let drop;

class PromisePool extends EventEmitter {
  // The fields the run path reads come first.
  #concurrency;
  #active = 0;
  /**
   * Waiting tasks (a TaskQueue; a PriorityQueue once a priority is used): entries [x, resolve, scope]. x is the fn
   * of a plain task (resolve: its promise's resolve function), or a SignalTask, TimedTask or MapTask (resolve:
   * null). scope: the Scope to run it in, or null if its `add` had no context to record (see scopeFor).
   * @type {TaskQueue | PriorityQueue}
   */
  #queue = new TaskQueue();
  /** #finish calls under way, and whether #pump is: a #pump called meanwhile returns at once. */
  #finishing = 0;
  #pumping = false;
  /** A start may be refused: a Semaphore, a rate limit, or pause. */
  #gated;
  /** Someone listens to EVENTS or waits in onEmpty/onSizeLessThan. */
  #observed = false;
  /** The pool-wide task timeout in ms, or undefined. */
  #timeout;
  /** Runners with no task, kept for reuse (at most IDLE_RUNNERS_KEPT). */
  #idleRunners = [];
  /** Pause, the shared Semaphore and the rate limit (gate.js). */
  #gate;
  /** The shared Semaphore, or null (the gate's, read on every finish). */
  #sem;
  #watchers = new QueueWatchers();
  #idleResolvers = null;
  #onNewListener = null;
  #onRemoveListener = null;

  /**
   * @param {any} limit  a concurrency, a Semaphore or its handle, or { concurrency, limit, ...options }
   * @param {any} [options]  { interval, intervalCap, rateLimit, timeout, autoStart }
   */
  constructor(limit, options) {
    super();
    const setup = parsePoolArgs(limit, options);
    this.#concurrency = setup.concurrency;
    this.#sem = setup.sem;
    this.#timeout = setup.timeout;
    this.#gate = new StartGate(setup.sem, setup.rate, !setup.autoStart, {
      wants: () => this.#queue.live !== 0 && this.#active < this.#concurrency,
      startNext: () => {
        this.#startNext();
        this.#pump();
      },
      pump: () => this.#pump(),
      failAll: (error) => this.#failAll(error),
    });
    this.#gated = this.#gate.closes;
    this.#watchListeners();
  }

  /** Keeps #observed up to date as listeners come and go (events.js). */
  #watchListeners() {
    this.#onNewListener ??= (name) => {
      if (EVENTS.includes(name)) this.#observed = true;
    };
    this.#onRemoveListener ??= () => this.#recheckObserved();
    watchListeners(this, this.#onNewListener, this.#onRemoveListener);
  }

  /**
   * EventEmitter's, but the pool's own 'newListener'/'removeListener' listeners stay (else it would stop emitting).
   * @param {string | symbol} [name]
   */
  removeAllListeners(name) {
    super.removeAllListeners(...arguments);
    if (name === undefined || name === 'newListener' || name === 'removeListener') this.#watchListeners();
    this.#recheckObserved();
    return this;
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

  /** The rate limit of a pool made with one (interval/intervalCap or rateLimit), else null. */
  get rateLimit() {
    return this.#gate.rate;
  }

  get isPaused() {
    return this.#gate.paused;
  }

  /** Starts no more tasks until resume(); running ones go on. */
  pause() {
    this.#gate.paused = true;
    this.#gated = true;
  }

  /** Starts waiting tasks again. */
  resume() {
    if (!this.#gate.paused) return;
    this.#gate.paused = false;
    this.#gated = this.#gate.closes;
    this.#pump();
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
    if (options !== undefined || this.#timeout !== undefined) return this.#addWithOptions(fn, options);
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
    const { signal, priority, timeout } = readTaskOptions(options, this.#timeout);
    if (signal?.aborted) return Promise.reject(abortError(signal, 'PromisePool task'));
    const promise = new Promise(capture);
    const resolve = takeResolve();
    if (signal === undefined && timeout === undefined) {
      // A plain task, perhaps with a priority: no task object.
      if (!this.#startIfFree(fn, resolve)) this.#queueAt(fn, resolve, promise, priority);
      return promise;
    }
    const task = timeout === undefined ? new SignalTask(fn, resolve, signal, priority) : new TimedTask(fn, resolve, signal, priority, timeout);
    if (this.#startIfFree(task, null)) return promise;
    if (signal !== undefined) {
      task.abort = startAbortListener(signal, () => {
        task.fail(abortError(signal, 'PromisePool task')); // before remove(), which hollows the task
        this.#queue.remove(task);
        this.#removed();
      });
    }
    this.#queueAt(task, null, promise, priority);
    return promise;
  }

  /** Starts `x` (a fn with its `resolve`, or a task object with null) if nothing waits and a slot and permit are free. */
  #startIfFree(x, resolve) {
    if (this.#queue.live !== 0 || this.#active >= this.#concurrency || !this.#takePermit()) return false;
    if (resolve === null) x.state = STARTED;
    this.#start(x, resolve, HERE);
    return true;
  }

  /** Queues `x` at `priority`, in the context of `promise`'s `add`, then starts what fits. */
  #queueAt(x, resolve, promise, priority) {
    this.#enqueue(x, resolve, scopeFor(promise), priority);
    if (this.#active < this.#concurrency) this.#pump();
  }

  /** Queues an entry at `priority`, switching to a PriorityQueue on the first non-zero one. */
  #enqueue(x, resolve, scope, priority) {
    let q = this.#queue;
    if (priority === 0) {
      if (q.live === 0 && q instanceof PriorityQueue) this.#queue = q = new TaskQueue();
      q.push(x, resolve, scope);
      return;
    }
    if (!(q instanceof PriorityQueue)) this.#queue = q = new PriorityQueue(q);
    q.pushAt(x, resolve, scope, priority);
  }

  /**
   * Returns a function that runs `fn` through the pool with the arguments (and `this`) it is called with.
   * @param {Function} fn
   */
  wrap(fn) {
    validateFunction(fn, 'fn');
    const pool = this;
    return function wrapped(...args) {
      return pool.add(() => fn.apply(this, args));
    };
  }

  map(items, fn, options) {
    return mapItems(this, enqueue, drop, items, fn, options);
  }

  mapIterable(items, fn, options) {
    return mapIterable(this, items, fn, options);
  }

  /** Resolves once nothing runs and nothing waits. */
  onIdle() {
    if (this.#active === 0 && this.#queue.live === 0) return Promise.resolve();
    const promise = new Promise(capture);
    (this.#idleResolvers ??= []).push(takeResolve());
    return promise;
  }

  /** Resolves once no task waits (at once if none does); running ones may still run. */
  onEmpty() {
    if (this.#queue.live === 0) return Promise.resolve();
    this.#observed = true;
    return this.#watchers.whenEmpty();
  }

  /**
   * Resolves once fewer than `n` tasks wait (at once if so): backpressure for producers.
   * @param {number} n
   */
  onSizeLessThan(n) {
    validateInteger(n, 'n', 1, Number.MAX_SAFE_INTEGER);
    if (this.#queue.live < n) return Promise.resolve();
    this.#observed = true;
    return this.#watchers.whenSizeLessThan(n);
  }

  /** Rejects every pending task with PoolClearedError; running tasks go on. */
  clear() {
    if (this.#queue.live !== 0) this.#failAll(new PoolClearedError());
  }

  /** Rejects every waiting task with `error`. */
  #failAll(error) {
    const taken = this.#queue.takeAll();
    for (let i = 0; i < taken.length; i += 2) failEntry(taken[i], taken[i + 1], error);
    this.#removed();
  }

  /** Waiting tasks were taken out of the queue: watchers and 'empty', then 'idle'. */
  #removed() {
    if (this.#observed) this.#shrank();
    this.#checkIdle();
  }

  // ------------------------------------------------------------ internals

  /**
   * Starts a task whose slot (and, in shared mode, permit) is taken, on an idle runner. `scope`: HERE (started by
   * `add`, in its caller's context), a Scope, or null (its `add` had no context to record).
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
    const scope = this.#queue.takeInto(r);
    if (this.#observed) this.#shrank();
    if (!this.#launch(r, scope)) this.#next(r);
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
   * Calls runner r's task (r.x) and subscribes the runner to the outcome: true. If it throws synchronously it is
   * settled at once (so a map with stopOnError starts nothing after it): false, and the caller moves the runner on.
   */
  #launch(r, scope) {
    const x = r.x;
    let outcome;
    if (this.#observed) emitSafely(this, 'active');
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
   * Settles runner r's task (after giving back its permit). Whatever the settling queues (a map's next item) is
   * started by the runner's #next, not from in here, so tasks that fail at once never nest calls.
   */
  #finish(r, ok, value) {
    const x = r.x;
    const resolve = r.resolve;
    r.x = null;
    r.resolve = null;
    this.#finishing++;
    try {
      // Before settling: a map may queue its next item from `done`, and should find the permit free. Unless a
      // task waits for it and the gate may keep it for that one (nobody else waits for it: gate.js), then #next
      // starts the task with it, or gives it back.
      if (this.#sem !== null) {
        if (this.#queue.live !== 0 && !this.#observed && this.#gate.keep()) r.kept = true;
        else releasePermit(this.#sem);
      }
      if (typeof x === 'function') resolve(ok ? value : NativePromise.reject(value));
      else if (ok) x.done(value);
      else x.fail(value);
      if (this.#observed) reportOutcome(this, x, ok, value);
    } finally {
      this.#finishing--;
    }
  }

  /** Runner r's task is settled: it runs the next pending task itself, or goes idle. */
  #next(r) {
    let idle = true;
    let q;
    // Read the queue anew each time: a task that adds with a priority may switch it to a PriorityQueue.
    while ((q = this.#queue).live !== 0 && this.#active <= this.#concurrency && this.#takePermitFor(r)) {
      const scope = q.takeInto(r);
      if (this.#observed) this.#shrank();
      if (this.#launch(r, scope)) {
        idle = false;
        break;
      }
    }
    if (r.kept) {
      // Kept by #finish for a task that is gone now (a map that stopped dropped it).
      r.kept = false;
      releasePermit(/** @type {any} */ (this.#sem));
    }
    if (idle) {
      this.#active--;
      if (this.#idleRunners.length < IDLE_RUNNERS_KEPT) this.#idleRunners.push(r);
    }
    if (this.#queue.live !== 0) {
      // A pump starts nothing unless a slot is free (concurrency raised, or this runner went idle).
      if (this.#active < this.#concurrency) this.#pump();
    } else if (idle) this.#checkIdle();
  }

  /**
   * Starts pending tasks while there are free slots (and permits). Never nested: called while a task settles, it
   * does nothing, because every #finish is followed by the runner's #next, which takes pending tasks and pumps;
   * called while a pump runs, it does nothing, because that pump's loop checks pending and free slots again.
   */
  #pump() {
    // While the gate's acquire waits on the semaphore, every start is refused until it is granted (which pumps):
    // a pool limited by a Semaphore alone (concurrency Infinity) would otherwise try, and fail, on every add.
    if (this.#pumping || this.#finishing !== 0 || this.#gate.pending !== null) return;
    this.#pumping = true;
    try {
      while (this.#queue.live !== 0 && this.#active < this.#concurrency) {
        if (!this.#takePermit()) return this.#gate.waitAfterRefusal();
        this.#startNext();
      }
    } finally {
      this.#pumping = false;
    }
  }

  /** A start needs a free slot (checked by the caller) and, when gated: not paused, a permit, a start in the rate window. */
  #takePermit() {
    return !this.#gated || this.#gate.take();
  }

  /** #takePermit for runner r's next task, with the permit #finish kept for it if it did. */
  #takePermitFor(r) {
    if (!r.kept) return this.#takePermit();
    r.kept = false;
    return this.#gate.takeKept();
  }

  #checkIdle() {
    if (this.#active !== 0 || this.#queue.live !== 0) return;
    if (this.#observed) emitSafely(this, 'idle');
    if (this.#idleResolvers === null) return;
    const resolvers = this.#idleResolvers;
    this.#idleResolvers = null;
    for (const resolve of resolvers) resolve();
  }

  // ------------------------------------------------------------ events

  /** Waiting tasks left the queue: onEmpty/onSizeLessThan waiters that now fit; 'empty' once none waits. */
  #shrank() {
    const n = this.#queue.live;
    this.#watchers.shrank(n);
    if (n === 0) emitSafely(this, 'empty');
    this.#recheckObserved();
  }

  #recheckObserved() {
    this.#observed = this.#watchers.any || listened(this);
  }

  static {
    // For MapRun, without making them public: queue an item; remove the ones still queued.
    enqueue = (pool, task, scope) => {
      pool.#enqueue(task, null, scope, 0);
      if (pool.#active < pool.#concurrency) pool.#pump();
    };
    drop = (pool, tasks) => {
      for (const task of tasks) {
        if (task.state === QUEUED) pool.#queue.remove(task);
      }
      pool.#removed();
    };
  }
}

module.exports = { PromisePool };
