// The `timeout` and `signal` of every wait: timeouts longer than one
// setTimeout (2^31-1 ms) wait for real (lib/wait-timer.js), and many waiters
// on one AbortSignal share one listener (lib/abort-listeners.js).
import { getEventListeners } from 'node:events';
import { Mutex, Semaphore, RwLock, Channel, AsyncQueue, PromisePool, WorkerPool, acquireAll, select, AbortError, TimeoutError } from '../index';
import { fixture, settle, sleep, track } from './helpers';

const MAX_TIMER_MS = 2 ** 31 - 1;

/** A wait that blocks, and a way to end it once the test is done with it. */
type Blocked = { start: (options: { timeout?: number; signal?: AbortSignal }) => Promise<unknown>; end: () => void };

/** One blocked wait per API that takes `{ timeout, signal }`; `shared`: on a primitive whose handle was taken. */
async function blockers(shared: boolean): Promise<Record<string, Blocked>> {
  const share = <T extends { handle: unknown }>(x: T): T => {
    if (shared) void x.handle;
    return x;
  };
  const mutex = share(new Mutex());
  const mutexHeld = await mutex.acquire();
  const sem = share(new Semaphore(2));
  const semHeld = await sem.acquire(2);
  const rw = share(new RwLock());
  const rwHeld = await rw.writeLock();
  const rw2 = share(new RwLock());
  const rw2Held = await rw2.readLock();
  const m2 = share(new Mutex());
  const m2Held = await m2.acquire();
  const m3 = share(new Mutex());
  const m3Held = await m3.acquire();
  const empty = share(new Channel<number>(1));
  const full = share(new Channel<number>(1));
  await full.send(0);
  const emptyQ = share(new AsyncQueue<number>());
  const fullQ = share(new AsyncQueue<number>({ maxSize: 1 }));
  await fullQ.put(0);
  const unjoined = share(new AsyncQueue<number>());
  await unjoined.put(1);
  return {
    'Mutex.acquire': { start: (o) => mutex.acquire(o), end: () => mutexHeld.release() },
    'Mutex.waitForUnlock': { start: (o) => m3.waitForUnlock(o), end: () => m3Held.release() },
    'Semaphore.acquire': { start: (o) => sem.acquire(1, o), end: () => semHeld.release() },
    'RwLock.readLock': { start: (o) => rw.readLock(o), end: () => rwHeld.release() },
    'RwLock.writeLock': { start: (o) => rw2.writeLock(o), end: () => rw2Held.release() },
    acquireAll: { start: (o) => acquireAll([m2], o), end: () => m2Held.release() },
    'Channel.receive': { start: (o) => empty.receive(o), end: () => empty.close() },
    'Channel.send': { start: (o) => full.send(1, o), end: () => full.close() },
    select: { start: (o) => select([{ receive: empty }], o), end: () => empty.close() },
    'AsyncQueue.get': { start: (o) => emptyQ.get(o), end: () => emptyQ.close() },
    'AsyncQueue.put': { start: (o) => fullQ.put(1, o), end: () => fullQ.close() },
    'AsyncQueue.join': { start: (o) => unjoined.join(o), end: () => unjoined.taskDone() },
  };
}

