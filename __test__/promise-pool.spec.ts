// PromisePool: add, idle, the concurrency setter, clear, per-task signals
// (bad input and module formats: promise-pool-input.spec.ts).
import { PromisePool, PoolClearedError, AbortError, ThreadkitError } from '../index';
import { until, randomPause, settle, track, within } from './helpers';
import { gate, meter, rejectionOf } from './promise-pool-helpers';

describe('add', () => {
  test('resolves with the result of fn; fn gets no argument without a signal', async () => {
    const pool = new PromisePool(2);
    const args: unknown[][] = [];
    const results = await Promise.all([
      pool.add(async (...a: unknown[]) => (args.push(a), 1)),
      pool.add((...a: unknown[]) => (args.push(a), 'sync value')),
      pool.add(() => ({ then: (r: (v: number) => void) => r(3) }) as unknown as PromiseLike<number>), // a thenable
    ]);
    expect(results).toEqual([1, 'sync value', 3]);
    expect(args).toEqual([[], []]);
  });

  test.each([1, 3, 8])('never more than concurrency=%i at once, the limit is reached, FIFO start order', async (c) => {
    const pool = new PromisePool(c);
    const { m, wrap } = meter();
    const n = 60;
    const ps = Array.from({ length: n }, (_, i) =>
      pool.add(
        wrap(i, async () => {
          await randomPause();
          await randomPause();
          return i * 2;
        }),
      ),
    );
    expect(pool.activeCount).toBe(c);
    expect(pool.pendingCount).toBe(n - c);
    const results = await within(Promise.all(ps), 20_000, 'all tasks');
    expect(results).toEqual(Array.from({ length: n }, (_, i) => i * 2));
    expect(m.max).toBe(c);
    expect(m.started).toEqual(Array.from({ length: n }, (_, i) => i));
    expect(pool.activeCount).toBe(0);
    expect(pool.pendingCount).toBe(0);
  });

  test('Infinity runs everything at once', async () => {
    const pool = new PromisePool(Infinity);
    const g = gate();
    const ps = Array.from({ length: 50 }, () => pool.add(() => g.promise));
    expect(pool.activeCount).toBe(50);
    expect(pool.pendingCount).toBe(0);
    g.open();
    await Promise.all(ps);
    expect(pool.activeCount).toBe(0);
  });

  test('a task starts synchronously inside add when there is room, and queues otherwise', () => {
    const pool = new PromisePool(1);
    const started: string[] = [];
    const g = gate();
    void pool.add(() => (started.push('a'), g.promise));
    expect(started).toEqual(['a']);
    void pool.add(async () => void started.push('b'));
    expect(started).toEqual(['a']);
    expect(pool.pendingCount).toBe(1);
    g.open();
    return pool.onIdle().then(() => expect(started).toEqual(['a', 'b']));
  });

  test('a synchronous throw in fn becomes a rejection, and the slot is freed', async () => {
    const pool = new PromisePool(1);
    const boom = new Error('boom');
    const p = pool.add(() => {
      throw boom;
    });
    expect(p).toBeInstanceOf(Promise);
    expect(await rejectionOf(p)).toBe(boom);
    // the same for a queued task
    const g = gate();
    const first = pool.add(() => g.promise);
    const queued = pool.add(() => {
      throw boom;
    });
    const after = pool.add(() => 'after');
    g.open();
    await first;
    expect(await rejectionOf(queued)).toBe(boom);
    expect(await after).toBe('after');
    expect(pool.activeCount).toBe(0);
  });

  test('rejections pass through unchanged and do not stop the pool', async () => {
    const pool = new PromisePool(2);
    const results = await Promise.allSettled(
      Array.from({ length: 10 }, (_, i) => pool.add(async () => (i % 3 === 0 ? Promise.reject(new Error(`e${i}`)) : i))),
    );
    expect(results.map((r) => (r.status === 'fulfilled' ? r.value : (r.reason as Error).message))).toEqual([
      'e0',
      1,
      2,
      'e3',
      4,
      5,
      'e6',
      7,
      8,
      'e9',
    ]);
  });

  test('100k synchronous tasks queued at once finish without a stack overflow', async () => {
    const pool = new PromisePool(4);
    let calls = 0;
    const ps: Promise<number>[] = [];
    for (let i = 0; i < 100_000; i++) ps.push(pool.add(() => ++calls));
    const r = await within(Promise.all(ps), 30_000, '100k tasks');
    expect(calls).toBe(100_000);
    expect(r[99_999]).toBe(100_000);
  });

  test('100k queued tasks that throw synchronously all reject, in order, without a stack overflow', async () => {
    const pool = new PromisePool(2);
    const g = gate();
    const held = [pool.add(() => g.promise), pool.add(() => g.promise)];
    const ps: Promise<never>[] = [];
    for (let i = 0; i < 100_000; i++) {
      ps.push(
        pool.add(() => {
          throw new Error(`e${i}`);
        }),
      );
    }
    g.open();
    await Promise.all(held);
    const results = await within(Promise.allSettled(ps), 30_000, '100k throwing tasks');
    expect(results.every((r, i) => r.status === 'rejected' && (r.reason as Error).message === `e${i}`)).toBe(true);
    expect(pool.activeCount + pool.pendingCount).toBe(0);
  });

  test('works, and keeps its limit, while the global Promise is replaced (zone.js, polyfills)', async () => {
    const Original = global.Promise;
    class Foreign<T> {
      #p: Promise<T>;
      constructor(executor: (resolve: (v: T) => void, reject: (e: unknown) => void) => void) {
        this.#p = new Original(executor);
      }
      then<A, B>(a?: (v: T) => A, b?: (e: unknown) => B) {
        return this.#p.then(a, b);
      }
      static resolve<T>(v: T) {
        return new Foreign<T>((r) => r(v));
      }
      static reject(e: unknown) {
        return new Foreign<never>((_, j) => j(e));
      }
    }
    const pool = new PromisePool(1);
    let running = 0;
    let max = 0;
    const task = (i: number) => () =>
      new Original<number>((r) => {
        max = Math.max(max, ++running);
        setTimeout(() => {
          running--;
          r(i);
        }, 5);
      });
    (global as { Promise: unknown }).Promise = Foreign;
    let ps: PromiseLike<number>[];
    try {
      ps = [0, 1, 2].map((i) => pool.add(task(i)));
    } finally {
      global.Promise = Original;
    }
    expect(await within(Original.all(ps), 10_000, 'tasks')).toEqual([0, 1, 2]);
    expect(max).toBe(1);
  });

  test('a task whose promise has a misbehaving constructor/species settles and does not wedge the pool', async () => {
    const pool = new PromisePool(1);
    const odd = () => {
      const p = Promise.resolve('x');
      let reads = 0;
      Object.defineProperty(p, 'constructor', {
        get: () =>
          reads++ === 0
            ? Promise
            : {
                [Symbol.species]: function () {
                  throw new Error('species');
                },
              },
      });
      return p;
    };
    const a = pool.add(odd);
    const b = pool.add(async () => 'next');
    const [ra, rb] = await within(Promise.allSettled([a, b]), 5000, 'both tasks');
    expect(['x', 'species']).toContain(ra.status === 'fulfilled' ? ra.value : (ra.reason as Error).message);
    expect(rb).toEqual({ status: 'fulfilled', value: 'next' });
    expect(pool.activeCount + pool.pendingCount).toBe(0);
  });

  test('a task may return a plain value, a thenable, or a thenable that throws', async () => {
    const pool = new PromisePool(1);
    const boom = new Error('then threw');
    const values = pool.add(() => 5 as unknown as Promise<number>);
    const thenable = pool.add(() => ({ then: (resolve: (v: number) => void) => setTimeout(() => resolve(7), 5) }) as unknown as Promise<number>);
    const bad = pool.add(
      () =>
        ({
          then: () => {
            throw boom;
          },
        }) as unknown as Promise<number>,
    );
    const last = pool.add(async () => 9);
    expect(await values).toBe(5);
    expect(await thenable).toBe(7);
    expect(await rejectionOf(bad)).toBe(boom);
    expect(await last).toBe(9);
  });

  test('a task may add more tasks to its own pool', async () => {
    const pool = new PromisePool(2);
    const order: string[] = [];
    const inner: Promise<unknown>[] = [];
    await Promise.all(
      [0, 1, 2].map((i) =>
        pool.add(async () => {
          order.push(`outer${i}`);
          inner.push(pool.add(async () => void order.push(`inner${i}`)));
        }),
      ),
    );
    await Promise.all(inner);
    expect(order.filter((x) => x.startsWith('outer'))).toEqual(['outer0', 'outer1', 'outer2']);
    expect(order.filter((x) => x.startsWith('inner')).sort()).toEqual(['inner0', 'inner1', 'inner2']);
    await pool.onIdle();
  });
});

