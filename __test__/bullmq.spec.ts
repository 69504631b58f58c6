// threadkit/bullmq, point 1: the API of issue 13 against a real redis-server:
// serve() + RemotePool execute/map/getMetrics/close, events, bad input, and
// how the subpath loads (CJS, ESM, bullmq missing, `threadkit` never loads it).
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { Queue } from 'bullmq';
import { WorkerPool, ClosedError } from '../index';
import { root, within } from './helpers';
import { startRedis, Redis, queueName, bullmqTasks, bullmqEntry, tkBullmq } from './bullmq-helpers';

const { serve, RemotePool } = tkBullmq;

let redis: Redis;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis?.stop();
});

function runNode(args: string[]) {
  return spawnSync(process.execPath, args, { cwd: root, encoding: 'utf8', timeout: 30_000 });
}

describe('serve + RemotePool', () => {
  test('execute runs the default export and named exports on the consumer; map keeps input order; getMetrics counts', async () => {
    const q = queueName('api');
    const pool = new WorkerPool(bullmqTasks, { maxWorkers: 2 });
    const server = serve(pool, q, { connection: redis.connection });
    const remote = new RemotePool(q, { connection: redis.connection });
    try {
      await expect(remote.execute({ a: 1 })).resolves.toEqual({ a: 1 });
      await expect(remote.execute(9, { name: 'square' })).resolves.toBe(81);
      const items = Array.from({ length: 20 }, (_, i) => i);
      await expect(remote.map(items, { name: 'square' })).resolves.toEqual(items.map((i) => i * i));
      await expect(remote.execute('x', { name: 'fail' })).rejects.toThrow('failed: x');
      expect(remote.getMetrics()).toEqual({ submitted: 23, completed: 22, failed: 1, inFlight: 0 });
      // The jobs ran on the pool (as pool tasks), not in BullMQ's process.
      expect(pool.getMetrics().tasksSubmitted).toBe(23);
    } finally {
      await remote.close();
      await server.close();
      await pool.close();
    }
  });

  test("serve's concurrency starts at maxWorkers + 1 (then follows the jobs: bullmq-prefetch.spec.ts); an explicit one is kept", async () => {
    const q = queueName('conc');
    const pools = [new WorkerPool(bullmqTasks, { maxWorkers: 1, minWorkers: 0 }), new WorkerPool(bullmqTasks, { maxWorkers: 8, minWorkers: 0 })];
    const servers = [serve(pools[0], q, { connection: redis.connection }), serve(pools[1], q, { connection: redis.connection })];
    const explicit = serve(pools[1], q, { connection: redis.connection, concurrency: 3 });
    try {
      expect(servers.map((s) => s.worker.concurrency)).toEqual([2, 9]);
      expect(explicit.worker.concurrency).toBe(3);
    } finally {
      await Promise.all([...servers, explicit].map((s) => s.close()));
      await Promise.all(pools.map((p) => p.close()));
    }
  });

  test('server.close() leaves the pool open; its events are an EventEmitter of error, stalled and failed', async () => {
    const q = queueName('events');
    const pool = new WorkerPool(bullmqTasks, { maxWorkers: 1 });
    const server = serve(pool, q, { connection: redis.connection });
    const remote = new RemotePool(q, { connection: redis.connection });
    const failed: Array<[string | undefined, string]> = [];
    server.on('failed', (job, err) => failed.push([job?.id, `${err.name}: ${err.message}`]));
    try {
      await expect(remote.execute('boom', { name: 'fail' })).rejects.toThrow('failed: boom');
      await server.close();
      expect(failed).toEqual([[expect.any(String), 'Error: failed: boom']]);
      await expect(pool.execute(4, { name: 'square' })).resolves.toBe(16);
    } finally {
      await remote.close();
      await server.close();
      await pool.close();
    }
  });

  test("a custom key prefix (BullMQ's prefix option) works on both sides: results, errors and aborts", async () => {
    const q = queueName('prefix');
    const pool = new WorkerPool(bullmqTasks, { maxWorkers: 1 });
    const server = serve(pool, q, { connection: redis.connection, prefix: 'tkp' });
    const remote = new RemotePool(q, { connection: redis.connection, prefix: 'tkp' });
    try {
      await expect(remote.execute(6, { name: 'square' })).resolves.toBe(36);
      await expect(remote.execute('range', { name: 'fail' })).rejects.toMatchObject({ code: 'E_RANGE' });
      const started = new Promise((r) => server.worker.once('active', r));
      const ac = new AbortController();
      const p = remote.execute(30_000, { name: 'sleep', signal: ac.signal }).catch((e) => e.name);
      await started;
      ac.abort();
      await expect(p).resolves.toBe('AbortError');
      // The consumer aborted it (over the prefixed cancel channel): its thread is free at once.
      await expect(within(remote.execute(2, { name: 'square' }), 10_000, 'a job after the abort')).resolves.toBe(4);
      expect((await remote.queue.getJobCounts('completed')).completed).toBe(2);
    } finally {
      await remote.close();
      await server.close();
      await pool.close();
    }
  });

  test('bad input: typed errors that name the value received', async () => {
    const q = queueName('bad');
    const pool = new WorkerPool(bullmqTasks, { maxWorkers: 1, minWorkers: 0 });
    expect(() => serve({} as WorkerPool, q, { connection: redis.connection })).toThrow(/threadkit WorkerPool.*got object/);
    expect(() => serve(pool, '' as string, { connection: redis.connection })).toThrow(/queueName must be a non-empty string, got ""/);
    expect(() => serve(pool, q, null as never)).toThrow(/WorkerOptions.*got null/);
    expect(() => new RemotePool(42 as never, { connection: redis.connection })).toThrow(/queueName must be a non-empty string, got 42/);
    expect(() => new RemotePool(q, undefined as never)).toThrow(TypeError);
    const remote = new RemotePool(q, { connection: redis.connection });
    try {
      await expect(remote.execute(1, { priority: 1.5 })).rejects.toThrow(new RangeError('priority must be a 32-bit integer, got 1.5'));
      await expect(remote.execute(1, { priority: 2 ** 31 })).rejects.toThrow(RangeError);
      await expect(remote.execute(1, { timeout: -1 })).rejects.toThrow(/timeout must be .* got -1/);
      await expect(remote.execute(1, { name: '' })).rejects.toThrow(/name must be a non-empty string.*got ""/);
      await expect(remote.execute(1, { attempts: 0 })).rejects.toThrow(/attempts must be an integer from 1 .* got 0/);
      await expect(remote.execute(1, { backoff: 'soon' as never })).rejects.toThrow(/backoff must be .* got "soon"/);
      await expect(remote.execute(1, { signal: {} as never })).rejects.toThrow(/signal must be an AbortSignal, got object/);
      await expect(remote.execute(1, 'fast' as never)).rejects.toThrow(/execute options must be an object .* got "fast"/);
      await expect(remote.execute(() => 1)).rejects.toThrow(/task data cannot be cloned/);
      await expect(remote.map(5 as never)).rejects.toThrow(/map\(\) needs an iterable of task data, got 5/);
      // None of them reached Redis.
      expect(remote.getMetrics()).toEqual({ submitted: 0, completed: 0, failed: 0, inFlight: 0 });
    } finally {
      await remote.close();
      await pool.close();
    }
  });

  test('RemotePool.close() rejects every pending promise with ClosedError; execute after close rejects; the jobs stay queued', async () => {
    const q = queueName('close');
    const remote = new RemotePool(q, { connection: redis.connection });
    // No consumer: the jobs wait.
    const pending = Array.from({ length: 10 }, (_, i) => remote.execute(i).catch((e) => e));
    await remote.map([]); // lets the adds start
    await remote.close();
    const outcomes = await Promise.all(pending);
    expect(outcomes.every((e) => e instanceof ClosedError)).toBe(true);
    await expect(remote.execute(1)).rejects.toBeInstanceOf(ClosedError);
    expect(remote.getMetrics()).toMatchObject({ submitted: 10, failed: 10, inFlight: 0 });
    const queue = new Queue(q, { connection: redis.connection });
    try {
      expect(await queue.getWaitingCount()).toBeLessThanOrEqual(10);
    } finally {
      await queue.close();
    }
  });
});

