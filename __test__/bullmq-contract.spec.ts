// threadkit/bullmq, points 3 and 4: RemotePool.execute keeps WorkerPool.execute's
// promise contract (name, priority, timeout, signal, attempts/backoff, exactly-once
// settlement) and its data and error fidelity, against a real redis-server.
import { Queue, Job } from 'bullmq';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { types } from 'node:util';
import { WorkerPool, AbortError, TimeoutError, WorkerCrashedError } from '../index';
import { seed, seededRandom, sleep, until } from './helpers';
import { startRedis, Redis, queueName, bullmqTasks, tkBullmq } from './bullmq-helpers';

const { serve, RemotePool } = tkBullmq;
const { isNativeError } = types;
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { bullmqPriority, PRIORITY_ZERO, BULLMQ_MAX_PRIORITY } = require('../lib/bullmq/protocol.js');

let redis: Redis;
const cleanups: Array<() => Promise<unknown>> = [];
beforeAll(async () => {
  redis = await startRedis();
});
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});
afterAll(async () => {
  await redis?.stop();
});

/** A pool, its consumer and a RemotePool on a fresh queue, closed after the test. */
function setup(what: string, pool?: object, workerOptions: object = {}) {
  const q = queueName(what);
  const p = new WorkerPool(bullmqTasks, { maxWorkers: 2, ...pool });
  const server = serve(p, q, { connection: redis.connection, ...workerOptions });
  const remote = new RemotePool(q, { connection: redis.connection });
  const queue = new Queue(q, { connection: redis.connection });
  cleanups.push(
    () => p.close(),
    () => server.close(),
    () => remote.close(),
    () => queue.close(),
  );
  return { q, pool: p, server, remote, queue };
}

describe('priority', () => {
  test('the mapping onto BullMQ priorities keeps order, is exact near 0, and stays within 1..2^21', () => {
    expect(bullmqPriority(0)).toBe(PRIORITY_ZERO);
    expect(bullmqPriority(-(2 ** 31))).toBe(1);
    expect(bullmqPriority(2 ** 31 - 1)).toBe(BULLMQ_MAX_PRIORITY);
    expect(bullmqPriority(-(2 ** 20 - 1))).toBe(1);
    expect(bullmqPriority(2 ** 20)).toBe(BULLMQ_MAX_PRIORITY);
    const rand = seededRandom(seed);
    const ps = Array.from({ length: 2000 }, () => Math.round((rand() * 2 - 1) * (rand() < 0.5 ? 100 : 2 ** 31 - 1)));
    ps.sort((a, b) => a - b);
    for (let i = 1; i < ps.length; i++) {
      const [a, b] = [bullmqPriority(ps[i - 1]), bullmqPriority(ps[i])];
      if (!(a <= b) || (Math.abs(ps[i]) < 2 ** 20 - 1 && ps[i] !== ps[i - 1] && !(a < b)))
        throw new Error(`order broken at ${ps[i - 1]}, ${ps[i]} (TK_SEED=${seed} replays it)`);
    }
  });

  test('lower priority runs first, equal priorities in submission order (random priorities, one consumer slot)', async () => {
    const rand = seededRandom(seed);
    const q = queueName('prio');
    const remote = new RemotePool(q, { connection: redis.connection });
    cleanups.push(() => remote.close());
    const jobs = Array.from({ length: 40 }, (_, i) => ({ i, priority: [-(2 ** 31), -5, -1, 0, 0, 1, 7, 2 ** 20 - 1][Math.floor(rand() * 8)] }));
    const done = jobs.map((j) => remote.execute(j.i, { priority: j.priority }));
    await until(() => remote.getMetrics().inFlight === 40, 'the jobs to be submitted');
    const queue = new Queue(q, { connection: redis.connection });
    cleanups.push(() => queue.close());
    for (let t = 0; (await queue.getPrioritizedCount()) < 40; t++) {
      if (t > 2000) throw new Error('jobs not in Redis');
      await sleep(5);
    }
    // Only now a consumer, taking one job at a time.
    const pool = new WorkerPool(bullmqTasks, { maxWorkers: 1 });
    const server = serve(pool, q, { connection: redis.connection, concurrency: 1 });
    cleanups.push(
      () => pool.close(),
      () => server.close(),
    );
    const order: number[] = [];
    server.worker.on('active', (job) => order.push(job.data));
    await Promise.all(done);
    const expected = [...jobs].sort((a, b) => a.priority - b.priority || a.i - b.i).map((j) => j.i);
    if (JSON.stringify(order) !== JSON.stringify(expected)) throw new Error(`run order ${order} != ${expected} (TK_SEED=${seed} replays it)`);
  });
});

