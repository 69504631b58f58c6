// WorkerPool: values that only postMessage can carry. Task data with a transfer list or shared
// memory, and results that hold shared memory, travel over the worker's control port while the
// native queues carry a one-byte placeholder.
import { types } from 'node:util';
import { AbortError, QueueFullError, TimeoutError } from '../index';
import { fixture, until, randomPause } from './helpers';
// Not public API: the count of tasks' data the pool's mailbox thread holds.
const { MAILBOX_HELD } = require('../lib/pool/worker-pool.js');
const mailboxHeld = (p: unknown): Promise<number> => (p as any)[MAILBOX_HELD]();
import { tasks, shared, poolFactory, blockUntilStill } from './pool-helpers';

const pool = poolFactory();

describe('direct tasks (transfer lists, shared memory)', () => {
  test('a SharedArrayBuffer in the task data reaches the worker (the same memory)', async () => {
    const p = pool(tasks, 1);
    const sab = new SharedArrayBuffer(16);
    new Int32Array(sab).set([1, 2, 3, 4]);
    await expect(p.execute(sab, { name: 'sumShared' })).resolves.toBe(10);
  });

  test('transfer tasks keep priority order and count against maxQueue', async () => {
    const view = shared(64);
    const p = pool(tasks, { minWorkers: 1, maxWorkers: 1, maxQueue: 3, workerData: { sab: view.buffer } });
    const gate = p.execute(63, { name: 'gate' });
    await until(() => p.getMetrics().runningTasks === 1, 'the gate task to start');
    const order = [
      [1, 5],
      [2, -1],
      [3, 0],
    ].map(([id, priority]) => {
      const b = new ArrayBuffer(4);
      return p.execute(id, { name: 'record', priority, transfer: [b] });
    });
    const b = new ArrayBuffer(4);
    await expect(p.execute(9, { transfer: [b] })).rejects.toBeInstanceOf(QueueFullError);
    Atomics.store(view, 63, 1);
    await Promise.all([gate, ...order]);
    expect(Array.from(view.slice(1, 4))).toEqual([2, 3, 1]);
  });

  test('an aborted transfer task that a worker took but has not started is stopped', async () => {
    const view = shared(4);
    const p = pool(tasks, { minWorkers: 1, maxWorkers: 1, abortGrace: 50, workerData: { sab: view.buffer } });
    const ac = new AbortController();
    const buf = new ArrayBuffer(8);
    const run = p.execute(1, { name: 'spin', transfer: [buf], signal: ac.signal });
    await until(() => p.getMetrics().runningTasks === 1, 'the task to be taken');
    ac.abort();
    await expect(run).rejects.toBeInstanceOf(AbortError);
    await expect(p.execute(5, { name: 'double' })).resolves.toBe(10);
  });
});

describe('direct tasks while this thread is blocked', () => {
  test('a task with a SharedArrayBuffer in its data starts while this thread waits in Atomics.wait', async () => {
    const p = pool(tasks, { minWorkers: 1, maxWorkers: 1 });
    await p.execute(0); // the worker is up and idle
    const view = shared(1);
    const run = p.execute({ view }, { name: 'notify' });
    // Waits without an event loop: the worker must get the data without this thread.
    expect(Atomics.wait(view, 0, 0, 30_000)).toBe('ok');
    await expect(run).resolves.toBe('notified');
  });

  test('a task with a transfer list starts while this thread waits in Atomics.wait', async () => {
    const view = shared(1);
    const p = pool(tasks, { minWorkers: 1, maxWorkers: 1, workerData: { sab: view.buffer } });
    await p.execute(0);
    const buf = new ArrayBuffer(64);
    const run = p.execute({ buf }, { name: 'notify', transfer: [buf] });
    expect(buf.byteLength).toBe(0); // moved at once
    expect(Atomics.wait(view, 0, 0, 30_000)).toBe('ok');
    await expect(run).resolves.toBe(64);
  });

  test("a direct task's timeout runs while this thread is blocked: the watchdog stops it", async () => {
    const p = pool(tasks, { minWorkers: 1, maxWorkers: 1 });
    await p.execute(0);
    const view = shared(1);
    const run = p.execute({ view }, { name: 'spinOn', timeout: 100 }).catch((e) => e);
    // Blocked (no event loop) until the task runs, then until it stops.
    const giveUp = Date.now() + 30_000;
    while (Atomics.load(view, 0) === 0 && Date.now() < giveUp);
    expect(Atomics.load(view, 0)).toBeGreaterThan(0);
    expect(blockUntilStill(view, 0, 300, 30_000)).toBe(true);
    expect(await run).toBeInstanceOf(TimeoutError);
  });
});

