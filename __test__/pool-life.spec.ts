// WorkerPool life-cycle options (issue 15 §4): close({ force }), maxTasksPerWorker, maxQueue 0 and 'auto',
// pool.options, Symbol.asyncDispose, and the task context's taskId.
import { ClosedError, QueueFullError, WorkerPool } from '../index';
import { fixture, random, seed } from './helpers';
import { poolFactory, shared } from './pool-helpers';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { TASK_REF } = require('../lib/pool/worker-pool.js');

const life = fixture('pool/life-tasks.js');
const pool = poolFactory();

/** Waits until `view[0]` (the gate tasks' count) reaches `n`, without blocking this thread. */
async function started(view: Int32Array, n: number): Promise<void> {
  while (Atomics.load(view, 0) < n) await new Promise((r) => setTimeout(r, 2));
}

function open(view: Int32Array, index: number): void {
  Atomics.store(view, index, 1);
  Atomics.notify(view, index);
}

type Seen = { data: unknown; threadId: number; taskId: number; ran: number };

describe('close({ force: true })', () => {
  test('rejects the queued tasks with ClosedError at once, and lets the running ones finish', async () => {
    const view = shared(4);
    const p = pool(life, { minWorkers: 2, maxWorkers: 2, workerData: { sab: view.buffer } });
    const running = [p.execute(1, { name: 'gate' }), p.execute(2, { name: 'gate' })];
    await started(view, 2);
    const queued = Array.from({ length: 5 }, (_, i) => p.execute(i));
    const outcomes = queued.map((q) =>
      q.then(
        () => 'resolved',
        (e) => e,
      ),
    );
    const closed = p.close({ force: true });
    for (const e of await Promise.all(outcomes)) {
      expect(e).toBeInstanceOf(ClosedError);
      expect(e.reason).toBe('closing');
    }
    expect(p.queueSize).toBe(0);
    expect(p.pending).toBe(2); // the running ones are still running
    await expect(p.execute(9)).rejects.toThrow(ClosedError);
    open(view, 1);
    open(view, 2);
    await expect(Promise.all(running)).resolves.toEqual([1, 2]);
    await closed;
  });

  test('close() without force still runs the queued tasks (its contract is unchanged)', async () => {
    const view = shared(2);
    const p = pool(life, { minWorkers: 1, maxWorkers: 1, workerData: { sab: view.buffer } });
    const running = p.execute(1, { name: 'gate' });
    await started(view, 1);
    const queued = [p.execute('a'), p.execute('b')];
    const closed = p.close({ force: false });
    open(view, 1);
    await expect(running).resolves.toBe(1);
    expect((await Promise.all(queued)).map((r: Seen) => r.data)).toEqual(['a', 'b']);
    await closed;
  });

  test.each([['yes'], [1], [null]])('force: %p is a TypeError naming the value', async (force) => {
    const p = pool(life, { minWorkers: 0, maxWorkers: 1 });
    await expect(p.close({ force } as any)).rejects.toThrow(
      new TypeError(
        `close option force must be a boolean, got ${force === null ? 'null' : typeof force === 'string' ? JSON.stringify(force) : String(force)}`,
      ),
    );
  });
});

describe('maxTasksPerWorker', () => {
  test('a worker retires after N tasks: every task runs once, no worker runs more than N, results all arrive', async () => {
    const N = 3;
    const TASKS = 45;
    const p = pool(life, { minWorkers: 1, maxWorkers: 2, maxTasksPerWorker: N });
    const exits: number[] = [];
    p.on('workerExit', ({ threadId }) => exits.push(threadId));
    // Random mixes of sync and async tasks (seeded), submitted in random bursts.
    const results: Promise<Seen>[] = [];
    for (let i = 0; i < TASKS; i++) {
      const r = random();
      results.push(r < 0.5 ? p.execute(i) : p.execute(Math.floor(r * 4), { name: 'later' }));
      if (random() < 0.3) await new Promise((r) => setImmediate(r));
    }
    const seen = await Promise.all(results);
    const perThread = new Map<number, number>();
    for (const s of seen) perThread.set(s.threadId, (perThread.get(s.threadId) ?? 0) + 1);
    const ids = new Set(seen.map((s) => s.taskId));
    expect({ seed, tasks: ids.size }).toEqual({ seed, tasks: TASKS });
    expect(Math.max(...perThread.values())).toBeLessThanOrEqual(N);
    expect(Math.max(...seen.map((s) => s.ran))).toBeLessThanOrEqual(N);
    expect(perThread.size).toBeGreaterThanOrEqual(Math.ceil(TASKS / N));
    // The pool keeps serving after its workers retired.
    await expect(p.execute('after')).resolves.toMatchObject({ data: 'after' });
    expect(p.options.maxTasksPerWorker).toBe(N);
  });

  test('one task per worker: each task gets a fresh worker, even one at a time', async () => {
    const p = pool(life, { minWorkers: 0, maxWorkers: 1, maxTasksPerWorker: 1 });
    const threads = [];
    for (let i = 0; i < 4; i++) {
      const s: Seen = await p.execute(i);
      expect(s.ran).toBe(1);
      threads.push(s.threadId);
    }
    expect(new Set(threads).size).toBe(4);
  });

  test.each([[0], [1.5], [-1], ['3'], [2 ** 32]])('maxTasksPerWorker: %p is a RangeError naming the value', (v) => {
    expect(() => new WorkerPool(life, { maxTasksPerWorker: v as any })).toThrow(
      new RangeError(
        `maxTasksPerWorker must be an integer from 1 to ${2 ** 32 - 1}, or Infinity, got ${typeof v === 'string' ? JSON.stringify(v) : v}`,
      ),
    );
  });
});

