// WorkerPool: bad input (typed errors, nothing crashes) and scripts that fail to start.
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { WorkerPool, ClosedError, DataCloneError, WorkerCrashedError, ThreadkitError } from '../index';
import { fixture, until } from './helpers';
import { tasks, poolFactory } from './pool-helpers';

const pool = poolFactory();

describe('bad input', () => {
  test.each([0, -1, NaN, 1.5, 1e9])('pool size %p is a RangeError', (size) => {
    expect(() => new WorkerPool(tasks, size)).toThrow(RangeError);
  });

  test('minWorkers > maxWorkers is a RangeError', () => {
    expect(() => new WorkerPool(tasks, { minWorkers: 3, maxWorkers: 2 })).toThrow(/minWorkers \(3\) must not be greater than maxWorkers \(2\)/);
  });

  test.each([
    ['a number', 42],
    ['null', null],
    ['an empty string', ''],
  ])('a script that is %s is a TypeError', (_, script) => {
    expect(() => new WorkerPool(script as any, 1)).toThrow(TypeError);
  });

  test('a script that does not exist fails at construction, naming the path', () => {
    expect(() => new WorkerPool(path.join(__dirname, 'nope.js'), 1)).toThrow(/worker script not found: .*nope\.js/);
  });

  test.each([
    ['a function', () => 1],
    ['a symbol', Symbol('s')],
    ['an object holding a function', { f() {} }],
  ])('data that is %s rejects with DataCloneError', async (_, data) => {
    const p = pool(tasks, 1);
    const e = await p.execute(data).catch((x) => x);
    expect(e).toBeInstanceOf(DataCloneError);
    expect(e).toBeInstanceOf(ThreadkitError);
    expect(e.message).toMatch(/cannot be cloned/);
  });

  test('bad execute options are typed errors', async () => {
    const p = pool(tasks, 1);
    await expect(p.execute(1, { priority: 1.5 })).rejects.toThrow(RangeError);
    await expect(p.execute(1, { timeout: -5 })).rejects.toThrow(RangeError);
    await expect(p.execute(1, { name: 42 as any })).rejects.toThrow(TypeError);
    await expect(p.execute(1, { signal: {} as any })).rejects.toThrow(TypeError);
    await expect(p.execute(1, { transfer: 'x' as any })).rejects.toThrow(TypeError);
    await expect(p.map(42 as any)).rejects.toThrow(TypeError);
  });

  test.each([
    [12, 'name must be a string, got 12'],
    [{}, 'name must be a string, got object'],
    [true, 'name must be a string, got boolean'],
  ])('option name: %p is a TypeError naming the value', (name, message) => {
    let e: unknown;
    try {
      void new WorkerPool(tasks, { maxWorkers: 1, minWorkers: 0, name: name as any }).terminate();
    } catch (x) {
      e = x;
    }
    expect(e).toBeInstanceOf(TypeError);
    expect((e as Error).message).toBe(message);
  });

  test('option name: a string is the label; null or undefined give the default', async () => {
    expect(pool(tasks, { maxWorkers: 1, minWorkers: 0, name: 'hashes' }).getMetrics().name).toBe('hashes');
    expect(pool(tasks, { maxWorkers: 1, minWorkers: 0, name: null as any }).getMetrics().name).toBe('threadkit');
    expect(pool(tasks, { maxWorkers: 1, minWorkers: 0 }).getMetrics().name).toBe('threadkit');
  });

  test.each([
    ['maxQueue: -1', { maxQueue: -1 }],
    ['taskTimeout beyond 2^31-1 ms', { taskTimeout: 1e22 }],
    ['env that is not an object', { env: 'x' }],
    ['execArgv that is not an array of strings', { execArgv: [1] }],
  ])('option %s is a typed error at construction', (_, opts) => {
    expect(() => new WorkerPool(tasks, opts as any)).toThrow(/maxQueue|taskTimeout|env|execArgv/);
  });

  test('a timeout beyond 2^31-1 ms is a RangeError, and nothing is queued', async () => {
    const p = pool(tasks, 1);
    await expect(p.execute(1, { timeout: 1e22 })).rejects.toThrow(RangeError);
    expect(p.pending).toBe(0);
    await expect(p.execute(2, { name: 'double' })).resolves.toBe(4);
  });

  test('a Worker that cannot be created (bad execArgv) fails at construction, or rejects the task if the pool starts empty', async () => {
    expect(() => new WorkerPool(tasks, { minWorkers: 1, maxWorkers: 1, execArgv: ['--no-such-flag'] })).toThrow(/execArgv/);
    const p = pool(tasks, { minWorkers: 0, maxWorkers: 1, execArgv: ['--no-such-flag'] });
    await expect(p.execute(1)).rejects.toBeInstanceOf(WorkerCrashedError);
    expect(p.pending).toBe(0);
  });

  test('execute after terminate is a ClosedError', async () => {
    const p = pool(tasks, 1);
    await p.terminate();
    await expect(p.execute(1)).rejects.toBeInstanceOf(ClosedError);
  });
});

