/**
 * The main thread's work per pooled task (issue 19, H2; benchmark/http/CHANGES.md §5):
 * an idle pool's lazy unref hops on plain promise jobs, not on Node's
 * queueMicrotask (an AsyncResource and a bound function per call), and a pool
 * that stays in use keeps no settled task's result alive.
 */
import { spawnSync } from 'node:child_process';
import { WorkerPool } from '../index';
import { random, root, seed, settle } from './helpers';
import { poolFactory, tasks } from './pool-helpers';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const native = require('../native.js');

const pool = poolFactory();

afterEach(() => jest.restoreAllMocks());

test('going idle and unref-ing the pool calls no queueMicrotask', async () => {
  const p: WorkerPool = pool(tasks, { minWorkers: 1, maxWorkers: 2 });
  await p.execute(0);
  await settle();
  const queue = jest.spyOn(globalThis, 'queueMicrotask');
  const poolRef = jest.spyOn(native, 'poolRef');
  // Each awaited task makes the pool busy, then idle again (seed ${seed}: a random number in flight).
  for (let i = 0; i < 20; i++) {
    const n = 1 + Math.floor(random() * 4);
    const got = await Promise.all(Array.from({ length: n }, (_, k) => p.execute(i * 10 + k)));
    expect(got).toEqual(Array.from({ length: n }, (_, k) => i * 10 + k));
  }
  await settle();
  expect(queue).not.toHaveBeenCalled();
  // The lazy unref still happened: the pool no longer keeps the process alive.
  const calls = poolRef.mock.calls;
  expect(calls[calls.length - 1][1]).toBe(false);
});

test("a settled task's result is not kept alive by the pool that stays in use", () => {
  // A fresh process with --expose-gc; a FinalizationRegistry says whether the result was collected.
  const r = spawnSync(
    process.execPath,
    [
      '--expose-gc',
      '-e',
      `const tk = require(${JSON.stringify(root)});
       let collected = 0;
       const registry = new FinalizationRegistry(() => collected++);
       globalThis.pool = new tk.WorkerPool(${JSON.stringify(tasks)}, { minWorkers: 1, maxWorkers: 1 });
       (async () => {
         let result = await pool.execute({ big: new Array(1000).fill(7) });
         registry.register(result, 'result');
         result = null;
         for (let i = 0; i < 10 && collected === 0; i++) {
           await new Promise((r) => setTimeout(r, 10));
           gc();
         }
         console.log(collected);
         await pool.terminate();
       })();`,
    ],
    { cwd: root, encoding: 'utf8', timeout: 30_000 },
  );
  expect(r.stderr).toBe('');
  expect(r.stdout.trim()).toBe('1');
});
