// PromisePool: pause/resume/autoStart, onEmpty/onSizeLessThan, events and wrap, with a number limit and a shared Semaphore.
import { once } from 'node:events';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { PromisePool, Semaphore, TimeoutError } from '../index';
import { random, seed, randomPause, settle, within, root } from './helpers';
import { gate, meter, rejectionOf } from './promise-pool-helpers';

const modes: [string, (n: number, extra?: object) => PromisePool][] = [
  ['local', (n, extra) => new PromisePool(n, extra)],
  ['shared Semaphore', (n, extra) => new PromisePool(new Semaphore(n).handle, extra)],
];

describe.each(modes)('pause and resume (%s)', (_mode, make) => {
  test('autoStart: false queues without starting; resume() starts up to the limit, in order', async () => {
    const pool = make(2, { autoStart: false });
    expect(pool.isPaused).toBe(true);
    const { m, wrap } = meter();
    const ps = Array.from({ length: 6 }, (_, i) => pool.add(wrap(i, async () => (await randomPause(), i))));
    await settle();
    expect(pool.activeCount).toBe(0);
    expect(pool.pendingCount).toBe(6);
    pool.resume();
    expect(pool.isPaused).toBe(false);
    expect(pool.activeCount).toBe(2);
    expect(await within(Promise.all(ps), 10_000, 'tasks')).toEqual([0, 1, 2, 3, 4, 5]);
    expect(m.max).toBe(2);
    expect(m.started).toEqual([0, 1, 2, 3, 4, 5]);
  });

  test('pause() lets running tasks finish and starts nothing new until resume()', async () => {
    const pool = make(2);
    const g = [gate(), gate()];
    const running = g.map((x) => pool.add(() => x.promise));
    const later = [pool.add(() => 'a'), pool.add(() => 'b')];
    pool.pause();
    g[0].open();
    g[1].open();
    await Promise.all(running);
    await settle();
    expect(pool.activeCount).toBe(0);
    expect(pool.pendingCount).toBe(2);
    expect(pool.add(() => 'c') instanceof Promise).toBe(true); // add still queues
    expect(pool.pendingCount).toBe(3);
    pool.resume();
    pool.resume(); // a no-op
    expect(await within(Promise.all([...later]), 10_000, 'resumed')).toEqual(['a', 'b']);
    await within(pool.onIdle(), 10_000, 'idle');
  });
});

describe.each(modes)('onEmpty and onSizeLessThan (%s)', (_mode, make) => {
  test(`onSizeLessThan resolves exactly when the queue is below n; onEmpty when nothing waits (seed ${seed})`, async () => {
    const pool = make(2);
    await within(pool.onEmpty(), 1000, 'empty at once');
    await within(pool.onSizeLessThan(1), 1000, 'size < 1 at once');
    const seen: [string, number][] = [];
    for (let i = 0; i < 30; i++) pool.add(() => randomPause());
    const ns = [25, 10, 3, 1];
    const waits = ns.map((n) => pool.onSizeLessThan(n).then(() => seen.push([`<${n}`, pool.pendingCount])));
    const empty = pool.onEmpty().then(() => seen.push(['empty', pool.pendingCount]));
    await within(Promise.all([...waits, empty]), 20_000, 'waiters');
    for (const [what, size] of seen) {
      if (what === 'empty') expect(size).toBe(0);
      else expect(size).toBeLessThan(Number(what.slice(1)));
    }
    // in order of their thresholds, highest first
    expect(seen.slice(0, 4).map(([w]) => w)).toEqual(['<25', '<10', '<3', '<1']);
    await within(pool.onIdle(), 10_000, 'idle');
  });

  test('a producer that waits for onSizeLessThan never queues more than its bound', async () => {
    const pool = make(3);
    let maxPending = 0;
    for (let i = 0; i < 200; i++) {
      await pool.onSizeLessThan(5);
      pool.add(async () => {
        if (random() < 0.5) await randomPause();
      });
      maxPending = Math.max(maxPending, pool.pendingCount);
    }
    await within(pool.onIdle(), 10_000, 'idle');
    expect(maxPending).toBeLessThanOrEqual(5);
  });

  test('clear() and aborts resolve onEmpty; bad n throws naming the value', async () => {
    const pool = make(1);
    const block = gate();
    pool.add(() => block.promise);
    const queued = pool.add(() => 1);
    const empty = pool.onEmpty();
    pool.clear();
    await within(empty, 1000, 'onEmpty after clear');
    await rejectionOf(queued);
    expect(() => pool.onSizeLessThan(0)).toThrow('n must be an integer from 1 to 9007199254740991, got 0');
    expect(() => pool.onSizeLessThan('2' as never)).toThrow('n must be a number, got "2"');
    block.open();
  });
});

