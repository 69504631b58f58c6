/**
 * Suite `bullmq` (opt-in: `npm run bench -- bullmq`): threadkit's BullMQ adapter (`serve`) against BullMQ's own
 * processors, on one real redis-server that the suite starts (scripts/redis-server.cjs) and that stops when
 * the runner exits.
 *
 * D1 jobs/s of tiny jobs: `serve(pool, queue)` at its default concurrency (maxWorkers plus a prefetch that
 *    follows the jobs' length) against BullMQ's sandboxed processor with `useWorkerThreads: true`, both at the
 *    concurrency serve reaches on these jobs and at several thread counts (the best one is reported too).
 * D2 the same with jobs that each spin the CPU for 1 ms.
 * C1/C2 serve's default concurrency against fixed prefetches (1; 16, the cap before; 2 x the cap) on the D1
 *    and D2 jobs: the measurement behind the default. C3/C4: the same with two consumers on one queue.
 * F1 long jobs (50-200 ms) and two consumers: how prefetch 0, 1, the default, 16 and the cap split them, and
 *    the makespan against the ideal schedule (benchmark/bullmq/fairness.mjs): what a large prefetch costs.
 * F2 the switch a large cap risks: tiny jobs, then at once long ones (20-80 ms), two consumers.
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
import { setTimeout as sleep } from 'node:timers/promises';
import { interleaved, median, logged, now } from '../lib/harness.mjs';
import {
  threads,
  JOB_NAME,
  BATCH,
  redis,
  freshQueueName,
  startConsumer,
  throughputImpl,
  withSides,
  serveDefaultConcurrency,
  describeJobs,
  jobsRow,
  checkQuiet,
  cpuPerJob,
  jobsFigure,
} from '../bullmq/jobs.mjs';
import { runFairness, fairnessRows, SCENARIOS } from '../bullmq/fairness.mjs';

export const optIn = true;

const require = createRequire(import.meta.url);
const { Queue, QueueEvents, Worker } = require('bullmq');

/** serve's prefetch cap (tiny jobs reach it), and the cap before it, 16: the fixed prefetches C1-C4, F1 and F2 compare with. */
const { MAX_PREFETCH } = require('../../lib/bullmq/prefetch.js');
const OLD_CAP = 16;

/**
 * threadkit's serve at its default (maxWorkers threads, the concurrency its prefetch reaches on these jobs)
 * against BullMQ's sandbox at several concurrencies, each of which is also its number of worker threads:
 * serve's starting concurrency (maxWorkers + 1), 2 x maxWorkers, 8, and the concurrency serve reaches. Two
 * rows carry the goal: against the sandbox at serve's concurrency ("the same concurrency"), and against the
 * sandbox's best of these (its best thread count on this machine, picked after the rounds).
 * With `floor`, one more side in the same rounds: BullMQ's in-process processor running the tiny task on the
 * consumer's main thread at serve's concurrency, i.e. BullMQ's own per-job cost with no thread hop.
 */