describe('onIdle', () => {
  test('resolves at once when idle', async () => {
    const pool = new PromisePool(3);
    const t = track(pool.onIdle());
    await settle(1);
    expect(t.settled).toBe(true);
  });

  test('resolves only once nothing runs and nothing waits; every waiter is told', async () => {
    const pool = new PromisePool(1);
    const g1 = gate();
    const g2 = gate();
    const p1 = pool.add(() => g1.promise);
    const p2 = pool.add(() => g2.promise);
    const idle = [track(pool.onIdle()), track(pool.onIdle())];
    g1.open();
    await p1;
    await settle();
    expect(pool.activeCount).toBe(1);
    expect(idle.some((t) => t.settled)).toBe(false);
    g2.fail(new Error('failures count as finished'));
    await rejectionOf(p2);
    await settle();
    expect(idle.every((t) => t.fulfilled)).toBe(true);
  });
});

describe('concurrency setter', () => {
  test('raising it starts pending tasks at once', async () => {
    const pool = new PromisePool(1);
    const g = gate();
    const ps = Array.from({ length: 6 }, () => pool.add(() => g.promise));
    expect([pool.activeCount, pool.pendingCount]).toEqual([1, 5]);
    pool.concurrency = 4;
    expect(pool.concurrency).toBe(4);
    expect([pool.activeCount, pool.pendingCount]).toEqual([4, 2]);
    pool.concurrency = Infinity;
    expect([pool.activeCount, pool.pendingCount]).toEqual([6, 0]);
    g.open();
    await Promise.all(ps);
  });

  test('lowering it lets running tasks finish and starts nothing until below the new limit', async () => {
    const pool = new PromisePool(4);
    const gates = Array.from({ length: 10 }, () => gate());
    const { m, wrap } = meter();
    const ps = gates.map((g, i) => pool.add(wrap(i, () => g.promise)));
    expect(pool.activeCount).toBe(4);
    pool.concurrency = 2;
    expect(pool.activeCount).toBe(4); // nothing is interrupted
    m.max = 0;
    gates[0].open();
    await ps[0];
    await settle();
    expect(pool.activeCount).toBe(3); // no new start: 3 >= 2
    expect(m.started).toEqual([0, 1, 2, 3]);
    gates[1].open();
    gates[2].open();
    await Promise.all([ps[1], ps[2]]);
    await settle();
    expect(pool.activeCount).toBe(2); // one new task started (task 4) as soon as fewer than 2 ran
    expect(m.started).toEqual([0, 1, 2, 3, 4]);
    for (const g of gates) g.open();
    await Promise.all(ps);
    expect(m.max).toBeLessThanOrEqual(3);
  });

  test('a bad value throws and keeps the old one', () => {
    const pool = new PromisePool(3);
    for (const bad of [0, -1, NaN, 1.5]) expect(() => (pool.concurrency = bad)).toThrow(RangeError);
    expect(() => (pool.concurrency = '2' as never)).toThrow(TypeError);
    expect(() => (pool.concurrency = 0)).toThrow('concurrency must be a positive integer or Infinity, got 0');
    expect(pool.concurrency).toBe(3);
  });
});

