// threadkit/bullmq: serve's default concurrency, maxWorkers plus a prefetch that follows the jobs' length
// (lib/bullmq/prefetch.js): the rule alone, with seeded random job lengths, then a consumer on a real
// redis-server whose prefetch rises on tiny jobs and falls back on long ones, and which gives back the jobs
// its pool has not started when long jobs follow tiny ones.
import { Queue, QueueEvents } from 'bullmq';
import { WorkerPool } from '../index';
import { random, seed } from './helpers';
import { startRedis, Redis, queueName, bullmqTasks, tkBullmq } from './bullmq-helpers';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { AdaptivePrefetch, prefetchFor, MIN_PREFETCH, MAX_PREFETCH, PREFETCH_BUDGET_MS, IDLE_RESET_MS } = require('../lib/bullmq/prefetch.js');
const { serve, RemotePool } = tkBullmq;

describe('the prefetch rule', () => {
  test('about PREFETCH_BUDGET_MS of work per thread, from MIN_PREFETCH (long jobs) to MAX_PREFETCH (tiny jobs)', () => {
    expect([MIN_PREFETCH, MAX_PREFETCH, PREFETCH_BUDGET_MS]).toEqual([1, 32, 20]);
    expect(prefetchFor(2, 0.05)).toBe(32);
    expect(prefetchFor(2, 1)).toBe(32);
    expect(prefetchFor(2, 10)).toBe(4);
    expect(prefetchFor(8, 40)).toBe(4);
    expect(prefetchFor(2, 40)).toBe(1);
    expect(prefetchFor(2, 100)).toBe(1);
    expect(prefetchFor(2, 0)).toBe(32);
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

  test("a job's time in the pool is divided by the pool rounds it queued behind; running jobs, a wait with no completion and an empty queue count", () => {
    const p = new AdaptivePrefetch(2);
    // 20 ms in the pool with 10 jobs in flight on 2 threads: 5 rounds of 4 ms jobs, so prefetch ceil(2 x 20 / 4).
    expect(p.observe(0, 20, 10)).toBe(2 + 10);
    // A job that has run 40 ms (alone) is at least that long: prefetch ceil(40 / 40) at once.
    expect(p.running(100, 140, 1)).toBe(2 + 1);
    // A shorter running job says nothing new.
    expect(p.running(200, 200.1, 1)).toBe(2 + 1);
    for (let i = 0; i < 100; i++) p.observe(300 + i, 300.1 + i, 1);
    expect(p.concurrency).toBe(2 + MAX_PREFETCH);
    // No completion for 10 ms while jobs wait in the pool: every running job is at least 10 ms long.
    expect(p.waited(10)).toBe(2 + 4);
    // A shorter wait says nothing new.
    expect(p.waited(1)).toBe(2 + 4);
    for (let i = 0; i < 100; i++) p.observe(500 + i, 500.1 + i, 1);
    expect(p.concurrency).toBe(2 + MAX_PREFETCH);
    // The consumer went idle: start over at one.
    expect(p.reset()).toBe(2 + 1);
    // With no job measured yet, a wait says nothing (the concurrency is at its minimum already).
    expect(p.waited(50)).toBe(2 + 1);
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

  // With maxStartedAttempts (each give-back would count as a start) A keeps what it took: the control case.
  test.each([
    ['gives them back', {}, true],
    ['keeps them under maxStartedAttempts', { maxStartedAttempts: 10 }, false],
  ])('long jobs that the first consumer took at its tiny-job concurrency: it %s, and each runs once', async (_, extra, gives) => {
    const q = queueName('give-back');
    const poolA = new WorkerPool(bullmqTasks, { maxWorkers: 2, minWorkers: 2 });
    const poolB = new WorkerPool(bullmqTasks, { maxWorkers: 2, minWorkers: 2 });
    const serverA = serve(poolA, q, { connection: redis.connection, name: 'A', ...extra });
    let serverB: ReturnType<typeof serve> | undefined;
    const remote = new RemotePool(q, { connection: redis.connection });
    const queue = new Queue(q, { connection: redis.connection });
    const events = new QueueEvents(q, { connection: redis.connection });
    let givenBack = 0;
    events.on('waiting', ({ prev }: { prev?: string }) => {
      if (prev === 'active') givenBack++;
    });
    try {
      await events.waitUntilReady();
      let risen = 0;
      serverA.worker.on('active', () => (risen = Math.max(risen, serverA.worker.concurrency)));
      // Tiny jobs, and at once behind them long ones (seeded 200-300 ms, sleeping): A reaches them at its
      // tiny-job concurrency, above the number of long jobs.
      const tiny = Array.from({ length: 400 }, (_, i) => i);
      const lengths = Array.from({ length: 12 }, () => 200 + Math.floor(random() * 100));
      const tinyDone = remote.map(tiny, { name: 'square' });
      const longDone = Promise.all(lengths.map((ms) => remote.execute(ms, { name: 'sleep' })));
      await expect(tinyDone).resolves.toEqual(tiny.map((i) => i * i));
      expect({ seed, risen: risen > 2 + lengths.length }).toEqual({ seed, risen: true });
      // A finds that its jobs are long and keeps few of them; B comes once one is back or every long job was taken.
      const deadline = Date.now() + 20_000;
      while ((await queue.getJobCounts('wait')).wait + givenBack === 0 && (await queue.getJobCounts('active')).active < lengths.length) {
        if (Date.now() > deadline) throw new Error(`the long jobs neither came back nor were all taken in 20 s (seed ${seed})`);
        await new Promise((r) => setTimeout(r, 5));
      }
      serverB = serve(poolB, q, { connection: redis.connection, name: 'B', concurrency: 2 });
      await expect(longDone).resolves.toEqual(lengths.map(() => 'done'));
      const jobs = (await queue.getJobs(['completed'], 0, -1)).filter((j) => j.name === 'sleep');
      const by = { A: 0, B: 0 } as Record<string, number>;
      for (const j of jobs) by[j.processedBy ?? '?'] = (by[j.processedBy ?? '?'] ?? 0) + 1;
      expect({ seed, jobs: jobs.length, givenBack: givenBack > 0, bGotSome: (by.B ?? 0) > 0 }).toEqual({
        seed,
        jobs: lengths.length,
        givenBack: gives,
        bGotSome: gives,
      });
      // Each long task ran once: the pools together started as many as there were jobs.
      const [a, b] = [poolA.getMetrics(), poolB.getMetrics()];
      expect(a.tasksCompleted + b.tasksCompleted).toBe(tiny.length + lengths.length);
      // A task given back is withdrawn: neither failed nor submitted in the pool's metrics.
      expect({ failed: a.tasksFailed + b.tasksFailed, submitted: a.tasksSubmitted + b.tasksSubmitted }).toEqual({
        failed: 0,
        submitted: tiny.length + lengths.length,
      });
    } finally {
      await remote.close();
      await serverA.close();
      await serverB?.close();
      await events.close();
      await queue.close();
      await poolA.close();
      await poolB.close();
    }
  });
});
