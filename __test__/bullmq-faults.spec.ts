// threadkit/bullmq, point 5: faults against a real redis-server, with consumers in
// separate processes where a process must die: SIGKILL mid-job, CPU-bound jobs
// longer than their lock, a worker script that cannot start, close() while jobs
// run, and a Redis restart mid-run.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Queue, QueueEvents } from 'bullmq';
import { WorkerPool, ClosedError, TimeoutError } from '../index';
import { fixture, seed, seededRandom, sleep, until, within } from './helpers';
import { startRedis, Redis, queueName, bullmqTasks, tkBullmq, Consumer, fastLocks } from './bullmq-helpers';

const { serve, RemotePool, JobLostError } = tkBullmq;

let redis: Redis;
let dir: string;
const cleanups: Array<() => Promise<unknown>> = [];
beforeAll(async () => {
  redis = await startRedis();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tk-bullmq-faults-'));
});
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});
afterAll(async () => {
  await redis?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** The lines the 'record' task appended: [id, jobId, pid] per run. */
function runs(file: string) {
  if (!fs.existsSync(file)) return [];
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => {
      const [id, jobId, pid] = l.split(' ');
      return { id: Number(id), jobId, pid: Number(pid) };
    });
}

function remotePool(q: string) {
  const remote = new RemotePool(q, { connection: redis.connection });
  remote.on('error', () => {}); // connection errors are expected in some of these tests
  cleanups.push(() => remote.close());
  return remote;
}

test('a consumer killed with SIGKILL mid-job loses nothing: its jobs run again elsewhere, every execute resolves, with the same jobId', async () => {
  const rand = seededRandom(seed);
  const q = queueName('sigkill');
  const file = path.join(dir, 'sigkill.txt');
  const workerOptions = { ...fastLocks, maxStalledCount: 10 };
  const a = new Consumer({ queue: q, connection: redis.connection, maxWorkers: 2, workerOptions });
  cleanups.push(() => a.kill());
  await a.waitFor('ready');
  const remote = remotePool(q);
  const n = 16;
  const all = Promise.all(Array.from({ length: n }, (_, id) => remote.execute({ file, id, ms: 150 + Math.floor(rand() * 150) }, { name: 'record' })));
  await until(() => runs(file).length >= 3, 'the first consumer to start some jobs');
  await a.kill('SIGKILL');
  const killedAt = runs(file).length;
  const b = new Consumer({ queue: q, connection: redis.connection, maxWorkers: 2, workerOptions });
  cleanups.push(() => b.kill());
  const results = await within(all, 40_000, `all jobs after the SIGKILL (TK_SEED=${seed} replays it)`);
  expect(results).toEqual(Array.from({ length: n }, (_, id) => id));
  const lines = runs(file);
  // At least once: every id ran; the jobs the killed consumer was running (it had just
  // started its third) ran again on the other one, with the same jobId (task code can be idempotent).
  for (let id = 0; id < n; id++) expect(lines.some((l) => l.id === id)).toBe(true);
  const onA = lines.filter((l) => l.pid === a.pid);
  expect(onA.length).toBeGreaterThanOrEqual(3);
  const rerun = onA.filter((l) => lines.some((x) => x.pid === b.pid && x.id === l.id));
  expect(rerun.length).toBeGreaterThan(0);
  for (const l of rerun) expect(lines.find((x) => x.pid === b.pid && x.id === l.id)!.jobId).toBe(l.jobId);
  expect(killedAt).toBeLessThan(lines.length);
  expect(new Set(lines.map((l) => l.jobId)).size).toBe(n);
  expect(remote.getMetrics()).toEqual({ submitted: n, completed: n, failed: 0, inFlight: 0 });
});

test('CPU-bound jobs that each busy-loop 3x lockDuration: 0 stalled events, and every job runs exactly once', async () => {
  const q = queueName('cpu');
  const file = path.join(dir, 'cpu.txt');
  const lockDuration = 500;
  const pool = new WorkerPool(bullmqTasks, { maxWorkers: 2 });
  const server = serve(pool, q, { connection: redis.connection, lockDuration, stalledInterval: 250 });
  // Every consumer's stalled check reports to the queue's event stream: watch it too.
  const events = new QueueEvents(q, { connection: redis.connection });
  cleanups.push(
    () => pool.close(),
    () => server.close(),
    () => events.close(),
  );
  let stalled = 0;
  server.on('stalled', () => stalled++);
  events.on('stalled', () => stalled++);
  await events.waitUntilReady();
  const remote = remotePool(q);
  const n = 4;
  const results = await remote.map(
    Array.from({ length: n }, (_, id) => ({ file, id, ms: 3 * lockDuration })),
    { name: 'record' },
  );
  expect(results).toEqual([0, 1, 2, 3]);
  await sleep(2 * 250); // a stalled check after the last job would still count
  expect(stalled).toBe(0);
  const ids = runs(file).map((l) => l.id);
  expect(ids.sort()).toEqual([0, 1, 2, 3]);
});

describe.each([
  ['a syntax error', fixture('pool/syntax-error.js')],
  ['no task function', fixture('pool/no-function.js')],
])('a worker script that cannot start (%s)', (_what, script) => {
  test('pauses the consumer and reports the error once; the backlog stays waiting and runs on a good consumer', async () => {
    const q = queueName('broken');
    const pool = new WorkerPool(script, { maxWorkers: 2, minWorkers: 0 });
    let creates = 0;
    pool.on('workerCreate', () => creates++);
    const server = serve(pool, q, { connection: redis.connection });
    cleanups.push(
      () => pool.close(),
      () => server.close(),
    );
    const errors: Error[] = [];
    server.on('error', (e) => errors.push(e));
    const failed: string[] = [];
    server.on('failed', (job) => failed.push(job!.id!));
    const remote = remotePool(q);
    const n = 12;
    const all = remote.map(
      Array.from({ length: n }, (_, i) => i),
      { name: 'square' },
    );
    await until(() => errors.length > 0, 'the start-up error');
    await sleep(1000); // a storm would show by now
    expect(errors).toHaveLength(1);
    expect(errors[0].message).toMatch(/worker script cannot start, so this consumer stopped taking jobs/);
    expect(server.worker.isPaused()).toBe(true);
    expect(failed).toEqual([]);
    expect(creates).toBeLessThanOrEqual(server.worker.concurrency + 1);
    const queue = new Queue(q, { connection: redis.connection });
    cleanups.push(() => queue.close());
    const counts = await queue.getJobCounts('prioritized', 'waiting', 'active', 'failed');
    expect(counts).toEqual({ prioritized: n, waiting: 0, active: 0, failed: 0 });
    expect(remote.getMetrics().inFlight).toBe(n);
    // A consumer with a good script takes the backlog.
    const good = new WorkerPool(bullmqTasks, { maxWorkers: 2 });
    const goodServer = serve(good, q, { connection: redis.connection });
    cleanups.push(
      () => good.close(),
      () => goodServer.close(),
    );
    await expect(all).resolves.toEqual(Array.from({ length: n }, (_, i) => i * i));
  });
});

test('server.close() while jobs run lets them finish and takes no new ones; RemotePool.close() then rejects the rest with ClosedError', async () => {
  const q = queueName('close-run');
  const pool = new WorkerPool(bullmqTasks, { maxWorkers: 2 });
  const server = serve(pool, q, { connection: redis.connection, concurrency: 2 });
  cleanups.push(() => pool.close());
  const started: string[] = [];
  server.worker.on('active', (job) => started.push(job.id!));
  const remote = new RemotePool(q, { connection: redis.connection });
  const outcomes = Array.from({ length: 6 }, () =>
    remote.execute(400, { name: 'sleep' }).then(
      (v) => v,
      (e) => e,
    ),
  );
  await until(() => started.length === 2, 'two jobs to start');
  await server.close();
  expect(started).toHaveLength(2);
  await sleep(100);
  expect(remote.getMetrics()).toMatchObject({ completed: 2, inFlight: 4 });
  // The pool is still the caller's.
  await expect(pool.execute(3, { name: 'square' })).resolves.toBe(9);
  await remote.close();
  const settled = await Promise.all(outcomes);
  expect(settled.filter((v) => v === 'done')).toHaveLength(2);
  expect(settled.filter((v) => v instanceof ClosedError)).toHaveLength(4);
});

test('Redis restarts mid-run: consumer and producer reconnect, and every promise settles (resolved, or rejected with a clear error)', async () => {
  const q = queueName('restart');
  const file = path.join(dir, 'restart.txt');
  const consumer = new Consumer({ queue: q, connection: redis.connection, maxWorkers: 2, workerOptions: fastLocks });
  cleanups.push(() => consumer.kill());
  await consumer.waitFor('ready');
  const remote = remotePool(q);
  const n = 30;
  const outcomes = Array.from({ length: n }, (_, id) =>
    remote.execute({ file, id, ms: 100 }, { name: 'record', timeout: 2000 }).then(
      (v) => ({ id, ok: true as const, v }),
      (e) => ({ id, ok: false as const, e }),
    ),
  );
  await until(() => runs(file).length >= 4, 'some jobs to run');
  await redis.restart(); // an empty Redis: the queued jobs are gone
  const settled = await within(Promise.all(outcomes), 30_000, 'every promise to settle after the restart');
  for (const s of settled) {
    if (s.ok) expect(s.v).toBe(s.id);
    else {
      expect(s.e instanceof JobLostError || s.e instanceof TimeoutError).toBe(true);
      expect(s.e.message).toMatch(/no longer in Redis|Redis did not answer|Redis failed/);
    }
  }
  expect(settled.filter((s) => !s.ok).length).toBeGreaterThan(0); // the restart lost jobs: they were not left pending
  // Both sides work again on the new Redis.
  await expect(within(remote.execute(7, { name: 'square' }), 20_000, 'a job after the restart')).resolves.toBe(49);
});

test('Redis down while a job with a timeout runs: the promise rejects with TimeoutError (timeout + grace), it does not hang', async () => {
  const q = queueName('down');
  const pool = new WorkerPool(bullmqTasks, { maxWorkers: 1 });
  const server = serve(pool, q, { connection: redis.connection });
  server.on('error', () => {}); // the consumer cannot reach Redis meanwhile
  cleanups.push(
    () => pool.close(),
    () => server.close(),
  );
  const remote = remotePool(q);
  const active = new Promise<void>((r) => server.worker.once('active', () => r()));
  const p = remote.execute(30_000, { name: 'sleep', timeout: 300 }).catch((e) => e);
  await active;
  await redis.stop();
  try {
    const e = await within(p, 20_000, 'the promise while Redis is down');
    expect(e).toBeInstanceOf(TimeoutError);
    expect(e.message).toMatch(/no result within the task's timeout \(300 ms\) plus \d+ ms, and Redis (did not answer|failed)/);
  } finally {
    await redis.restart();
  }
});
