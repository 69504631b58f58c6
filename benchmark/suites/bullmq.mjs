/**
 * Suite `bullmq` (opt-in: `npm run bench -- bullmq`): threadkit's BullMQ adapter (`serve`) against BullMQ's own
 * processors, on one real redis-server that the suite starts (scripts/redis-server.cjs) and that stops when
 * the runner exits.
 *
 * D1 jobs/s of tiny jobs: `serve(pool, queue)` against BullMQ's sandboxed processor with `useWorkerThreads: true`
 *    at the same BullMQ concurrency (serve's default: the pool's maxWorkers plus its prefetch).
 * D2 the same with jobs that each spin the CPU for 1 ms.
 * C1/C2 serve's default concurrency against prefetch 0 (concurrency = maxWorkers) and a larger prefetch,
 *    on the D1 and D2 jobs: the measurement behind the default.
 * D3 stalled jobs while every job busy-loops 3 x lockDuration, against a plain in-process BullMQ processor
 *    (whose busy main thread cannot renew the job locks).
 *
 * Every consumer is a child process of its own (benchmark/bullmq/consumer.mjs), so what a consumer costs is
 * not mixed with the producer. The producer is this process, the same for both sides: `Queue.addBulk` in
 * batches, with the same plain JSON data (`{ i, ms }`), then it polls the queue's completed count every 10 ms
 * until every job is done. A sample counts only if every job completed, none failed, and a few results read
 * back from Redis are the right ones (`i + 1`). Redis is emptied between samples, outside the timing.
 */

import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { fork } from 'node:child_process';
import { once } from 'node:events';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { interleaved, compareRow, figure, median, logged, now } from '../lib/harness.mjs';

export const optIn = true;

const require = createRequire(import.meta.url);
const { Queue, QueueEvents, Worker } = require('bullmq');
const { startRedis } = require('../../scripts/redis-server.cjs');

const consumerScript = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'bullmq', 'consumer.mjs');
const threads = Math.max(1, os.availableParallelism());
/** Jobs per `addBulk` call: big enough to batch, small enough that consumers start before the producer ends. */
const BATCH = 500;
/** The job name: serve calls the worker script's export of that name ('default': the default export); BullMQ's sandbox ignores it. */
const JOB_NAME = 'default';
/** The larger prefetch of C1/C2. */
const BIG_PREFETCH = 16;

let redisStarted = null;
/** The suite's one Redis, started by the first case that runs (the runner may run any subset). */
function redis() {
  redisStarted ??= startRedis();
  return redisStarted;
}

let queueSeq = 0;
const freshQueueName = (what) => `bench-${what}-${process.pid}-${++queueSeq}`;