describe('a timeout longer than one setTimeout (2^31-1 ms)', () => {
  describe.each([false, true])('shared mode: %s', (shared) => {
    test('is still waiting after a while, on every API that waits', async () => {
      const b = await blockers(shared);
      const waits = Object.entries(b).map(([name, x]) => [name, track(x.start({ timeout: 2 ** 31 }))] as const);
      // Before the fix, Node clamped the delay to 1 ms and every one of these timed out at once.
      await sleep(30);
      await settle();
      expect(waits.filter(([, t]) => t.settled).map(([name, t]) => `${name}: ${String(t.error)}`)).toEqual([]);
      for (const x of Object.values(b)) x.end();
      await settle();
      expect(waits.filter(([, t]) => !t.settled).map(([name]) => name)).toEqual([]);
    });
  });

  describe('fires when its whole time has passed (jest fake timers; the real wait path)', () => {
    beforeEach(() => jest.useFakeTimers({ doNotFake: ['nextTick', 'queueMicrotask', 'setImmediate'] }));
    afterEach(() => jest.useRealTimers());

    // Fake timers clamp a delay above 2^31-1 to 1 ms, as Node does: the old code fails here at the first step.
    test.each([2 ** 31, 2 * MAX_TIMER_MS + 17, 1e12])('%d ms, on every API that waits', async (timeout) => {
      const b = await blockers(false);
      const waits = Object.entries(b).map(([name, x]) => [name, track(x.start({ timeout }))] as const);
      const pending = () => waits.filter(([, t]) => !t.settled).length;
      // Step through the chain: a full setTimeout each time, then what is left but 1 ms.
      let left = timeout;
      while (left > MAX_TIMER_MS + 1) {
        await jest.advanceTimersByTimeAsync(MAX_TIMER_MS);
        left -= MAX_TIMER_MS;
        expect(pending()).toBe(waits.length);
      }
      await jest.advanceTimersByTimeAsync(Math.ceil(left) - 1);
      await settle();
      expect(pending()).toBe(waits.length);
      await jest.advanceTimersByTimeAsync(1);
      await settle();
      for (const [name, t] of waits) {
        expect([name, t.error]).toEqual([name, expect.any(TimeoutError)]);
        expect((t.error as Error).message).toContain(`${timeout} ms`);
      }
      expect(jest.getTimerCount()).toBe(0);
      for (const x of Object.values(b)) x.end();
    });

    test('a long wait that is granted leaves no timer behind', async () => {
      const mutex = new Mutex();
      const held = await mutex.acquire();
      const ch = new Channel<number>();
      const waits = [
        mutex.acquire({ timeout: 3 * MAX_TIMER_MS }),
        ch.receive({ timeout: 3 * MAX_TIMER_MS }),
        select([{ receive: ch }], { timeout: 2 ** 40 }),
      ];
      await jest.advanceTimersByTimeAsync(MAX_TIMER_MS + 5); // into the second timer of each chain
      expect(jest.getTimerCount()).toBe(3);
      held.release();
      await ch.send(1);
      await ch.send(2);
      const [permit] = await Promise.all(waits);
      (permit as { release(): void }).release();
      expect(jest.getTimerCount()).toBe(0);
    });
  });

  test('Infinity still means no timeout, and a bad timeout is still a RangeError naming the value', async () => {
    const mutex = new Mutex();
    const held = await mutex.acquire();
    const w = track(mutex.acquire({ timeout: Infinity }));
    await sleep(5);
    expect(w.settled).toBe(false);
    held.release();
    await settle();
    expect(w.fulfilled).toBe(true);
    (w.value as { release(): void }).release();
    await expect(mutex.acquire({ timeout: -1 })).rejects.toThrow(
      new RangeError('options.timeout must be a non-negative number of milliseconds, got -1'),
    );
    await expect(mutex.acquire({ timeout: NaN })).rejects.toThrow(RangeError);
  });
});

