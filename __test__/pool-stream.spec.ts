// pool.stream() (issue 15 §1): a task function that returns a generator, sync or async, streams its values
// to the caller with backpressure; break/return and the signal stop the generator on the worker (its finally
// runs); its error rejects the iteration as execute() would; timeout covers the whole stream.
import { AbortError, ClosedError, TimeoutError, WorkerCrashedError, WorkerPool } from '../index';
import { fixture, random, settle, sleep, until } from './helpers';
import { poolFactory, shared } from './pool-helpers';

const tasks = fixture('pool/stream-tasks.js');
const pool = poolFactory();

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const v of it) out.push(v);
  return out;
}

describe('pool.stream()', () => {
  test.each([1, 3, 64, 100_000])('a sync generator: every value, in order, exactly once (highWaterMark %d)', async (hwm) => {
    const p = pool(tasks, { maxWorkers: 1 });
    const n = hwm === 1 ? 500 : 20_000;
    expect(await collect(p.stream(n, { highWaterMark: hwm }))).toEqual(Array.from({ length: n }, (_, i) => i));
  });

  test('values are copied as results are (Map, Set, Date, BigInt, Buffer, typed arrays, undefined, -0)', async () => {
    const p = pool(tasks, { maxWorkers: 1 });
    const values = [
      new Map([['a', 1]]),
      new Set([1]),
      new Date(5),
      2n ** 70n,
      Buffer.from('hi'),
      new Float64Array([1.5]),
      { a: [1, null] },
      undefined,
      -0,
      'x',
    ];
    const seen = await collect(p.stream(values, { name: 'values' }));
    expect(seen).toEqual(values);
    expect(Buffer.isBuffer(seen[4])).toBe(true);
    expect(Object.is(seen[8], -0)).toBe(true);
  });

  test('several async-generator streams on two workers: each gets its own values, in order, exactly once (seeded pauses)', async () => {
    const p = pool(tasks, { maxWorkers: 2 });
    const runs = Array.from({ length: 8 }, async (_, t) => {
      const tag = `t${t}`;
      const pauses = Array.from({ length: 30 }, () => (random() < 0.15 ? Math.floor(random() * 3) : 0));
      const seen: string[] = [];
      for await (const v of p.stream({ tag, pauses }, { name: 'tagged', highWaterMark: 1 + Math.floor(random() * 8) })) {
        seen.push(v);
        if (random() < 0.1) await sleep(1);
      }
      expect(seen).toEqual(pauses.map((_, i) => `${tag}:${i}`));
    });
    await Promise.all(runs);
  });

  test.each([
    ['sync', 'counted'],
    ['async', 'countedAsync'],
  ])('backpressure (%s generator): the worker never runs more than highWaterMark values ahead of a slow caller', async (_kind, name) => {
    const p = pool(tasks, { maxWorkers: 1 });
    const state = shared(4);
    const hwm = 5;
    let consumed = 0;
    let maxAhead = 0;
    const it = p.stream({ state, n: 120 }, { name, highWaterMark: hwm });
    await sleep(20); // the generator runs ahead as far as it may
    for await (const v of it) {
      expect(v).toBe(consumed);
      consumed++;
      maxAhead = Math.max(maxAhead, Atomics.load(state, 0) - consumed);
      if (random() < 0.3) await sleep(1);
    }
    expect(consumed).toBe(120);
    expect(maxAhead).toBeLessThanOrEqual(hwm);
    expect(maxAhead).toBeGreaterThan(0); // it did run ahead: the bound, not lock-step, held it
  });

  test('a caller that never reads holds highWaterMark values at most, and the generator waits at its yield', async () => {
    const p = pool(tasks, { maxWorkers: 1 });
    const state = shared(4);
    const it = p.stream({ state, n: 1_000_000 }, { name: 'counted', highWaterMark: 16 });
    await until(() => Atomics.load(state, 0) === 16, 'the first 16 values');
    await sleep(30);
    await settle();
    expect(Atomics.load(state, 0)).toBe(16);
    await it.return();
    expect(Atomics.load(state, 1)).toBe(1); // its finally ran
  });

  test.each([
    ['sync', 'counted'],
    ['async', 'countedAsync'],
  ])('break stops the %s generator on the worker: its finally has run when the loop exits, and the worker serves on', async (_kind, name) => {
    const p = pool(tasks, { maxWorkers: 1 });
    const state = shared(4);
    let k = 0;
    for await (const v of p.stream({ state, n: 1_000_000 }, { name, highWaterMark: 8 })) {
      expect(v).toBe(k);
      if (++k === 25) break;
    }
    expect(Atomics.load(state, 1)).toBe(1);
    if (name === 'countedAsync') expect(Atomics.load(state, 2)).toBe(1); // its signal was aborted
    expect(Atomics.load(state, 0)).toBeLessThan(25 + 8 + 2);
    expect(await p.execute(7, { name: 'plain' })).toBe(7);
  });

  test('return() before the task started: it never runs', async () => {
    const p = pool(tasks, { maxWorkers: 1 });
    const busy = shared(4);
    const first = p.stream({ state: busy, ms: 5 }, { name: 'forever' });
    expect(await first.next()).toEqual({ value: 0, done: false }); // it holds the only worker
    const state = shared(4);
    const second = p.stream({ state, n: 10 }, { name: 'counted' });
    expect(await second.return()).toEqual({ value: undefined, done: true });
    expect(await second.next()).toEqual({ value: undefined, done: true });
    await first.return();
    expect(Atomics.load(busy, 1)).toBe(1);
    expect(await p.execute(1, { name: 'plain' })).toBe(1);
    expect(Atomics.load(state, 0)).toBe(0);
  });

  test('the signal stops the stream: the iteration rejects with AbortError, and the generator finally runs', async () => {
    const p = pool(tasks, { maxWorkers: 1 });
    const state = shared(4);
    const ac = new AbortController();
    const seen: number[] = [];
    await expect(
      (async () => {
        for await (const v of p.stream({ state, ms: 2 }, { name: 'forever', signal: ac.signal })) {
          seen.push(v);
          if (seen.length === 3) ac.abort(new Error('enough'));
        }
      })(),
    ).rejects.toBeInstanceOf(AbortError);
    expect(seen).toEqual([0, 1, 2]);
    await until(() => Atomics.load(state, 1) === 1, "the generator's finally");
  });

  test('a signal aborted before the call rejects the first next()', async () => {
    const p = pool(tasks, { maxWorkers: 1 });
    const it = p.stream(3, { signal: AbortSignal.abort() });
    await expect(it.next()).rejects.toBeInstanceOf(AbortError);
    expect(await it.next()).toEqual({ value: undefined, done: true });
  });

  test("the generator's error comes after the values it yielded, with execute()'s fidelity (class, code, properties)", async () => {
    const p = pool(tasks, { maxWorkers: 1 });
    const seen: number[] = [];
    const err = await (async () => {
      try {
        for await (const v of p.stream(4, { name: 'fails', highWaterMark: 2 })) seen.push(v);
      } catch (e) {
        return e as any;
      }
      return undefined;
    })();
    expect(seen).toEqual([0, 1, 2, 3]);
    expect(err.name).toBe('RangeError'); // jest's realm has its own RangeError
    expect(err.message).toBe('failed after 4');
    expect(err.code).toBe('E_STREAM');
    expect(err.detail).toEqual({ n: 4 });
    const viaExecute = await p.execute(0, { name: 'plain' }).then(() =>
      p
        .stream(0, { name: 'fails' })
        .next()
        .catch((e: any) => e),
    );
    expect(viaExecute.name).toBe('RangeError');
  });

  test('timeout covers the whole stream, not each value', async () => {
    const p = pool(tasks, { maxWorkers: 1 });
    const state = shared(4);
    const seen: number[] = [];
    // A value every 5 ms never takes 150 ms on its own: only the whole stream can time out.
    await expect(
      (async () => {
        for await (const v of p.stream({ state, ms: 5 }, { name: 'forever', timeout: 150 })) seen.push(v);
      })(),
    ).rejects.toBeInstanceOf(TimeoutError);
    expect(seen.length).toBeGreaterThan(0);
    expect(await p.execute(2, { name: 'plain' })).toBe(2); // its worker was replaced
  });

  test('onProgress works alongside: progress values and streamed values each in order', async () => {
    const p = pool(tasks, { maxWorkers: 1 });
    const progress: string[] = [];
    const values = await collect(p.stream(50, { name: 'withProgress', onProgress: (v: string) => progress.push(v) }));
    expect(values).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(progress).toEqual(Array.from({ length: 50 }, (_, i) => `p${i}`));
  });

  test('any iterable works, also one an async task function resolves to', async () => {
    const p = pool(tasks, { maxWorkers: 1 });
    expect(await collect(p.stream(['a', 'b'], { name: 'arrayLater' }))).toEqual(['a', 'b']);
  });

  test('a result that is not iterable rejects with a TypeError that says what it was', async () => {
    const p = pool(tasks, { maxWorkers: 1 });
    await expect(p.stream(5, { name: 'plain' }).next()).rejects.toThrow(/returns an iterable .*it returned 5/);
  });

  test('execute() of a generator task says to use stream()', async () => {
    const p = pool(tasks, { maxWorkers: 1 });
    await expect(p.execute(3)).rejects.toThrow(/returned a generator.*pool\.stream\(\)/);
  });

  test('a value that cannot be copied rejects the stream, after the values before it, and closes the generator', async () => {
    const p = pool(tasks, { maxWorkers: 1 });
    const seen: unknown[] = [];
    await expect(
      (async () => {
        for await (const v of p.stream(0, { name: 'uncopyable' })) seen.push(v);
      })(),
    ).rejects.toThrow(/cannot be cloned/);
    expect(seen).toEqual([1]);
  });

  test.each([
    [0, RangeError],
    [1.5, RangeError],
    ['8', TypeError],
    [2 ** 21, RangeError],
  ])('highWaterMark %p is refused with a %p', (hwm, cls) => {
    const p = pool(tasks, { maxWorkers: 1 });
    expect(() => p.stream(1, { highWaterMark: hwm as any })).toThrow(cls);
  });

  test('bad options throw at the call, as for highWaterMark', () => {
    const p = pool(tasks, { maxWorkers: 1 });
    expect(() => p.stream(1, { priority: 1.5 })).toThrow(RangeError);
    expect(() => p.stream(1, { onProgress: 'no' as any })).toThrow(TypeError);
    expect(() => p.stream(1, { name: '' })).toThrow(TypeError);
  });

  test('a worker that dies mid-stream rejects the iteration with WorkerCrashedError, after the values it sent; the pool serves on', async () => {
    const p = pool(tasks, { maxWorkers: 1 });
    const seen: number[] = [];
    const err = await (async () => {
      try {
        for await (const v of p.stream(3, { name: 'crashes' })) seen.push(v);
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(err).toBeInstanceOf(WorkerCrashedError);
    expect(seen.slice(0, 3)).toEqual([0, 1, 2]);
    expect(await p.execute(4, { name: 'plain' })).toBe(4);
  });

  test('with concurrentTasksPerWorker, streams share a worker: each gets its own values, and a break stops only its own', async () => {
    const p = pool(tasks, { maxWorkers: 1, concurrentTasksPerWorker: 3 });
    const stopped = shared(4);
    const broken = (async () => {
      let k = 0;
      for await (const v of p.stream({ state: stopped, n: 1_000_000 }, { name: 'countedAsync', highWaterMark: 4 })) {
        expect(v).toBe(k);
        if (++k === 40) break;
      }
    })();
    const runs = ['a', 'b'].map((tag) =>
      collect(p.stream({ tag, pauses: Array.from({ length: 60 }, (_, i) => i % 7) }, { name: 'tagged', highWaterMark: 5 })),
    );
    await broken;
    expect(Atomics.load(stopped, 1)).toBe(1); // its finally ran
    expect(Atomics.load(stopped, 2)).toBe(1); // and its signal was aborted
    const [a, b] = await Promise.all(runs);
    expect(a).toEqual(Array.from({ length: 60 }, (_, i) => `a:${i}`));
    expect(b).toEqual(Array.from({ length: 60 }, (_, i) => `b:${i}`));
  });

  test('terminate() rejects an open stream with ClosedError', async () => {
    const p = new WorkerPool(tasks, { maxWorkers: 1 });
    const state = shared(4);
    const it = p.stream({ state, ms: 2 }, { name: 'forever' });
    expect((await it.next()).value).toBe(0);
    await p.terminate();
    await expect(collect(it)).rejects.toBeInstanceOf(ClosedError);
  });
});
