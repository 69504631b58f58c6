// PromisePool: limits, order, idle, clear, signals, map, async context, bad input,
// and a limit shared across threads through one Semaphore.
import { AsyncLocalStorage } from 'node:async_hooks';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { PromisePool, PoolClearedError, Semaphore, AbortError, ClosedError, ThreadkitError, InvalidHandleError } from '../index';
import { Workers, nextMessage, messageWhere, exitOf, until, randomPause, settle, track, within, sleep, root } from './helpers';

const workers = new Workers();
afterEach(() => workers.stopAll());

/** A promise with its resolver, to finish a task exactly when the test says so. */
function gate<T = void>() {
  let open!: (v: T) => void;
  let fail!: (e: unknown) => void;
  const promise = new Promise<T>((r, j) => {
    open = r;
    fail = j;
  });
  return { promise, open, fail };
}

/** Counts tasks in flight and remembers the most seen at once. */
function meter() {
  const m = { now: 0, max: 0, started: [] as number[] };
  const wrap =
    <T>(id: number, body: () => Promise<T>) =>
    async () => {
      m.started.push(id);
      m.max = Math.max(m.max, ++m.now);
      try {
        return await body();
      } finally {
        m.now--;
      }
    };
  return { m, wrap };
}

/** The rejection reason of `p` (fails the test if it fulfils). */
async function rejectionOf(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    (v) => {
      throw new Error(`expected a rejection, got ${String(v)}`);
    },
    (e) => e,
  );
}

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
    const results = await Promise.allSettled(Array.from({ length: 10 }, (_, i) => pool.add(async () => (i % 3 === 0 ? Promise.reject(new Error(`e${i}`)) : i))));
    expect(results.map((r) => (r.status === 'fulfilled' ? r.value : (r.reason as Error).message))).toEqual(['e0', 1, 2, 'e3', 4, 5, 'e6', 7, 8, 'e9']);
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

