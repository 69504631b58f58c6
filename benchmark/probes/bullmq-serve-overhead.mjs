/**
 * Probe (not part of `npm run bench`): serve's own main-thread CPU per tiny job, without BullMQ's and Redis'
 * share, so a change to serve or the pool shows above the noise of a loaded machine.
 *
 * Each side calls the processor that serve gave its BullMQ Worker (`server.worker.processFn`, a BullMQ field)
 * directly with job-like objects, `concurrency` at a time, as BullMQ would: with a fresh AbortController's
 * signal per job when the processor takes three parameters (BullMQ's lock manager does that). The Worker
 * never runs (autorun: false). Sides:
 * - pool, plain: `pool.execute(data)`: the pool round trip alone, the floor;
 * - pool, signal: the same with a fresh AbortController per job, as BullMQ's signal;
 * - serve: serve's processor, of this package or of another build (--root=DIR: a package directory with its
 *   lib/ and .node, e.g. a `git archive` of an older commit). Compare builds in separate runs, alternated:
 *   two copies of the addon in one process hang.
 * Rounds interleave the sides; each prints the main thread's CPU per job (Linux /proc, 10 ms ticks: use
 * enough jobs) and the median over the rounds.
 *
 *   node benchmark/probes/bullmq-serve-overhead.mjs [--jobs=20000] [--rounds=5] [--root=DIR]
 */
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const here = path.dirname(fileURLToPath(import.meta.url));
const str = (name) => process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1];
const jobs = Number(str('jobs') ?? 20000);
const rounds = Number(str('rounds') ?? 5);
const tasks = path.join(here, '../bullmq/tasks.cjs');
const { startRedis } = require('../../scripts/redis-server.cjs');
const redis = await startRedis();
const { connection } = redis;

function mainThreadCpuUs() {
  const stat = readFileSync(`/proc/${process.pid}/task/${process.pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) * 10_000;
}

/** Runs `jobs` calls of `processFn`, `concurrency` in flight, as BullMQ calls a processor. */
async function drive(processFn, concurrency) {
  let next = 0;
  const withSignal = processFn.length >= 3;
  const lane = async () => {
    while (next < jobs) {
      const i = next++;
      const job = { id: String(i + 1), name: 'default', data: { i, ms: 0 }, opts: {} };
      const signal = withSignal ? new AbortController().signal : undefined;
      const r = await processFn(job, 'token', signal);
      if (r !== i + 1) throw new Error(`job ${i} returned ${r}`);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, lane));
}

function serveSide(name, root) {
  const { WorkerPool } = require(root);
  const { serve } = require(path.join(root, 'lib/bullmq/index.js'));
  const pool = new WorkerPool(tasks, { minWorkers: 2, maxWorkers: 2 });
  const server = serve(pool, `overhead-${name.replace(/\W/g, '')}`, { connection, autorun: false });
  return {
    name,
    run: () => drive(server.worker.processFn, server.worker.concurrency),
    close: async () => (await server.close(), await pool.close()),
  };
}

const root = path.resolve(str('root') ?? path.join(here, '../..'));
const { WorkerPool } = require(root);
const floor = new WorkerPool(tasks, { minWorkers: 2, maxWorkers: 2 });
const sides = [
  { name: 'pool, plain', run: () => drive((job) => floor.execute(job.data), 3), close: () => floor.close() },
  { name: 'pool, signal', run: () => drive((job, _t, signal) => floor.execute(job.data, { signal }), 3), close: async () => {} },
  serveSide('serve', root),
];
const samples = sides.map(() => []);
for (const s of sides) await s.run(); // warm-up
for (let r = 0; r < rounds; r++) {
  for (const [k, s] of sides.entries()) {
    const t0 = mainThreadCpuUs();
    await s.run();
    samples[k].push((mainThreadCpuUs() - t0) / jobs);
  }
}
const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
process.stdout.write(`main-thread CPU per job (µs), ${jobs} jobs per sample, ${rounds} rounds, threadkit from ${root}\n`);
for (const [k, s] of sides.entries()) {
  process.stdout.write(`${s.name.padEnd(20)} median ${median(samples[k]).toFixed(1)}  [${samples[k].map((x) => x.toFixed(1)).join(' ')}]\n`);
}
for (const s of sides) await s.close();
await redis.stop();
process.exit(0);
