// A PromisePool whose limit is a Semaphore passes a finished task's permit straight to its next task when a
// release would leave it to the pool anyway (lib/promise-pool/gate.js's keep, lib/sync/lease.js's passOn): nobody
// else waits, or (shared mode) the only waiter is the pool's own queued acquire. Here: the pool then queues one
// acquire for the whole run and makes no native call; and it never keeps a permit from another waiter, in either
// mode, on this thread or another.
import { PromisePool, Semaphore } from '../index';
import { Workers, nextMessage, randomPause, within, tick, root, seed } from './helpers';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const native: Record<string, unknown> = require('../lib/native.js');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { FairSemaphore } = require('../lib/sync/fair-semaphore.js');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { StartGate } = require('../lib/promise-pool/gate.js');

const workers = new Workers();
afterEach(() => workers.stopAll());

/** Counts, while `body` runs, calls to the native functions whose names start with `sem` and to the engine's acquire. */
async function callsDuring(body: () => Promise<void>) {
  const calls = { native: 0, acquire: 0 };
  const saved = new Map<string, unknown>();
  for (const [k, v] of Object.entries(native)) {
    if (typeof v !== 'function' || !k.startsWith('sem')) continue;
    saved.set(k, v);
    native[k] = function (this: unknown, ...args: unknown[]) {
      calls.native++;
      return (v as (...a: unknown[]) => unknown).apply(this, args);
    };
  }
  const acquire = FairSemaphore.prototype.acquire;
  FairSemaphore.prototype.acquire = function (this: unknown, ...args: unknown[]) {
    calls.acquire++;
    return acquire.apply(this, args);
  };
  try {
    await body();
  } finally {
    for (const [k, v] of saved) native[k] = v;
    FairSemaphore.prototype.acquire = acquire;
  }
  return calls;
}

/** A Semaphore(n) in local mode, or in shared mode (its handle taken). */
const modes: [string, (n: number) => Semaphore][] = [
  ['local mode', (n) => new Semaphore(n)],
  [
    'shared mode',
    (n) => {
      const s = new Semaphore(n);
      void s.handle;
      return s;
    },
  ],
];

test('a pool alone on a shared Semaphore: permits pass from task to task, with one acquire queued for the whole run and no native call', async () => {
  const sem = new Semaphore(4);
  void sem.handle; // shared mode
  const pool = new PromisePool(sem);
  const tasks = 2000;
  let inside = 0;
  let most = 0;
  let ran = 0;
  const calls = await callsDuring(async () => {
    const task = async () => {
      most = Math.max(most, ++inside);
      await null;
      inside--;
      return ++ran;
    };
    const results = await Promise.all(Array.from({ length: tasks }, () => pool.add(task)));
    expect(new Set(results).size).toBe(tasks); // each task ran exactly once
  });
  expect(ran).toBe(tasks);
  expect(most).toBe(4); // the limit is reached, never passed
  expect(sem.available).toBe(4); // every permit came back
  expect(sem.waiting).toBe(0);
  // Giving each permit back served the pool's queued acquire, which was queued again, about every 4 tasks,
  // each time with a lease end and a new lease (two native calls). In local mode a permit passes on only while
  // nobody waits: a one-thread Semaphore's waiters are plain JS objects, with nothing to tell the pool's own
  // acquire from another's by (a field for it cost S2's local row).
  expect(calls.acquire).toBeLessThan(10);
  expect(calls.native).toBeLessThan(20);
});

test.each(modes)(
  'adding tasks while the pool waits for a permit (%s) asks the gate nothing: it is refused until the acquire is granted',
  async (_, make) => {
    const sem = make(4);
    const pool = new PromisePool(sem); // concurrency Infinity: the Semaphore alone limits it
    const take = StartGate.prototype.take;
    let takes = 0;
    StartGate.prototype.take = function (this: unknown) {
      takes++;
      return take.call(this);
    };
    let ran = 0;
    let results: Promise<number>[];
    try {
      results = Array.from({ length: 2000 }, () => pool.add(async () => ++ran));
    } finally {
      StartGate.prototype.take = take;
    }
    // Four starts take the permits; the fifth add is refused twice (its own try, then the pump that queues the
    // pool's acquire); the other 1995 adds only queue (before: a refused try each).
    expect(takes).toBe(6);
    expect(pool.activeCount).toBe(4);
    expect(new Set(await Promise.all(results)).size).toBe(2000);
    expect(sem.available).toBe(4);
  },
);