describe('maxQueue: 0 and auto', () => {
  test('maxQueue 0 refuses a task when no worker is free, and waitForRoom() resolves when one is', async () => {
    const view = shared(2);
    const p = pool(life, { minWorkers: 1, maxWorkers: 1, maxQueue: 0, workerData: { sab: view.buffer } });
    const busy = p.execute(1, { name: 'gate' });
    await expect(p.execute('refused')).rejects.toThrow(
      new QueueFullError("no worker of the WorkerPool is free (maxQueue 0); wait with waitForRoom() or listen for 'drain'"),
    );
    await started(view, 1);
    await expect(p.execute('refused')).rejects.toThrow(QueueFullError);
    let room = false;
    const waiting = p.waitForRoom().then(() => (room = true));
    await new Promise((r) => setTimeout(r, 20));
    expect(room).toBe(false);
    open(view, 1);
    await expect(busy).resolves.toBe(1);
    await waiting;
    await expect(p.execute('taken')).resolves.toMatchObject({ data: 'taken' });
  });

  test('maxQueue 0 counts workers the pool may still start as free', async () => {
    const p = pool(life, { minWorkers: 0, maxWorkers: 2, maxQueue: 0 });
    const two = [p.execute('a'), p.execute('b')];
    await expect(p.execute('c')).rejects.toThrow(QueueFullError);
    expect((await Promise.all(two)).map((s: Seen) => s.data)).toEqual(['a', 'b']);
  });

  test("maxQueue 'auto' is 4 × maxWorkers", () => {
    expect(pool(life, { minWorkers: 0, maxWorkers: 3, maxQueue: 'auto' }).options.maxQueue).toBe(12);
  });

  test.each([
    [-1, RangeError, `maxQueue must be an integer from 0 to ${2 ** 31 - 1}, or Infinity, got -1`],
    [0.5, RangeError, `maxQueue must be an integer from 0 to ${2 ** 31 - 1}, or Infinity, got 0.5`],
    ['big', TypeError, `maxQueue must be a number or 'auto', got "big"`],
  ])('maxQueue: %p is a typed error naming the value', (v, type, message) => {
    expect(() => new WorkerPool(life, { maxQueue: v as any })).toThrow(new type(message));
  });
});

describe('pool.options', () => {
  test('reads back the resolved options, frozen, the same object on every read', () => {
    const p = pool(life, 2);
    const o = p.options;
    expect(o).toEqual({
      minWorkers: 2,
      maxWorkers: 2,
      idleTimeout: 10_000,
      maxQueue: Infinity,
      maxTasksPerWorker: Infinity,
      concurrentTasksPerWorker: 1,
      taskTimeout: 0,
      abortGrace: 1000,
      niceIncrement: 0,
      name: 'threadkit',
      workerData: undefined,
      resourceLimits: undefined,
      env: undefined,
      execArgv: undefined,
    });
    expect(Object.isFrozen(o)).toBe(true);
    expect(p.options).toBe(o);
    expect(() => {
      'use strict';
      (o as any).maxWorkers = 9;
    }).toThrow(TypeError);
  });
});

describe('Symbol.asyncDispose', () => {
  test('await using closes the pool at the end of its block, after its queued tasks ran', async () => {
    let kept: WorkerPool | undefined;
    let result: Promise<Seen> | undefined;
    {
      await using p = new WorkerPool(life, { minWorkers: 1, maxWorkers: 1 });
      kept = p;
      result = p.execute('last');
    }
    // The block awaited close(): the task ran, and the pool takes no more.
    await expect(result).resolves.toMatchObject({ data: 'last' });
    expect(kept.pending).toBe(0);
    await expect(kept.execute(1)).rejects.toThrow(ClosedError);
  });
});

describe('TaskContext.taskId', () => {
  test('is unique per pool and the id the pool uses for the task', async () => {
    const p = pool(life, { minWorkers: 2, maxWorkers: 2 });
    const refs = Array.from({ length: 20 }, () => ({ taskId: -1 }));
    const seen: Seen[] = await Promise.all(refs.map((ref, i) => p.execute(i, { [TASK_REF]: ref } as any)));
    expect(seen.map((s) => s.taskId)).toEqual(refs.map((r) => r.taskId));
    expect(new Set(seen.map((s) => s.taskId)).size).toBe(20);
  });
});
