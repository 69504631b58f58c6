/**
 * One consumer of `npm run demo:cluster` (started by demo-cluster.mjs with `fork`; on a real cluster this is
 * the process each machine runs): a WorkerPool on the same primes.cjs that `npm run demo` runs locally,
 * served to the queue with `serve`. The task script is unchanged: scaling out needs no new task code.
 *
 *   node cluster-consumer.mjs '{"queue":"primes","connection":{"host":"127.0.0.1","port":6379},"workers":1}'
 *
 * IPC with the demo: sends `{ type: 'ready', pid }` once its workers are started; answers `{ type: 'count' }`
 * with `{ type: 'count', completed }` (the pool's tasks completed so far); `{ type: 'close' }` stops taking
 * jobs, lets running ones finish, and exits.
 */
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const require = createRequire(import.meta.url);
const { WorkerPool } = require('threadkit');
const { serve } = require('threadkit/bullmq');

const { queue, connection, workers } = JSON.parse(process.argv[2]);
const script = path.join(path.dirname(fileURLToPath(import.meta.url)), 'primes.cjs');

const pool = new WorkerPool(script, { minWorkers: workers, maxWorkers: workers });
// Start the workers before taking jobs: thread start-up is not part of the race.
await pool.map(Array.from({ length: workers }, () => ({ from: 0, to: 1000 })));
const warmUp = pool.getMetrics().tasksCompleted;
const server = serve(pool, queue, { connection });
server.on('error', (err) => console.error(`consumer ${process.pid}: ${err?.message ?? err}`));

let closing = null;
function close() {
  closing ??= server
    .close()
    .then(() => pool.close())
    .finally(() => process.exit(0));
  return closing;
}

process.on('message', (m) => {
  if (m?.type === 'count') process.send({ type: 'count', completed: pool.getMetrics().tasksCompleted - warmUp });
  else if (m?.type === 'close') close();
});
// Ctrl-C reaches the whole process group; the demo (the parent) gone must not leave this process behind.
process.on('SIGINT', close);
process.on('SIGTERM', close);
process.on('disconnect', close);
process.send({ type: 'ready', pid: process.pid });
