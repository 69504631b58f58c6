// PromisePool with a threadkit Semaphore as its limit, on one thread and shared across threads.
import { PromisePool, Semaphore, AbortError, ClosedError } from '../index';
import { Workers, nextMessage, messageWhere, exitOf, until, randomPause, settle, track, within } from './helpers';
import { gate, meter, rejectionOf } from './promise-pool-helpers';

const workers = new Workers();
afterEach(() => workers.stopAll());

describe('limit = a Semaphore, on one thread', () => {
  test.each([
    ['Semaphore', (s: Semaphore) => s],
    ['{ limit: handle }', (s: Semaphore) => ({ limit: s.handle })],
    ['handle', (s: Semaphore) => s.handle],
  ])('each running task holds one permit (%s); the limit is reached, never passed; all permits come back', async (_name, arg) => {
    const sem = new Semaphore(4);
    const pool = new PromisePool(arg(sem) as never);
    expect(pool.limit).toBeInstanceOf(Semaphore);
    expect(pool.concurrency).toBe(Infinity);
    const { m, wrap } = meter();
    let violations = 0;
    const ps = Array.from({ length: 50 }, (_, i) =>
      pool.add(
        wrap(i, async () => {
          // every running task holds a permit (a task whose body just ended may hold one a moment longer)
          if (sem.available > 4 - m.now) violations++;
          await randomPause();
          return i;
        }),
      ),
    );
    expect(await within(Promise.all(ps), 20_000, 'tasks')).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(m.max).toBe(4);
    expect(violations).toBe(0);
    expect(m.started).toEqual(Array.from({ length: 50 }, (_, i) => i));
    await until(() => sem.available === 4, 'permits to come back', 5000);
  });

  test("a task that releases the pool's permit itself: the pool warns, settles the task and goes on", async () => {
    const sem = new Semaphore(1);
    const pool = new PromisePool(sem);
    const warn = jest.spyOn(process, 'emitWarning').mockImplementation(() => {});
    try {
      const first = pool.add(async () => {
        sem.release(); // the permit the pool took for this task
        await null;
        return 'first';
      });
      const second = pool.add(async () => 'second');
      expect(await within(Promise.all([first, second]), 10_000, 'both tasks')).toEqual(['first', 'second']);
      await within(pool.onIdle(), 10_000, 'idle');
      expect(warn).toHaveBeenCalledTimes(1);
      expect(warn.mock.calls[0][0]).toMatch(/^PromisePool: .*not locked/);
      expect(warn.mock.calls[0][1]).toMatchObject({ type: 'NotHeldError', code: 'ERR_THREADKIT_NOT_HELD' });
      expect(pool.activeCount + pool.pendingCount).toBe(0);
      expect(sem.available).toBe(1);
    } finally {
      warn.mockRestore();
    }
  });

  test('a Semaphore subclass whose tryAcquire makes promises of its own does not confuse add', async () => {
    const other = new Semaphore(1);
    const held = other.tryAcquire()!;
    let sideWait: Promise<unknown> | undefined;
    class Busy extends Semaphore {
      tryAcquire(n?: number) {
        sideWait ??= other.acquire(); // a contended acquire: a promise made inside add()
        return super.tryAcquire(n);
      }
    }
    const pool = new PromisePool(new Busy(2));
    expect(
      await within(
        pool.add(async () => 'task result'),
        5000,
        'the task',
      ),
    ).toBe('task result');
    const side = track(sideWait!);
    await settle();
    expect(side.settled).toBe(false); // still waiting for `other`, as it should
    held.release();
    ((await within(sideWait!, 5000, 'the side acquire')) as { release(): void }).release();
  });

  test('two pools on one Semaphore share it: together they never pass it', async () => {
    const sem = new Semaphore(3);
    const a = new PromisePool(sem);
    const b = new PromisePool(sem);
    const { m, wrap } = meter();
    const job = (i: number) => wrap(i, async () => (await randomPause(), i));
    const all = await within(
      Promise.all([
        a.map(
          Array.from({ length: 30 }, (_, i) => i),
          (i) => job(i)(),
        ),
        b.map(
          Array.from({ length: 30 }, (_, i) => i),
          (i) => job(i)(),
        ),
      ]),
      20_000,
      'maps',
    );
    expect(all[0]).toEqual(all[1]);
    expect(m.max).toBe(3);
    expect(sem.available).toBe(3);
  });

  test('concurrency is a local cap on top of the Semaphore; raising it starts tasks if permits are free', async () => {
    const sem = new Semaphore(5);
    const pool = new PromisePool({ limit: sem, concurrency: 2 });
    const g = gate();
    const ps = Array.from({ length: 8 }, () => pool.add(() => g.promise));
    expect([pool.activeCount, sem.available]).toEqual([2, 3]);
    pool.concurrency = 10;
    expect([pool.activeCount, sem.available]).toEqual([5, 0]); // now the Semaphore is the limit
    g.open();
    await Promise.all(ps);
    expect(sem.available).toBe(5);
  });

  test('a task waits for a permit held elsewhere, and starts when it is released', async () => {
    const sem = new Semaphore(1);
    const held = await sem.acquire();
    const pool = new PromisePool(sem);
    const p = track(pool.add(() => 'ran'));
    await settle();
    expect([pool.activeCount, pool.pendingCount, p.settled]).toEqual([0, 1, false]);
    held.release();
    await within(pool.onIdle(), 5000, 'the pool');
    await settle();
    expect(p.value).toBe('ran');
    expect(sem.available).toBe(1);
  });

  test('a task aborted while the pool waits for a permit leaves no permit behind', async () => {
    const sem = new Semaphore(1);
    const held = await sem.acquire();
    const pool = new PromisePool(sem);
    const ac = new AbortController();
    const fn = jest.fn();
    const p = pool.add(fn, { signal: ac.signal });
    await settle();
    expect(pool.pendingCount).toBe(1);
    ac.abort();
    expect(await rejectionOf(p)).toBeInstanceOf(AbortError);
    held.release(); // the pool's queued acquire gets this permit, finds nothing to run, and gives it back
    await until(() => sem.available === 1, 'the permit to come back', 5000);
    expect(fn).not.toHaveBeenCalled();
    expect(pool.activeCount + pool.pendingCount).toBe(0);
    expect(await pool.add(() => 'still works')).toBe('still works');
  });

  test('closing the Semaphore rejects the waiting tasks with ClosedError', async () => {
    const sem = new Semaphore(1);
    const pool = new PromisePool(sem);
    const g = gate();
    const running = pool.add(() => g.promise);
    const waiting = [pool.add(() => 1), pool.add(() => 2)];
    await settle();
    sem.close('shutting down');
    for (const p of waiting) expect(await rejectionOf(p)).toBeInstanceOf(ClosedError);
    expect(pool.pendingCount).toBe(0);
    g.open();
    await running;
    await pool.onIdle();
    expect(await rejectionOf(pool.add(() => 3))).toBeInstanceOf(ClosedError);
  });

  test('closing the Semaphore rejects a waiting map (stopOnError: false too) at once, and starts none of its items', async () => {
    const sem = new Semaphore(1);
    const pool = new PromisePool(sem);
    const g = gate();
    const running = pool.add(() => g.promise);
    const fn = jest.fn((x: number) => x);
    const mapped = pool.map([1, 2, 3, 4], fn, { stopOnError: false, concurrency: 1 });
    await settle();
    sem.close('shutting down');
    expect(await rejectionOf(mapped)).toBeInstanceOf(ClosedError);
    expect(pool.pendingCount).toBe(0);
    expect(fn).not.toHaveBeenCalled();
    g.open();
    await running;
    await pool.onIdle();
  });
});

