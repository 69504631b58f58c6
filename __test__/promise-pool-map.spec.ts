// PromisePool.map: order, iterables, stopOnError, signals, its own concurrency, clear.
import { PromisePool, PoolClearedError, AbortError } from '../index';
import { randomPause, settle, track, sleep, within } from './helpers';
import { gate, meter, rejectionOf } from './promise-pool-helpers';

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
    const p = pool.map(
      Array.from({ length: 10 }, (_, i) => i),
      (i, _index, signal) => {
        started.push(i);
        signals.push(signal);
        return gates[i].promise.then(() => {
          if (i === 1) throw boom;
          return i;
        });
      },
    );
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

  test('5000 items that throw synchronously, one at a time on an unlimited pool: no stack overflow, all errors reported', async () => {
    const pool = new PromisePool(Infinity);
    const items = Array.from({ length: 5000 }, (_, i) => i);
    const err = await rejectionOf(
      pool.map(
        items,
        (i) => {
          throw new Error(`e${i}`);
        },
        { concurrency: 1, stopOnError: false },
      ),
    );
    expect(err).toBeInstanceOf(AggregateError);
    expect((err as AggregateError).errors.map((e: Error) => e.message)).toEqual(items.map((i) => `e${i}`));
    await within(pool.onIdle(), 10_000, 'idle');
    expect(pool.activeCount).toBe(0);
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

  test('an array is read at the call: a caller that reuses its buffer right after still gets its items mapped', async () => {
    const pool = new PromisePool(1);
    const seen: unknown[] = [];
    const buffer = ['a', 'b', 'c', 'd'];
    const mapped = pool.map(buffer, async (x) => (seen.push(x), x), { concurrency: 2 });
    buffer.length = 0;
    buffer.push('w', 'x', 'y', 'z');
    expect(await mapped).toEqual(['a', 'b', 'c', 'd']);
    expect(seen).toEqual(['a', 'b', 'c', 'd']);
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
    const p = pool.map(
      [0, 1, 2, 3],
      async (i, _index, signal) => {
        started.push(i);
        await g.promise;
        return signal.aborted;
      },
      { signal: ac.signal },
    );
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
    const p = pool.map(
      Array.from({ length: 20 }, (_, i) => i),
      (i) => wrap(i, async () => (await randomPause(), i))(),
      { concurrency: 2 },
    );
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
    // As the README says, with stopOnError: false too: the map is given up, not its items one by one.
    expect(await rejectionOf(lenient)).toBeInstanceOf(PoolClearedError);
    g.open();
    await first;
    await pool.onIdle();
  });

  test.each([true, false])(
    'clear() with a map window (stopOnError: %p): nothing waits after it, and the map starts nothing more',
    async (stopOnError) => {
      const pool = new PromisePool(1);
      const started: number[] = [];
      const signals: AbortSignal[] = [];
      const g = gate();
      const mapped = pool.map(
        [0, 1, 2, 3, 4, 5],
        async (i, _index, signal) => {
          started.push(i);
          signals.push(signal);
          await g.promise;
          return i;
        },
        { concurrency: 2, stopOnError },
      );
      expect([pool.activeCount, pool.pendingCount]).toEqual([1, 1]);
      pool.clear();
      // Before the fix, the cleared item's failure fed item 2 into the queue from inside clear().
      expect(pool.pendingCount).toBe(0);
      expect(await rejectionOf(mapped)).toBeInstanceOf(PoolClearedError);
      expect(signals[0].aborted).toBe(true); // the running item is told the map gave up
      g.open();
      await pool.onIdle();
      expect(started).toEqual([0]);
    },
  );
});
