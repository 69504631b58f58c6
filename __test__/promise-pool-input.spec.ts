// PromisePool: bad input (typed errors with clear messages) and the module formats it loads from.
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { PromisePool, PoolClearedError, Semaphore, InvalidHandleError } from '../index';
import { root } from './helpers';

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
    expect(() => pool.add(() => 1, { signal: 'x' } as never)).toThrow('options.signal must be an AbortSignal, got "x"');
    expect(() => pool.add(() => 1, { timeout: 5, prio: 1 } as never)).toThrow('options.prio is not an option');
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
    expect(() => pool.map([1], () => 1, { signal: {} } as never)).toThrow('options.signal must be an AbortSignal, got object');
    expect(() => pool.map([1], () => 1, { limit: 2 } as never)).toThrow('options.limit is not an option');
    expect(() => pool.map([1], () => 1, 7 as never)).toThrow(TypeError);
    expect(pool.activeCount + pool.pendingCount).toBe(0);
  });

  test('an iterable that throws while being read rejects the map (it is not a bad argument), and starts nothing', async () => {
    const pool = new PromisePool(1);
    function* bad() {
      yield 1;
      throw new Error('iterator broke');
    }
    const fn = jest.fn(() => 1);
    let mapped: Promise<unknown> | undefined;
    expect(() => (mapped = pool.map(bad(), fn))).not.toThrow();
    expect(pool.activeCount + pool.pendingCount).toBe(0);
    await expect(mapped).rejects.toThrow('iterator broke');
    expect(fn).not.toHaveBeenCalled();
  });
});

describe('module formats', () => {
  test('PromisePool, PoolClearedError and RateLimit are exported from both entries as the same objects', () => {
    const r = spawnSync(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `import { PromisePool, PoolClearedError, RateLimit } from ${JSON.stringify(path.join(root, 'index.mjs'))};
         import { createRequire } from 'node:module';
         const cjs = createRequire(import.meta.url)(${JSON.stringify(root)});
         if (PromisePool !== cjs.PromisePool || PoolClearedError !== cjs.PoolClearedError || RateLimit !== cjs.RateLimit || !RateLimit) throw new Error('two copies');
         console.log('esm ok', await new PromisePool(2).map([1, 2], (x) => x * 2));`,
      ],
      { cwd: root, encoding: 'utf8', timeout: 30_000 },
    );
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe('esm ok [ 2, 4 ]');
  });
});