describe("the mailbox that holds direct tasks' data", () => {
  test('keeps the data of queued tasks only: aborted ones are dropped, taken ones handed over', async () => {
    const view = shared(64);
    const p = pool(tasks, { minWorkers: 1, maxWorkers: 1, workerData: { sab: view.buffer } });
    const gate = p.execute(63, { name: 'gate' });
    await until(() => p.getMetrics().runningTasks === 1, 'the gate task to start');
    const aborts = Array.from({ length: 10 }, () => new AbortController());
    const runs = aborts.map((ac) => {
      const buf = new ArrayBuffer(1024);
      return p.execute({ buf }, { name: 'echoData', transfer: [buf], signal: ac.signal }).catch((e) => e);
    });
    const sab = new SharedArrayBuffer(8);
    runs.push(p.execute(sab, { name: 'sumShared' }));
    expect(await mailboxHeld(p)).toBe(11);
    aborts.forEach((ac, i) => i % 2 === 0 && ac.abort());
    expect(await mailboxHeld(p)).toBe(6);
    Atomics.store(view, 63, 1);
    await gate;
    const out = await Promise.all(runs);
    out.slice(0, 10).forEach((r, i) => (i % 2 === 0 ? expect(r).toBeInstanceOf(AbortError) : expect(r).toBe(1024)));
    expect(await mailboxHeld(p)).toBe(0);
  });
});

describe('results that hold shared memory', () => {
  test('a SharedArrayBuffer in a result is the same memory the worker kept', async () => {
    const p = pool(tasks, 1);
    const r: { n: number; view: Int32Array } = await p.execute(41, { name: 'shareBack' });
    // Values that came by postMessage belong to Node's realm, not jest's: no instanceof.
    expect(types.isSharedArrayBuffer(r.view.buffer)).toBe(true);
    expect(r.view[0]).toBe(41);
    await expect(p.execute(0, { name: 'bumpShared' })).resolves.toBe(42);
    expect(Atomics.load(r.view, 0)).toBe(42);
  });

  test('shared results mixed with plain ones on two workers each reach their own caller', async () => {
    const p = pool(tasks, 2);
    const runs = Array.from({ length: 400 }, (_, i) => (i % 3 === 0 ? p.execute(i, { name: 'double' }) : p.execute(i, { name: 'shareBack' })));
    const out = await Promise.all(runs);
    out.forEach((r: any, i) => {
      if (i % 3 === 0) expect(r).toBe(2 * i);
      else expect([r.n, r.view[0]]).toEqual([i, i]);
    });
    expect(p.getMetrics()).toMatchObject({ tasksCompleted: 400, tasksFailed: 0, runningTasks: 0 });
  });

  test('a rejection that holds shared memory rejects with it', async () => {
    const p = pool(tasks, 1);
    const e: any = await p.execute(9, { name: 'rejectShared' }).catch((x) => x);
    expect(types.isInt32Array(e.view)).toBe(true);
    expect(types.isSharedArrayBuffer(e.view.buffer)).toBe(true);
    expect(e.view[0]).toBe(9);
  });

  test('a worker that exits just after returning shared memory still delivers the result', async () => {
    const p = pool(tasks, { minWorkers: 2, maxWorkers: 2 });
    const runs = Array.from({ length: 12 }, async (_, i) => {
      await randomPause();
      return p.execute(i, { name: 'shareThenExit' });
    });
    const out = await Promise.allSettled(runs);
    out.forEach((r, i) => {
      // The result was posted before the exit, so it must not be written off as a crash.
      expect(r.status).toBe('fulfilled');
      const view = (r as PromiseFulfilledResult<Int32Array>).value;
      expect(types.isSharedArrayBuffer(view.buffer)).toBe(true);
      expect(Array.from(view)).toEqual([i]);
    });
    await expect(p.execute(3, { name: 'double' })).resolves.toBe(6);
  });

  test('a worker that exits while the main thread is blocked still delivers its shared result', async () => {
    const p = pool(tasks, 1);
    await p.execute(1);
    for (let i = 0; i < 4; i++) {
      const run = p.execute(i, { name: 'shareThenExit' });
      // The worker returns, posts the result and exits while this thread cannot look.
      const end = Date.now() + 150;
      while (Date.now() < end);
      await expect(run.then((v: Int32Array) => [types.isSharedArrayBuffer(v.buffer), v[0]])).resolves.toEqual([true, i]);
    }
  });

  test('a result that neither v8.serialize nor postMessage can carry still rejects with DataCloneError', async () => {
    const p = pool(tasks, 1);
    await expect(p.execute(0, { name: 'returnFunction' })).rejects.toMatchObject({ name: 'DataCloneError' });
    await expect(p.execute(2, { name: 'shareBack' })).resolves.toMatchObject({ n: 2 });
  });
});