describe('start-up failures', () => {
  test('one auto-scaled worker failing to start does not fail the queue a healthy worker serves', async () => {
    const sab = new SharedArrayBuffer(4);
    const p = pool(fixture('pool/flaky-start.js'), { minWorkers: 1, maxWorkers: 2, workerData: { sab } });
    await expect(p.execute(1)).resolves.toBe(1);
    const results = await Promise.allSettled(Array.from({ length: 10 }, () => p.execute(20)));
    expect(results.every((r) => r.status === 'fulfilled')).toBe(true);
    expect(Atomics.load(new Int32Array(sab), 0)).toBeGreaterThanOrEqual(2);
  });

  test('close() while workers fail to start settles every task and resolves (no respawn loop)', async () => {
    const p = pool(fixture('pool/throws-at-import.js'), 2);
    let created = 0;
    let exited = 0;
    p.on('workerCreate', () => created++);
    p.on('workerExit', () => exited++);
    const tasksDone = Promise.allSettled([p.execute(1), p.execute(2)]);
    await p.close();
    for (const r of await tasksDone) expect((r as PromiseRejectedResult).reason).toBeInstanceOf(WorkerCrashedError);
    expect(created).toBe(2); // the two the constructor started, and no respawn
  });

  test.each([
    ['a syntax error', 'syntax-error.js', /Unexpected token/],
    ['no task function', 'no-function.js', /exports no task function/],
    ['a throw at import time', 'throws-at-import.js', /failure at import time/],
    ['an exported Promise that rejects', 'async-load-fails.js', /could not load the task function/],
  ])('a script with %s rejects pending tasks with the cause, without a respawn storm', async (_, file, message) => {
    const p = pool(fixture(`pool/${file}`), 2);
    let created = 0;
    let exited = 0;
    p.on('workerCreate', () => created++);
    p.on('workerExit', () => exited++);
    const results = await Promise.allSettled([p.execute(1), p.execute(2), p.execute(3)]);
    for (const r of results) {
      expect(r.status).toBe('rejected');
      const reason = (r as PromiseRejectedResult).reason;
      expect(reason).toBeInstanceOf(WorkerCrashedError);
      expect(reason.message).toMatch(message);
    }
    // Every worker started has exited: the pool starts a worker only on an exit or on new work,
    // so none comes later. (A respawn's workerCreate is counted before the next poll.)
    await until(() => exited === created, 'the started workers to exit');
    expect(created).toBeLessThanOrEqual(3); // the constructor's 2, and at most 1 respawn
    expect(p.size).toBe(0);
    // New work tries again (and fails the same way).
    await expect(p.execute(4)).rejects.toBeInstanceOf(WorkerCrashedError);
  });
});
