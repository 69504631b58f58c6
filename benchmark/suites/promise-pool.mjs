/**
 * Suite `promise-pool`: PromisePool against p-limit and p-queue.
 *
 * Q1: 1M trivial async tasks at concurrency 10, every task added at once
 *     (so nearly all of them wait in the queue), then awaited with
 *     Promise.all; the same through `map`. n is pinned to a multiple of 1M
 *     (`multipleOf`): 1M, or 2M for an implementation that does 1M in under
 *     half a round (0.5 s), so every queue is at least 1M long.
 * Q2: the same workload (smaller n) with the limit held by a threadkit
 *     Semaphore instead of a number: a Semaphore still on one thread (its
 *     handle never taken), and one in shared (cross-thread) mode.
 *
 * Checks: every sample counts the calls and sums the results (a short or
 * wrong count fails the sample); before timing, an untimed pass per
 * implementation checks that the concurrency limit is reached and never
 * exceeded, and that results come back in input order.
 */

import { createRequire } from 'node:module';
import pLimit from 'p-limit';
import PQueue from 'p-queue';
import { interleaved, compareRow, describe, now, withTimeout, logged } from '../lib/harness.mjs';
import { FloorPool } from '../lib/floor-pool.mjs';

const require = createRequire(import.meta.url);
const { PromisePool, Semaphore } = require('../../index.js');

const CONCURRENCY = 10;
const Q1_N = 1_000_000;

/** Sum of 1..n: what the results of n tasks returning ++calls add up to. */
const expectedSum = (n) => (n * (n + 1)) / 2;

/**
 * An implementation from `submit(fn) => Promise` (one task) or
 * `mapAll(items, fn) => Promise<results>`. The task is `async () => ++calls`.
 */
function impl(name, { submit, mapAll, idle }) {
  return {
    name,
    submit,
    mapAll,
    run: async (n) => {
      let calls = 0;
      const task = async () => ++calls;
      const t0 = now();
      let results;
      if (submit) {
        const ps = new Array(n);
        for (let i = 0; i < n; i++) ps[i] = submit(task);
        results = await Promise.all(ps);
      } else {
        const items = new Array(n).fill(0);
        results = await mapAll(items, task);
      }
      const ms = now() - t0;
      let sum = 0;
      for (let i = 0; i < results.length; i++) sum += results[i];
      if (calls !== n || results.length !== n || sum !== expectedSum(n)) {
        throw new Error(`${calls} calls, ${results.length} results summing to ${sum}, for ${n} tasks`);
      }
      return { ops: calls, ms };
    },
    verify: idle,
  };
}

/** Untimed: 200 tasks with an await inside; the limit must be reached, never passed, and results in input order. */
async function limitCheck(im) {
  let inside = 0;
  let max = 0;
  const task = async (v) => {
    if (++inside > max) max = inside;
    await null;
    await new Promise((r) => setImmediate(r));
    inside--;
    return v;
  };
  const n = 200;
  let results;
  const run = async () => {
    if (im.submit) {
      const ps = [];
      for (let i = 0; i < n; i++) ps.push(im.submit(() => task(i)));
      results = await Promise.all(ps);
    } else {
      results = await im.mapAll(
        Array.from({ length: n }, (_, i) => i),
        (v) => task(v),
      );
    }
  };
  await withTimeout(run(), 30_000, `${im.name} limit check`);
  const problems = [];
  if (max !== CONCURRENCY) problems.push(`max ${max} tasks at once, expected exactly ${CONCURRENCY}`);
  if (!results.every((v, i) => v === i)) problems.push('results not in input order');
  return problems.length ? problems.join('; ') : null;
}

async function checked(ctx, impls) {
  for (const im of impls) {
    const problem = await limitCheck(im);
    ctx.log(`limit check ${im.name}: ${problem ?? `ok (max ${CONCURRENCY} at once, input order)`}`);
    if (problem) im.run = () => Promise.reject(new Error(`limit check failed: ${problem}`));
  }
  return impls;
}

function poolIdle(pool) {
  return () => (pool.activeCount === 0 && pool.pendingCount === 0 ? null : `active ${pool.activeCount}, pending ${pool.pendingCount} after the run`);
}

// ------------------------------------------------------------------ Q1