describe('clear', () => {
  test('pending tasks reject with PoolClearedError; running ones finish; the pool stays usable', async () => {
    const pool = new PromisePool(2);
    const g = gate<string>();
    const calls: number[] = [];
    const running = [pool.add(() => g.promise), pool.add(() => g.promise)];
    const pending = Array.from({ length: 5 }, (_, i) => pool.add(async () => void calls.push(i)));
    expect(pool.pendingCount).toBe(5);
    pool.clear();
    expect(pool.pendingCount).toBe(0);
    expect(pool.activeCount).toBe(2);
    for (const p of pending) {
      const e = await rejectionOf(p);
      expect(e).toBeInstanceOf(PoolClearedError);
      expect(e).toBeInstanceOf(ThreadkitError);
      expect((e as PoolClearedError).code).toBe('ERR_THREADKIT_POOL_CLEARED');
      expect((e as Error).message).toMatch(/clear\(\)/);
    }
    g.open('done');
    expect(await Promise.all(running)).toEqual(['done', 'done']);
    expect(calls).toEqual([]);
    expect(await pool.add(() => 'again')).toBe('again');
    await pool.onIdle();
  });

  test('clear on an idle pool does nothing; onIdle waits for the running tasks only', async () => {
    const pool = new PromisePool(1);
    pool.clear();
    const g = gate();
    const p = pool.add(() => g.promise);
    const q = pool.add(() => 1);
    const idle = track(pool.onIdle());
    pool.clear();
    await rejectionOf(q);
    await settle();
    expect(idle.settled).toBe(false);
    g.open();
    await p;
    await within(pool.onIdle(), 5000, 'onIdle');
    await settle();
    expect(idle.fulfilled).toBe(true);
  });
});

