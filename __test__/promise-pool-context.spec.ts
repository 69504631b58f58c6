// PromisePool: the AsyncLocalStorage context tasks run in, queued or not.
import { AsyncLocalStorage } from 'node:async_hooks';
import { spawnSync } from 'node:child_process';
import { PromisePool } from '../index';
import { randomPause, root } from './helpers';
import { gate } from './promise-pool-helpers';

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
         const pool = new PromisePool(1);
         let open;
         const first = pool.add(() => new Promise((r) => (open = r)));
         const seen = [];
         const b = pool.add(() => { seen.push(String(als.getStore())); als.enterWith('set by b'); });
         const c = pool.add(async () => { await null; seen.push(String(als.getStore())); });
         // Made only now: Node 24's async_hooks-based one (--no-async-context-frame) enables its hook when constructed.
         const als = new AsyncLocalStorage();
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

  test('loading threadkit turns on no async hook (an enabled one tags every promise of the process)', () => {
    const r = spawnSync(
      process.execPath,
      [
        '-e',
        `const { AsyncResource } = require('node:async_hooks');
         const key = Object.getOwnPropertySymbols(new AsyncResource('probe')).find((s) => s.description === 'async_id_symbol');
         const { Mutex, PromisePool } = require(${JSON.stringify(root)});
         new Mutex().runExclusive(() => new PromisePool(1).add(() => 1)).then((v) => console.log(v, String(new Promise(() => {})[key])));`,
      ],
      { cwd: root, encoding: 'utf8', timeout: 30_000 },
    );
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe('1 undefined');
  });

  test("a process's first burst of waiting tasks records no context while no hook is on, and one per task while one is", () => {
    // Counts the pool's context objects (class Scope) in a heap snapshot of a fresh process
    // (the same Node, with the same NODE_OPTIONS). With AsyncContextFrame (Node 24's default
    // AsyncLocalStorage, without async hooks) no cheap test tells that no store is set, so
    // every waiting task records one; `npm run test:node-matrix` also runs this file on
    // Node 24 with --no-async-context-frame, where the async_hooks path is taken.
    const contextFrame = typeof (AsyncLocalStorage.prototype as any)._propagate !== 'function';
    const count = (withAls: boolean) => {
      const r = spawnSync(
        process.execPath,
        [
          '-e',
          `const { PromisePool } = require(${JSON.stringify(root)});
           const { AsyncLocalStorage } = require('node:async_hooks');
           const v8 = require('node:v8');
           const pool = new PromisePool(1);
           let open;
           const ps = [pool.add(() => new Promise((r) => (open = r)))];
           const addAll = () => { for (let i = 0; i < 2000; i++) ps.push(pool.add(async () => i)); };
           // No AsyncLocalStorage is made without one: on Node 24 with --no-async-context-frame, making one enables its hook.
           if (${withAls}) new AsyncLocalStorage().run('ctx', addAll); else addAll();
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
    expect(count(false)).toBe(contextFrame ? '2000 2001' : '0 2001');
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
