// concurrentTasksPerWorker (issue 15 §2): a worker runs up to N async tasks at once, while timeouts,
// aborts, crashes and metrics stay per task. Real workers; shared memory (Int32Array on a
// SharedArrayBuffer) lets the main thread see what the tasks do, with no wall-clock assertion.
import {
  AbortError,
  QueueFullError,
  TimeoutError,
  WorkerCrashedError,
  WorkerPool,
  type WorkerPoolOptions,
  type WorkerPoolResolvedOptions,
} from '../index';
import { fixture, random, sleep, track, until, within } from './helpers';
import { poolFactory, shared } from './pool-helpers';

const tasks = fixture('pool/concurrent-tasks.js');
const pool = poolFactory();
const STARTED = 0;
const GATE = 1;
const FLAGS = 2;

/** Every pool's worker exits, as `threadId`s. */
function exitsOf(p: WorkerPool): number[] {
  const exits: number[] = [];
  p.on('workerExit', ({ threadId }) => exits.push(threadId));
  return exits;
}

describe('concurrentTasksPerWorker: options', () => {
  test('is typed as a number in WorkerPoolOptions and WorkerPoolResolvedOptions', () => {
    const given: WorkerPoolOptions = { concurrentTasksPerWorker: 2 };
    // @ts-expect-error a count, not a string
    const wrong: WorkerPoolOptions = { concurrentTasksPerWorker: '2' };
    const read: WorkerPoolResolvedOptions['concurrentTasksPerWorker'] = 2;
    expect([given.concurrentTasksPerWorker, wrong.concurrentTasksPerWorker, read]).toEqual([2, '2', 2]);
  });

  test('defaults to 1 and reads back as given', () => {
    expect(pool(tasks, { maxWorkers: 1 }).options.concurrentTasksPerWorker).toBe(1);
    expect(pool(tasks, { maxWorkers: 1, concurrentTasksPerWorker: 8 }).options.concurrentTasksPerWorker).toBe(8);
  });

  test.each([0, -1, 1.5, NaN, Infinity, 2 ** 16 + 1, '4', null])('%p is a RangeError that names the value', (bad) => {
    expect(() => new WorkerPool(tasks, { concurrentTasksPerWorker: bad as any })).toThrow(RangeError);
    expect(() => new WorkerPool(tasks, { concurrentTasksPerWorker: bad as any })).toThrow(
      /^concurrentTasksPerWorker must be an integer from 1 to 65536, got /,
    );
  });
});

