import { Mutex, Semaphore, RwLock, acquireAll, TimeoutError, AbortError, ClosedError } from '../index';
import { Workers, nextMessage, randomPause, settle, track, within, random } from './helpers';

const workers = new Workers();
afterEach(() => workers.stopAll());

describe('acquireAll', () => {
  test('takes every lock, and the guard releases them all once', async () => {
    const a = new Mutex();
    const s = new Semaphore(2);
    const rw = new RwLock();
    const guard = await acquireAll([rw, a, s]);
    expect(guard.released).toBe(false);
    expect(a.isLocked()).toBe(true);
    expect(s.available).toBe(1); // a Semaphore is taken for one permit
    expect(rw.isWriteLocked()).toBe(true); // an RwLock for writing
    guard.release();
    expect(guard.released).toBe(true);
    expect(a.isLocked()).toBe(false);
    expect(s.available).toBe(2);
    expect(rw.isWriteLocked()).toBe(false);
    guard.release(); // idempotent
    expect(s.available).toBe(2);
    {
      using _both = await acquireAll([a, s]);
      expect(a.isLocked()).toBe(true);
    }
    expect(a.isLocked()).toBe(false);
    expect(s.available).toBe(2);
  });

  test('an empty list resolves to a guard that holds nothing', async () => {
    const g = await acquireAll([]);
    g.release();
    expect(g.released).toBe(true);
  });

  test('two async tasks taking [a, b] and [b, a] with random delays never deadlock', async () => {
    const a = new Mutex();
    const b = new Mutex();
    let holders = 0;
    let violations = 0;
    let rounds = 0;
    const task = async (order: Mutex[]) => {
      for (let i = 0; i < 150; i++) {
        await randomPause();
        const g = await acquireAll(order, { timeout: 20_000 }); // a deadlock fails instead of hanging
        if (++holders !== 1) violations++;
        if (!a.isLocked() || !b.isLocked()) violations++;
        await randomPause();
        holders--;
        g.release();
        rounds++;
      }
    };
    // Plain nested acquires in opposite orders would deadlock here; acquireAll must not.
    await within(Promise.all([task([a, b]), task([b, a]), task([b, a]), task([a, b])]), 50_000, 'acquireAll tasks');
    expect(violations).toBe(0);
    expect(rounds).toBe(600);
    expect(a.isLocked()).toBe(false);
    expect(b.isLocked()).toBe(false);
  });

  test('mixed kinds in opposite orders with random delays never deadlock', async () => {
    const m = new Mutex();
    const s = new Semaphore(1);
    const rw = new RwLock();
    void s.handle; // one of them in shared mode
    const orders = [
      [m, s, rw],
      [rw, s, m],
      [s, rw, m],
    ];
    await Promise.all(
      orders.map(async (order) => {
        for (let i = 0; i < 60; i++) {
          const g = await acquireAll(order, { timeout: 20_000 });
          await randomPause();
          g.release();
          // readers in between must not upset it
          if (random() < 0.3) await rw.runRead(randomPause, { timeout: 20_000 });
        }
      }),
    );
    expect(m.isLocked()).toBe(false);
    expect(s.available).toBe(1);
    expect(rw.isWriteLocked()).toBe(false);
  });

  test('if one lock times out, the ones already taken are released', async () => {
    const a = new Mutex();
    const b = new Mutex();
    const c = new Mutex();
    const hold = await b.acquire(); // the middle one is busy
    const err = await acquireAll([a, b, c], { timeout: 20 }).catch((e) => e);
    expect(err).toBeInstanceOf(TimeoutError);
    expect(a.isLocked()).toBe(false); // taken first, then given back
    expect(c.isLocked()).toBe(false); // never taken
    expect(b.isLocked()).toBe(true); // still the holder's
    expect(a.waiting + b.waiting + c.waiting).toBe(0);
    hold.release();
    const g = await acquireAll([c, b, a], { timeout: 10_000 });
    g.release();
  });

  test('the timeout covers the whole call, not each lock (fake clock)', async () => {
    jest.useFakeTimers();
    try {
      const a = new Mutex();
      const b = new Mutex();
      const ha = await a.acquire();
      const hb = await b.acquire();
      const t = track(acquireAll([a, b], { timeout: 100 }));
      setTimeout(() => ha.release(), 60); // a frees up part-way through; b never does
      await jest.advanceTimersByTimeAsync(60);
      expect(a.isLocked()).toBe(true); // now held by acquireAll, which waits for b
      expect(t.settled).toBe(false);
      await jest.advanceTimersByTimeAsync(41); // 101 ms after the call: past its deadline
      expect(t.settled).toBe(true); // a per-lock timeout would still wait until 160 ms
      expect(t.error).toBeInstanceOf(TimeoutError);
      expect(a.isLocked()).toBe(false);
      expect(b.waiting).toBe(0);
      hb.release();
    } finally {
      jest.useRealTimers();
    }
  });

  test('an abort while waiting releases what was taken; an aborted signal takes nothing', async () => {
    const a = new Mutex();
    const b = new Semaphore(1);
    const hold = await b.acquire();
    const ac = new AbortController();
    const p = acquireAll([a, b], { signal: ac.signal });
    const t = track(p);
    await settle();
    expect(a.isLocked()).toBe(true); // holds a, waits for b
    expect(t.settled).toBe(false);
    ac.abort(new Error('stop'));
    const err = await p.catch((e) => e);
    expect(err).toBeInstanceOf(AbortError);
    expect(a.isLocked()).toBe(false);
    expect(b.waiting).toBe(0);
    await expect(acquireAll([a], { signal: ac.signal })).rejects.toBeInstanceOf(AbortError);
    expect(a.isLocked()).toBe(false);
    hold.release();
    expect(b.available).toBe(1);
  });

  test('closing one of the locks while waiting releases the others', async () => {
    const a = new Mutex();
    const b = new RwLock();
    const r = await b.readLock();
    const p = acquireAll([a, b], { timeout: 20_000 });
    await settle();
    expect(a.isLocked()).toBe(true);
    b.close('gone');
    const err = await p.catch((e) => e);
    expect(err).toBeInstanceOf(ClosedError);
    expect(err.reason).toBe('gone');
    expect(a.isLocked()).toBe(false);
    r.release();
  });

  test('main and a worker taking [a, b] and [b, a] never deadlock', async () => {
    const a = new Mutex();
    const b = new Mutex();
    const counters = new Int32Array(new SharedArrayBuffer(4 * 4));
    const iterations = 200;
    const w = workers.start('acquire-all-worker.js', { a: a.handle, b: b.handle, counters: counters.buffer, iterations });
    const done = nextMessage(w, 50_000);
    for (let i = 0; i < iterations; i++) {
      if (random() < 0.5) await randomPause();
      const both = await acquireAll([a, b], { timeout: 20_000 });
      if (Atomics.add(counters, 0, 1) !== 0) Atomics.add(counters, 1, 1);
      if (random() < 0.5) await randomPause();
      Atomics.sub(counters, 0, 1);
      both.release();
      Atomics.add(counters, 2, 1);
    }
    expect(await done).toBe('done');
    expect(Atomics.load(counters, 1)).toBe(0); // never two holders of both
    expect(Atomics.load(counters, 2)).toBe(2 * iterations);
    expect(a.isLocked()).toBe(false);
    expect(b.isLocked()).toBe(false);
    expect(a.waiting + b.waiting).toBe(0);
  });
});