async function compareWithSandbox(ctx, { id, ms, goal, roundMs, startN, floor = false }) {
  const { start, reached } = await serveDefaultConcurrency(ms);
  ctx.log(`serve's default concurrency on these jobs: starts at ${start}, reaches ${reached}`);
  const sbConcurrencies = [...new Set([threads + 1, 2 * threads, 8, reached])].sort((a, b) => a - b);
  const specs = [
    { key: 'tk', name: `threadkit serve (${threads} workers, default)`, config: { side: 'threadkit', maxWorkers: threads } },
    ...sbConcurrencies.map((c) => ({
      key: `sb${c}`,
      name: `BullMQ sandbox, ${c} threads`,
      concurrency: c,
      config: { side: 'sandbox', workerOptions: { concurrency: c } },
    })),
    ...(floor
      ? [{ key: 'inp', name: `BullMQ in-process (floor), conc. ${reached}`, config: { side: 'inprocess', workerOptions: { concurrency: reached } } }]
      : []),
  ];
  return withSides(specs, async (sides) => {
    const impls = sides.map((s) => throughputImpl(s.name, s.queue, ms, s.consumer));
    const res = await interleaved({
      impls,
      rounds: Math.max(3, Math.ceil(ctx.rounds / 2)),
      roundMs,
      startN,
      multipleOf: 100,
      gcBetween: false,
      log: ctx.log,
    });
    describeJobs(res).forEach(ctx.log);
    await checkQuiet(ctx, sides);
    impls.forEach((impl) => ctx.log(`consumer CPU per job, ${impl.name}: ${cpuPerJob(impl)}`));
    const tk = res[0];
    const sb = sbConcurrencies.map((c, k) => ({ c, r: res[1 + k], impl: impls[1 + k] }));
    const same = sb.find((x) => x.c === reached);
    const best = sb.filter((x) => !x.r.error).reduce((a, x) => (x.r.median > a.r.median ? x : a));
    const what = ms > 0 ? `jobs/s, ${ms} ms CPU jobs` : 'jobs/s, tiny jobs';
    const note = (x) =>
      `serve: maxWorkers ${threads}, its default concurrency (${start} at start, ${reached} reached on these jobs in a run of their own before the rounds). The sandbox: ${x.c} worker threads (BullMQ concurrency ${x.c}); its jobs/s at ${sb.map((y) => `${y.c}: ${jobsFigure(y.r)}`).join(', ')}. Producer: addBulk in batches of ${BATCH}. Consumer CPU per job (median of the samples): serve ${cpuPerJob(impls[0])}; sandbox ${cpuPerJob(x.impl)}`;
    const rows = [
      jobsRow({
        id,
        what: `${what}: vs the sandbox at serve's concurrency (${reached})`,
        tk,
        peer: same.r,
        peerName: `BullMQ sandbox, ${same.c} threads`,
        goal,
        note: note(same),
      }),
      jobsRow({
        id,
        what: `${what}: vs the sandbox at its best thread count here (${best.c})`,
        tk,
        peer: best.r,
        peerName: `BullMQ sandbox, ${best.c} threads`,
        goal,
        note: note(best),
      }),
    ];
    if (ms > 0) {
      // A CPU-bound machine divides its cores among the jobs' CPU: the consumer's, and Redis' and the producer's,
      // which are the same whoever consumes. A consumer that spent only the job's own CPU would reach this ratio.
      const shared = median(impls.flatMap((impl) => impl.cpu.shared));
      const sbCpu = median(same.impl.cpu.all);
      const tkCpu = median(impls[0].cpu.all);
      if (Number.isFinite(shared) && Number.isFinite(sbCpu) && Number.isFinite(tkCpu)) {
        const bound = (sbCpu + shared) / (ms * 1000 + shared);
        rows.unshift({
          case: `${id}-floor ${what}: the most any consumer could reach against the sandbox at serve's concurrency (${reached}) on a CPU-bound machine`,
          peer: `BullMQ sandbox, ${same.c} threads`,
          peerFigure: `${sbCpu.toFixed(0)} µs CPU/job`,
          tkFigure: `${(ms * 1000).toFixed(0)} µs CPU/job (the job alone)`,
          ratio: `${bound.toFixed(2)}×`,
          basis: 'CPU/job bound',
          goal: '—',
          met: '—',
          note: `CPU per job, medians of the samples: the sandbox (all threads) ${sbCpu.toFixed(0)} µs, serve ${tkCpu.toFixed(0)} µs, Redis and the producer ${shared.toFixed(0)} µs (the same for every consumer). A consumer costing nothing beyond the job's ${ms * 1000} µs would reach (${sbCpu.toFixed(0)} + ${shared.toFixed(0)}) / (${ms * 1000} + ${shared.toFixed(0)}); serve's CPU gives (${sbCpu.toFixed(0)} + ${shared.toFixed(0)}) / (${tkCpu.toFixed(0)} + ${shared.toFixed(0)}) = ${((sbCpu + shared) / (tkCpu + shared)).toFixed(2)}×. It bounds jobs/s only while the cores are saturated (see the jobs/s above).`,
        });
      }
    }
    if (floor) {
      const inp = res.at(-1);
      rows.unshift(
        jobsRow({
          id: `${id}-floor`,
          what: `${what}: BullMQ's in-process processor (no thread hop, concurrency ${reached}) vs the sandbox's best, same rounds`,
          tk: inp,
          peer: best.r,
          peerName: `BullMQ sandbox, ${best.c} threads`,
          note: `not threadkit: BullMQ's own per-job cost on one consumer. Consumer CPU per job: in-process ${cpuPerJob(impls.at(-1))}`,
        }),
      );
    }
    return logged(ctx, rows);
  });
}

// ------------------------------------------------------------------ C1, C2