describe.each(modes)('events (%s)', (_mode, make) => {
  test(`active/completed/error per task, empty when the last waiting one leaves, idle at the end (seed ${seed})`, async () => {
    const pool = make(2);
    const log: string[] = [];
    let active = 0;
    const results: unknown[] = [];
    const errors: unknown[] = [];
    pool.on('active', () => active++);
    pool.on('completed', (r) => results.push(r));
    pool.on('error', (e) => errors.push(e));
    pool.on('empty', () => log.push(`empty ${pool.pendingCount}`));
    pool.on('idle', () => log.push(`idle ${pool.activeCount + pool.pendingCount}`));
    const n = 40;
    const fails = new Set<number>();
    const ps = Array.from({ length: n }, (_, i) => {
      const fail = random() < 0.3;
      if (fail) fails.add(i);
      return pool
        .add(async () => {
          await randomPause();
          if (fail) throw new Error(`e${i}`);
          return i;
        })
        .catch(() => 'failed');
    });
    await within(Promise.all(ps), 20_000, 'tasks');
    await settle();
    expect(active).toBe(n);
    expect(results.sort((a, b) => (a as number) - (b as number))).toEqual([...Array(n).keys()].filter((i) => !fails.has(i)));
    expect(errors.map((e) => (e as Error).message).sort()).toEqual([...fails].map((i) => `e${i}`).sort());
    expect(log).toEqual(['empty 0', 'idle 0']);
  });

  test('removeAllListeners() keeps the pool watching: listeners added after it are called', async () => {
    const pool = make(1);
    const seen: unknown[] = [];
    pool.on('completed', () => seen.push('old'));
    pool.removeAllListeners();
    await pool.add(() => 0);
    pool.on('completed', (r) => seen.push(r));
    await pool.add(() => 1);
    pool.removeAllListeners('newListener');
    pool.on('error', (e) => seen.push((e as Error).message));
    await rejectionOf(pool.add(() => Promise.reject(new Error('two'))));
    expect(seen).toEqual([1, 'two']);
    expect(pool.listenerCount('newListener')).toBe(1); // the pool's own
  });

  test("an 'error' with no listener is not thrown: the task's promise carries it", async () => {
    const pool = make(1);
    pool.on('completed', () => {}); // events on, but no 'error' listener
    const error = await rejectionOf(pool.add(() => Promise.reject(new Error('mine'))));
    expect((error as Error).message).toBe('mine');
    await within(pool.onIdle(), 1000, 'idle');
  });

  test("a timed-out task reports its TimeoutError as 'error'; events.once works; a throwing listener does not break the pool", async () => {
    const pool = make(1);
    const stuck = gate();
    const onError = once(pool, 'error');
    const p = pool.add(() => stuck.promise, { timeout: 10 });
    await rejectionOf(p);
    stuck.open();
    const [e] = await within(onError, 10_000, "'error'");
    expect(e).toBeInstanceOf(TimeoutError);
    // A listener that throws: its error is an uncaught exception of its own (in a child process, which
    // can watch for it), and the pool goes on.
    const script = `
      const { PromisePool } = require(${JSON.stringify(path.join(root, 'index.js'))});
      const caught = [];
      process.on('uncaughtException', (e) => caught.push(e.message));
      const pool = new PromisePool(1);
      pool.on('active', () => { throw new Error('listener'); });
      Promise.all([pool.add(() => 1), pool.add(() => 2)]).then((r) => setTimeout(() => console.log(JSON.stringify({ r, caught, idle: pool.activeCount + pool.pendingCount })), 10));
    `;
    const out = execFileSync(process.execPath, ['-e', script], { encoding: 'utf8' });
    expect(JSON.parse(out)).toEqual({ r: [1, 2], caught: ['listener', 'listener'], idle: 0 });
    expect(pool.activeCount + pool.pendingCount).toBe(0);
  });
});

describe.each(modes)('wrap (%s)', (_mode, make) => {
  test('runs fn through the pool with its arguments and this; the limit holds', async () => {
    const pool = make(2);
    const { m, wrap } = meter();
    const add = pool.wrap(function (this: { k: number } | undefined, a: number, b: number) {
      return wrap(a, async () => (await randomPause(), a + b + (this?.k ?? 0)))();
    });
    const ps = Array.from({ length: 10 }, (_, i) => add(i, 100));
    expect(await within(Promise.all(ps), 10_000, 'wrapped')).toEqual(Array.from({ length: 10 }, (_, i) => i + 100));
    expect(m.max).toBe(2);
    const obj = { k: 5, add };
    expect(await obj.add(1, 2)).toBe(8);
    expect(() => pool.wrap(3 as never)).toThrow('fn must be a function, got 3');
  });
});