describe('map', () => {
  test('results in input order with random delays; fn gets (item, index, signal)', async () => {
    const pool = new PromisePool(3);
    const items = Array.from({ length: 40 }, (_, i) => `item${i}`);
    const { m, wrap } = meter();
    const seen: [string, number, boolean][] = [];
    const results = await pool.map(items, (item, i, signal) => {
      seen.push([item, i, signal instanceof AbortSignal && !signal.aborted]);
      return wrap(i, async () => {
        await randomPause();
        await randomPause();
        return item.toUpperCase();
      })();
    });
    expect(results).toEqual(items.map((s) => s.toUpperCase()));
    expect(seen).toEqual(items.map((s, i) => [s, i, true]));
    expect(m.max).toBe(3);
    expect(m.started).toEqual(items.map((_, i) => i));
  });

  test('any iterable: Set, generator, string; an empty one resolves to []', async () => {
    const pool = new PromisePool(2);
    expect(await pool.map(new Set([1, 2, 3]), async (x) => x * 2)).toEqual([2, 4, 6]);
    function* gen() {
      yield 'a';
      yield 'b';
    }
    expect(await pool.map(gen(), (x, i) => `${x}${i}`)).toEqual(['a0', 'b1']);
    expect(await pool.map('xy', (c) => c)).toEqual(['x', 'y']);
    expect(await pool.map([], () => 1)).toEqual([]);
  });

  test('stopOnError (default): the first error rejects, no further item starts, running items see their signal abort', async () => {
    const pool = new PromisePool(2);
    const started: number[] = [];
    const signals: AbortSignal[] = [];
    const gates = Array.from({ length: 10 }, () => gate());
    const boom = new Error('item 1 failed');
    const p = pool.map(Array.from({ length: 10 }, (_, i) => i), (i, _index, signal) => {
      started.push(i);
      signals.push(signal);
      return gates[i].promise.then(() => {
        if (i === 1) throw boom;
        return i;
      });
    });
    expect(started).toEqual([0, 1]);
    expect(pool.pendingCount).toBe(8);
    gates[1].open();
    expect(await rejectionOf(p)).toBe(boom);
    expect(pool.pendingCount).toBe(0);
    expect(signals[0].aborted).toBe(true); // item 0 still runs; it is told to stop
    expect(signals[0].reason).toBe(boom);
    gates[0].open();
    for (const g of gates) g.open();
    await pool.onIdle();
    expect(started).toEqual([0, 1]);
  });

  test('stopOnError also covers synchronous throws; items after the thrower never start', async () => {
    const pool = new PromisePool(Infinity);
    const started: number[] = [];
    const e = await rejectionOf(
      pool.map([0, 1, 2, 3], (i) => {
        started.push(i);
        if (i === 1) throw new TypeError('sync');
        return new Promise(() => {}); // never settles: the map must not wait for it
      }),
    );
    expect(e).toBeInstanceOf(TypeError);
    expect(started).toEqual([0, 1]);
    expect(pool.pendingCount).toBe(0);
  });

  test('items that fail after a map gave up cause no unhandled rejection', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (e: unknown) => unhandled.push(e);
    process.on('unhandledRejection', onUnhandled);
    try {
      const pool = new PromisePool(4);
      const g = gate();
      const p = pool.map([0, 1, 2, 3, 4, 5], async (i) => {
        if (i === 0) throw new Error('first');
        await g.promise;
        throw new Error(`later ${i}`);
      });
      expect(((await rejectionOf(p)) as Error).message).toBe('first');
      g.open();
      await pool.onIdle();
      await sleep(10);
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });

  test('stopOnError: false runs every item and rejects with an AggregateError of all errors in input order', async () => {
    const pool = new PromisePool(Infinity);
    const started: number[] = [];
    const gates = Array.from({ length: 12 }, () => gate());
    const p = pool.map(
      Array.from({ length: 12 }, (_, i) => i),
      async (i) => {
        started.push(i);
        await gates[i].promise;
        if (i % 4 === 1) throw new Error(`e${i}`);
        return i;
      },
      { stopOnError: false },
    );
    const failure = rejectionOf(p);
    // settle them in reverse order, so that failures arrive as e9, e5, e1
    for (let i = 11; i >= 0; i--) {
      gates[i].open();
      await settle(1);
    }
    const e = await failure;
    expect(e).toBeInstanceOf(AggregateError);
    expect((e as AggregateError).errors.map((x: Error) => x.message)).toEqual(['e1', 'e5', 'e9']);
    expect((e as AggregateError).message).toMatch(/3 of 12/);
    expect(started).toEqual(Array.from({ length: 12 }, (_, i) => i));
  });

  test('items pushed onto the array while the map runs are not mapped', async () => {
    const pool = new PromisePool(1);
    const items = [1, 2, 3];
    const r = await pool.map(items, async (x) => {
      items.push(x + 10);
      return x;
    });
    expect(r).toEqual([1, 2, 3]);
  });

  test('stopOnError: false with no failure resolves normally', async () => {
    const pool = new PromisePool(2);
    expect(await pool.map([3, 2, 1], async (x) => x, { stopOnError: false })).toEqual([3, 2, 1]);
  });

  test('options.signal: aborting rejects the map with AbortError and starts nothing more', async () => {
    const pool = new PromisePool(1);
    const ac = new AbortController();
    const g = gate();
    const started: number[] = [];
    const p = pool.map([0, 1, 2, 3], async (i, _index, signal) => {
      started.push(i);
      await g.promise;
      return signal.aborted;
    }, { signal: ac.signal });
    expect(started).toEqual([0]);
    ac.abort('enough');
    const e = await rejectionOf(p);
    expect(e).toBeInstanceOf(AbortError);
    expect((e as Error).cause).toBe('enough');
    expect(pool.pendingCount).toBe(0);
    g.open();
    await pool.onIdle();
    expect(started).toEqual([0]);
    // already aborted: nothing starts at all
    const fn = jest.fn();
    expect(await rejectionOf(pool.map([1], fn, { signal: AbortSignal.abort() }))).toBeInstanceOf(AbortError);
    expect(fn).not.toHaveBeenCalled();
  });

  test('options.concurrency caps this map below the pool, and leaves room for other tasks', async () => {
    const pool = new PromisePool(4);
    const { m, wrap } = meter();
    const p = pool.map(Array.from({ length: 20 }, (_, i) => i), (i) => wrap(i, async () => (await randomPause(), i))(), { concurrency: 2 });
    expect(pool.activeCount).toBe(2);
    // another caller gets in at once, although the map has 18 items left
    const g = gate();
    const other = track(pool.add(() => (g.open(), 'other')));
    await g.promise;
    expect(await p).toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect(m.max).toBe(2);
    await settle();
    expect(other.value).toBe('other');
  });

  test('the pool limit also applies to map, across several maps and adds at once', async () => {
    const pool = new PromisePool(3);
    const { m, wrap } = meter();
    const job = (i: number) => wrap(i, async () => (await randomPause(), i))();
    const all = await Promise.all([pool.map([1, 2, 3, 4, 5], job), pool.add(() => job(0)), pool.map([6, 7, 8, 9], job)]);
    expect(all).toEqual([[1, 2, 3, 4, 5], 0, [6, 7, 8, 9]]);
    expect(m.max).toBe(3);
  });

  test('clear() rejects a map whose items are still waiting', async () => {
    const pool = new PromisePool(1);
    const g = gate();
    const first = pool.add(() => g.promise);
    const strict = pool.map([1, 2], (x) => x);
    const lenient = pool.map([3, 4], (x) => x, { stopOnError: false });
    expect(pool.pendingCount).toBe(4);
    pool.clear();
    expect(await rejectionOf(strict)).toBeInstanceOf(PoolClearedError);
    const agg = (await rejectionOf(lenient)) as AggregateError;
    expect(agg.errors.map((e) => e instanceof PoolClearedError)).toEqual([true, true]);
    g.open();
    await first;
    await pool.onIdle();
  });
});

