/**
 * How a WorkerPool wakes its workers and its owner (issue 19): a submit
 * notifies the doorbell only when a worker sleeps on it, no wake-up is lost
 * when submits race workers going to sleep, and the pool's wake-up function
 * is not ref'd and unref'd for every task of a caller that awaits each one.
 */
import { WorkerPool } from '../index';
import { random, seed, settle, sleep, tick } from './helpers';
import { poolFactory, shared, tasks } from './pool-helpers';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const native = require('../native.js');

const pool = poolFactory();

afterEach(() => jest.restoreAllMocks());

test('a submit does not notify the doorbell while no worker sleeps on it', async () => {
  const view = shared(4);
  const p = pool(tasks, { minWorkers: 1, maxWorkers: 1, workerData: { sab: view.buffer } });
  await p.execute(0); // the worker is up
  const gate = p.execute(1, { name: 'gate' });
  while (p.getMetrics().runningTasks !== 1) await sleep(1);
  // The only worker is running the gate task: it cannot be asleep.
  const notify = jest.spyOn(Atomics, 'notify');
  const queued = Array.from({ length: 20 }, (_, i) => p.execute(i));
  expect(notify).not.toHaveBeenCalled();
  notify.mockRestore();
  Atomics.store(view, 1, 1);
  Atomics.notify(view, 1);
  await expect(gate).resolves.toBe(1);
  await expect(Promise.all(queued)).resolves.toEqual(Array.from({ length: 20 }, (_, i) => i));
});

/** Busy-waits on this thread for about `us` microseconds (the event loop does not run). */
function busyUs(us: number) {
  const end = process.hrtime.bigint() + BigInt(Math.round(us * 1000));
  while (process.hrtime.bigint() < end);
}

test('no wake-up is lost when submits race the workers going to sleep', async () => {
  // Submits land at random moments of a worker's wait: during its spin, at
  // its end, in the futex wait, at the switch to Atomics.waitAsync, or
  // later. A lost wake-up leaves a task queued with its worker asleep; with
  // one worker nothing else would take it, and the round would never end.
  const ROUNDS = 1500;
  const STUCK_MS = 20_000;
  for (const workers of [1, 2]) {
    const p = pool(tasks, { minWorkers: workers, maxWorkers: workers });
    await p.execute(0);
    let next = 1;
    for (let round = 0; round < ROUNDS; round++) {
      const k = 1 + Math.floor(random() * 3);
      const ids = Array.from({ length: k }, () => next++);
      let timer: NodeJS.Timeout | undefined;
      const stuck = new Promise((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`round ${round} with ${workers} worker(s) never finished: a lost wake-up (seed ${seed})`)),
          STUCK_MS,
        );
      });
      try {
        const got = await Promise.race([Promise.all(ids.map((id) => p.execute(id))), stuck]);
        expect(got).toEqual(ids); // each task once, with its own result
      } finally {
        clearTimeout(timer);
      }
      const r = random();
      // Around the end of the worker's spin, in or past its futex wait, or
      // asleep in Atomics.waitAsync.
      if (r < 0.4) busyUs(random() * 60);
      else if (r < 0.7) busyUs(60 + random() * 400);
      else if (r < 0.85) await tick();
      else await sleep(random() < 0.5 ? 0 : 1);
    }
  }
});

test('a worker whose spins keep missing stops spinning (it does not spin once per task)', async () => {
  // One task every 2 ms: far longer than a worker's full spin (30 µs) and its
  // futex wait, so every spin misses. The budget halves on each miss and
  // cools down for 64 sleeps below 3 µs: about 5 spins per 69 tasks. (A busy
  // machine gives none at all: then no thread spins.) spinStats()[3] counts
  // the workers' spins process-wide.
  const TASKS = 150;
  const p = pool(tasks, { minWorkers: 1, maxWorkers: 1 });
  await p.execute(0);
  const before = native.spinStats()[3];
  for (let i = 0; i < TASKS; i++) {
    expect(await p.execute(i)).toBe(i);
    await sleep(2);
  }
  const spins = native.spinStats()[3] - before;
  expect(spins).toBeLessThanOrEqual(5 * (Math.ceil(TASKS / 69) + 1));
});

test('a caller that awaits each task does not ref and unref the pool per task', async () => {
  const p: WorkerPool = pool(tasks, { minWorkers: 1, maxWorkers: 1 });
  await p.execute(0);
  await settle();
  const poolRef = jest.spyOn(native, 'poolRef');
  // Awaited directly, and through an async helper (a few more promise jobs).
  const viaHelper = async (x: number) => p.execute(x);
  for (let i = 0; i < 100; i++) {
    expect(await p.execute(i)).toBe(i);
    expect(await viaHelper(i)).toBe(i);
  }
  // Once when the first task made the pool busy; the unref waits until a few
  // promise jobs ran without a next task.
  expect(poolRef.mock.calls.length).toBeLessThanOrEqual(1);
  await settle();
  // Idle now: unref'd, so the pool does not keep the process alive.
  const calls = poolRef.mock.calls;
  expect(calls[calls.length - 1][1]).toBe(false);
});