describe('concurrentTasksPerWorker: running', () => {
  test('N = 4: four tasks awaiting a timer run at the same time on one worker (timestamps from the tasks)', async () => {
    const p = pool(tasks, { minWorkers: 1, maxWorkers: 1, concurrentTasksPerWorker: 4 });
    const view = shared(2);
    const results = await Promise.all(Array.from({ length: 4 }, () => p.execute({ view, want: 4 }, { name: 'overlap' })));
    // Each task waited (on its event loop) until all four had started: with one at a time, the
    // first would have given up after 5 s having seen only itself.
    for (const r of results) expect(r.seen).toBe(4);
    expect(new Set(results.map((r) => r.threadId)).size).toBe(1);
    const lastStart = Math.max(...results.map((r) => r.start));
    const firstEnd = Math.min(...results.map((r) => r.end));
    expect(lastStart).toBeLessThanOrEqual(firstEnd);
    const m = p.getMetrics();
    expect(m.tasksCompleted).toBe(4);
    // Run time is each task's own (not the worker's): the longest is about the longest measured in a task.
    const longest = Math.max(...results.map((r) => r.end - r.start));
    expect(m.runTime.max).toBeGreaterThanOrEqual(longest * 0.5);
    expect(m.utilization).toBeLessThanOrEqual(1);
  });

  test('never more than N in flight on a worker; a fifth task waits for a free slot', async () => {
    const p = pool(tasks, { minWorkers: 1, maxWorkers: 1, concurrentTasksPerWorker: 4 });
    const view = shared(2 + 5);
    const all = Array.from({ length: 5 }, (_, index) => p.execute({ view, index }, { name: 'gated' }));
    await until(() => Atomics.load(view, STARTED) === 4, 'four tasks to start');
    await sleep(50);
    expect(Atomics.load(view, STARTED)).toBe(4);
    expect(p.getMetrics().runningTasks).toBe(4);
    expect(p.queueSize).toBe(1);
    Atomics.store(view, GATE, 1);
    const results = await Promise.all(all);
    expect(results.map((r) => r.index)).toEqual([0, 1, 2, 3, 4]);
  });

  test('maxQueue: 0 counts free slots: a task fits while a slot is free, and is refused once all N run', async () => {
    const p = pool(tasks, { minWorkers: 1, maxWorkers: 1, concurrentTasksPerWorker: 2, maxQueue: 0 });
    await p.execute(null, { name: 'whoami' }); // started
    const view = shared(2 + 2);
    const both = [0, 1].map((index) => p.execute({ view, index }, { name: 'gated' }));
    await until(() => Atomics.load(view, STARTED) === 2, 'two tasks to start');
    await expect(p.execute(null, { name: 'whoami' })).rejects.toBeInstanceOf(QueueFullError);
    Atomics.store(view, GATE, 1);
    await Promise.all(both);
  });

  test('keeps yielding to its event loop while tasks that settle in microtasks keep coming', async () => {
    const p = pool(tasks, { minWorkers: 1, maxWorkers: 1, concurrentTasksPerWorker: 2 });
    const view = shared(2);
    // Holds the worker until every task is queued, so it never finds the queue empty (and waits).
    const hog = p.execute({ view }, { name: 'hog' });
    await until(() => Atomics.load(view, STARTED) === 1, 'the hog to start');
    const flood = 20_000;
    const timer = p.execute(null, { name: 'timerDuringTicks' });
    const ticks = Array.from({ length: flood }, () => p.execute(null, { name: 'tick' }));
    Atomics.store(view, GATE, 1);
    // The timer task's 1 ms timer fired while the ticks still ran: the worker's event loop ran.
    expect(await timer).toBeLessThan(flood);
    await Promise.all([hog, ...ticks]);
  });
});