describe('async context (AsyncLocalStorage)', () => {
  test('every task runs in the context of its add call, queued or not', async () => {
    const als = new AsyncLocalStorage<string>();
    const pool = new PromisePool(2);
    const ps: Promise<[string | undefined, string | undefined]>[] = [];
    for (let i = 0; i < 10; i++) {
      ps.push(
        als.run(`ctx${i}`, () =>
          pool.add(async () => {
            const before = als.getStore();
            await randomPause();
            return [before, als.getStore()];
          }),
        ),
      );
    }
    ps.push(pool.add(async () => [als.getStore(), als.getStore()])); // added outside any context
    const got = await Promise.all(ps);
    expect(got).toEqual([...Array.from({ length: 10 }, (_, i) => [`ctx${i}`, `ctx${i}`]), [undefined, undefined]]);
  });

  test('a queued task does not see the context of the task whose end started it', async () => {
    const als = new AsyncLocalStorage<string>();
    const pool = new PromisePool(1);
    const g = gate();
    const a = als.run('A', () => pool.add(() => g.promise.then(() => als.getStore())));
    const b = pool.add(() => als.getStore());
    const c = als.run('C', () => pool.add(() => als.getStore()));
    g.open();
    expect(await Promise.all([a, b, c])).toEqual(['A', undefined, 'C']);
  });

  test('a task added while no async hook was on sees no store, even if it starts inside a context set up later', () => {
    // In a fresh process, so that no AsyncLocalStorage or hook is on when the tasks are added.
    const r = spawnSync(
      process.execPath,
      [
        '-e',
        `const { PromisePool } = require(${JSON.stringify(root)});
         const { AsyncLocalStorage } = require('node:async_hooks');
         const als = new AsyncLocalStorage(); // not enabled before its first run()
         const pool = new PromisePool(1);
         let open;
         const first = pool.add(() => new Promise((r) => (open = r)));
         const seen = [];
         const b = pool.add(() => { seen.push(String(als.getStore())); als.enterWith('set by b'); });
         const c = pool.add(async () => { await null; seen.push(String(als.getStore())); });
         als.run('request', () => { pool.concurrency = 3; }); // b and c start here, inside 'request'
         const d = als.run('d', () => pool.add(async () => { await null; seen.push(String(als.getStore())); }));
         open();
         Promise.all([first, b, c, d]).then(() => console.log(seen.join(' ')));`,
      ],
      { cwd: root, encoding: 'utf8', timeout: 30_000 },
    );
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe('undefined undefined d');
  });

  test("a process's first burst of waiting tasks records no context while no hook is on, and one per task while one is", () => {
    // Counts the pool's context objects (class Scope) in a heap snapshot of a fresh process.
    const count = (withAls: boolean) => {
      const r = spawnSync(
        process.execPath,
        [
          '-e',
          `const { PromisePool } = require(${JSON.stringify(root)});
           const { AsyncLocalStorage } = require('node:async_hooks');
           const v8 = require('node:v8');
           const als = new AsyncLocalStorage();
           const pool = new PromisePool(1);
           let open;
           const ps = [pool.add(() => new Promise((r) => (open = r)))];
           const addAll = () => { for (let i = 0; i < 2000; i++) ps.push(pool.add(async () => i)); };
           if (${withAls}) als.run('ctx', addAll); else addAll();
           const fs = require('node:fs');
           const file = v8.writeHeapSnapshot(require('node:path').join(require('node:os').tmpdir(), 'tk-' + process.pid + '.heapsnapshot'));
           const snap = JSON.parse(fs.readFileSync(file));
           fs.unlinkSync(file);
           const f = snap.snapshot.meta.node_fields, n = f.length, name = f.indexOf('name'), type = f.indexOf('type');
           const objectType = snap.snapshot.meta.node_types[0].indexOf('object');
           let scopes = 0;
           for (let i = 0; i < snap.nodes.length; i += n) if (snap.nodes[i + type] === objectType && snap.strings[snap.nodes[i + name]] === 'Scope') scopes++;
           open();
           Promise.all(ps).then((r) => console.log(scopes, r.length));`,
        ],
        { cwd: root, encoding: 'utf8', timeout: 60_000 },
      );
      expect(r.stderr).toBe('');
      return r.stdout.trim();
    };
    expect(count(false)).toBe('0 2001');
    expect(count(true)).toBe('2000 2001');
  });

  test('map items run in the context of the map call', async () => {
    const als = new AsyncLocalStorage<number>();
    const pool = new PromisePool(2);
    const [x, y] = await Promise.all([
      als.run(1, () => pool.map([0, 1, 2, 3], async () => (await randomPause(), als.getStore()))),
      als.run(2, () => pool.map([0, 1, 2], async () => (await randomPause(), als.getStore()))),
    ]);
    expect(x).toEqual([1, 1, 1, 1]);
    expect(y).toEqual([2, 2, 2]);
  });
});