describe('many waiters on one AbortSignal', () => {
  let warnings: Error[] = [];
  const onWarning = (w: Error) => warnings.push(w);
  beforeEach(() => {
    warnings = [];
    process.on('warning', onWarning);
  });
  afterEach(() => {
    process.off('warning', onWarning);
  });

  /** 10,000 waiters of one kind on one signal: one listener, no warning; abort rejects each. */
  async function many(start: (signal: AbortSignal) => Promise<unknown>, n = 10_000) {
    const ac = new AbortController();
    const waits = Array.from({ length: n }, () => track(start(ac.signal)));
    expect(getEventListeners(ac.signal, 'abort').length).toBeLessThanOrEqual(1);
    await settle();
    expect(waits.filter((t) => t.settled).length).toBe(0);
    ac.abort(new Error('batch cancelled'));
    await settle();
    expect(waits.filter((t) => !(t.error instanceof AbortError)).length).toBe(0);
    expect(getEventListeners(ac.signal, 'abort').length).toBe(0);
    // Node emits the warning on the next tick.
    await sleep(0);
    expect(warnings.filter((w) => w.name === 'MaxListenersExceededWarning')).toEqual([]);
  }

  describe.each([false, true])('shared mode: %s', (shared) => {
    test.each(
      Object.keys({
        'Mutex.acquire': 0,
        'Semaphore.acquire': 0,
        'RwLock.readLock': 0,
        'RwLock.writeLock': 0,
        acquireAll: 0,
        'Mutex.waitForUnlock': 0,
      }),
    )('%s', async (name) => {
      const b = await blockers(shared);
      await many((signal) => b[name].start({ signal }));
      for (const x of Object.values(b)) x.end();
    });
  });

  test.each(
    ['Channel.receive', 'Channel.send', 'select', 'AsyncQueue.get', 'AsyncQueue.put', 'AsyncQueue.join'].flatMap((name) => [
      [name, false],
      [name, true],
    ]),
  )('%s (shared mode: %p)', async (name, shared) => {
    const b = await blockers(shared as boolean);
    await many((signal) => b[name as string].start({ signal }));
    for (const x of Object.values(b)) x.end();
  });

  test('PromisePool.add and PromisePool.map', async () => {
    const pool = new PromisePool(1);
    let unblock!: () => void;
    const running = pool.add(() => new Promise<void>((r) => (unblock = r)));
    await many((signal) => pool.add(() => 1, { signal }));
    await many((signal) => pool.map([1, 2], (x) => x, { signal }), 5000);
    expect(pool.pendingCount).toBe(0);
    unblock();
    await running;
  });

  test('WorkerPool.execute', async () => {
    const pool = new WorkerPool(fixture('pool/tasks.js'), { minWorkers: 1, maxWorkers: 1 });
    try {
      const running = pool.execute(60_000, { name: 'later' });
      await many((signal) => pool.execute(1, { signal }));
      void running.catch(() => {});
    } finally {
      await pool.terminate();
    }
  });

  test('waiters that finish normally leave nothing registered on the signal', async () => {
    const ac = new AbortController();
    const mutex = new Mutex();
    const ch = new Channel<number>();
    const pool = new PromisePool(1);
    const waits: Promise<unknown>[] = [];
    const held = await mutex.acquire();
    for (let i = 0; i < 50; i++) {
      waits.push(mutex.acquire({ signal: ac.signal }).then((p) => p.release()));
      waits.push(ch.receive({ signal: ac.signal }));
      waits.push(select([{ receive: ch }], { signal: ac.signal }));
      waits.push(pool.add(() => sleep(0), { signal: ac.signal }));
    }
    waits.push(pool.map([1, 2, 3], (x) => x, { signal: ac.signal }));
    expect(getEventListeners(ac.signal, 'abort').length).toBe(1);
    held.release();
    for (let i = 0; i < 100; i++) await ch.send(i);
    await Promise.all(waits);
    expect(getEventListeners(ac.signal, 'abort').length).toBe(0);
    // The signal is reusable afterwards: a new waiter registers and is aborted.
    const again = mutex.acquire().then(async (p) => {
      const w = mutex.acquire({ signal: ac.signal });
      ac.abort();
      await expect(w).rejects.toBeInstanceOf(AbortError);
      p.release();
    });
    await again;
    expect(getEventListeners(ac.signal, 'abort').length).toBe(0);
  });

  test('a waiter that leaves while the signal aborts others is still settled once', async () => {
    // Aborting one waiter of a select group unregisters its others; abort order is registration order.
    const ac = new AbortController();
    const ch = new Channel<number>();
    const order: number[] = [];
    const waits = Array.from({ length: 30 }, (_, i) =>
      (i % 2 ? ch.receive({ signal: ac.signal }) : select([{ receive: ch }], { signal: ac.signal })).catch((e) => {
        order.push(i);
        return e;
      }),
    );
    ac.abort();
    const errors = await Promise.all(waits);
    expect(errors.every((e) => e instanceof AbortError)).toBe(true);
    expect(order).toEqual(Array.from({ length: 30 }, (_, i) => i));
  });
});