describe('concurrentTasksPerWorker: timeouts, aborts and crashes stay per task', () => {
  test('a timeout rejects only its task and aborts its signal; the worker and its other tasks go on', async () => {
    const p = pool(tasks, { minWorkers: 1, maxWorkers: 1, concurrentTasksPerWorker: 4, abortGrace: 60_000 });
    const exits = exitsOf(p);
    const view = shared(2 + 4);
    const others = [0, 1, 2].map((index) => p.execute({ view, index }, { name: 'gated' }));
    // Honours its signal only through the gate check: it ignores the abort and keeps its slot.
    const late = track(p.execute({ view, index: 3, honour: false }, { name: 'gated', timeout: 100 }));
    await until(() => late.settled, 'the timeout');
    expect(late.error).toBeInstanceOf(TimeoutError);
    await until(() => Atomics.load(view, FLAGS + 3) === 1, "the timed-out task's signal to abort in the worker");
    expect([0, 1, 2].map((i) => Atomics.load(view, FLAGS + i))).toEqual([0, 0, 0]);
    Atomics.store(view, GATE, 1);
    const results = await Promise.all(others);
    expect(results.map((r) => r.aborted)).toEqual([false, false, false]);
    expect(exits).toEqual([]);
    expect(await p.execute(null, { name: 'whoami' })).toBe(results[0].threadId);
    expect(p.getMetrics().tasksFailed).toBe(1);
  });

  test('a timed-out task that holds its thread (sync) gets its worker stopped after abortGrace; its other tasks fail as in a crash', async () => {
    const p = pool(tasks, { minWorkers: 1, maxWorkers: 1, concurrentTasksPerWorker: 2, abortGrace: 100 });
    const view = shared(2 + 1);
    const other = track(p.execute({ view, index: 0 }, { name: 'gated' }));
    await until(() => Atomics.load(view, STARTED) === 1, 'the async task to start');
    const hog = track(p.execute({ view }, { name: 'hog', timeout: 100 }));
    await until(() => hog.settled && other.settled, 'the timeout, then the stop');
    expect(hog.error).toBeInstanceOf(TimeoutError);
    expect(other.error).toBeInstanceOf(WorkerCrashedError);
    expect((other.error as Error).message).toMatch(/did not return to its event loop within abortGrace/);
    Atomics.store(view, GATE, 1);
    expect(typeof (await within(p.execute(null, { name: 'whoami' }), 30_000, 'a task on the replacement'))).toBe('number');
  });

  test('aborting one running task aborts only its signal; the others finish on the same worker', async () => {
    const p = pool(tasks, { minWorkers: 1, maxWorkers: 1, concurrentTasksPerWorker: 3, abortGrace: 1000 });
    const exits = exitsOf(p);
    const view = shared(2 + 3);
    const ac = new AbortController();
    const all = [0, 1, 2].map((index) =>
      track(p.execute({ view, index, honour: index !== 1 }, { name: 'gated', signal: index === 1 ? ac.signal : undefined })),
    );
    await until(() => Atomics.load(view, STARTED) === 3, 'three tasks to start');
    ac.abort(new Error('stop task 1'));
    await until(() => all[1].settled, 'the abort');
    expect(all[1].error).toBeInstanceOf(AbortError);
    await until(() => Atomics.load(view, FLAGS + 1) === 1, 'its signal to abort in the worker');
    // It ignores its signal, but its worker saw the abort on its event loop (it says so before the
    // signal aborts): past the grace, the worker is not stopped (the grace timer is due before this one).
    await sleep(1100);
    expect(exits).toEqual([]);
    expect([0, 2].map((i) => Atomics.load(view, FLAGS + i))).toEqual([0, 0]);
    Atomics.store(view, GATE, 1);
    await until(() => all[0].settled && all[2].settled, 'the other tasks');
    expect([all[0].value, all[2].value].map((r) => r?.aborted)).toEqual([false, false]);
    expect(exits).toEqual([]);
  });

  test('an aborted task that never returns gives up its slot after abortGrace; the worker goes on', async () => {
    const p = pool(tasks, { minWorkers: 1, maxWorkers: 1, concurrentTasksPerWorker: 2, abortGrace: 50 });
    const exits = exitsOf(p);
    const view = shared(2 + 2);
    const ac = new AbortController();
    const stuck = track(p.execute({ view, index: 0 }, { name: 'forever', signal: ac.signal }));
    const other = p.execute({ view, index: 1 }, { name: 'gated' });
    await until(() => Atomics.load(view, STARTED) === 2, 'both tasks to start');
    ac.abort();
    await until(() => Atomics.load(view, FLAGS) === 1, 'the stuck task to see its abort');
    expect(stuck.error).toBeInstanceOf(AbortError);
    // Both slots were taken (one by the gated task, still waiting): this task runs only once the
    // stuck one gave its slot up.
    expect(typeof (await within(p.execute(null, { name: 'whoami' }), 20_000, 'a task in the freed slot'))).toBe('number');
    expect(exits).toEqual([]);
    Atomics.store(view, GATE, 1);
    expect((await other).aborted).toBe(false);
  });

  test.each(['exit', 'throw'])(
    'a worker that dies (%s in a setImmediate) fails exactly the tasks it was running; queued ones run on its replacement',
    async (how) => {
      const p = pool(tasks, { minWorkers: 1, maxWorkers: 1, concurrentTasksPerWorker: 4 });
      p.on('error', () => {}); // the uncaught throw is also reported here
      const view = shared(2 + 3);
      const running = [0, 1, 2].map((index) => track(p.execute({ view, index }, { name: 'gated' })));
      const crasher = track(p.execute({ view, want: 4, how }, { name: 'crash' }));
      const queued = [track(p.execute(null, { name: 'whoami' })), track(p.execute(null, { name: 'whoami' }))];
      await until(() => crasher.settled && running.every((t) => t.settled) && queued.every((t) => t.settled), 'every task to settle');
      for (const t of [...running, crasher]) expect(t.error).toBeInstanceOf(WorkerCrashedError);
      for (const t of queued) expect(t.fulfilled).toBe(true);
      expect(p.getMetrics().tasksFailed).toBe(4);
      expect(p.getMetrics().tasksCompleted).toBe(2);
    },
  );

  test('maxTasksPerWorker still counts tasks: a worker takes no more than that, and retires when they are done', async () => {
    const p = pool(tasks, { minWorkers: 1, maxWorkers: 1, concurrentTasksPerWorker: 4, maxTasksPerWorker: 3 });
    const view = shared(2 + 7);
    const all = Array.from({ length: 7 }, (_, index) => track(p.execute({ view, index }, { name: 'gated' })));
    await until(() => Atomics.load(view, STARTED) === 3, 'three tasks to start');
    await sleep(50);
    expect(Atomics.load(view, STARTED)).toBe(3);
    Atomics.store(view, GATE, 1);
    await until(() => all.every((t) => t.settled), 'every task');
    expect(all.every((t) => t.fulfilled)).toBe(true);
    const perThread = new Map<number, number>();
    for (const t of all) perThread.set(t.value!.threadId, (perThread.get(t.value!.threadId) ?? 0) + 1);
    expect([...perThread.values()].sort()).toEqual([1, 3, 3]);
  });
});

