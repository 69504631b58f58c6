/**
 * The main thread's work per pooled task (issue 19, H2; benchmark/http/CHANGES.md §5):
 * an idle pool's lazy unref hops on plain promise jobs, not on Node's
 * queueMicrotask (an AsyncResource and a bound function per call), a burst of
 * submits notifies each sleeping worker once (not once per submit until the
 * woken worker runs). That a pool in use keeps no settled result alive is in
 * retention.spec.ts.
 */
import { WorkerPool } from '../index';
import { random, settle, sleep } from './helpers';
import { poolFactory, shared, tasks } from './pool-helpers';
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
  // Each awaited task makes the pool busy, then idle again (a random number in flight).
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

test('a burst of submits notifies each sleeping worker once', async () => {
  const view = shared(4);
  const p: WorkerPool = pool(tasks, { minWorkers: 2, maxWorkers: 2, workerData: { sab: view.buffer } });
  await Promise.all([p.execute(0), p.execute(1)]);
  // Both workers asleep (past their spin and futex wait, in Atomics.waitAsync).
  await sleep(50);
  const notify = jest.spyOn(Atomics, 'notify');
  // Gate tasks hold each woken worker: none can go back to sleep during the burst.
  const n = 40 + Math.floor(random() * 40);
  const gates = Array.from({ length: n }, () => p.execute(1, { name: 'gate' }));
  // Two sleepers, two wake-ups; before, every submit notified until a woken worker ran.
  expect(notify.mock.calls.length).toBeLessThanOrEqual(2);
  notify.mockRestore();
  Atomics.store(view, 1, 1);
  Atomics.notify(view, 1);
  await expect(Promise.all(gates)).resolves.toEqual(Array(n).fill(1));
});
