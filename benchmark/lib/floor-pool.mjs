/**
 * The floor pool for Q1: the least a pool can do for Q1's workload with one
 * promise per `add`, and nothing more (no validation, signals, async
 * context, map, shared limit, pendingCount). Per waiting task it keeps the
 * promise `add` returns and its resolve function, in a plain array; ten
 * reusable runners subscribe to each task's result with the built-in
 * `then`. `npm run bench` judges PromisePool against it (Q1 floor row), and
 * benchmark/probes/q1-floor.mjs takes it apart further.
 */

export const captured = { resolve: null };
export function capture(resolve) {
  captured.resolve = resolve;
}
export const promiseThen = Promise.prototype.then;

/** The least a pool can do for Q1 with one promise per `add`. */
export class FloorPool {
  constructor(concurrency) {
    this.concurrency = concurrency;
    this.active = 0;
    this.queue = []; // fn, resolve, fn, resolve, ...
    this.head = 0;
    this.idle = [];
  }

  add(fn) {
    const promise = new Promise(capture);
    const resolve = captured.resolve;
    if (this.active < this.concurrency && this.head === this.queue.length) {
      this.active++;
      this.launch(this.idle.pop() ?? this.runner(), fn, resolve);
    } else {
      this.queue.push(fn, resolve);
    }
    return promise;
  }

  runner() {
    const r = { resolve: null, ok: null, fail: null };
    r.ok = (value) => {
      r.resolve(value);
      this.next(r);
    };
    r.fail = (error) => {
      r.resolve(Promise.reject(error));
      this.next(r);
    };
    return r;
  }

  launch(r, fn, resolve) {
    r.resolve = resolve;
    promiseThen.call(fn(), r.ok, r.fail);
  }

  next(r) {
    const q = this.queue;
    if (this.head === q.length) {
      this.active--;
      this.idle.push(r);
      return;
    }
    const fn = q[this.head];
    const resolve = q[this.head + 1];
    q[this.head] = q[this.head + 1] = undefined;
    this.head += 2;
    if (this.head === q.length) {
      this.queue = [];
      this.head = 0;
    }
    this.launch(r, fn, resolve);
  }
}
