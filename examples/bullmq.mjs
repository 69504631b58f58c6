// threadkit/bullmq: the same worker script served on many machines through BullMQ on Redis.
// Here the consumer and the producer share one process, and a local redis-server is started
// for the example (scripts/redis-server.cjs; install redis-server first).
import { WorkerPool } from 'threadkit';
import { serve, RemotePool } from 'threadkit/bullmq';
import { createRequire } from 'node:module';

const { startRedis } = createRequire(import.meta.url)('../scripts/redis-server.cjs');
const redis = await startRedis();
const connection = redis.connection;
try {
  // consumer: on every machine that computes
  const pool = new WorkerPool(new URL('./hash-worker.cjs', import.meta.url), { maxWorkers: 2 });
  const server = serve(pool, 'hash', { connection }); // BullMQ WorkerOptions
  server.on('error', (err) => console.error(err));

  // producer: where work is submitted
  const remote = new RemotePool('hash', { connection }); // BullMQ QueueOptions
  const h = await remote.execute({ text: 'abc', rounds: 1e6 }, { timeout: 10_000, attempts: 3 });
  const squares = await remote.map([1, 2, 3], { name: 'square' });
  await remote.close();

  await server.close(); // running jobs finish, no new ones are taken
  await pool.close();
  console.log(`hash through Redis: ${h}`);
  console.log(`squares through Redis: ${squares.join(', ')}`);
} finally {
  await redis.stop();
}
