/**
 * What the `bullmq` bench suite (suites/bullmq.mjs) and its probes share: the one Redis, consumer child
 * processes (consumer.mjs), the producer that times a batch of jobs, and rows in jobs/s.
 *
 * The producer is the same for every side: `Queue.addBulk` in batches of BATCH, with plain JSON data
 * (`{ i, ms }`), then it polls the queue's completed count every 10 ms until every job is done. A sample
 * counts only if every job completed, none failed, and a few results read back from Redis are the right
 * ones (`i + 1`). The queue is emptied between samples, outside the timing.
 */

import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { compareRow, figure, median, now } from '../lib/harness.mjs';

const require = createRequire(import.meta.url);
const { Queue } = require('bullmq');
const { startRedis } = require('../../scripts/redis-server.cjs');

const consumerScript = path.join(path.dirname(fileURLToPath(import.meta.url)), 'consumer.mjs');
export const threads = Math.max(1, os.availableParallelism());
/** Jobs per `addBulk` call: big enough to batch, small enough that consumers start before the producer ends. */
export const BATCH = 500;
/** The job name: serve calls the worker script's export of that name ('default': the default export); BullMQ's sandbox ignores it. */
export const JOB_NAME = 'default';

let redisStarted = null;
/** The suite's one Redis, started by the first case that runs (the runner may run any subset). */
export function redis() {
  redisStarted ??= startRedis();
  return redisStarted;
}

let queueSeq = 0;
export const freshQueueName = (what) => `bench-${what}-${process.pid}-${++queueSeq}`;