describe('per-task signal', () => {
  test('an already aborted signal rejects with AbortError and fn is never called', async () => {
    const pool = new PromisePool(1);
    const fn = jest.fn();
    const e = await rejectionOf(pool.add(fn, { signal: AbortSignal.abort('nope') }));
    expect(e).toBeInstanceOf(AbortError);
    expect((e as AbortError).code).toBe('ABORT_ERR');
    expect((e as Error).cause).toBe('nope');
    expect(fn).not.toHaveBeenCalled();
    expect(pool.pendingCount).toBe(0);
  });

  test('aborting a pending task removes it at once, from anywhere in the queue; the others keep their order', async () => {
    const pool = new PromisePool(1);
    const g = gate();
    const started: number[] = [];
    const first = pool.add(() => g.promise);
    const acs = Array.from({ length: 5 }, () => new AbortController());
    const ps = acs.map((ac, i) => pool.add(async () => void started.push(i), { signal: ac.signal }));
    expect(pool.pendingCount).toBe(5);
    acs[2].abort(new Error('middle'));
    expect(pool.pendingCount).toBe(4);
    acs[0].abort();
    acs[4].abort();
    expect(pool.pendingCount).toBe(2);
    for (const i of [0, 2, 4]) expect(await rejectionOf(ps[i])).toBeInstanceOf(AbortError);
    expect(((await rejectionOf(ps[2])) as Error).cause).toEqual(new Error('middle'));
    g.open();
    await first;
    await Promise.all([ps[1], ps[3]]);
    expect(started).toEqual([1, 3]);
    await pool.onIdle();
  });

  test('many aborted tasks mixed with plain ones: the rest start in FIFO order, and the queue stays usable', async () => {
    const pool = new PromisePool(1);
    const g = gate();
    const started: number[] = [];
    const first = pool.add(() => g.promise);
    const ps: Promise<void>[] = [];
    const kept: number[] = [];
    const toAbort: AbortController[] = [];
    for (let i = 0; i < 300; i++) {
      const body = async () => void started.push(i);
      if (i % 3 === 0) {
        ps.push(pool.add(body)); // plain tasks between the ones with a signal
        kept.push(i);
      } else {
        const ac = new AbortController();
        ps.push(pool.add(body, { signal: ac.signal }));
        if (i % 4 === 0) kept.push(i);
        else toAbort.push(ac);
      }
    }
    toAbort.forEach((ac) => ac.abort()); // enough dead entries to compact the queue
    expect(pool.pendingCount).toBe(kept.length);
    const late = pool.add(async () => void started.push(300));
    g.open();
    await first;
    await late;
    await Promise.allSettled(ps);
    expect(started).toEqual([...kept, 300]);
    await pool.onIdle();
    expect(pool.pendingCount).toBe(0);
  });

  test('aborting the last pending task makes the pool idle', async () => {
    const pool = new PromisePool(1);
    const g = gate();
    const running = pool.add(() => g.promise);
    const ac = new AbortController();
    const p = pool.add(() => 1, { signal: ac.signal });
    const idle = track(pool.onIdle());
    ac.abort();
    await rejectionOf(p);
    g.open();
    await running;
    await settle();
    expect(idle.fulfilled).toBe(true);
  });

  test('a running task gets the signal as its argument and can stop cooperatively', async () => {
    const pool = new PromisePool(1);
    const ac = new AbortController();
    let seen: AbortSignal | undefined;
    const p = pool.add(
      (signal) =>
        new Promise((resolve, reject) => {
          seen = signal;
          signal!.addEventListener('abort', () => reject(new Error('stopped by the task itself')));
        }),
      { signal: ac.signal },
    );
    expect(seen).toBe(ac.signal);
    expect(pool.activeCount).toBe(1);
    ac.abort();
    expect(((await rejectionOf(p)) as Error).message).toBe('stopped by the task itself');
    expect(pool.activeCount).toBe(0);
  });

  test('a queued task gets the signal too, and aborting after it settled changes nothing', async () => {
    const pool = new PromisePool(1);
    const g = gate();
    void pool.add(() => g.promise);
    const ac = new AbortController();
    const p = pool.add((s) => s, { signal: ac.signal });
    g.open();
    expect(await p).toBe(ac.signal);
    ac.abort();
    expect(pool.pendingCount).toBe(0);
    await pool.onIdle();
  });
});
