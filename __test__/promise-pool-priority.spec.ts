// PromisePool: add(fn, { priority }) and add(fn, { timeout }), with a number limit and with a shared Semaphore.
import { PromisePool, Semaphore, TimeoutError, AbortError } from '../index';
import { random, seed, settle, until, within, sleep } from './helpers';
import { gate, rejectionOf } from './promise-pool-helpers';

/** A pool of one slot, local or limited by a shared Semaphore (its handle taken). */
const modes: [string, () => PromisePool][] = [
  ['local', () => new PromisePool(1)],
  ['shared Semaphore', () => new PromisePool({ limit: new Semaphore(1).handle })],
];

describe.each(modes)('priority (%s)', (_mode, make) => {
  test(`lower runs first, FIFO within a priority, default 0; random priorities (seed ${seed})`, async () => {
    const pool = make();
    const block = gate();
    const first = pool.add(() => block.promise);
    const order: number[] = [];
    const expected: [number, number][] = [];
    const ps: Promise<unknown>[] = [];
    for (let i = 0; i < 200; i++) {
      const r = random();
      // a third without options (priority 0), the rest from -3..3, some through a signal/timeout task object
      const priority = r < 0.33 ? undefined : Math.floor(random() * 7) - 3;
      const opts =
        priority === undefined
          ? undefined
          : r < 0.5
            ? { priority, signal: new AbortController().signal }
            : r < 0.6
              ? { priority, timeout: 60_000 }
              : { priority };
      expected.push([priority ?? 0, i]);
      ps.push(pool.add(() => order.push(i), opts));
    }
    expect(pool.pendingCount).toBe(200);
    block.open();
    await within(Promise.all([first, ...ps]), 20_000, 'tasks');
    expected.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    expect(order).toEqual(expected.map(([, i]) => i));
  });

  test('an aborted waiting task with a priority leaves its queue; the others keep their order', async () => {
    const pool = make();
    const block = gate();
    pool.add(() => block.promise);
    const order: string[] = [];
    const ac = new AbortController();
    const a = pool.add(() => order.push('a'), { priority: 5 });
    const b = pool.add(() => order.push('b'), { priority: 1, signal: ac.signal });
    const c = pool.add(() => order.push('c'), { priority: 1 });
    const d = pool.add(() => order.push('d'));
    ac.abort();
    expect(await rejectionOf(b)).toBeInstanceOf(AbortError);
    expect(pool.pendingCount).toBe(3);
    block.open();
    await within(Promise.all([a, c, d]), 10_000, 'tasks');
    expect(order).toEqual(['d', 'c', 'a']);
    // back to plain FIFO once the queue emptied
    const again = gate();
    pool.add(() => again.promise);
    const late: number[] = [];
    const ps = [0, 1, 2].map((i) => pool.add(() => late.push(i)));
    again.open();
    await Promise.all(ps);
    expect(late).toEqual([0, 1, 2]);
  });

  test('a task that adds with a priority (switching the queue) and then throws synchronously: counts stay exact', async () => {
    const pool = make();
    const block = gate();
    const order: string[] = [];
    pool.add(() => block.promise);
    const a = pool.add(() => {
      pool.add(() => order.push('p'), { priority: 1 });
      throw new Error('a');
    });
    const b = pool.add(() => order.push('b'));
    block.open();
    expect(((await rejectionOf(a)) as Error).message).toBe('a');
    await within(b, 10_000, 'b');
    await within(pool.onIdle(), 10_000, 'idle');
    expect(order).toEqual(['b', 'p']);
    expect(pool.pendingCount).toBe(0);
  });

  test('clear() rejects waiting tasks of every priority', async () => {
    const pool = make();
    const block = gate();
    const running = pool.add(() => block.promise);
    const ps = [3, 0, -1].map((priority) => pool.add(() => 1, { priority }));
    pool.clear();
    for (const p of ps) expect(((await rejectionOf(p)) as Error).name).toBe('PoolClearedError');
    block.open();
    await running;
    await within(pool.onIdle(), 5000, 'idle');
  });
});

describe.each(modes)('timeout (%s)', (_mode, make) => {
  test('rejects with TimeoutError and aborts the signal, even if fn ignores it; the slot stays taken until fn settles', async () => {
    const pool = make();
    const stuck = gate();
    let seen: AbortSignal | undefined;
    const p = pool.add(
      (signal) => {
        seen = signal;
        return stuck.promise; // ignores its signal
      },
      { timeout: 30 },
    );
    const next = pool.add(() => 'next');
    const error = await within(rejectionOf(p), 10_000, 'timeout');
    expect(error).toBeInstanceOf(TimeoutError);
    expect((error as Error).message).toBe('PromisePool task timed out after 30 ms');
    expect(seen!.aborted).toBe(true);
    expect(seen!.reason).toBe(error);
    // The limit holds: fn still runs, so `next` has not started.
    await settle();
    expect(pool.activeCount).toBe(1);
    expect(pool.pendingCount).toBe(1);
    stuck.open();
    expect(await within(next, 10_000, 'next')).toBe('next');
  });

  test('the timer starts when the task starts, not while it waits; a task that finishes in time is unaffected', async () => {
    const pool = make();
    const block = gate();
    pool.add(() => block.promise);
    const p = pool.add(() => 'ok', { timeout: 20 });
    await sleep(60); // waiting longer than its timeout
    block.open();
    expect(await within(p, 10_000, 'task')).toBe('ok');
  });

  test('a pool-wide timeout applies to every add; a task may set its own, or Infinity for none', async () => {
    const pool = new PromisePool(2, { timeout: 20 });
    const slow = () => new Promise((r) => setTimeout(() => r('late'), 200));
    expect(await within(rejectionOf(pool.add(slow)), 10_000, 'pool timeout')).toBeInstanceOf(TimeoutError);
    expect(await within(pool.add(slow, { timeout: Infinity }), 10_000, 'no timeout')).toBe('late');
    expect(await within(pool.add(slow, { timeout: 1000 }), 10_000, 'own timeout')).toBe('late');
    await until(() => pool.activeCount === 0, 'idle');
  });

  test('a signal and a timeout together: fn gets one signal that aborts on either', async () => {
    const pool = make();
    const ac = new AbortController();
    let seen: AbortSignal | undefined;
    const p = pool.add(
      (signal) => {
        seen = signal;
        return new Promise((_, reject) => signal!.addEventListener('abort', () => reject(signal!.reason)));
      },
      { signal: ac.signal, timeout: 60_000 },
    );
    ac.abort(new Error('user'));
    expect(((await within(rejectionOf(p), 10_000, 'abort')) as Error).message).toBe('user');
    expect(seen!.aborted).toBe(true);
  });

  test('bad priority and timeout values throw, naming the value', () => {
    const pool = make();
    expect(() => pool.add(() => 1, { priority: '1' as never })).toThrow('options.priority must be a number (lower runs first), got "1"');
    expect(() => pool.add(() => 1, { priority: NaN })).toThrow(RangeError);
    expect(() => pool.add(() => 1, { timeout: -1 })).toThrow('options.timeout must be a non-negative number of milliseconds (or Infinity), got -1');
    expect(() => new PromisePool(1, { timeout: 'x' as never })).toThrow(
      'options.timeout must be a non-negative number of milliseconds (or Infinity), got "x"',
    );
    expect(pool.pendingCount + pool.activeCount).toBe(0);
  });
});