/** A consumer child process; resolves once it takes jobs. `concurrency` is the BullMQ concurrency it runs with. */
export async function startConsumer(config) {
  // TK_CONSUMER_ARGS: node flags for the consumer processes (a probe's --cpu-prof or --perf-basic-prof).
  const execArgv = process.env.TK_CONSUMER_ARGS?.split(' ').filter(Boolean);
  const child = fork(consumerScript, [JSON.stringify(config)], { execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
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

export async function closeAll(consumers) {
  await Promise.all(consumers.map((c) => c.close()));
}

/** Samples of fewer jobs record no CPU time per job: Linux counts a thread's CPU time in 10 ms ticks. */
export const CPU_MIN_JOBS = 500;

/** CPU time (ms) of process `pid` so far, from /proc (Linux; null elsewhere), in 10 ms ticks. */
function processCpuMs(pid) {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10; // utime, stime (fields 14 and 15 of stat)
  } catch {
    return null;
  }
}

/** The CPU that Redis and this producer spend, whoever consumes (ms so far): redis-server's and this process's. */
async function sharedCpuMs() {
  const redisMs = processCpuMs((await redis()).pid);
  if (redisMs === null) return null;
  const { user, system } = process.cpuUsage();
  return redisMs + (user + system) / 1000;
}

/**
 * A throughput implementation for `interleaved`: `run(n)` adds n jobs of `ms` CPU milliseconds to its own queue
 * and waits until the consumer listening on that queue completed them all. With `consumer`, each sample also
 * records that consumer's CPU time per job (µs, outside the timing) in `cpu.main` (its main thread; Linux
 * only) and `cpu.all` (the whole process), and in `cpu.shared` what Redis and the producer (this process)
 * spent per job meanwhile, the same for every consumer (Linux only).
 */
export function throughputImpl(name, queue, ms, consumer = null) {
  const cpu = { main: [], all: [], shared: [] };
  return {
    name,
    cpu,
    run: async (n) => {
      const jobs = Array.from({ length: n }, (_, i) => ({ name: JOB_NAME, data: { i, ms } }));
      const before = consumer && n >= CPU_MIN_JOBS ? await consumer.stats() : null;
      const sharedBefore = before ? await sharedCpuMs() : null;
      const t0 = now();
      for (let k = 0; k < n; k += BATCH) await queue.addBulk(jobs.slice(k, k + BATCH));
      for (;;) {
        const { completed, failed } = await queue.getJobCounts('completed', 'failed');
        if (failed > 0) throw new Error(`${failed} of ${n} jobs failed`);
        if (completed >= n) break;
        await sleep(10);
      }
      const elapsed = now() - t0;
      // Untimed: the CPU the consumer spent, some results checked, then the queue emptied for the next sample.
      if (consumer && n >= CPU_MIN_JOBS) {
        const sharedAfter = sharedBefore !== null ? await sharedCpuMs() : null;
        if (sharedAfter !== null) cpu.shared.push(((sharedAfter - sharedBefore) * 1000) / n);
        const after = await consumer.stats();
        if (after.mainThreadCpuMs !== null) cpu.main.push(((after.mainThreadCpuMs - before.mainThreadCpuMs) * 1000) / n);
        cpu.all.push(((after.processCpuMs - before.processCpuMs) * 1000) / n);
      }
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

/** "main thread 110 µs, all threads 170 µs" per job: medians over the samples `throughputImpl` recorded. */
export function cpuPerJob(impl) {
  const f = (xs) => (xs.length ? `${median(xs).toFixed(0)} µs` : 'n/a');
  return `main thread ${f(impl.cpu.main)}, all threads ${f(impl.cpu.all)}`;
}

const WARM_UP_JOBS = 500;

/**
 * Starts the consumers of each side (`spec.consumers`, default 1, all on the side's own queue; `consumer` is the
 * first), warms each side up, runs `fn(sides)`, and always closes them.
 */
export async function withSides(specs, fn) {
  const { connection } = await redis();
  const sides = [];
  try {
    for (const spec of specs) {
      const queueName = freshQueueName(spec.key);
      const consumers = [];
      sides.push({ ...spec, consumers, queue: new Queue(queueName, { connection }) });
      for (let k = 0; k < (spec.consumers ?? 1); k++) consumers.push(await startConsumer({ ...spec.config, queue: queueName, connection }));
      sides.at(-1).consumer = consumers[0];
    }
    // Warm-up, untimed: BullMQ's sandbox starts its worker threads with the first jobs, and the harness would
    // otherwise calibrate the sample size on that cold start.
    for (const s of sides) await throughputImpl(s.name, s.queue, 0).run(WARM_UP_JOBS);
    return await fn(sides);
  } finally {
    await closeAll(sides.flatMap((s) => s.consumers));
    await Promise.all(sides.map((s) => s.queue.close()));
  }
}

/**
 * The BullMQ concurrency serve's default reaches on jobs of `ms` (it follows the jobs' length): a consumer of
 * its own serves `jobs` of them on a fresh queue, then reports its concurrency. Returns `{ start, reached }`.
 */
export async function serveDefaultConcurrency(ms = 0, jobs = 2000) {
  const { connection } = await redis();
  const queueName = freshQueueName('probe');
  const probe = await startConsumer({ side: 'threadkit', maxWorkers: threads, queue: queueName, connection });
  const queue = new Queue(queueName, { connection });
  try {
    await throughputImpl('probe', queue, ms).run(jobs);
    // The highest during the run: once the consumer idles, the default goes back to its start.
    const { maxConcurrency } = await probe.stats();
    if (!Number.isInteger(probe.concurrency) || !Number.isInteger(maxConcurrency)) {
      throw new Error(`serve did not report its concurrency (got ${probe.concurrency}, ${maxConcurrency})`);
    }
    return { start: probe.concurrency, reached: maxConcurrency };
  } finally {
    await probe.close();
    await queue.close();
  }
}

/** One progress line per implementation, with every sample, in jobs/s. */
export function describeJobs(results) {
  return results.map((r) => {
    const head = `${r.name.padEnd(40)} ${jobsFigure(r).padEnd(22)}`;
    return r.error ? `${head} ${r.error.message}` : `${head} n=${r.n} samples [${r.samples.map((x) => x.toFixed(0)).join(' ')}] jobs/s`;
  });
}

/** The harness's figure, in jobs rather than ops. */
export const jobsFigure = (r) => figure(r, 'ops').replace(' ops/s', ' jobs/s');

/** A comparison row whose figures say jobs/s. */
export function jobsRow(o) {
  const row = compareRow({ ...o, unit: 'ops' });
  return { ...row, peerFigure: jobsFigure(o.peer), tkFigure: jobsFigure(o.tk), basis: 'tk/peer jobs/s' };
}

/** Logs a consumer's unexpected events (errors, stalls, failures) during a throughput case. */
export async function checkQuiet(ctx, sides) {
  for (const s of sides.flatMap((side) => side.consumers.map((consumer) => ({ name: side.name, consumer })))) {
    const st = await s.consumer.stats();
    if (st.error || st.stalled || st.failed) {
      ctx.log(`${s.name}: ${st.error} error(s), ${st.stalled} stalled, ${st.failed} failed${st.lastError ? ` (last error: ${st.lastError})` : ''}`);
    }
  }
}
