// threadkit/bullmq: serve's default concurrency, maxWorkers plus a prefetch that follows the jobs' length
// (lib/bullmq/prefetch.js): the rule alone, with seeded random job lengths, then a consumer on a real
// redis-server whose prefetch rises on tiny jobs and falls back on long ones.
import { WorkerPool } from '../index';
import { random, seed } from './helpers';
import { startRedis, Redis, queueName, bullmqTasks, tkBullmq } from './bullmq-helpers';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { AdaptivePrefetch, prefetchFor, MIN_PREFETCH, MAX_PREFETCH, PREFETCH_BUDGET_MS, IDLE_RESET_MS } = require('../lib/bullmq/prefetch.js');
const { serve, RemotePool } = tkBullmq;

describe('the prefetch rule', () => {
  test('about PREFETCH_BUDGET_MS of work per thread, from MIN_PREFETCH (long jobs) to MAX_PREFETCH (tiny jobs)', () => {
    expect([MIN_PREFETCH, MAX_PREFETCH, PREFETCH_BUDGET_MS]).toEqual([1, 16, 20]);
    expect(prefetchFor(2, 0.05)).toBe(16);
    expect(prefetchFor(2, 1)).toBe(16);
    expect(prefetchFor(2, 10)).toBe(4);
    expect(prefetchFor(8, 40)).toBe(4);
    expect(prefetchFor(2, 40)).toBe(1);
    expect(prefetchFor(2, 100)).toBe(1);
    expect(prefetchFor(2, 0)).toBe(16);
  });

  test('starts at maxWorkers + 1, rises on tiny jobs, falls within two jobs when long ones come (seeded)', () => {
    const ctx = `seed ${seed}`;
    for (const maxWorkers of [1, 2, 8]) {
      const p = new AdaptivePrefetch(maxWorkers);
      expect([ctx, p.concurrency]).toEqual([ctx, maxWorkers + 1]);
      // Tiny jobs (0.01-0.2 ms each), at random depths of the pool's queue.
      let t = 0;
      for (let i = 0; i < 200; i++) {
        const inFlight = 1 + Math.floor(random() * (maxWorkers + MAX_PREFETCH));
        t += 1;
        const c = p.observe(t, t + (0.01 + random() * 0.19) * Math.max(1, inFlight / maxWorkers), inFlight);
        expect([ctx, c >= maxWorkers + 1 && c <= maxWorkers + MAX_PREFETCH]).toEqual([ctx, true]);
      }
      expect([ctx, maxWorkers, p.concurrency]).toEqual([ctx, maxWorkers, maxWorkers + MAX_PREFETCH]);
      // Long jobs (50-200 ms): two of them bring the prefetch down to that of jobs of 3/4 of the shortest.
      const long = () => 50 + random() * 150;
      p.observe(t, t + long(), 1);
      const c = p.observe(t, t + long(), 1);
      expect([ctx, maxWorkers, c - maxWorkers <= prefetchFor(maxWorkers, 37.5)]).toEqual([ctx, maxWorkers, true]);
    }
  });

  test("a job's time in the pool is divided by the pool rounds it queued behind; running jobs and an empty queue count", () => {
    const p = new AdaptivePrefetch(2);
    // 20 ms in the pool with 10 jobs in flight on 2 threads: 5 rounds of 4 ms jobs, so prefetch ceil(2 x 20 / 4).
    expect(p.observe(0, 20, 10)).toBe(2 + 10);
    // A job that has run 40 ms (alone) is at least that long: prefetch ceil(40 / 40) at once.
    expect(p.running(100, 140, 1)).toBe(2 + 1);
    // A shorter running job says nothing new.
    expect(p.running(200, 200.1, 1)).toBe(2 + 1);
    for (let i = 0; i < 100; i++) p.observe(300 + i, 300.1 + i, 1);
    expect(p.concurrency).toBe(2 + MAX_PREFETCH);
    // The consumer went idle: start over at one.
    expect(p.reset()).toBe(2 + 1);
    expect(p.observe(1001, 1001.1, 1)).toBe(2 + MAX_PREFETCH);
  });
});

describe('serve with the default concurrency, on a real Redis', () => {
  let redis: Redis;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    await redis?.stop();
  });

  test('the prefetch rises above one on tiny jobs, goes back to one when the consumer idles, and long jobs keep it there', async () => {
    const q = queueName('prefetch');
    const pool = new WorkerPool(bullmqTasks, { maxWorkers: 2, minWorkers: 2 });
    const server = serve(pool, q, { connection: redis.connection });
    const remote = new RemotePool(q, { connection: redis.connection });
    try {
      expect(server.worker.concurrency).toBe(3);
      // The concurrency each job starts under.
      let seen: number[] = [];
      server.worker.on('active', () => seen.push(server.worker.concurrency));
      const tiny = Array.from({ length: 400 }, (_, i) => i);
      await expect(remote.map(tiny, { name: 'square' })).resolves.toEqual(tiny.map((i) => i * i));
      const risen = Math.max(...seen);
      expect(risen).toBeGreaterThan(3);
      expect(risen).toBeLessThanOrEqual(2 + MAX_PREFETCH);
      // Idle for IDLE_RESET_MS: start over at one (this wait only orders the steps; no assertion on time).
      while (server.worker.concurrency !== 3) await new Promise((r) => setTimeout(r, IDLE_RESET_MS));
      // Long jobs (seeded 100-200 ms, sleeping) keep it there.
      seen = [];
      const lengths = Array.from({ length: 8 }, () => 100 + Math.floor(random() * 100));
      await expect(Promise.all(lengths.map((ms) => remote.execute(ms, { name: 'sleep' })))).resolves.toEqual(lengths.map(() => 'done'));
      expect({ seed, risen, seen }).toEqual({ seed, risen, seen: lengths.map(() => 3) });
      expect(pool.getMetrics().tasksSubmitted).toBe(tiny.length + lengths.length);
    } finally {
      await remote.close();
      await server.close();
      await pool.close();
    }
  });
});
