// The queue lease (lib/sync/lease.js, crates/core/src/semaphore/lease.rs): while every waiter of a
// shared primitive is on one thread, they queue in that thread's JS and a release hands off to them
// with no native call; any other thread's call breaks the lease and the waiters keep their place
// at the head of the native queue.
import { Mutex, Semaphore, ClosedError } from '../index';
import { Workers, messageWhere, nextMessage, until, within, root, exitOf, fixture } from './helpers';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const native: Record<string, unknown> = require('../lib/native.js');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { isolateId } = require('../lib/isolate.js');
/** Whether this thread's wake-up function keeps its loop alive (a lease holds it while it lasts). */
const keepsAlive = () => (native.isolateHasRef as (iso: number) => boolean)(isolateId);

const workers = new Workers();
afterEach(() => workers.stopAll());

/** Counts calls to the native functions whose names start with `sem` while `body` runs. */
async function nativeCalls(body: () => Promise<void>) {
  let calls = 0;
  const saved = new Map<string, unknown>();
  for (const [k, v] of Object.entries(native)) {
    if (typeof v !== 'function' || !k.startsWith('sem')) continue;
    saved.set(k, v);
    native[k] = function (this: unknown, ...args: unknown[]) {
      calls++;
      return (v as (...a: unknown[]) => unknown).apply(this, args);
    };
  }
  try {
    await body();
  } finally {
    for (const [k, v] of saved) native[k] = v;
  }
  return calls;
}

describe('tasks of one thread contending on a shared primitive', () => {
  test.each([
    ['Mutex', () => new Mutex()],
    ['Semaphore(2)', () => new Semaphore(2)],
  ])('%s: acquires and releases make (almost) no native call, and exclude each other', async (_, make) => {
    const lock = make();
    void lock.handle; // shared mode
    const limit = lock instanceof Mutex ? 1 : 2;
    const tasks = 50;
    const rounds = 20;
    let inside = 0;
    let most = 0;
    let ops = 0;
    const calls = await nativeCalls(async () => {
      const task = async () => {
        for (let i = 0; i < rounds; i++) {
          await lock.acquire();
          most = Math.max(most, ++inside);
          await null;
          inside--;
          ops++;
          lock.release();
        }
      };
      await Promise.all(Array.from({ length: tasks }, task));
    });
    expect(ops).toBe(tasks * rounds);
    expect(most).toBe(limit);
    expect(lock.waiting).toBe(0);
    expect(keepsAlive()).toBe(false); // every lease ended
    // A lease costs two calls (start, end); the old path made two per queued acquire.
    expect(calls).toBeLessThan(ops / 20);
  });

  test('a lease that ends leaves nothing behind in the waiter table', async () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { waiters } = require('../lib/isolate.js') as { waiters: Map<number, unknown> };
    const m = new Mutex();
    void m.handle;
    const before = waiters.size;
    for (let i = 0; i < 200; i++) {
      const hold = await m.acquire();
      const queued = [m.acquire(), m.acquire()]; // on a new lease
      hold.release();
      for (const q of queued) (await q).release(); // the last hand-off ends the lease
    }
    expect(m.waiting).toBe(0);
    expect(keepsAlive()).toBe(false);
    expect(waiters.size).toBe(before); // each ended lease's group used to stay in it: 200 more
  });

  test('closing rejects every waiter of the lease', async () => {
    const m = new Mutex();
    void m.handle;
    const hold = await m.acquire();
    const queued = Array.from({ length: 5 }, () => m.acquire());
    expect(m.waiting).toBe(5);
    m.close('bye');
    for (const q of queued) await expect(q).rejects.toBeInstanceOf(ClosedError);
    hold.release();
    expect(m.waiting).toBe(0);
    expect(keepsAlive()).toBe(false);
  });
});

describe('a lease and other threads', () => {
  test('FIFO: waiters queued on the lease before a worker come before it, those queued after come after it', async () => {
    const mutex = new Mutex();
    const order = new Int32Array(new SharedArrayBuffer(32 * 4));
    const hold = await mutex.acquire();
    const record = (id: number) =>
      mutex.acquire().then((g) => {
        const at = Atomics.add(order, 0, 1);
        Atomics.store(order, 1 + at, id);
        g.release();
      });
    const done: Promise<unknown>[] = [];
    for (let i = 0; i < 3; i++) done.push(record(100 + i)); // on main's lease
    expect(mutex.waiting).toBe(3);
    const w = workers.start('fifo-queuer.js', { mutex: mutex.handle, order: order.buffer, me: 1 });
    done.push(messageWhere(w, (m) => m !== 'queued'));
    await until(() => mutex.waiting === 4, 'the worker to queue');
    for (let i = 3; i < 6; i++) done.push(record(100 + i)); // behind the worker now
    expect(mutex.waiting).toBe(7);
    hold.release();
    await within(Promise.all(done), 20_000, 'every waiter to be served');
    expect(Array.from(order.slice(1, 8))).toEqual([100, 101, 102, 1, 103, 104, 105]);
    expect(mutex.isLocked()).toBe(false);
    expect(mutex.waiting).toBe(0);
    expect(keepsAlive()).toBe(false);
  });

  test('stress: main and 2 workers, 20 tasks each, on one Mutex and one Semaphore(2), random pauses', async () => {
    const mutex = new Mutex();
    const sem = new Semaphore(2);
    const counters = new Int32Array(new SharedArrayBuffer(4 * 4));
    const data = { mutex: mutex.handle, sem: sem.handle, counters: counters.buffer, tasks: 20, rounds: 30 };
    const ws = [0, 1].map(() => workers.start('lease-contender.js', { ...data, leaseContender: true }));
    const done = ws.map((w) => nextMessage(w, 60_000));
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const contender = require(fixture('lease-contender.js'));
    await within(contender.run({ ...data, mutex, sem }), 60_000, 'main contender');
    expect(await Promise.all(done)).toEqual(['done', 'done']);
    expect(Atomics.load(counters, 2)).toBe(0); // violations
    expect(Atomics.load(counters, 3)).toBe(3 * 20 * 30); // every section ran exactly once
    expect(Array.from(counters.slice(0, 2))).toEqual([0, 0]);
    expect(mutex.isLocked()).toBe(false);
    expect(sem.available).toBe(2);
    expect(mutex.waiting + sem.waiting).toBe(0);
  });

  test('a worker terminated while its tasks wait on its lease does not swallow the lock', async () => {
    const mutex = new Mutex();
    const w = workers.eval(
      `const { workerData, parentPort } = require('node:worker_threads');
       const tk = require(${JSON.stringify(root)});
       const m = tk.Mutex.from(workerData.h);
       (async () => {
         await m.acquire(); // held, never released
         for (let i = 0; i < 5; i++) m.acquire(); // on the worker's lease
         parentPort.postMessage(m.waiting);
       })();`,
      { h: mutex.handle },
    );
    expect(await nextMessage(w)).toBe(5);
    expect(mutex.isLocked()).toBe(true);
    await w.terminate();
    await exitOf(w);
    await until(() => !mutex.isLocked(), 'the dead worker to give the lock back');
    expect(mutex.waiting).toBe(0);
    (await mutex.acquire({ timeout: 10_000 })).release();
  });
});