type ParticipantResult = { done: boolean; localMax?: number; error?: string };

describe('limit = a Semaphore shared across threads', () => {
  test('main + 3 workers never run more than the limit together, and do reach it', async () => {
    const limit = 5;
    const sem = new Semaphore(limit);
    const counters = new Int32Array(new SharedArrayBuffer(4 * 4));
    const tasks = 80;
    const ws = [0, 1, 2].map(() => workers.start('pool-participant.js', { handle: sem.handle, counters: counters.buffer, tasks, limit }));
    const done = ws.map((w) => nextMessage<ParticipantResult>(w, 50_000));
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const participant = require('./fixtures/pool-participant.js');
    const mine: ParticipantResult = await within(
      participant.run({ pool: new PromisePool(sem), counters: counters.buffer, tasks, limit }),
      50_000,
      'main participant',
    );
    const results = await Promise.all(done);
    for (const r of results) expect(r).toMatchObject({ done: true });
    expect(Atomics.load(counters, 2)).toBe(0); // never above the limit
    expect(Atomics.load(counters, 1)).toBe(limit); // and it was reached
    expect(Atomics.load(counters, 3)).toBe(4 * tasks);
    expect(Atomics.load(counters, 0)).toBe(0);
    expect(mine.localMax).toBeLessThanOrEqual(limit);
    await until(() => sem.available === limit, 'every permit to come back', 10_000);
    expect(sem.waiting).toBe(0);
  });

  test('each worker may add a local cap (concurrency) on top of the shared limit', async () => {
    const limit = 6;
    const sem = new Semaphore(limit);
    const counters = new Int32Array(new SharedArrayBuffer(4 * 4));
    const tasks = 60;
    const ws = [0, 1, 2, 3].map(() =>
      workers.start('pool-participant.js', { handle: sem.handle, counters: counters.buffer, tasks, limit, localCap: 2 }),
    );
    const results = await Promise.all(ws.map((w) => nextMessage<ParticipantResult>(w, 50_000)));
    for (const r of results) {
      expect(r).toMatchObject({ done: true });
      expect(r.localMax).toBeLessThanOrEqual(2);
    }
    expect(Atomics.load(counters, 2)).toBe(0);
    expect(Atomics.load(counters, 1)).toBeLessThanOrEqual(limit);
    expect(Atomics.load(counters, 3)).toBe(4 * tasks);
    await until(() => sem.available === limit, 'every permit to come back', 10_000);
  });

  test('permits held by the tasks of a terminated worker come back', async () => {
    const limit = 3;
    const sem = new Semaphore(limit);
    const counters = new Int32Array(new SharedArrayBuffer(4 * 4));
    const w = workers.start('pool-participant.js', { handle: sem.handle, counters: counters.buffer, tasks: 10, limit, hang: true });
    await messageWhere<{ running?: number }>(w, (m) => m.running === limit);
    expect(sem.available).toBe(0);
    const pool = new PromisePool(sem);
    const p = pool.add(() => 'after the worker');
    const exited = exitOf(w);
    await w.terminate();
    await exited;
    expect(await within(p, 10_000, 'a task after the worker died')).toBe('after the worker');
    await until(() => sem.available === limit, "the dead worker's permits", 10_000);
  });
});
