/**
 * One consumer process of the `bullmq` bench suite, started by suites/bullmq.mjs with `fork`.
 *
 *   node consumer.mjs '<json config>'
 *
 * config: `{ side, queue, connection, maxWorkers, workerOptions, root }`, where root (optional) is the directory of
 * another threadkit build to serve from (a probe's baseline; default: this package), and side is
 * - 'threadkit': a WorkerPool of `maxWorkers` threads on tasks.cjs, served by `serve(pool, queue, workerOptions)`;
 * - 'sandbox':   BullMQ's own sandboxed processor (sandbox-processor.cjs) with `useWorkerThreads: true`;
 * - 'inprocess': a plain BullMQ processor function that runs the task on this process's main thread;
 * - 'pool-plain', 'pool-signal': see benchmark/probes/bullmq-serve-cost.mjs.
 *
 * IPC: sends `{ type: 'ready', pid, concurrency }` (its BullMQ concurrency) once it takes jobs; answers `{ type: 'stats' }` with the events it saw
 * (`stalled`, `failed`, `error`), its BullMQ concurrency now (`concurrency`: serve's default adapts) and its highest since the last stats (`maxConcurrency`, sampled every 5 ms) and the CPU time of its main thread (`mainThreadCpuMs`) and of
 * the whole process, worker threads included (`processCpuMs`); `{ type: 'close' }` closes the consumer gracefully and exits.
 */
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { readFileSync } from 'node:fs';

const require = createRequire(import.meta.url);
const here = path.dirname(fileURLToPath(import.meta.url));
const config = JSON.parse(process.argv[2]);
const { side, queue, connection, maxWorkers, workerOptions = {}, root } = config;
const stats = { stalled: 0, failed: 0, error: 0, lastError: null };

function count(emitter) {
  emitter.on('stalled', () => stats.stalled++);
  emitter.on('failed', () => stats.failed++);
  emitter.on('error', (err) => {
    stats.error++;
    stats.lastError = String(err?.message ?? err);
  });
}

let close;
let concurrency = null;
/** The BullMQ concurrency now (serve's default changes with the jobs' length). */
let currentConcurrency = () => concurrency;
let maxConcurrency = 0;
if (side === 'threadkit') {
  const { WorkerPool } = require(root ?? 'threadkit');
  const { serve } = require(root ? path.join(root, 'lib/bullmq/index.js') : 'threadkit/bullmq');
  const pool = new WorkerPool(path.join(here, 'tasks.cjs'), { minWorkers: maxWorkers, maxWorkers });
  const server = serve(pool, queue, { connection, ...workerOptions });
  if (typeof server.on === 'function') count(server);
  concurrency = server.concurrency ?? server.worker?.concurrency ?? null;
  currentConcurrency = () => server.worker?.concurrency ?? concurrency;
  // serve's default concurrency falls back once the consumer idles: sample its highest between two stats calls.
  setInterval(() => (maxConcurrency = Math.max(maxConcurrency, currentConcurrency())), 5).unref();
  close = async () => {
    await server.close();
    await pool.close();
  };
} else if (side === 'pool-plain' || side === 'pool-signal') {
  // For benchmark/probes/bullmq-serve-cost.mjs: a BullMQ Worker whose in-process processor hands job.data to a
  // WorkerPool directly, with none of serve's work; 'pool-signal' also takes BullMQ's per-job AbortSignal.
  const { WorkerPool } = require('threadkit');
  const { Worker } = require('bullmq');
  const pool = new WorkerPool(path.join(here, 'tasks.cjs'), { minWorkers: maxWorkers, maxWorkers });
  const processor = side === 'pool-plain' ? (job) => pool.execute(job.data) : (job, token, signal) => pool.execute(job.data, { signal });
  const worker = new Worker(queue, processor, { connection, ...workerOptions });
  count(worker);
  await worker.waitUntilReady();
  concurrency = worker.concurrency;
  close = async () => {
    await worker.close();
    await pool.close();
  };
} else if (side === 'sandbox' || side === 'inprocess') {
  const { Worker } = require('bullmq');
  const task = require('./tasks.cjs');
  const processor = side === 'sandbox' ? path.join(here, 'sandbox-processor.cjs') : async (job) => task(job.data);
  const worker = new Worker(queue, processor, { connection, ...workerOptions, ...(side === 'sandbox' ? { useWorkerThreads: true } : {}) });
  count(worker);
  await worker.waitUntilReady();
  concurrency = worker.concurrency;
  close = () => worker.close();
} else {
  throw new Error(`consumer.mjs: unknown side ${JSON.stringify(side)}`);
}

/**
 * CPU time of this process's main thread alone (its worker threads left out), in ms: Linux's
 * /proc/<pid>/task/<pid>/schedstat (ns on a CPU), else its stat, in clock ticks (assumed 100 per second,
 * Linux's USER_HZ). null elsewhere.
 */
function mainThreadCpuMs() {
  try {
    return Number(readFileSync(`/proc/${process.pid}/task/${process.pid}/schedstat`, 'utf8').split(' ')[0]) / 1e6;
  } catch {
    // No schedstat (a kernel without CONFIG_SCHED_INFO): the stat's ticks.
  }
  try {
    const stat = readFileSync(`/proc/${process.pid}/task/${process.pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10; // utime + stime
  } catch {
    return null;
  }
}

process.on('message', async (m) => {
  if (m?.type === 'stats') {
    const { user, system } = process.cpuUsage();
    const highest = Math.max(maxConcurrency, currentConcurrency());
    maxConcurrency = 0;
    process.send({
      type: 'stats',
      ...stats,
      concurrency: currentConcurrency(),
      maxConcurrency: highest,
      mainThreadCpuMs: mainThreadCpuMs(),
      processCpuMs: (user + system) / 1000,
    });
  } else if (m?.type === 'close') {
    await close();
    process.exit(0);
  }
});
// The parent gone (a crashed or interrupted bench) must not leave this process behind.
process.on('disconnect', () => process.exit(0));
process.send({ type: 'ready', pid: process.pid, concurrency });