/** A consumer child process; resolves once it takes jobs. `concurrency` is the BullMQ concurrency it runs with. */
async function startConsumer(config) {
  const child = fork(consumerScript, [JSON.stringify(config)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const exited = once(child, 'exit');
  const [ready] = await Promise.race([
    once(child, 'message'),
    exited.then(([code, signal]) => {
      throw new Error(`consumer ${config.side} exited before it was ready (code ${code}, signal ${signal})`);
    }),
  ]);
  return {
    pid: child.pid,
    concurrency: ready.concurrency,
    async stats() {
      child.send({ type: 'stats' });
      const [m] = await once(child, 'message');
      return m;
    },
    async close() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.send({ type: 'close' });
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

async function closeAll(consumers) {
  await Promise.all(consumers.map((c) => c.close()));
}

/**
 * A throughput implementation for `interleaved`: `run(n)` adds n jobs of `ms` CPU milliseconds to its own queue
 * and waits until the consumer listening on that queue completed them all.
 */
function throughputImpl(name, queue, ms) {
  return {
    name,
    run: async (n) => {
      const jobs = Array.from({ length: n }, (_, i) => ({ name: JOB_NAME, data: { i, ms } }));
      const t0 = now();
      for (let k = 0; k < n; k += BATCH) await queue.addBulk(jobs.slice(k, k + BATCH));
      for (;;) {
        const { completed, failed } = await queue.getJobCounts('completed', 'failed');
        if (failed > 0) throw new Error(`${failed} of ${n} jobs failed`);
        if (completed >= n) break;
        await sleep(10);
      }
      const elapsed = now() - t0;
      // Untimed: check some results, then empty the queue for the next sample.
      const done = await queue.getJobs(['completed'], 0, 4);
      for (const job of done) {
        if (job.returnvalue !== job.data.i + 1) {
          throw new Error(`job ${job.id} returned ${JSON.stringify(job.returnvalue)}, expected ${job.data.i + 1}`);
        }
      }
      await queue.clean(0, 0, 'completed');
      return { ops: n, ms: elapsed };
    },
  };
}

/** Starts one consumer per side on a queue of its own, runs `fn(sides)`, and always closes them. */
async function withSides(specs, fn) {
  const { connection } = await redis();
  const sides = [];
  try {
    for (const spec of specs) {
      const queueName = freshQueueName(spec.key);
      const consumer = await startConsumer({ ...spec.config, queue: queueName, connection });
      const queue = new Queue(queueName, { connection });
      sides.push({ ...spec, consumer, queue });
    }
    return await fn(sides);
  } finally {
    await closeAll(sides.map((s) => s.consumer));
    await Promise.all(sides.map((s) => s.queue.close()));
  }
}

/** serve's own BullMQ concurrency (its default), read from a consumer that runs it. */
async function serveDefaultConcurrency() {
  const { connection } = await redis();
  const probe = await startConsumer({ side: 'threadkit', maxWorkers: threads, queue: freshQueueName('probe'), connection });
  await probe.close();
  if (!Number.isInteger(probe.concurrency)) throw new Error(`serve did not report its concurrency (got ${probe.concurrency})`);
  return probe.concurrency;
}

async function compareWithSandbox(ctx, { id, ms, goal, roundMs, startN }) {
  const concurrency = await serveDefaultConcurrency();
  const specs = [
    { key: 'tk', name: `threadkit serve (${threads} workers)`, config: { side: 'threadkit', maxWorkers: threads } },
    { key: 'sb', name: `BullMQ sandbox (worker threads)`, config: { side: 'sandbox', workerOptions: { concurrency } } },
  ];
  return withSides(specs, async (sides) => {
    const res = await interleaved({
      impls: sides.map((s) => throughputImpl(s.name, s.queue, ms)),
      rounds: Math.max(3, Math.ceil(ctx.rounds / 2)),
      roundMs,
      startN,
      multipleOf: 100,
      gcBetween: false,
      log: ctx.log,
    });
    describeJobs(res).forEach(ctx.log);
    await checkQuiet(ctx, sides);
    const [tk, sb] = res;
    const what = ms > 0 ? `jobs/s, ${ms} ms CPU jobs` : 'jobs/s, tiny jobs';
    return logged(ctx, [
      jobsRow({
        id,
        what: `${what} (concurrency ${concurrency})`,
        tk,
        peer: sb,
        peerName: 'BullMQ sandbox, worker threads',
        goal,
        note: `both sides: BullMQ concurrency ${concurrency} (serve's default for ${threads} workers); the sandbox runs one worker thread per slot; producer: addBulk in batches of ${BATCH}`,
      }),
    ]);
  });
}

/** One progress line per implementation, with every sample, in jobs/s. */
function describeJobs(results) {
  return results.map((r) => {
    const head = `${r.name.padEnd(40)} ${jobsFigure(r).padEnd(22)}`;
    return r.error ? `${head} ${r.error.message}` : `${head} n=${r.n} samples [${r.samples.map((x) => x.toFixed(0)).join(' ')}] jobs/s`;
  });
}

/** The harness's figure, in jobs rather than ops. */
const jobsFigure = (r) => figure(r, 'ops').replace(' ops/s', ' jobs/s');

/** A comparison row whose figures say jobs/s. */
function jobsRow(o) {
  const row = compareRow({ ...o, unit: 'ops' });
  return { ...row, peerFigure: jobsFigure(o.peer), tkFigure: jobsFigure(o.tk), basis: 'tk/peer jobs/s' };
}

/** Logs a consumer's unexpected events (errors, stalls, failures) during a throughput case. */
async function checkQuiet(ctx, sides) {
  for (const s of sides) {
    const st = await s.consumer.stats();
    if (st.error || st.stalled || st.failed) {
      ctx.log(`${s.name}: ${st.error} error(s), ${st.stalled} stalled, ${st.failed} failed${st.lastError ? ` (last error: ${st.lastError})` : ''}`);
    }
  }
}

// ------------------------------------------------------------------ C1, C2

async function runPrefetch(ctx, { id, ms, roundMs, startN }) {
  const dflt = await serveDefaultConcurrency();
  const variants = [
    { key: 'default', concurrency: undefined, label: `default (concurrency ${dflt})` },
    { key: 'p0', concurrency: threads, label: `prefetch 0 (concurrency ${threads})` },
    { key: 'big', concurrency: threads + BIG_PREFETCH, label: `prefetch ${BIG_PREFETCH} (concurrency ${threads + BIG_PREFETCH})` },
  ];
  const specs = variants.map((v) => ({
    key: v.key,
    name: `serve, ${v.label}`,
    config: { side: 'threadkit', maxWorkers: threads, workerOptions: v.concurrency === undefined ? {} : { concurrency: v.concurrency } },
  }));
  return withSides(specs, async (sides) => {
    const res = await interleaved({
      impls: sides.map((s) => throughputImpl(s.name, s.queue, ms)),
      rounds: Math.max(3, Math.ceil(ctx.rounds / 2)),
      roundMs,
      startN,
      multipleOf: 100,
      gcBetween: false,
      log: ctx.log,
    });
    describeJobs(res).forEach(ctx.log);
    await checkQuiet(ctx, sides);
    const [d, p0, big] = res;
    const what = ms > 0 ? `${ms} ms CPU jobs` : 'tiny jobs';
    return logged(ctx, [
      jobsRow({ id, what: `serve default concurrency vs prefetch 0, ${what}`, tk: d, peer: p0, peerName: sides[1].name }),
      jobsRow({ id, what: `serve default concurrency vs prefetch ${BIG_PREFETCH}, ${what}`, tk: d, peer: big, peerName: sides[2].name }),
    ]);
  });
}

// ------------------------------------------------------------------ D3

const LOCK_MS = 1000;
const D3_ROUNDS = 3;

/**
 * One D3 round on a fresh queue and a fresh consumer: `jobs` jobs that each spin 3 x LOCK_MS. Stalls are
 * counted by QueueEvents (whoever's checker finds them); an observer Worker in this process, which takes no
 * jobs, runs BullMQ's stalled-job checker every LOCK_MS, so a stall is found even while the consumer's own
 * main thread is busy. Returns `{ stalled, runs, completed, failed, unfinished, ms }`.
 */
async function d3Round(side, jobs) {
  const { connection } = await redis();
  const queueName = freshQueueName(`d3-${side}`);
  const workerOptions = { lockDuration: LOCK_MS, stalledInterval: LOCK_MS, maxStalledCount: 1, concurrency: jobs };
  const consumer = await startConsumer({ side, maxWorkers: jobs, queue: queueName, connection, workerOptions });
  const queue = new Queue(queueName, { connection });
  const events = new QueueEvents(queueName, { connection });
  const observer = new Worker(queueName, null, { connection, autorun: false, stalledInterval: LOCK_MS, maxStalledCount: 1 });
  let stalled = 0;
  events.on('stalled', () => stalled++);
  try {
    await events.waitUntilReady();
    // Warm-up, untimed: one tiny job, so consumer start-up is not inside the measured round.
    await queue.add(JOB_NAME, { i: 0, ms: 0 });
    while ((await queue.getJobCounts('completed')).completed < 1) await sleep(20);
    await queue.clean(0, 0, 'completed');
    await observer.startStalledCheckTimer();
    const t0 = now();
    await queue.addBulk(Array.from({ length: jobs }, (_, i) => ({ name: JOB_NAME, data: { i, ms: 3 * LOCK_MS } })));
    // A peer job may run, stall, run again and fail: allow 3 runs of every job one after the other, plus slack.
    const deadline = now() + jobs * 3 * 3 * LOCK_MS + 15_000;
    let counts;
    for (;;) {
      counts = await queue.getJobCounts('completed', 'failed');
      if (counts.completed + counts.failed >= jobs || now() > deadline) break;
      await sleep(50);
    }
    const ms = now() - t0;
    const all = await queue.getJobs(['completed', 'failed', 'active', 'wait'], 0, -1);
    const runs = all.map((j) => j.attemptsStarted);
    const st = await consumer.stats();
    return {
      consumerErrors: st.error ? `${st.error} error event(s) on the consumer, the last: ${st.lastError}` : '',
      stalled: Math.max(stalled, st.stalled),
      runs,
      completed: counts.completed,
      failed: counts.failed,
      unfinished: jobs - counts.completed - counts.failed,
      ms,
    };
  } finally {
    await consumer.close();
    await observer.close();
    await events.close();
    await queue.close();
  }
}

async function runD3(ctx) {
  const jobs = threads;
  const out = { threadkit: [], inprocess: [] };
  for (let r = 0; r < D3_ROUNDS; r++) {
    for (const side of r % 2 ? ['inprocess', 'threadkit'] : ['threadkit', 'inprocess']) {
      const res = await d3Round(side, jobs);
      out[side].push(res);
      ctx.log(
        `round ${r + 1} ${side.padEnd(9)}: ${res.stalled} stalled, ${res.completed} completed, ${res.failed} failed, ${res.unfinished} unfinished; times each job started [${res.runs.join(', ')}] (${(res.ms / 1000).toFixed(1)} s)${res.consumerErrors ? `; ${res.consumerErrors}` : ''}`,
      );
    }
  }
  const sum = (rs, k) => rs.reduce((a, r) => a + r[k], 0);
  const summary = (rs) =>
    `${sum(rs, 'stalled')} stalled in ${rs.length} rounds (per round ${rs.map((r) => r.stalled).join('/')}); ${sum(rs, 'failed')} failed; a job started at most ${Math.max(...rs.flatMap((r) => r.runs))} times`;
  const tkStalled = sum(out.threadkit, 'stalled');
  const tkOnce = out.threadkit.every((r) => r.completed === jobs && r.runs.every((n) => n === 1));
  return [
    {
      case: `D3 stalled jobs, ${jobs} jobs x ${(3 * LOCK_MS) / 1000} s CPU, lockDuration ${LOCK_MS} ms`,
      peer: 'BullMQ in-process processor',
      peerFigure: `${median(out.inprocess.map((r) => r.stalled))} stalled/round`,
      tkFigure: `${median(out.threadkit.map((r) => r.stalled))} stalled/round`,
      ratio: 'n/a',
      basis: 'counts',
      goal: 'tk: 0',
      met: tkStalled === 0 && tkOnce ? 'yes' : 'NO',
      note: `medians of ${D3_ROUNDS} rounds (${jobs} jobs each, concurrency ${jobs}, maxStalledCount 1). threadkit: ${summary(out.threadkit)}; every job completed and started once: ${tkOnce ? 'yes' : 'NO'}. In-process: ${summary(out.inprocess)}.`,
    },
  ];
}

export const cases = [
  {
    id: 'D1',
    title: 'tiny jobs: serve vs BullMQ sandbox (worker threads)',
    run: (ctx) => compareWithSandbox(ctx, { id: 'D1', ms: 0, goal: 1.5, roundMs: 1500, startN: 500 }),
  },
  {
    id: 'D2',
    title: '1 ms CPU jobs: serve vs BullMQ sandbox (worker threads)',
    run: (ctx) => compareWithSandbox(ctx, { id: 'D2', ms: 1, goal: 1.2, roundMs: 1500, startN: 500 }),
  },
  {
    id: 'C1',
    title: "serve's default concurrency vs other prefetches, tiny jobs",
    run: (ctx) => runPrefetch(ctx, { id: 'C1', ms: 0, roundMs: 1000, startN: 500 }),
  },
  {
    id: 'C2',
    title: "serve's default concurrency vs other prefetches, 1 ms jobs",
    run: (ctx) => runPrefetch(ctx, { id: 'C2', ms: 1, roundMs: 1000, startN: 500 }),
  },
  { id: 'D3', title: 'stalled jobs under CPU-bound jobs: serve vs in-process processor', run: runD3 },
];
