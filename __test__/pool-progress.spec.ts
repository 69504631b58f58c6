// execute(data, { onProgress }) and the task context's progress(value) (issue 15 §1): values reach the
// caller in order, every one before the task's promise settles, copied as results are.
import { spawnSync } from 'node:child_process';
import { DataCloneError, WorkerPool } from '../index';
import { fixture, random, root } from './helpers';
import { poolFactory } from './pool-helpers';

const tasks = fixture('pool/progress-tasks.js');
const pool = poolFactory();

describe('onProgress', () => {
  test.each([
    ['in one synchronous run', 0],
    ['across event-loop turns', 7],
  ])('gets every value, in order, before the promise settles (%s)', async (_what, every) => {
    const p = pool(tasks, { maxWorkers: 1 });
    const seen: number[] = [];
    let atSettle = -1;
    const result = await p
      .execute({ n: 2000, every }, { name: 'count', onProgress: (v: number) => seen.push(v) })
      .then((r) => ((atSettle = seen.length), r));
    expect(result).toBe(2000);
    expect(atSettle).toBe(2000);
    expect(seen).toEqual(Array.from({ length: 2000 }, (_, i) => i));
  });

  test('values are copied as results are (Map, Set, Date, BigInt, Buffer, typed arrays, nested objects)', async () => {
    const p = pool(tasks, { maxWorkers: 1 });
    const values = [
      new Map([['a', 1]]),
      new Set([1, 2]),
      new Date(5),
      2n ** 70n,
      Buffer.from('hi'),
      new Float64Array([1.5]),
      { nested: { list: [1, 'two', null] } },
      undefined,
      'text',
      -0,
    ];
    const seen: unknown[] = [];
    expect(await p.execute(values, { name: 'values', onProgress: (v) => seen.push(v) })).toBe(values.length);
    expect(seen).toEqual(values);
    expect(Buffer.isBuffer(seen[4])).toBe(true);
    expect(Object.is(seen[9], -0)).toBe(true);
  });

  test('several tasks on two workers: each listener gets its own task values, in order, exactly once (seeded pauses)', async () => {
    const p = pool(tasks, { maxWorkers: 2 });
    const seen = new Map<string, string[]>();
    const runs = Array.from({ length: 12 }, (_, t) => {
      const tag = `t${t}`;
      const pauses = Array.from({ length: 20 }, () => (random() < 0.2 ? Math.floor(random() * 3) : 0));
      seen.set(tag, []);
      return p.execute({ tag, pauses }, { name: 'tagged', onProgress: (v: string) => seen.get(tag)!.push(v) }).then((r) => {
        expect(seen.get(tag)).toHaveLength(20);
        return r;
      });
    });
    expect(await Promise.all(runs)).toEqual(Array.from({ length: 12 }, (_, t) => `t${t}`));
    for (const [tag, list] of seen) expect(list).toEqual(Array.from({ length: 20 }, (_, i) => `${tag}:${i}`));
  });

  test('without onProgress, progress() is harmless and the values are dropped', async () => {
    const p = pool(tasks, { maxWorkers: 1 });
    expect(await p.execute({ n: 100, every: 0 }, { name: 'count' })).toBe(100);
  });

  test('progress() after the task ended sends nothing and returns false', async () => {
    const p = pool(tasks, { maxWorkers: 1 });
    const seen: unknown[] = [];
    expect(await p.execute(null, { name: 'late', onProgress: (v) => seen.push(v) })).toBe('ended');
    expect(await p.execute(null, { name: 'lateResult' })).toBe(false);
    expect(seen).toEqual([]);
  });

  test('a value only postMessage could carry throws DataCloneError in the task', async () => {
    const p = pool(tasks, { maxWorkers: 1 });
    await expect(p.execute(null, { name: 'unencodable', onProgress: () => {} })).rejects.toBeInstanceOf(DataCloneError);
  });

  test('onProgress must be a function: a TypeError naming the value', async () => {
    const p = pool(tasks, { maxWorkers: 1 });
    await expect(p.execute({ n: 1, every: 0 }, { name: 'count', onProgress: 5 as never })).rejects.toThrow('onProgress must be a function, got 5');
    expect(() => new WorkerPool(tasks)).not.toThrow();
  });

  test('a listener that throws does not touch the task: its error is an uncaught exception', () => {
    const code = `
      const { WorkerPool } = require(${JSON.stringify(root)});
      const pool = new WorkerPool(${JSON.stringify(tasks)}, { maxWorkers: 1 });
      const caught = [];
      process.on('uncaughtException', (e) => caught.push(e.message));
      pool.execute({ n: 3, every: 0 }, { name: 'count', onProgress: (v) => { if (v === 1) throw new Error('listener broke'); } })
        .then(async (r) => { await new Promise((res) => setImmediate(res)); console.log(JSON.stringify({ r, caught })); await pool.close(); });`;
    const out = spawnSync(process.execPath, ['-e', code], { encoding: 'utf8', timeout: 30_000 });
    expect(out.stderr).toBe('');
    expect(JSON.parse(out.stdout)).toEqual({ r: 3, caught: ['listener broke'] });
  });
});
