/**
 * Probe for D1 of the `bullmq` suite (not part of `npm run bench`): where a tiny job's time goes in a
 * consumer. Runs D1's workload (tiny jobs, added with addBulk, the same BullMQ concurrency on every side)
 * interleaved, each consumer a child process of its own (benchmark/bullmq/consumer.mjs), against:
 * - serve: `serve(pool, queue)`, threadkit/bullmq as users run it;
 * - pool, signal: a BullMQ Worker whose in-process processor is `(job, token, signal) =>
 *   pool.execute(job.data, { signal })`: the pool round trip plus BullMQ's per-job AbortSignal, without
 *   serve's own work (envelope checks, job id, cancel channel);
 * - pool, plain: the same processor without the signal, `(job) => pool.execute(job.data)`;
 * - sandbox: BullMQ's sandboxed processor with `useWorkerThreads: true` (D1's peer), and the same with
 *   concurrency = maxWorkers (as many compute threads as the pool has);
 * - in-process: the task on the consumer's main thread: BullMQ's own cost per job, with no thread hop.
 * Prints jobs/s (median ± half the inter-quartile range, and every sample), then the consumer's CPU time per
 * job, of its main thread (Linux only) and of the whole process: a figure that other work on the machine
 * disturbs much less than jobs/s.
 *
 * --baseline=DIR adds `serve (baseline)`: serve from another threadkit build (a package directory with its
 * lib/ and .node, e.g. `git archive` of an older commit), to compare a change in one run. --sides=serve,base,sb
 * keeps only those sides (keys: serve, base, sig, plain, sb, sb2, inp).
 *
 *   node benchmark/probes/bullmq-serve-cost.mjs [--rounds=5] [--ms=0] [--baseline=DIR] [--sides=...]
 */
import { interleaved } from '../lib/harness.mjs';
import { threads, withSides, throughputImpl, serveDefaultConcurrency, describeJobs, cpuPerJob, CPU_MIN_JOBS } from '../bullmq/jobs.mjs';

const str = (name) => process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1];
const arg = (name, dflt) => Number(str(name) ?? dflt);
const rounds = arg('rounds', 5);
const ms = arg('ms', 0);
const baseline = str('baseline');
const only = str('sides')?.split(',');

// The concurrency serve's default reaches on these jobs: the other sides run at it.
const { reached: concurrency } = await serveDefaultConcurrency(ms);
const workerOptions = { concurrency };
const allSpecs = [
  { key: 'serve', name: 'serve', config: { side: 'threadkit', maxWorkers: threads } },
  ...(baseline ? [{ key: 'base', name: 'serve (baseline)', config: { side: 'threadkit', maxWorkers: threads, root: baseline } }] : []),
  { key: 'sig', name: 'pool, signal', config: { side: 'pool-signal', maxWorkers: threads, workerOptions } },
  { key: 'plain', name: 'pool, plain', config: { side: 'pool-plain', maxWorkers: threads, workerOptions } },
  { key: 'sb', name: 'sandbox (worker threads)', config: { side: 'sandbox', workerOptions } },
  { key: 'sb2', name: `sandbox, concurrency ${threads}`, config: { side: 'sandbox', workerOptions: { concurrency: threads } } },
  { key: 'inp', name: 'in-process (main thread)', config: { side: 'inprocess', workerOptions } },
];
const specs = only ? allSpecs.filter((s) => only.includes(s.key)) : allSpecs;
process.stdout.write(
  `${ms ? `jobs of ${ms} ms CPU` : 'tiny jobs'}, BullMQ concurrency ${concurrency}, pools of ${threads} workers, ${rounds} rounds\n`,
);
await withSides(specs, async (sides) => {
  const impls = sides.map((s) => throughputImpl(s.name, s.queue, ms, s.consumer));
  const res = await interleaved({
    impls,
    rounds,
    roundMs: 1500,
    startN: 500,
    multipleOf: 100,
    gcBetween: false,
    log: (l) => process.stdout.write(`${l}\n`),
  });
  describeJobs(res).forEach((l) => process.stdout.write(`${l}\n`));

  // CPU per job: less sensitive to other work on the machine than jobs/s, and it shows which thread pays.
  process.stdout.write(`\nconsumer CPU per job (median of the samples of ${CPU_MIN_JOBS} jobs or more):\n`);
  for (const impl of impls) process.stdout.write(`${impl.name.padEnd(40)} ${cpuPerJob(impl)}\n`);
});
process.exit(0);