describe('results moved with context.move (no copy)', () => {
  test('an ArrayBuffer, a typed array, or an object with a transfer list moves to the caller', async () => {
    const p = pool(tasks, 1);
    const buf: ArrayBuffer = await p.execute(1 << 20, { name: 'moveBuffer' });
    expect(types.isArrayBuffer(buf)).toBe(true);
    expect(buf.byteLength).toBe(1 << 20);
    expect(new Uint8Array(buf)[12345]).toBe(7);
    // The worker's buffer was moved, not copied: it is detached there.
    await expect(p.execute(0, { name: 'lastMovedLength' })).resolves.toBe(0);

    const view: Uint16Array = await p.execute(10, { name: 'moveView' });
    expect(types.isUint16Array(view) && Array.from(view)).toEqual(new Array(10).fill(9));
    await expect(p.execute(0, { name: 'lastMovedLength' })).resolves.toBe(0);

    const obj: any = await p.execute(16, { name: 'moveObject' });
    expect(Array.from(obj.a)).toEqual(new Array(16).fill(1.5));
    expect([obj.b.byteLength, obj.label]).toEqual([16, 'two']);
    await expect(p.execute(0, { name: 'lastMovedLength' })).resolves.toBe(0);
  });

  test('bad use of move rejects the task with a clear error, and the worker goes on', async () => {
    const p = pool(tasks, 1);
    await expect(p.execute('no-list', { name: 'moveBad' })).rejects.toThrow(/without a transfer list needs an ArrayBuffer/);
    await expect(p.execute('list-not-array', { name: 'moveBad' })).rejects.toThrow(/transfer must be an array/);
    for (const kind of ['twice', 'not-transferable']) {
      const e: any = await p.execute(kind, { name: 'moveBad' }).catch((x) => x);
      expect(e).toMatchObject({ name: 'DataCloneError', code: 'ERR_THREADKIT_DATA_CLONE' });
      // Node's own wording: 'Found invalid object in transferList' up to Node 20, 'value' from 22.
      expect(e.message).toMatch(
        /cannot be moved to the main thread: (Transfer list contains duplicate|Found invalid (object|value) in transferList)/,
      );
    }
    await expect(p.execute(4, { name: 'double' })).resolves.toBe(8);
  });

  test("a seed-form script's transfer list moves its reply", async () => {
    const p = pool(fixture('pool/seed-transfer.js'), 1);
    for (const n of [5, 8]) {
      const buf: ArrayBuffer = await p.execute(n);
      expect(buf.byteLength).toBe(n);
      await expect(p.execute('last')).resolves.toBe(0);
    }
  });
});