test.each(modes)('a plain acquire queued on the same thread (%s) is served while the pool still has tasks waiting', async (_, make) => {
  const sem = make(2);
  const pool = new PromisePool(sem);
  let pendingAtGrant = -1;
  let holders = 0;
  let over = 0;
  const task = async () => {
    if (++holders > 2) over++;
    await randomPause();
    holders--;
  };
  const all = Array.from({ length: 200 }, () => pool.add(task));
  await tick();
  const mine = sem.acquire().then((p) => {
    if (++holders > 2) over++;
    pendingAtGrant = pool.pendingCount;
    holders--;
    p.release();
  });
  await within(Promise.all([...all, mine]), 30_000, `every task and the plain acquire (seed ${seed})`);
  expect(over).toBe(0);
  // FIFO: it queued behind the pool's acquire, so it is served at the second release after it queued at the latest.
  expect(pendingAtGrant).toBeGreaterThan(150);
  expect(sem.available).toBe(2);
  expect(sem.waiting).toBe(0);
});

test('a worker waiting on the shared limit is served while the main pool keeps its queue full, and nobody passes the limit', async () => {
  const limit = 2;
  const sem = new Semaphore(limit);
  // c[0] holders now, on both threads; c[1] times above the limit; c[2] the worker's rounds done.
  const c = new Int32Array(new SharedArrayBuffer(3 * 4));
  const rounds = 10;
  const pool = new PromisePool(sem);
  let added = 0;
  let ran = 0;
  const task = async () => {
    if (Atomics.add(c, 0, 1) + 1 > limit) Atomics.add(c, 1, 1);
    await randomPause();
    Atomics.sub(c, 0, 1);
    ran++;
  };
  const running: Promise<unknown>[] = [];
  // Keep the pool's queue full until the worker is done: were a permit ever kept from its waiter, it would
  // never get one, and the test would time out (then the feeder stops, so that the pool drains).
  let stop = false;
  const feeder = (async () => {
    while (!stop && Atomics.load(c, 2) < rounds) {
      while (pool.pendingCount < 10) {
        running.push(pool.add(task));
        added++;
      }
      await tick();
    }
  })();
  expect(pool.activeCount).toBe(limit); // the pool is busy before the worker starts
  const w = workers.eval(
    `const { workerData, parentPort } = require('node:worker_threads');
     const { Semaphore } = require(${JSON.stringify(root)});
     const { random } = require(${JSON.stringify(`${root}/__test__/fixtures/random.js`)});
     const sem = Semaphore.from(workerData.handle);
     const c = new Int32Array(workerData.counters);
     (async () => {
       for (let i = 0; i < workerData.rounds; i++) {
         const p = await sem.acquire();
         if (Atomics.add(c, 0, 1) + 1 > workerData.limit) Atomics.add(c, 1, 1);
         if (random() < 0.5) await new Promise((r) => setImmediate(r));
         Atomics.sub(c, 0, 1);
         p.release();
         Atomics.add(c, 2, 1);
         if (random() < 0.5) await new Promise((r) => setTimeout(r, random() < 0.5 ? 0 : 1));
       }
       parentPort.postMessage('done');
     })().catch((e) => parentPort.postMessage(String(e)));`,
    { handle: sem.handle, counters: c.buffer, rounds, limit },
  );
  try {
    const done = nextMessage(w, 30_000);
    expect(await within(done, 30_000, `the worker's ${rounds} acquires while the main pool stays busy (seed ${seed})`)).toBe('done');
  } finally {
    stop = true;
    await feeder;
    await Promise.all(running);
  }
  expect(ran).toBe(added); // every task ran exactly once
  expect(Atomics.load(c, 1)).toBe(0); // never above the limit
  expect(sem.available).toBe(limit); // every permit came back
  expect(sem.waiting).toBe(0);
});