describe('concurrentTasksPerWorker: randomised', () => {
  test('mixed sync, async, failing and aborted tasks on two workers: each settles exactly once, within N per worker (seeded)', async () => {
    const n = 2 + Math.floor(random() * 4);
    // A long grace: an abort never stops a worker here, however slow the machine.
    const p = pool(tasks, { minWorkers: 2, maxWorkers: 2, concurrentTasksPerWorker: n, abortGrace: 60_000 });
    const count = 80;
    const view = shared(count);
    const kinds = ['sync', 'async', 'async', 'throw'];
    const plan = Array.from({ length: count }, (_, id) => ({
      id,
      kind: kinds[Math.floor(random() * kinds.length)],
      ms: Math.floor(random() * 8),
      direct: random() < 0.5,
      abortAfter: random() < 0.15 ? Math.floor(random() * 6) : -1,
    }));
    const settled = new Array<number>(count).fill(0);
    const outcomes = await Promise.all(
      plan.map(async (t) => {
        const ac = new AbortController();
        if (t.abortAfter >= 0) setTimeout(() => ac.abort(), t.abortAfter);
        const data = { id: t.id, kind: t.kind, ms: t.ms, view: t.direct ? view : undefined };
        try {
          const r = await p.execute(data, { name: 'mixed', signal: ac.signal });
          settled[t.id]++;
          return { t, ok: true as const, r };
        } catch (e) {
          settled[t.id]++;
          return { t, ok: false as const, e };
        }
      }),
    );
    await p.onIdle();
    await sleep(20); // a settle that came twice would show up here
    expect(settled).toEqual(new Array(count).fill(1));
    for (const o of outcomes) {
      if (o.ok) {
        expect(o.r.id).toBe(o.t.id);
        expect(o.r.peak).toBeLessThanOrEqual(n);
        expect(o.t.kind).not.toBe('throw');
      } else if (!(o.e instanceof AbortError)) {
        expect(o.t.kind).toBe('throw');
        expect((o.e as any).id).toBe(o.t.id);
      } else {
        expect(o.t.abortAfter).toBeGreaterThanOrEqual(0);
      }
    }
    for (const t of plan) if (t.direct) expect(Atomics.load(view, t.id)).toBeLessThanOrEqual(1);
    const m = p.getMetrics();
    expect(m.tasksCompleted + m.tasksFailed).toBe(count);
  });
});
