/**
 * Probe (not part of `npm run bench`): Redis commands per job on the consumer side, from Redis' own
 * INFO commandstats, for `serve` and for BullMQ's in-process and sandboxed processors at the same concurrency.
 * It shows whether serve gets BullMQ's batching: a worker that completes a job fetches the next one in the same
 * script call (moveToFinished with fetchNext), so a busy consumer needs no separate moveToActive per job.
 *
 * For each side: a fresh Redis; `jobs` tiny jobs added with addBulk (untimed), then one consumer
 * (benchmark/bullmq/consumer.mjs) started, and the commands counted until every job completed. The counts include
 * the producer's polling of the completed count (`getJobCounts` every 10 ms, listed apart as the commands of a
 * Queue: it is the same for every side).
 *
 *   node benchmark/probes/bullmq-redis-calls.mjs [--jobs=2000] [--concurrency=3]
 */
import { createRequire } from 'node:module';
import { setTimeout as sleep } from 'node:timers/promises';
import { startConsumer, threads, JOB_NAME } from '../bullmq/jobs.mjs';

const require = createRequire(import.meta.url);
const { Queue } = require('bullmq');
const { startRedis } = require('../../scripts/redis-server.cjs');
const str = (name) => process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1];
const jobs = Number(str('jobs') ?? 2000);
const concurrency = Number(str('concurrency') ?? 3);

async function commandStats(queue) {
  const client = await queue.backend.client;
  const text = await client.info('commandstats');
  const out = {};
  for (const m of text.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) out[m[1]] = Number(m[2]);
  return out;
}

const sides = [
  { name: 'serve', config: { side: 'threadkit', maxWorkers: threads, workerOptions: { concurrency } } },
  { name: 'in-process', config: { side: 'inprocess', workerOptions: { concurrency } } },
  { name: 'sandbox (worker threads)', config: { side: 'sandbox', workerOptions: { concurrency } } },
];
process.stdout.write(`${jobs} tiny jobs, concurrency ${concurrency}: Redis commands per job, consumer and producer polling together\n`);
for (const s of sides) {
  const redis = await startRedis();
  const queue = new Queue('calls', { connection: redis.connection });
  try {
    const data = Array.from({ length: jobs }, (_, i) => ({ name: JOB_NAME, data: { i, ms: 0 } }));
    for (let k = 0; k < jobs; k += 500) await queue.addBulk(data.slice(k, k + 500));
    const before = await commandStats(queue);
    const consumer = await startConsumer({ ...s.config, queue: 'calls', connection: redis.connection });
    let polls = 0;
    while ((await queue.getJobCounts('completed')).completed < jobs) {
      polls++;
      await sleep(10);
    }
    const after = await commandStats(queue);
    await consumer.close();
    const per = Object.entries(after)
      .map(([cmd, n]) => [cmd, (n - (before[cmd] ?? 0)) / jobs])
      .filter(([, x]) => x >= 0.01)
      .sort((a, b) => b[1] - a[1]);
    process.stdout.write(`${s.name.padEnd(26)} ${per.map(([c, x]) => `${c} ${x.toFixed(2)}`).join(', ')} (producer polls: ${polls})\n`);
  } finally {
    await queue.close();
    await redis.stop();
  }
}
process.exit(0);
