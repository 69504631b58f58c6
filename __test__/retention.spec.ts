// What a settled promise leaves behind: nothing of a PromisePool task or of a
// Semaphore waiter may stay reachable once the caller drops it. Each case runs
// in a fresh process with --expose-gc and watches an object with a
// FinalizationRegistry (a WeakRef would keep its target alive until the end of
// the job that made it).
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { root } from './helpers';

/**
 * Runs `body` (which calls `watch(obj)` for each object that must be collectable, and resolves when
 * done) in a child, collects garbage, and reports "collected/watched".
 */
function collectedAfter(body: string): string {
  const r = spawnSync(
    process.execPath,
    [
      '--expose-gc',
      '-e',
      `const tk = require(${JSON.stringify(root)});
       let collected = 0;
       let watched = 0;
       const registry = new FinalizationRegistry(() => collected++);
       const watch = (obj) => { watched++; registry.register(obj, 'watched'); };
       (async () => { ${body} })().then(async () => {
         for (let i = 0; i < 5 && collected < watched; i++) {
           await new Promise((r) => setTimeout(r, 10));
           gc();
         }
         await new Promise((r) => setTimeout(r, 10));
         console.log(collected + '/' + watched);
       });`,
    ],
    { cwd: root, encoding: 'utf8', timeout: 30_000 },
  );
  expect(r.stderr).toBe('');
  return r.stdout.trim();
}

describe('settled promises keep nothing alive', () => {
  test('the result of a PromisePool task that waited, ran and settled (the pool stays in use)', () => {
    const out = collectedAfter(`
      globalThis.pool = new tk.PromisePool(1);
      let open;
      const first = pool.add(() => new Promise((r) => (open = r)));
      const waited = pool.add(async () => {
        const result = { big: new Array(1000).fill(7) };
        watch(result);
        return result;
      });
      open();
      await first;
      await waited;`);
    expect(out).toBe('1/1');
  });

  test('the result of a WorkerPool task, once awaited and dropped (the pool stays in use)', () => {
    const out = collectedAfter(`
      globalThis.pool = new tk.WorkerPool(${JSON.stringify(path.join(__dirname, 'fixtures', 'pool', 'tasks.js'))}, { minWorkers: 1, maxWorkers: 1 });
      watch(await pool.execute({ big: new Array(1000).fill(7) }));
      await pool.execute(1);
      setTimeout(() => pool.terminate(), 100);`);
    expect(out).toBe('1/1');
  });

  test('the result of the last task of a map', () => {
    const out = collectedAfter(`
      globalThis.pool = new tk.PromisePool(2);
      const results = await pool.map([1, 2, 3], async (x) => {
        const result = { x };
        if (x === 3) watch(result);
        return result;
      });
      if (results.length !== 3) throw new Error('map lost results');`);
    expect(out).toBe('1/1');
  });

  test('the permit granted to the last waiter of a Semaphore, once released and dropped (the Semaphore stays in use)', () => {
    const out = collectedAfter(`
      globalThis.sem = new tk.Semaphore(1);
      const first = await sem.acquire();
      const queued = sem.acquire(); // waits: the last promise made through the shared executor
      first.release();
      const permit = await queued;
      watch(permit);
      permit.release();`);
    expect(out).toBe('1/1');
  });
  test('a value passed through a Channel (rendezvous and buffered) and an AsyncQueue, once received and dropped', () => {
    const out = collectedAfter(`
      globalThis.ch = new tk.Channel(0);
      globalThis.buffered = new tk.Channel(2);
      globalThis.q = new tk.AsyncQueue({ maxSize: 2 });
      const v = { big: new Array(1000).fill(7) };
      watch(v);
      const sent = ch.send(v);
      const a = await ch.receive();
      await sent;
      const waiting = buffered.receive(); // a receiver that waits for the value
      await buffered.send(a);
      await q.put(await waiting);
      await q.get();
      q.taskDone();
      await q.join();`);
    expect(out).toBe('1/1');
  });
  test("a PromisePool task aborted while it waits, and a stopped map's items, while a long task still runs ahead of them", () => {
    // What they close over is made in functions of its own, so no other closure shares the context.
    const out = collectedAfter(`
      globalThis.pool = new tk.PromisePool(1);
      let open;
      globalThis.first = pool.add(() => new Promise((r) => (open = r))); // never settles
      const bigTask = () => {
        const big = { big: new Array(1000).fill(7) };
        watch(big);
        return () => big.big.length;
      };
      const bigMapFn = () => {
        const big = { big: new Array(1000).fill(7) };
        watch(big);
        return async (x) => big.big.length + x;
      };
      const ac = new AbortController();
      const p = pool.add(bigTask(), { signal: ac.signal });
      const mapAc = new AbortController();
      const m = pool.map([1, 2, 3], bigMapFn(), { signal: mapAc.signal });
      globalThis.later = pool.add(async () => 1); // a live task behind them: their entries stay queued
      ac.abort();
      mapAc.abort();
      await p.catch(() => {});
      await m.catch(() => {});
      if (pool.pendingCount !== 1) throw new Error('pending ' + pool.pendingCount);`);
    expect(out).toBe('2/2');
  });
});