describe('timeout, signal, attempts', () => {
  test("timeout: the consumer's pool watchdog stops a stuck task; the caller gets threadkit's TimeoutError, and the consumer goes on", async () => {
    const { remote, pool } = setup('timeout', { maxWorkers: 1 });
    const e = await remote.execute(0, { name: 'spin', timeout: 150 }).catch((x) => x);
    expect(e).toBeInstanceOf(TimeoutError);
    expect(e.code).toBe('ERR_THREADKIT_TIMEOUT');
    await expect(remote.execute(5, { name: 'square' })).resolves.toBe(25);
    expect(pool.getMetrics().tasksFailed).toBe(1);
  });

  test('signal on a waiting job: AbortError at once, and the job is removed from the queue', async () => {
    const q = queueName('abort-wait');
    const remote = new RemotePool(q, { connection: redis.connection });
    const queue = new Queue(q, { connection: redis.connection });
    cleanups.push(
      () => remote.close(),
      () => queue.close(),
    );
    const ac = new AbortController();
    const p = remote.execute(1, { signal: ac.signal });
    for (let t = 0; (await queue.getPrioritizedCount()) < 1; t++) {
      if (t > 2000) throw new Error('job not in Redis');
      await sleep(5);
    }
    ac.abort(new Error('changed my mind'));
    const e = await p.catch((x) => x);
    expect(e).toBeInstanceOf(AbortError);
    expect(e.cause.message).toBe('changed my mind');
    for (let t = 0; (await queue.getPrioritizedCount()) > 0; t++) {
      if (t > 2000) throw new Error('the aborted job is still queued');
      await sleep(5);
    }
    await expect(remote.execute(1, { signal: AbortSignal.abort() })).rejects.toBeInstanceOf(AbortError);
  });

  test('signal on a running job: its task sees the abort on the consumer, the job fails without a retry, the caller gets AbortError', async () => {
    const { remote, server, queue } = setup('abort-run', { maxWorkers: 1 });
    const failed: string[] = [];
    server.on('failed', (_job, err) => failed.push(err.message));
    const started = new Promise<string>((r) => server.worker.once('active', (job) => r(job.id!)));
    const ac = new AbortController();
    const p = remote.execute(30_000, { name: 'sleep', signal: ac.signal, attempts: 3 });
    const jobId = await started;
    await sleep(50);
    ac.abort();
    await expect(p).rejects.toBeInstanceOf(AbortError);
    await until(() => failed.length === 1, 'the aborted job to fail on its consumer');
    expect(failed[0]).toMatch(/aborted/);
    const job = await Job.fromId(queue, jobId);
    expect(await job!.getState()).toBe('failed');
    expect(job!.attemptsMade).toBe(1); // no retry despite attempts: 3
    // The thread is free again at once: the task returned on its signal (no zombie).
    await expect(remote.execute(3, { name: 'square' })).resolves.toBe(9);
  });

  test('no AbortSignal per job: BullMQ holds no AbortController for a running job, and a RemotePool abort still stops its task', async () => {
    const { remote, server, pool } = setup('abort-lazy', { maxWorkers: 1 });
    const started = new Promise<string>((r) => server.worker.once('active', (job) => r(job.id!)));
    const ac = new AbortController();
    const p = remote.execute(30_000, { name: 'sleep', signal: ac.signal });
    const jobId = await started;
    await until(() => pool.getMetrics().runningTasks === 1, 'the job to run on the pool');
    // BullMQ makes an AbortController per job only for a processor that takes a signal; cancelJob says whether
    // it found one. serve aborts through the pool only when a cancel arrives, and saves that cost on every job.
    expect(server.worker.cancelJob(jobId)).toBe(false);
    ac.abort();
    await expect(p).rejects.toBeInstanceOf(AbortError);
    // The task saw the abort (no zombie): the only thread is free for the next job.
    await expect(remote.execute(3, { name: 'square' })).resolves.toBe(9);
  });

  test('aborts at random moments (queued, starting, running): every promise settles once, and no aborted job is left queued or running', async () => {
    const rand = seededRandom(seed);
    const { remote, queue, server } = setup('abort-random', { maxWorkers: 2 });
    const n = 40;
    const outcomes = await Promise.all(
      Array.from({ length: n }, async (_, i) => {
        const ac = new AbortController();
        const abortAt = rand() * 400;
        const p = remote.execute(50 + rand() * 250, { name: 'sleep', signal: ac.signal, attempts: 2 });
        let settlements = 0;
        const counted = p.then(
          (v) => (settlements++, v),
          (e) => (settlements++, e instanceof AbortError ? 'AbortError' : e),
        );
        await sleep(abortAt);
        ac.abort();
        const v = await counted;
        await sleep(20);
        return { i, v, settlements };
      }),
    );
    for (const o of outcomes) {
      if (o.settlements !== 1 || (o.v !== 'done' && o.v !== 'AbortError'))
        throw new Error(`job ${o.i}: ${JSON.stringify(o)} (TK_SEED=${seed} replays it)`);
    }
    await server.worker.waitUntilReady();
    for (let t = 0; ; t++) {
      const c = await queue.getJobCounts('waiting', 'prioritized', 'active', 'delayed');
      if (c.waiting + c.prioritized + c.active + c.delayed === 0) break;
      if (t > 400) throw new Error(`jobs left: ${JSON.stringify(c)} (TK_SEED=${seed} replays it)`);
      await sleep(25);
    }
    expect(remote.getMetrics().inFlight).toBe(0);
  });

  test("attempts/backoff are BullMQ's retries: a worker crash fails only that attempt, and the retry resolves", async () => {
    const { remote } = setup('retry', { maxWorkers: 2 });
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tk-bullmq-'));
    const others = Array.from({ length: 6 }, (_, i) => remote.execute(i, { name: 'square' }));
    await expect(
      remote.execute({ file: path.join(dir, 'a') }, { name: 'crashOnce', attempts: 2, backoff: { type: 'fixed', delay: 20 } }),
    ).resolves.toBe('second attempt');
    // Without attempts the crash is the caller's WorkerCrashedError, and only that job fails.
    const e = await remote.execute({ file: path.join(dir, 'b') }, { name: 'crashOnce' }).catch((x) => x);
    expect(e).toBeInstanceOf(WorkerCrashedError);
    await expect(Promise.all(others)).resolves.toEqual([0, 1, 4, 9, 16, 25]);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('many jobs with random outcomes: every promise settles exactly once, and the metrics add up', async () => {
    const rand = seededRandom(seed);
    const { remote } = setup('exactly-once', { maxWorkers: 2 });
    const n = 400;
    const counts = new Array(n).fill(0);
    const kinds = Array.from({ length: n }, () => (rand() < 0.3 ? 'fail' : 'square'));
    await Promise.all(
      kinds.map((name, i) =>
        remote.execute(i, { name, priority: Math.floor(rand() * 5) }).then(
          (v) => {
            counts[i]++;
            if (v !== i * i) throw new Error(`job ${i} resolved to ${v} (TK_SEED=${seed} replays it)`);
          },
          (e) => {
            counts[i]++;
            if (name !== 'fail' || e.code !== 'E_TASK')
              throw new Error(`job ${i} (${name}) rejected: ${e} code ${e.code} (TK_SEED=${seed} replays it)`);
          },
        ),
      ),
    );
    await sleep(200); // a duplicate settlement would come late
    expect(counts.filter((c) => c !== 1)).toEqual([]);
    const failed = kinds.filter((k) => k === 'fail').length;
    expect(remote.getMetrics()).toEqual({ submitted: n, completed: n - failed, failed, inFlight: 0 });
  });
});

describe('data and errors', () => {
  test('structured-clone fidelity both ways (Map, Set, Date, BigInt, Buffer, typed arrays, nested, undefined, NaN, -0)', async () => {
    const { remote } = setup('fidelity');
    const values: unknown[] = [
      new Map<unknown, unknown>([
        ['a', 1],
        [2, new Set(['x'])],
      ]),
      new Set([1, 'two', 3n]),
      new Date(1234567890123),
      2n ** 70n,
      Buffer.from('héllo'),
      new Float64Array([1.5, -0, NaN]),
      new Uint8Array([1, 2, 3]),
      { nested: { deep: [new Map([[1, new Date(0)]]), undefined, null] }, u: undefined },
      undefined,
      NaN,
      -0,
      Infinity,
      [1, , 3], // a hole
      'lone surrogate \ud800',
      /re/g,
    ];
    for (const v of values) {
      const back = await remote.execute(v);
      expect(back).toEqual(v);
      if (typeof v === 'object' && v !== null) expect(Object.prototype.toString.call(back)).toBe(Object.prototype.toString.call(v));
      if (Object.is(v, -0)) expect(Object.is(back, -0)).toBe(true);
      if (Buffer.isBuffer(v)) expect(Buffer.isBuffer(back) || back instanceof Uint8Array).toBe(true);
    }
    // A shared reference stays shared, a cycle survives.
    const shared = { s: 1 };
    const cyclic: { self?: unknown; pair: unknown[] } = { pair: [shared, shared] };
    cyclic.self = cyclic;
    const back = await remote.execute(cyclic);
    expect(back.self).toBe(back);
    expect(back.pair[0]).toBe(back.pair[1]);
  });

  test('job data and results stay plain JSON in Redis when JSON is lossless, and go in an envelope otherwise', async () => {
    const { remote, queue } = setup('readable');
    const plain = { text: 'abc', rounds: 3, tags: ['x', null, true], $other: 1 };
    await expect(remote.execute(plain)).resolves.toEqual(plain);
    await expect(remote.execute(new Map([[1, 2]]))).resolves.toEqual(new Map([[1, 2]]));
    // An object with the envelope's key is itself put in an envelope, so it is never mistaken for one.
    const lookalike = { $threadkit: 'v8', base64: 'AAAA' };
    await expect(remote.execute(lookalike)).resolves.toEqual(lookalike);
    const jobs = await queue.getJobs(['completed']);
    const raw = (j: Job) => JSON.stringify(j.data);
    const byKind = (pred: (j: Job) => boolean) => jobs.filter(pred);
    const plainJobs = byKind((j) => raw(j) === JSON.stringify(plain));
    expect(plainJobs).toHaveLength(1);
    expect(plainJobs[0].returnvalue).toEqual(plain);
    expect(plainJobs[0].name).toBe('default');
    const enveloped = jobs.filter((j) => j.data?.$threadkit === 'v8');
    expect(enveloped).toHaveLength(2);
    for (const j of enveloped) expect(j.returnvalue.$threadkit).toBe('v8');
  });

  test("a task's error rejects the caller with its class name, message and own properties", async () => {
    const { remote } = setup('errors');
    const e = await remote.execute('range', { name: 'fail' }).catch((x) => x);
    // Its class (RangeError of the realm that decoded it: under jest, not the test's own RangeError).
    expect(isNativeError(e) && e.constructor.name).toBe('RangeError');
    expect(e.name).toBe('RangeError');
    expect(e.message).toBe('out of range');
    expect(e.code).toBe('E_RANGE');
    expect(e.detail).toEqual({ limit: 3, seen: [1, 2] });
    expect(e.stack).toContain('tasks.js');
    const c = await remote.execute(null, { name: 'customError' }).catch((x) => x);
    expect([c.name, c.message, c.field]).toEqual(['ValidationError', 'bad email', 'email']);
  });

  test("an unknown export fails the job with the pool's TypeError; the consumer goes on", async () => {
    const { remote } = setup('no-export');
    const e = await remote.execute(1, { name: 'nope' }).catch((x) => x);
    expect(isNativeError(e) && e.constructor.name).toBe('TypeError');
    expect(e.message).toMatch(/no exported function named "nope"/);
    await expect(remote.execute(2, { name: 'square' })).resolves.toBe(4);
  });

  test('TaskContext.jobId is the BullMQ job id for tasks from serve(), undefined for direct pool tasks', async () => {
    const { remote, queue, pool } = setup('jobid');
    const r = await remote.execute('x', { name: 'whoami' });
    const [job] = await queue.getJobs(['completed']);
    expect(r.jobId).toBe(job.id);
    expect(typeof r.jobId).toBe('string');
    expect((await pool.execute('y', { name: 'whoami' })).jobId).toBeUndefined();
    expect((await pool.execute('z', { name: 'whoami', priority: 1 })).jobId).toBeUndefined();
  });
});