/** serve's default concurrency against fixed prefetches (1, the old default for 2 workers; OLD_CAP; 2 x MAX_PREFETCH), with `consumers` consumer processes on each queue. */
async function runPrefetch(ctx, { id, ms, roundMs, startN, consumers = 1 }) {
  const variants = [
    { key: 'default', concurrency: undefined, label: 'default (adaptive)' },
    { key: 'p1', concurrency: threads + 1, label: `prefetch 1 (concurrency ${threads + 1})` },
    { key: 'big', concurrency: threads + OLD_CAP, label: `prefetch ${OLD_CAP} (concurrency ${threads + OLD_CAP})` },
    { key: 'huge', concurrency: threads + 2 * MAX_PREFETCH, label: `prefetch ${2 * MAX_PREFETCH} (concurrency ${threads + 2 * MAX_PREFETCH})` },
  ];
  const specs = variants.map((v) => ({
    key: v.key,
    name: `serve, ${v.label}`,
    consumers,
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
    // Before checkQuiet: each stats call starts the next highest afresh.
    const reached = await Promise.all(sides[0].consumers.map(async (c) => (await c.stats()).maxConcurrency));
    await checkQuiet(ctx, sides);
    ctx.log(`serve's default concurrency, the highest during the rounds: ${reached.join(', ')}`);
    const what = `${ms > 0 ? `${ms} ms CPU jobs` : 'tiny jobs'}${consumers > 1 ? `, ${consumers} consumers` : ''}`;
    const note = `the default's highest concurrency during the rounds: ${reached.join(' and ')} (back to ${threads + 1} once idle)`;
    return logged(
      ctx,
      res.slice(1).map((peer, k) =>
        jobsRow({
          id,
          what: `serve default concurrency vs ${variants[k + 1].label}, ${what}`,
          tk: res[0],
          peer,
          peerName: sides[k + 1].name,
          note,
        }),
      ),
    );
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
    run: (ctx) => compareWithSandbox(ctx, { id: 'D1', ms: 0, goal: 1.5, roundMs: 1500, startN: 500, floor: true }),
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
  {
    id: 'C3',
    title: "serve's default concurrency vs other prefetches, tiny jobs, two consumers on one queue",
    run: (ctx) => runPrefetch(ctx, { id: 'C3', ms: 0, roundMs: 1000, startN: 500, consumers: 2 }),
  },
  {
    id: 'C4',
    title: "serve's default concurrency vs other prefetches, 1 ms jobs, two consumers on one queue",
    run: (ctx) => runPrefetch(ctx, { id: 'C4', ms: 1, roundMs: 1000, startN: 500, consumers: 2 }),
  },
  {
    id: 'F1',
    title: 'long jobs (50-200 ms), two consumers: how a prefetch splits them (fairness, makespan vs ideal)',
    run: async (ctx) => {
      const variants = [
        { key: 'p0', label: `prefetch 0 (concurrency ${threads})`, concurrency: threads },
        { key: 'p1', label: `prefetch 1 (concurrency ${threads + 1})`, concurrency: threads + 1 },
        { key: 'default', label: "serve's default" },
        { key: 'big', label: `prefetch ${OLD_CAP} (concurrency ${threads + OLD_CAP})`, concurrency: threads + OLD_CAP },
        { key: 'cap', label: `prefetch ${MAX_PREFETCH} (concurrency ${threads + MAX_PREFETCH})`, concurrency: threads + MAX_PREFETCH },
      ];
      return logged(ctx, fairnessRows(await runFairness(ctx, variants, SCENARIOS.F1), SCENARIOS.F1));
    },
  },
  {
    id: 'F2',
    title: 'tiny jobs, then at once long ones (20-80 ms), two consumers: what the prefetch cap costs at the switch',
    run: async (ctx) => {
      const variants = [
        { key: 'p1', label: `prefetch 1 (concurrency ${threads + 1})`, concurrency: threads + 1 },
        { key: 'default', label: "serve's default" },
        { key: 'big', label: `prefetch ${OLD_CAP} (concurrency ${threads + OLD_CAP})`, concurrency: threads + OLD_CAP },
        { key: 'cap', label: `prefetch ${MAX_PREFETCH} (concurrency ${threads + MAX_PREFETCH})`, concurrency: threads + MAX_PREFETCH },
      ];
      return logged(ctx, fairnessRows(await runFairness(ctx, variants, SCENARIOS.F2), SCENARIOS.F2));
    },
  },
  { id: 'D3', title: 'stalled jobs under CPU-bound jobs: serve vs in-process processor', run: runD3 },
];
