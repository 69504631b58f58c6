import { AtomicCounter, Mutex, InvalidHandleError } from '../index';
import { Workers, nextMessage, until } from './helpers';

const workers = new Workers();
afterEach(() => workers.stopAll());

describe('AtomicCounter semantics', () => {
  test('starts at 0 or at the initial value', () => {
    expect(new AtomicCounter().get()).toBe(0);
    expect(new AtomicCounter(41).get()).toBe(41);
    expect(new AtomicCounter(-7).get()).toBe(-7);
    expect(new AtomicCounter(Number.MAX_SAFE_INTEGER).get()).toBe(Number.MAX_SAFE_INTEGER);
    expect(new AtomicCounter(-Number.MAX_SAFE_INTEGER).get()).toBe(-Number.MAX_SAFE_INTEGER);
  });

  test('increment / decrement return the new value', () => {
    const c = new AtomicCounter();
    expect(c.increment()).toBe(1);
    expect(c.increment()).toBe(2);
    expect(c.increment(10)).toBe(12);
    expect(c.decrement()).toBe(11);
    expect(c.decrement(20)).toBe(-9);
    expect(c.increment(-1)).toBe(-10);
    expect(c.decrement(-10)).toBe(0);
    expect(c.increment(0)).toBe(0);
    expect(c.get()).toBe(0);
  });

  test('set / get, including values beyond 32 bits', () => {
    const c = new AtomicCounter();
    c.set(2 ** 40 + 3);
    expect(c.get()).toBe(2 ** 40 + 3);
    expect(c.increment()).toBe(2 ** 40 + 4);
    c.set(-(2 ** 45));
    expect(c.decrement()).toBe(-(2 ** 45) - 1);
    c.set(Number.MAX_SAFE_INTEGER - 1);
    expect(c.increment()).toBe(Number.MAX_SAFE_INTEGER);
    c.set(0);
    expect(c.get()).toBe(0);
  });

  test('compareExchange returns the old value and swaps only on a match', () => {
    const c = new AtomicCounter(5);
    expect(c.compareExchange(5, 7)).toBe(5); // matched: swapped
    expect(c.get()).toBe(7);
    expect(c.compareExchange(5, 9)).toBe(7); // no match: unchanged
    expect(c.get()).toBe(7);
    expect(c.compareExchange(7, -3)).toBe(7);
    expect(c.get()).toBe(-3);
    c.set(2 ** 50);
    expect(c.compareExchange(2 ** 50, 1)).toBe(2 ** 50);
    expect(c.get()).toBe(1);
    // Differing only in the high 32 bits must not match.
    c.set(2 ** 32 + 1);
    expect(c.compareExchange(1, 0)).toBe(2 ** 32 + 1);
    expect(c.get()).toBe(2 ** 32 + 1);
  });

  test('bad input throws RangeError / TypeError and changes nothing', () => {
    const c = new AtomicCounter(3);
    const bad: [() => unknown, ErrorConstructor][] = [
      [() => c.increment(1.5), RangeError],
      [() => c.increment(NaN), RangeError],
      [() => c.increment(Infinity), RangeError],
      [() => c.increment('1' as never), TypeError],
      [() => c.increment(2 ** 60), RangeError],
      [() => c.decrement(1.5), RangeError],
      [() => c.decrement('1' as never), TypeError],
      [() => c.decrement(2 ** 60), RangeError],
      [() => c.set(1.5), RangeError],
      [() => c.set(NaN), RangeError],
      [() => c.set('1' as never), TypeError],
      [() => c.set(2 ** 60), RangeError],
      [() => c.set(undefined as never), TypeError],
      [() => c.compareExchange(3, 1.5), RangeError],
      [() => c.compareExchange(NaN, 1), RangeError],
      [() => c.compareExchange('3' as never, 1), TypeError],
      [() => c.compareExchange(3, 2 ** 60), RangeError],
      [() => new AtomicCounter(1.5), RangeError],
      [() => new AtomicCounter(NaN), RangeError],
      [() => new AtomicCounter('1' as never), TypeError],
      [() => new AtomicCounter(2 ** 60), RangeError],
    ];
    for (const [fn, Err] of bad) {
      expect(fn).toThrow(Err);
    }
    expect(c.get()).toBe(3);
    expect(() => c.increment(1.5)).toThrow(/integer/);
  });

  test('from(handle) on the same thread shares the value; bad handles throw InvalidHandleError', () => {
    const c = new AtomicCounter(10);
    const d = AtomicCounter.from(c.handle);
    d.increment(5);
    expect(c.get()).toBe(15);
    expect(c.handle.__threadkit).toBe('AtomicCounter');
    for (const junk of [
      {},
      null,
      42,
      'x',
      new Mutex().handle,
      { __threadkit: 'AtomicCounter', state: new SharedArrayBuffer(4) },
      { __threadkit: 'AtomicCounter', state: new ArrayBuffer(8) },
    ]) {
      expect(() => AtomicCounter.from(junk as never)).toThrow(InvalidHandleError);
    }
  });
});

describe('AtomicCounter across threads', () => {
  test('exact count under contention from 4 workers incrementing 100k times each', async () => {
    const counter = new AtomicCounter();
    const sync = new Int32Array(new SharedArrayBuffer(8));
    const N = 100_000;
    const ws = [0, 1, 2, 3].map(() => workers.start('counter-incrementer.js', { counter: counter.handle, sync: sync.buffer, iterations: N }));
    const done = ws.map((w) => nextMessage<{ done: boolean; nonMonotonic: number }>(w, 50_000));
    await until(() => Atomics.load(sync, 0) === 4, 'the workers to be ready');
    Atomics.store(sync, 1, 1);
    Atomics.notify(sync, 1);
    const results = await Promise.all(done);
    for (const r of results) {
      expect(r.done).toBe(true);
      expect(r.nonMonotonic).toBe(0);
    }
    expect(counter.get()).toBe(4 * N);
  });
});
