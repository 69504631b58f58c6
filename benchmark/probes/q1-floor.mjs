/**
 * Probe for Q1 (not part of `npm run bench`): how close is PromisePool to
 * the least that any pool returning one promise per `add` can cost, and
 * what ratio to p-limit does that least cost allow?
 *
 * Runs Q1's workload (1M `async () => ++calls` tasks added at once to a
 * pool of 10, then `await Promise.all`) in one process, interleaved, a
 * forced gc before each sample, with:
 * - threadkit: PromisePool.add;
 * - floor: a pool cut down to what Q1 needs and nothing more (no
 *   validation, signals, async context, map, shared limit, pendingCount):
 *   per waiting task, the promise `add` returns and its resolve function,
 *   kept in a plain array; ten reusable runners subscribe to each task's
 *   result with the built-in `then`;
 * - batched: a design that keeps less per waiting task (the promise comes
 *   from `then` on a per-batch promise, so no resolve function is kept
 *   until the task's batch is released), to see whether a smaller queue
 *   pays for the promise hops it adds when the tasks run;
 * - p-limit.
 * It prints each one's median time and its median per-round ratio to
 * p-limit, and splits each run into the `add` loop, `Promise.all`'s
 * subscription and the draining.
 *
 *   node benchmark/probes/q1-floor.mjs [rounds=7]
 */
import { createRequire } from 'node:module';
import v8 from 'node:v8';
import vm from 'node:vm';
import pLimit from 'p-limit';
import { FloorPool, captured, capture, promiseThen } from '../lib/floor-pool.mjs';

const require = createRequire(import.meta.url);
const { PromisePool } = require('../../index.js');

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc');

const N = 1_000_000;
const CONCURRENCY = 10;
const ROUNDS = Number(process.argv[2] ?? 7);

/**
 * Keeps less per waiting task: its promise is `batch.then(release)`, so
 * until the batch (of 256) is released it costs a promise and a reaction,
 * no resolve function. Releasing a batch runs `release` for each of its
 * tasks, which makes the promise the task's own promise adopts.
 */
class BatchedPool {
  constructor(concurrency) {
    this.concurrency = concurrency;
    this.active = 0;
    this.held = []; // fns of tasks whose batch is not released
    this.heldHead = 0;
    this.batches = []; // resolve functions of unreleased batches
    this.batchHead = 0;
    this.batch = null;
    this.inBatch = 256;
    this.ready = []; // fn, resolve
    this.readyHead = 0;
    this.release = () => {
      const fn = this.held[this.heldHead];
      this.held[this.heldHead++] = undefined;
      const promise = new Promise(capture);
      this.ready.push(fn, captured.resolve);
      this.pump();
      return promise;
    };
    this.done = () => {
      this.active--;
      this.pump();
    };
  }

  add(fn) {
    if (this.active < this.concurrency && this.readyHead === this.ready.length && this.heldHead === this.held.length) {
      this.active++;
      const p = fn();
      promiseThen.call(p, this.done, this.done);
      return p;
    }
    if (this.inBatch === 256) {
      this.batch = new Promise(capture);
      this.batches.push(captured.resolve);
      this.inBatch = 0;
    }
    this.inBatch++;
    this.held.push(fn);
    return this.batch.then(this.release);
  }

  pump() {
    while (this.active < this.concurrency && this.readyHead < this.ready.length) {
      const fn = this.ready[this.readyHead];
      const resolve = this.ready[this.readyHead + 1];
      this.ready[this.readyHead] = this.ready[this.readyHead + 1] = undefined;
      this.readyHead += 2;
      this.active++;
      const p = fn();
      resolve(p);
      promiseThen.call(p, this.done, this.done);
    }
    if ((this.ready.length - this.readyHead) / 2 <= this.concurrency && this.batchHead < this.batches.length) {
      const open = this.batches[this.batchHead];
      this.batches[this.batchHead++] = undefined;
      if (this.batchHead === this.batches.length) this.inBatch = 256;
      open();
    }
  }
}

async function sample(submit) {
  let calls = 0;
  const task = async () => ++calls;
  const ps = new Array(N);
  gc();
  const t0 = performance.now();
  for (let i = 0; i < N; i++) ps[i] = submit(task);
  const t1 = performance.now();
  const all = Promise.all(ps);
  const t2 = performance.now();
  const results = await all;
  const t3 = performance.now();
  let sum = 0;
  for (let i = 0; i < N; i++) sum += results[i];
  if (calls !== N || sum !== (N * (N + 1)) / 2) throw new Error(`${calls} calls, sum ${sum}`);
  return { total: t3 - t0, add: t1 - t0, all: t2 - t1, drain: t3 - t2 };
}

const pool = new PromisePool(CONCURRENCY);
const floor = new FloorPool(CONCURRENCY);
const batched = new BatchedPool(CONCURRENCY);
const limit = pLimit(CONCURRENCY);
const impls = [
  ['threadkit', (fn) => pool.add(fn)],
  ['floor', (fn) => floor.add(fn)],
  ...(process.env.NO_BATCHED ? [] : [['batched', (fn) => batched.add(fn)]]),
  ['p-limit', (fn) => limit(fn)],
];

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

for (const [, submit] of impls) await sample(submit); // warm-up
const runs = impls.map(() => []);
for (let r = 0; r < ROUNDS; r++) {
  for (let k = 0; k < impls.length; k++) {
    const i = (k + r) % impls.length;
    runs[i].push(await sample(impls[i][1]));
  }
}

const pl = runs[impls.length - 1];
console.log(`Q1 workload, ${N} tasks, concurrency ${CONCURRENCY}, ${ROUNDS} interleaved rounds (node ${process.version})`);
console.log('impl        total ms  (add / Promise.all / drain)   ratio to p-limit (median of rounds, range)');
impls.forEach(([name], i) => {
  const xs = runs[i];
  const ratios = xs.map((x, r) => pl[r].total / x.total);
  const parts = ['add', 'all', 'drain'].map((k) => median(xs.map((x) => x[k])).toFixed(0)).join(' / ');
  console.log(
    `${name.padEnd(11)} ${median(xs.map((x) => x.total))
      .toFixed(0)
      .padStart(8)}  (${parts.padEnd(18)})   ${median(ratios).toFixed(2)}x (${Math.min(...ratios).toFixed(2)}-${Math.max(...ratios).toFixed(2)})`,
  );
});
