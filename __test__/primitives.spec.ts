import { AsyncLocalStorage } from 'node:async_hooks';
import {
  Semaphore,
  Mutex,
  RwLock,
  Permit,
  AtomicCounter,
  acquireAll,
  AbortError,
  TimeoutError,
  ClosedError,
  NotHeldError,
  ThreadkitError,
} from '../index';
import { random } from './helpers';

const tick = () => new Promise((r) => setImmediate(r));

// Every primitive has two code paths on one thread: local (its handle was
// never taken: plain JS) and shared (the handle was taken: shared memory and
// the native queue). Run the same semantics against both.
type Prep = <T extends { handle: unknown }>(x: T) => T;
const local: Prep = (x) => x;
const shared: Prep = (x) => (void x.handle, x);
const modes: [string, Prep][] = [
  ['local', local],
  ['shared', shared],
];

describe.each(modes)('Semaphore (%s mode)', (_mode, prep) => {
  test('guard form, method form and using', async () => {
    const s = prep(new Semaphore(3));
    const g = await s.acquire(2);
    expect(g).toBeInstanceOf(Permit);
    expect(g.permits).toBe(2);
    expect(s.available).toBe(1);
    g.release();
    g.release(); // idempotent
    expect(g.released).toBe(true);
    expect(s.available).toBe(3);
    await s.acquire();
    s.release();
    {
      const d = await s.acquire(3);
      d[Symbol.dispose]();
    }
    expect(s.available).toBe(3);
  });

  test('weighted strict FIFO: a big request at the head is not overtaken', async () => {
    const s = prep(new Semaphore(3));
    const order: string[] = [];
    const first = await s.acquire(2);
    const big = s.acquire(3).then((g) => (order.push('big'), g));
    const small = s.acquire(1).then((g) => (order.push('small'), g));
    await tick();
    expect(s.available).toBe(1); // free, but the head needs 3
    expect(s.tryAcquire()).toBeNull(); // nobody barges past the queue
    expect(order).toEqual([]);
    first.release();
    (await big).release();
    (await small).release();
    expect(order).toEqual(['big', 'small']);
    expect(s.available).toBe(3);
  });

  test('timeout and abort leave the queue at once and the next waiter is served', async () => {
    const s = prep(new Semaphore(1));
    const held = await s.acquire();
    const timedOut = s.acquire(1, { timeout: 20 });
    const ac = new AbortController();
    const aborted = s.acquire(1, { signal: ac.signal });
    const next = s.acquire(1);
    expect(s.waiting).toBe(3);
    await expect(timedOut).rejects.toBeInstanceOf(TimeoutError);
    expect(s.waiting).toBe(2);
    ac.abort(new Error('stop'));
    await expect(aborted).rejects.toMatchObject({ name: 'AbortError', code: 'ABORT_ERR' });
    expect(s.waiting).toBe(1);
    held.release();
    const g = await next; // the released permit went to `next`, not to a cancelled waiter
    expect(s.available).toBe(0);
    g.release();
    expect(s.available).toBe(1);
  });

  test('an already-aborted signal rejects at once', async () => {
    const s = prep(new Semaphore(1));
    const held = await s.acquire();
    const ac = new AbortController();
    ac.abort();
    await expect(s.acquire(1, { signal: ac.signal })).rejects.toBeInstanceOf(AbortError);
    expect(s.waiting).toBe(0);
    held.release();
  });

  test('cancelling the blocking head serves the waiters behind it', async () => {
    const s = prep(new Semaphore(2));
    const held = await s.acquire(1);
    const ac = new AbortController();
    const big = s.acquire(2, { signal: ac.signal });
    const small = s.acquire(1);
    ac.abort();
    await expect(big).rejects.toBeInstanceOf(AbortError);
    const g = await small;
    g.release();
    held.release();
    expect(s.available).toBe(2);
  });

  test('close rejects waiters and later acquires; releases still work', async () => {
    const s = prep(new Semaphore(1));
    const held = await s.acquire();
    const w = s.acquire();
    s.close('shutting down');
    const err = await w.catch((e) => e);
    expect(err).toBeInstanceOf(ClosedError);
    expect(err).toBeInstanceOf(ThreadkitError);
    expect(err.reason).toBe('shutting down');
    expect(err.message).toMatch(/shutting down/);
    await expect(s.acquire()).rejects.toBeInstanceOf(ClosedError);
    expect(s.closed).toBe(true);
    held.release();
    expect(s.available).toBe(1);
    s.close(); // twice is fine
  });

  test('over-release is an error, not a silent increase', async () => {
    const s = prep(new Semaphore(2));
    expect(() => s.release()).toThrow(NotHeldError);
    const g = await s.acquire();
    expect(() => s.release(2)).toThrow(NotHeldError);
    g.release();
    expect(s.available).toBe(2);
  });

  test('runExclusive releases on throw', async () => {
    const s = prep(new Semaphore(1));
    await expect(
      s.runExclusive(async () => {
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(s.available).toBe(1);
    await expect(s.runExclusive(() => 7)).resolves.toBe(7);
  });

  test('AsyncLocalStorage context is kept across a queued acquire', async () => {
    const als = new AsyncLocalStorage<number>();
    const s = prep(new Semaphore(1));
    const held = await s.acquire();
    const seen = Promise.all(
      [1, 2, 3].map((id) =>
        als.run(id, async () => {
          const g = await s.acquire();
          await tick();
          g.release();
          return als.getStore();
        }),
      ),
    );
    await tick();
    held.release();
    expect(await seen).toEqual([1, 2, 3]);
  });
});

describe.each(modes)('Mutex (%s mode)', (_mode, prep) => {
  test('lock, isLocked, tryAcquire, release', async () => {
    const m = prep(new Mutex());
    expect(m.isLocked()).toBe(false);
    await m.acquire();
    expect(m.isLocked()).toBe(true);
    expect(m.tryAcquire()).toBeNull();
    m.release();
    expect(() => m.release()).toThrow(NotHeldError);
    expect(() => m.release()).toThrow(/not locked/);
    const g = m.tryAcquire();
    expect(g).not.toBeNull();
    g!.release();
  });

  test('50 queued waiters are served in FIFO order', async () => {
    const m = prep(new Mutex());
    const held = await m.acquire();
    const order: number[] = [];
    const all = Array.from({ length: 50 }, (_, i) => m.acquire().then((g) => (order.push(i), g.release())));
    expect(m.waiting).toBe(50);
    held.release();
    await Promise.all(all);
    expect(order).toEqual(Array.from({ length: 50 }, (_, i) => i));
  });

  test('mutual exclusion under many tasks with random delays', async () => {
    const m = prep(new Mutex());
    let inside = 0;
    let max = 0;
    let count = 0;
    await Promise.all(
      Array.from({ length: 30 }, async () => {
        for (let i = 0; i < 30; i++) {
          await m.runExclusive(async () => {
            inside++;
            max = Math.max(max, inside);
            if (random() < 0.5) await (random() < 0.5 ? tick() : new Promise((r) => setTimeout(r, 0)));
            inside--;
            count++;
          });
        }
      }),
    );
    expect(max).toBe(1);
    expect(count).toBe(900);
    expect(m.isLocked()).toBe(false);
  });

  test('waitForUnlock resolves after the holder releases', async () => {
    const m = prep(new Mutex());
    const g = await m.acquire();
    let unlocked = false;
    const w = m.waitForUnlock().then(() => (unlocked = true));
    await tick();
    expect(unlocked).toBe(false);
    g.release();
    await w;
    expect(m.isLocked()).toBe(false);
    await expect(m.waitForUnlock({ timeout: 1000 })).resolves.toBeUndefined();
  });
});

describe.each(modes)('RwLock (%s mode)', (_mode, prep) => {
  test('many readers at once; a writer alone', async () => {
    const rw = prep(new RwLock());
    const r1 = await rw.readLock();
    const r2 = await rw.readLock();
    expect(rw.readers).toBe(2);
    expect(rw.tryWriteLock()).toBeNull();
    r1.release();
    r2.release();
    const w = await rw.writeLock();
    expect(rw.isWriteLocked()).toBe(true);
    expect(rw.tryReadLock()).toBeNull();
    w.release();
    expect(rw.readers).toBe(0);
  });

  test('a waiting writer blocks later readers; earlier readers are not starved', async () => {
    const rw = prep(new RwLock());
    const order: string[] = [];
    const r0 = await rw.readLock();
    const writer = rw.writeLock().then((g) => (order.push('writer'), g));
    const lateReader = rw.readLock().then((g) => (order.push('late reader'), g));
    await tick();
    expect(order).toEqual([]); // the late reader waits behind the writer
    expect(rw.tryReadLock()).toBeNull();
    r0.release();
    const w = await writer;
    expect(order).toEqual(['writer']);
    w.release();
    (await lateReader).release();
    expect(order).toEqual(['writer', 'late reader']);
  });

  test('runRead and runWrite', async () => {
    const rw = prep(new RwLock());
    let value = 0;
    await Promise.all([rw.runWrite(() => (value = 1)), rw.runRead(() => value), rw.runWrite(() => (value = 2))]);
    expect(await rw.runRead(() => value)).toBe(2);
  });
});

describe('AtomicCounter', () => {
  test('increment, decrement, get, set, compareExchange', () => {
    const c = new AtomicCounter(5);
    expect(c.increment()).toBe(6);
    expect(c.increment(4)).toBe(10);
    expect(c.decrement(3)).toBe(7);
    expect(c.get()).toBe(7);
    c.set(-2);
    expect(c.get()).toBe(-2);
    expect(c.compareExchange(-2, 9)).toBe(-2);
    expect(c.get()).toBe(9);
    expect(c.compareExchange(1, 100)).toBe(9);
    expect(c.get()).toBe(9);
    const d = AtomicCounter.from(c.handle);
    d.increment();
    expect(c.get()).toBe(10);
  });

  test('bad input', () => {
    expect(() => new AtomicCounter(1.5)).toThrow(RangeError);
    expect(() => new AtomicCounter('1' as never)).toThrow(TypeError);
    expect(() => new AtomicCounter(2 ** 60)).toThrow(RangeError);
    expect(() => new AtomicCounter().increment(NaN)).toThrow(RangeError);
  });
});

describe('acquireAll', () => {
  test('opposite orders never deadlock', async () => {
    const a = new Mutex();
    const b = new Mutex();
    const s = new Semaphore(1);
    let done = 0;
    await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        (async () => {
          for (let k = 0; k < 30; k++) {
            const locks = i % 2 ? [a, b, s] : [s, b, a];
            const g = await acquireAll(locks, { timeout: 10_000 });
            if (random() < 0.5) await tick();
            g.release();
            done++;
          }
        })(),
      ),
    );
    expect(done).toBe(300);
    expect(a.isLocked() || b.isLocked() || s.available !== 1).toBe(false);
  });

  test('a timeout releases what was already taken', async () => {
    const a = new Mutex();
    const b = new Mutex();
    const hold = await b.acquire();
    await expect(acquireAll([a, b], { timeout: 30 })).rejects.toBeInstanceOf(TimeoutError);
    expect(a.isLocked()).toBe(false);
    hold.release();
  });
});
