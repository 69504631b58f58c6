// Type tests for the WorkerPool typings: ts-jest type-checks this file, so a
// wrong signature in index.d.ts (or a missing @ts-expect-error) fails it.
import { EventEmitter, once } from 'node:events';
import {
  WorkerPool,
  WorkerPoolEvents,
  WorkerPoolMetrics,
  ExecuteOptions,
  TaskFunction,
  QueueFullError,
  WorkerCrashedError,
  DataCloneError,
  ThreadkitError,
} from '../index';
import { fixture } from './helpers';

type Equals<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
const assertType = <T extends true>(_: T) => {};

test('WorkerPool is typed as an EventEmitter of its events', async () => {
  const pool = new WorkerPool(fixture('pool/tasks.js'), 1);
  const asEmitter: EventEmitter = pool;
  expect(asEmitter).toBeInstanceOf(EventEmitter);
  const drained = once(pool, 'drain');
  assertType<Equals<typeof drained, Promise<any[]>>>(true);
  pool.once('workerExit', (info) => assertType<Equals<typeof info, { threadId: number; slot: number; code: number }>>(true));
  pool.on('error', (err) => assertType<Equals<typeof err, unknown>>(true));
  const count: number = pool.listenerCount('workerExit');
  expect(count).toBe(1);
  // Type-checked, never run.
  void (() => {
    // @ts-expect-error not an event of WorkerPool
    pool.on('drained', () => {});
    // @ts-expect-error 'drain' has no arguments
    pool.emit('drain', 1);
    // @ts-expect-error a workerCreate listener gets { threadId, slot }
    pool.on('workerCreate', (info: string) => void info);
  });
  type DrainArgs = WorkerPoolEvents['drain'];
  assertType<Equals<DrainArgs, []>>(true);
  expect(pool.emit('drain')).toBe(true);
  await drained;
  await pool.terminate();
});

test('WorkerPool typings', async () => {
  const pool = new WorkerPool<number, string>(fixture('pool/tasks.js'), { minWorkers: 1, maxWorkers: 1 });
  const r = pool.execute(1);
  assertType<Equals<typeof r, Promise<string>>>(true);
  const many = pool.map([1, 2]);
  assertType<Equals<typeof many, Promise<string[]>>>(true);
  const m: WorkerPoolMetrics = pool.getMetrics();
  assertType<Equals<typeof m.waitTime.p99, number>>(true);
  const opts: ExecuteOptions = { priority: -1, timeout: 10, name: 'double', transfer: [new ArrayBuffer(1)], signal: new AbortController().signal };
  void opts;
  const fn: TaskFunction<number, number> = (n, { signal }) => (signal.aborted ? 0 : n * 2);
  void fn;
  const moving: TaskFunction<number, Float64Array> = (n, { move }) => move(new Float64Array(n));
  void moving;
  const movingObj: TaskFunction<number, { a: ArrayBuffer }> = (n, ctx) => {
    const a = new ArrayBuffer(n);
    return ctx.move({ a }, [a]);
  };
  void movingObj;
  // @ts-expect-error the transfer list holds ArrayBuffers or MessagePorts
  void ((n: number, ctx: Parameters<TaskFunction>[1]) => ctx.move(n, [n]));
  // @ts-expect-error data has the pool's data type
  void pool.execute('not a number').catch(() => {});
  // @ts-expect-error unknown option
  void pool.execute(1, { priorty: 1 }).catch(() => {});
  // @ts-expect-error the second constructor argument is a size or options
  void (() => new WorkerPool('x', 'four'));
  pool.on('workerExit', (info) => {
    assertType<Equals<typeof info.code, number>>(true);
  });
  const e = new QueueFullError('full');
  assertType<Equals<typeof e.code, 'ERR_THREADKIT_QUEUE_FULL'>>(true);
  expect(e).toBeInstanceOf(ThreadkitError);
  expect(new WorkerCrashedError('x')).toBeInstanceOf(ThreadkitError);
  expect(new DataCloneError('x')).toBeInstanceOf(ThreadkitError);
  await expect(r).resolves.toBe(1);
  await expect(many).resolves.toEqual([1, 2]);
  await pool.terminate();
});
