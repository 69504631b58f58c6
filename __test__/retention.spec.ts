// What a settled promise leaves behind: nothing of a PromisePool task or of a
// Semaphore waiter may stay reachable once the caller drops it. Each case runs
// in a fresh process with --expose-gc and watches an object with a
// FinalizationRegistry (a WeakRef would keep its target alive until the end of
// the job that made it).
import { spawnSync } from 'node:child_process';
import { root } from './helpers';

/** Runs `body` (which must call `watch(obj)` and resolve when done) in a child, then collects garbage and reports. */
function collectedAfter(body: string): string {
  const r = spawnSync(
    process.execPath,
    [
      '--expose-gc',
      '-e',
      `const tk = require(${JSON.stringify(root)});
       let collected = 0;
       const registry = new FinalizationRegistry(() => collected++);
       const watch = (obj) => registry.register(obj, 'watched');
       (async () => { ${body} })().then(async () => {
         for (let i = 0; i < 5 && collected === 0; i++) {
           await new Promise((r) => setTimeout(r, 10));
           gc();
         }
         await new Promise((r) => setTimeout(r, 10));
         console.log(collected > 0 ? 'collected' : 'kept alive');
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
    expect(out).toBe('collected');
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
    expect(out).toBe('collected');
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
    expect(out).toBe('collected');
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
    expect(out).toBe('collected');
  });
});