describe('bad input', () => {
  test.each([
    [0, RangeError, 'concurrency must be a positive integer or Infinity, got 0'],
    [-1, RangeError, 'concurrency must be a positive integer or Infinity, got -1'],
    [NaN, RangeError, 'concurrency must be a positive integer or Infinity, got NaN'],
    [1.5, RangeError, 'concurrency must be a positive integer or Infinity, got 1.5'],
    [-Infinity, RangeError, 'concurrency must be a positive integer or Infinity, got -Infinity'],
    ['3', TypeError, 'needs a concurrency'],
    [undefined, TypeError, 'needs a concurrency'],
    [null, TypeError, 'needs a concurrency'],
    [{}, TypeError, 'needs options.concurrency'],
    [{ concurrency: 0 }, RangeError, 'options.concurrency must be a positive integer or Infinity, got 0'],
    [{ concurrency: 2, limt: 1 }, TypeError, 'options.limt is not an option'],
    [{ limit: 5 }, TypeError, 'options.limit must be a threadkit Semaphore or its `handle`, got 5'],
  ])('new PromisePool(%p) throws %p', (arg, Err, message) => {
    expect(() => new PromisePool(arg as never)).toThrow(Err);
    expect(() => new PromisePool(arg as never)).toThrow(message);
  });

  test('a limit that looks like a handle but is not one throws InvalidHandleError', () => {
    const mutexHandle = { __threadkit: 'Mutex', id: 1, max: 1, state: new SharedArrayBuffer(4) };
    expect(() => new PromisePool({ limit: mutexHandle } as never)).toThrow(InvalidHandleError);
    expect(() => new PromisePool(mutexHandle as never)).toThrow(InvalidHandleError);
  });

  test('add: a non-function or malformed options throw TypeError synchronously; nothing is queued', () => {
    const pool = new PromisePool(1);
    for (const bad of [undefined, null, 5, 'fn', {}, Promise.resolve()]) {
      expect(() => pool.add(bad as never)).toThrow(TypeError);
    }
    expect(() => pool.add(5 as never)).toThrow('fn must be a function, got 5');
    expect(() => pool.add(() => 1, null as never)).toThrow(TypeError);
    expect(() => pool.add(() => 1, { signal: 'x' } as never)).toThrow('options.signal must be an AbortSignal');
    expect(() => pool.add(() => 1, { timeout: 5 } as never)).toThrow('options.timeout is not an option');
    expect(pool.activeCount + pool.pendingCount).toBe(0);
  });

  test('map: a non-iterable or malformed options throw synchronously', () => {
    const pool = new PromisePool(1);
    for (const bad of [5, null, undefined, {}, { length: 2 }]) {
      expect(() => pool.map(bad as never, () => 1)).toThrow(TypeError);
    }
    expect(() => pool.map({} as never, () => 1)).toThrow('map() needs an iterable');
    expect(() => pool.map([1], 'x' as never)).toThrow('fn must be a function');
    expect(() => pool.map([1], () => 1, { stopOnError: 'yes' } as never)).toThrow('options.stopOnError must be a boolean, got "yes"');
    expect(() => pool.map([1], () => 1, { concurrency: 0 })).toThrow(RangeError);
    expect(() => pool.map([1], () => 1, { signal: {} } as never)).toThrow('options.signal must be an AbortSignal');
    expect(() => pool.map([1], () => 1, { limit: 2 } as never)).toThrow('options.limit is not an option');
    expect(() => pool.map([1], () => 1, 7 as never)).toThrow(TypeError);
    expect(pool.activeCount + pool.pendingCount).toBe(0);
  });

  test('an iterable that throws while being read rejects nothing and queues nothing', () => {
    const pool = new PromisePool(1);
    function* bad() {
      yield 1;
      throw new Error('iterator broke');
    }
    expect(() => pool.map(bad(), () => 1)).toThrow('iterator broke');
    expect(pool.activeCount + pool.pendingCount).toBe(0);
  });
});

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

  test('two pools on one Semaphore share it: together they never pass it', async () => {
    const sem = new Semaphore(3);
    const a = new PromisePool(sem);
    const b = new PromisePool(sem);
    const { m, wrap } = meter();
    const job = (i: number) => wrap(i, async () => (await randomPause(), i));
    const all = await within(Promise.all([a.map(Array.from({ length: 30 }, (_, i) => i), (i) => job(i)()), b.map(Array.from({ length: 30 }, (_, i) => i), (i) => job(i)())]), 20_000, 'maps');
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
    const mine: ParticipantResult = await within(participant.run({ pool: new PromisePool(sem), counters: counters.buffer, tasks, limit }), 50_000, 'main participant');
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
    const ws = [0, 1, 2, 3].map(() => workers.start('pool-participant.js', { handle: sem.handle, counters: counters.buffer, tasks, limit, localCap: 2 }));
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
    await until(() => sem.available === limit, 'the dead worker\'s permits', 10_000);
  });
});

describe('module formats', () => {
  test('PromisePool and PoolClearedError are exported from both entries as the same objects', () => {
    const r = spawnSync(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `import { PromisePool, PoolClearedError } from ${JSON.stringify(path.join(root, 'index.mjs'))};
         import { createRequire } from 'node:module';
         const cjs = createRequire(import.meta.url)(${JSON.stringify(root)});
         if (PromisePool !== cjs.PromisePool || PoolClearedError !== cjs.PoolClearedError) throw new Error('two copies');
         console.log('esm ok', await new PromisePool(2).map([1, 2], (x) => x * 2));`,
      ],
      { cwd: root, encoding: 'utf8', timeout: 30_000 },
    );
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe('esm ok [ 2, 4 ]');
  });
});