describe('module loading', () => {
  test("require('threadkit') never loads bullmq, not even with every export read", () => {
    const r = runNode([
      '-e',
      `const tk = require(${JSON.stringify(root)});
       for (const k of Object.keys(tk)) void tk[k];
       const loaded = Object.keys(require.cache).filter((k) => k.includes('node_modules/bullmq') || k.includes('node_modules/ioredis'));
       console.log(JSON.stringify(loaded));`,
    ]);
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe('[]');
  });

  test("require('threadkit/bullmq') without bullmq installed throws an error that says to install it", () => {
    const hook = path.join(root, '__test__', 'fixtures', 'bullmq', 'no-bullmq-hook.js');
    const r = runNode([
      '--require',
      hook,
      '-e',
      `try { require('threadkit/bullmq'); console.log('loaded'); } catch (e) { console.log(e.code + ' | ' + e.message); }`,
    ]);
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toMatch(/^ERR_THREADKIT_BULLMQ_MISSING \| threadkit\/bullmq needs the bullmq package .*npm install bullmq/);
  });

  test("CommonJS: require('threadkit/bullmq') (the package's exports map) gives serve, RemotePool and JobLostError", () => {
    const r = runNode([
      '-e',
      `const m = require('threadkit/bullmq');
       console.log(typeof m.serve, typeof m.RemotePool, typeof m.JobLostError, require.resolve('threadkit/bullmq') === ${JSON.stringify(bullmqEntry)});`,
    ]);
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe('function function function true');
  });

  test('ESM: import from threadkit/bullmq runs a job end to end (the same objects as the CommonJS entry)', () => {
    const r = runNode([
      '--input-type=module',
      '-e',
      `import { serve, RemotePool } from 'threadkit/bullmq';
       import cjs from 'threadkit/bullmq';
       import { WorkerPool } from 'threadkit';
       import { createRequire } from 'node:module';
       const require = createRequire(${JSON.stringify(path.join(root, 'x.js'))});
       const same = serve === require('threadkit/bullmq').serve && RemotePool === cjs.RemotePool;
       const connection = { host: '127.0.0.1', port: ${'${PORT}'} };
       const pool = new WorkerPool(${JSON.stringify(bullmqTasks)}, { maxWorkers: 1 });
       const server = serve(pool, 'esm', { connection });
       const remote = new RemotePool('esm', { connection });
       const v = await remote.execute(new Map([[1, 2n]]));
       console.log(same, v instanceof Map, typeof v.get(1), String(v.get(1)));
       await remote.close(); await server.close(); await pool.close();`.replace('${PORT}', String(redis.port)),
    ]);
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe('true true bigint 2');
  });
});