async function runQ1(ctx) {
  const pool = new PromisePool(CONCURRENCY);
  const mapPool = new PromisePool(CONCURRENCY);
  const limit = pLimit(CONCURRENCY);
  const mapLimit = pLimit(CONCURRENCY);
  const queue = new PQueue({ concurrency: CONCURRENCY });
  const floor = new FloorPool(CONCURRENCY);
  const impls = await checked(ctx, [
    impl('threadkit PromisePool add', { submit: (fn) => pool.add(fn), idle: poolIdle(pool) }),
    impl('p-limit', { submit: (fn) => limit(fn), idle: () => (limit.activeCount + limit.pendingCount ? 'p-limit not idle' : null) }),
    impl('p-queue', { submit: (fn) => queue.add(fn), idle: () => (queue.size + queue.pending ? 'p-queue not idle' : null) }),
    impl('threadkit PromisePool map', { mapAll: (items, fn) => mapPool.map(items, fn), idle: poolIdle(mapPool) }),
    impl('p-limit map', {
      mapAll: (items, fn) => mapLimit.map(items, fn),
      idle: () => (mapLimit.activeCount + mapLimit.pendingCount ? 'p-limit not idle' : null),
    }),
    impl('floor pool', {
      submit: (fn) => floor.add(fn),
      idle: () => (floor.active + floor.queue.length - floor.head ? 'floor pool not idle' : null),
    }),
  ]);
  // n is pinned to 1M (a sample that takes < roundMs/2 would double it).
  const res = await interleaved({ impls, rounds: ctx.rounds, roundMs: 500, startN: Q1_N, multipleOf: Q1_N, gcBetween: ctx.gcBetween, log: ctx.log });
  describe(res, 'ops').forEach(ctx.log);
  const [tk, pl, pq, tkMap, plMap, fl] = res;
  return logged(ctx, [
    compareRow({
      id: 'Q1',
      what: '1M tasks, concurrency 10: add',
      tk,
      peer: fl,
      peerName: 'floor pool',
      unit: 'ops',
      goal: 0.95,
      note: 'the floor pool (benchmark/lib/floor-pool.mjs) is the least any pool returning one promise per `add` can do for this workload; the rows against the peers are information.',
    }),
    compareRow({
      id: 'Q1',
      what: '1M tasks, concurrency 10: add',
      tk,
      peer: pl,
      peerName: 'p-limit',
      unit: 'ops',
      note: 'n = 1M tasks per sample (2M for an implementation that does 1M in under 0.5 s), all added at once (nearly all wait in the queue), `async () => ++calls`, awaited with Promise.all (the same for every implementation).',
    }),
    compareRow({ id: 'Q1', what: '1M tasks, concurrency 10: add', tk, peer: pq, peerName: 'p-queue', unit: 'ops' }),
    compareRow({ id: 'Q1', what: '1M tasks, concurrency 10: map', tk: tkMap, peer: plMap, peerName: 'p-limit map', unit: 'ops' }),
  ]);
}

// ------------------------------------------------------------------ Q2

async function runQ2(ctx) {
  const local = new PromisePool(CONCURRENCY);
  const semPool = new PromisePool(new Semaphore(CONCURRENCY));
  const shared = new Semaphore(CONCURRENCY);
  const sharedPool = new PromisePool({ limit: shared.handle }); // taking the handle: shared (cross-thread) mode
  const impls = await checked(ctx, [
    impl('threadkit PromisePool(10)', { submit: (fn) => local.add(fn), idle: poolIdle(local) }),
    impl('threadkit PromisePool(Semaphore)', { submit: (fn) => semPool.add(fn), idle: poolIdle(semPool) }),
    impl('threadkit PromisePool(shared Semaphore)', {
      submit: (fn) => sharedPool.add(fn),
      idle: () => poolIdle(sharedPool)() ?? (shared.available === CONCURRENCY ? null : `${CONCURRENCY - shared.available} permits still held`),
    }),
  ]);
  const res = await interleaved({ impls, rounds: ctx.rounds, roundMs: 200, startN: 10_000, gcBetween: ctx.gcBetween, log: ctx.log });
  describe(res, 'ops').forEach(ctx.log);
  const [tkLocal, tkSem, tkShared] = res;
  return logged(ctx, [
    compareRow({
      id: 'Q2',
      what: 'limit = Semaphore (one thread)',
      tk: tkSem,
      peer: tkLocal,
      peerName: 'PromisePool(10)',
      unit: 'ops',
      note: 'the Q1 workload (calibrated n) with the limit held by a Semaphore, compared with a plain number limit (the one-thread row is information only). "shared" = the Semaphore\'s handle was taken, as when workers share the limit.',
    }),
    compareRow({
      id: 'Q2',
      what: 'limit = Semaphore, shared mode',
      tk: tkShared,
      peer: tkLocal,
      peerName: 'PromisePool(10)',
      unit: 'ops',
      goal: 0.9,
      note: 'goal from issue 16.',
    }),
  ]);
}

export const cases = [
  { id: 'Q1', title: '1M trivial async tasks at concurrency 10', run: runQ1 },
  { id: 'Q2', title: 'shared-Semaphore limit vs local limit', run: runQ2 },
];
