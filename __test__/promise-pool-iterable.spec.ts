// PromisePool: map over async iterables, and mapIterable (ordered and not), with backpressure; local and shared mode.
import { PromisePool, Semaphore, AbortError } from '../index';
import { random, randomPause, seed, settle, until, within } from './helpers';
import { gate, meter, rejectionOf } from './promise-pool-helpers';

const modes: [string, (n: number) => PromisePool][] = [
  ['local', (n) => new PromisePool(n)],
  ['shared Semaphore', (n) => new PromisePool({ limit: new Semaphore(n).handle, concurrency: n })],
];

/** An endless async source that counts what was pulled and whether it was closed. */
function source(limit = Infinity) {
  const s = { pulled: 0, closed: false };
  async function* gen() {
    try {
      while (s.pulled < limit) {
        if (random() < 0.3) await randomPause();
        yield s.pulled++;
      }
    } finally {
      s.closed = true;
    }
  }
  return { s, items: gen() };
}

describe.each(modes)('map with an async iterable (%s)', (_mode, make) => {
  test(`results in input order; at most concurrency in the pool and concurrency + buffer pulled ahead (seed ${seed})`, async () => {
    const pool = make(3);
    const { s, items } = source(40);
    const { m, wrap } = meter();
    let done = 0;
    let maxAhead = 0;
    const r = await within(
      pool.map(
        items,
        (x: number) =>
          wrap(x, async () => {
            maxAhead = Math.max(maxAhead, s.pulled - done);
            await randomPause();
            done++;
            return x * 2;
          })(),
        { buffer: 2 },
      ),
      20_000,
      'map',
    );
    expect(r).toEqual(Array.from({ length: 40 }, (_, i) => i * 2));
    expect(m.max).toBeLessThanOrEqual(3);
    expect(maxAhead).toBeLessThanOrEqual(3 + 2);
  });

  test('stopOnError: false collects every failure; true stops pulling and closes the source', async () => {
    const pool = make(2);
    const a = source(10);
    const all = await rejectionOf(
      pool.map(
        a.items,
        async (x: number) => {
          if (x % 4 === 1) throw new Error(`e${x}`);
          return x;
        },
        { stopOnError: false },
      ),
    );
    expect((all as AggregateError).errors.map((e: Error) => e.message)).toEqual(['e1', 'e5', 'e9']);
    const b = source();
    const first = await within(
      rejectionOf(
        pool.map(b.items, async (x: number) => {
          if (x === 5) throw new Error('five');
          return x;
        }),
      ),
      10_000,
      'map',
    );
    expect((first as Error).message).toBe('five');
    await until(() => b.s.closed, 'the source to be closed');
    const pulled = b.s.pulled;
    await settle();
    expect(b.s.pulled).toBe(pulled);
  });

  test('an async source that throws rejects the map', async () => {
    const pool = make(2);
    async function* bad() {
      yield 1;
      throw new Error('source');
    }
    expect(((await rejectionOf(pool.map(bad(), async (x: number) => x))) as Error).message).toBe('source');
  });
});

describe.each(modes)('mapIterable (%s)', (_mode, make) => {
  test('ordered: a slow first item holds back the rest, and the lookahead stays bounded (endless source)', async () => {
    const pool = make(2);
    const { s, items } = source();
    const slow = gate();
    const it = pool.mapIterable(items, (x: number) => (x === 0 ? slow.promise.then(() => x) : x), { buffer: 3 });
    expect(s.pulled).toBe(0); // nothing pulled before the first next()
    const first = it.next();
    await until(() => s.pulled === 5, 'the lookahead to fill');
    await settle(10);
    expect(s.pulled).toBe(5); // concurrency 2 + buffer 3, while item 0 is stuck
    slow.open();
    expect(await first).toEqual({ value: 0, done: false });
    const got: number[] = [];
    for await (const v of it) {
      got.push(v as number);
      expect(s.pulled - got.length - 1).toBeLessThanOrEqual(5);
      if (got.length === 30) break;
    }
    expect(got).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
    await until(() => s.closed, 'the source to be closed after break');
    await within(pool.onIdle(), 10_000, 'idle');
  });

  test(`ordered: false yields as items finish; every item exactly once (seed ${seed})`, async () => {
    const pool = make(3);
    const gates = Array.from({ length: 8 }, () => gate<number>());
    const it = pool.mapIterable(
      gates.map((_, i) => i),
      (i: number) => gates[i].promise,
      { ordered: false },
    );
    const got: number[] = [];
    const reading = (async () => {
      for await (const v of it) got.push(v as number);
    })();
    // finish them in a random order among those started
    const left = [...gates.keys()];
    const opened: number[] = [];
    while (left.length) {
      await settle();
      const k = left.splice(Math.floor(random() * Math.min(left.length, 3)), 1)[0];
      opened.push(k);
      gates[k].open(k);
    }
    await within(reading, 10_000, 'reading');
    expect(got).toEqual(opened); // each was yielded before the next one finished
    expect([...got].sort((a, b) => a - b)).toEqual([...gates.keys()]);
  });

  test('a failing item ends the iteration with its error, aborts running items and removes waiting ones', async () => {
    const pool = make(2);
    const seen: AbortSignal[] = [];
    const it = pool.mapIterable([0, 1, 2, 3, 4], (x: number, _i: number, signal: AbortSignal) => {
      seen.push(signal);
      if (x === 0) return Promise.reject(new Error('zero'));
      return new Promise((r) => signal.addEventListener('abort', () => r(x)));
    });
    expect(((await rejectionOf(it.next())) as Error).message).toBe('zero');
    expect(seen.every((sig) => sig.aborted)).toBe(true);
    expect(await it.next()).toEqual({ value: undefined, done: true });
    await within(pool.onIdle(), 10_000, 'idle');
  });

  test("the run's signal aborts it with AbortError; bad input throws naming the value", async () => {
    const pool = make(2);
    const ac = new AbortController();
    const { s, items } = source();
    const it = pool.mapIterable(items, (x: number) => new Promise((r) => setTimeout(() => r(x), 5)), { signal: ac.signal });
    await it.next();
    ac.abort();
    let error: unknown;
    try {
      for (;;) if ((await it.next()).done) break;
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(AbortError);
    await until(() => s.closed, 'closed');
    expect(() => pool.mapIterable(5 as never, (x) => x)).toThrow(
      'mapIterable() needs an iterable or async iterable (an array, a generator, a stream...) as items, got 5',
    );
    expect(() => pool.mapIterable([1], (x) => x, { ordered: 'yes' as never })).toThrow('options.ordered must be a boolean, got "yes"');
    expect(() => pool.mapIterable([1], (x) => x, { buffer: -1 })).toThrow('options.buffer must be an integer from 0');
    expect(() => pool.map([1], (x) => x, { buffer: 1 } as never)).toThrow('options.buffer is not an option');
  });
});
