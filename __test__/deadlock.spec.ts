import { Worker } from 'node:worker_threads';
import * as path from 'node:path';
import { Mutex, Semaphore, setDeadlockDetection, DeadlockError } from '../index';
import { random, until } from './helpers';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
type Outcome = { ok?: string; error?: string; cycle?: { threadId: number }[] };

afterEach(() => setDeadlockDetection(false));

describe('deadlock detection', () => {
  test('is off by default: a same-thread cycle just waits (and times out here)', async () => {
    const a = new Mutex();
    const b = new Mutex();
    const results = await Promise.allSettled([
      a.runExclusive(async () => {
        await sleep(10);
        return b.runExclusive(() => 'ab', { timeout: 200 });
      }),
      b.runExclusive(async () => {
        await sleep(10);
        return a.runExclusive(() => 'ba', { timeout: 200 });
      }),
    ]);
    expect(results.some((r) => r.status === 'rejected' && (r.reason as Error).name === 'TimeoutError')).toBe(true);
    expect(results.some((r) => r.status === 'rejected' && r.reason instanceof DeadlockError)).toBe(false);
  });

  test('rejects the acquire that closes a same-thread cycle and lets the other proceed', async () => {
    setDeadlockDetection(true);
    const a = new Mutex();
    const b = new Mutex();
    // The timeouts turn a missed deadlock into a TimeoutError instead of a hang.
    const results = await Promise.allSettled([
      a.runExclusive(async () => {
        await sleep(10);
        return b.runExclusive(() => 'ab', { timeout: 10_000 });
      }),
      b.runExclusive(async () => {
        await sleep(10);
        return a.runExclusive(() => 'ba', { timeout: 10_000 });
      }),
    ]);
    const fulfilled = results.filter((r) => r.status === 'fulfilled');
    const rejected = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(fulfilled).toHaveLength(1);
    expect(rejected).toHaveLength(1);
    const err = rejected[0].reason as DeadlockError;
    expect(err).toBeInstanceOf(DeadlockError);
    expect(err.code).toBe('ERR_THREADKIT_DEADLOCK');
    expect(err.cycle.map((s) => s.primitive).sort()).toHaveLength(2);
    expect(err.message).toMatch(/deadlock/);
    expect(a.isLocked()).toBe(false);
    expect(b.isLocked()).toBe(false);
  });

  test('does not report a chain that will resolve, or nested locks taken in one order', async () => {
    setDeadlockDetection(true);
    const a = new Mutex();
    const b = new Mutex();
    const c = new Mutex();
    let done = 0;
    await Promise.all(
      Array.from({ length: 20 }, async () => {
        for (let i = 0; i < 20; i++) {
          await a.runExclusive(() =>
            b.runExclusive(() =>
              c.runExclusive(async () => {
                if (random() < 0.3) await sleep(0);
                done++;
              }),
            ),
          );
        }
      }),
    );
    expect(done).toBe(400);
  });

  test('a cycle through a semaphore with a free-running holder is not reported', async () => {
    setDeadlockDetection(true);
    const s = new Semaphore(2);
    const m = new Mutex();
    let releaseFree!: () => void;
    const free = s.runExclusive(() => new Promise<void>((r) => (releaseFree = r))); // holds 1 permit, waits for nothing
    const p1 = s.runExclusive(async () => {
      await sleep(5);
      return m.runExclusive(() => 'p1');
    });
    const p2 = m.runExclusive(async () => {
      await sleep(20);
      return s.runExclusive(() => 'p2'); // both permits are held, but `free` will release
    });
    // The cycle has formed (p1 waits for m, p2 for a permit) and was not reported; then `free` releases.
    await until(() => m.waiting === 1 && s.waiting === 1, 'p1 and p2 to queue');
    releaseFree();
    await expect(Promise.all([free, p1, p2])).resolves.toEqual([undefined, 'p1', 'p2']);
  });

  test('detects a cycle across threads and names both threads', async () => {
    setDeadlockDetection(true);
    const a = new Mutex();
    const b = new Mutex();
    const flags = new Int32Array(new SharedArrayBuffer(8));
    const worker = new Worker(path.join(__dirname, 'fixtures', 'deadlock-worker.js'), {
      workerData: { a: a.handle, b: b.handle, flags: flags.buffer },
    });
    const workerThreadId = worker.threadId; // becomes -1 once the worker has exited
    try {
      const fromWorker = new Promise<Outcome>((resolve, reject) => {
        worker.once('message', resolve);
        worker.once('error', reject);
      });
      const mainResult: Promise<Outcome> = a
        .runExclusive(async () => {
          Atomics.store(flags, 0, 1);
          while (Atomics.load(flags, 1) === 0) await sleep(1); // the worker holds B
          await sleep(20); // let the worker queue on A first, sometimes
          return b.runExclusive(() => 'main got B', { timeout: 10_000 });
        })
        .then(
          (v) => ({ ok: v }),
          (e: Error & { cycle?: { threadId: number }[] }) => ({ error: e.name, cycle: e.cycle }),
        );
      const [m, w] = await Promise.all([mainResult, fromWorker]);
      const outcomes: Outcome[] = [m, w];
      // Exactly one side is rejected with a DeadlockError, the other completes.
      expect(outcomes.filter((o) => o.error === 'DeadlockError')).toHaveLength(1);
      expect(outcomes.filter((o) => o.ok !== undefined)).toHaveLength(1);
      const cycle = outcomes.find((o) => o.error)!.cycle!;
      expect(new Set(cycle.map((s) => s.threadId))).toEqual(new Set([0, workerThreadId]));
    } finally {
      await worker.terminate();
    }
  });

  test('setDeadlockDetection checks its argument', () => {
    expect(() => setDeadlockDetection('yes' as unknown as boolean)).toThrow(TypeError);
  });
});
