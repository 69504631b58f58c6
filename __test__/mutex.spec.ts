import { Mutex, Permit, NotHeldError, TimeoutError, AbortError, ClosedError } from '../index';
import { inspect } from 'node:util';
import { modes, settle, track, randomPause, sleep, until, random } from './helpers';

describe.each(modes)('Mutex (%s mode)', (_mode, prep) => {
  test('acquire / guard release / isLocked', async () => {
    const m = prep(new Mutex());
    expect(m.isLocked()).toBe(false);
    const g = await m.acquire();
    expect(g).toBeInstanceOf(Permit);
    expect(g.permits).toBe(1);
    expect(m.isLocked()).toBe(true);
    g.release();
    expect(m.isLocked()).toBe(false);
    g.release(); // idempotent
    expect(m.isLocked()).toBe(false);
    {
      using _g = await m.acquire();
      expect(m.isLocked()).toBe(true);
    }
    expect(m.isLocked()).toBe(false);
  });

  test('guards from every path are Permits, not thenables, and release what they hold', async () => {
    const m = prep(new Mutex());
    const fast = await m.acquire(); // free: granted at once
    const queued = m.acquire(); // queued, granted by the release below
    const timed = m.acquire({ timeout: 10_000 }); // queued with options
    fast.release();
    const q = await queued;
    q.release();
    const t = await timed;
    for (const g of [fast, q, t]) {
      expect(g).toBeInstanceOf(Permit);
      expect(typeof (g as unknown as { then?: unknown }).then).not.toBe('function');
      expect(Object.keys(g)).toEqual([]);
    }
    expect(t.released).toBe(false);
    expect(t.permits).toBe(1);
    t.release();
    expect(t.released).toBe(true);
    expect(t.permits).toBe(0);
    expect(m.isLocked()).toBe(false);
  });

  test('a Permit cannot be made or used outside acquire/tryAcquire', () => {
    const P = Permit as unknown as new () => unknown;
    expect(() => new P()).toThrow(TypeError);
    expect(() => Permit.prototype.release.call({})).toThrow(/not a Permit/);
    expect(() => Object.getOwnPropertyDescriptor(Permit.prototype, 'permits')!.get!.call({})).toThrow(/not a Permit/);
  });

  test('an object made from a guard cannot release it again, and nobody can give guards a then', async () => {
    const m = prep(new Mutex());
    const g = await m.acquire();
    expect(() => (Object.create(g) as Permit).release()).toThrow(/not a Permit/);
    expect(m.isLocked()).toBe(true);
    g.release();
    expect(m.isLocked()).toBe(false);
    expect(Object.isFrozen(Permit.prototype)).toBe(true);
    expect(() => {
      (Permit.prototype as unknown as { then: unknown }).then = () => {};
    }).toThrow(TypeError); // strict mode: assigning to a frozen object throws
    const again = await m.acquire();
    expect(again).toBeInstanceOf(Permit);
    again.release();
  });

  test('a Permit prints its state, not its internals', async () => {
    const g = await prep(new Mutex()).acquire();
    expect(inspect(g)).toBe('Permit { permits: 1, released: false }');
    g.release();
    expect(inspect(g)).toBe('Permit { permits: 0, released: true }');
  });

  test('method form: acquire then mutex.release()', async () => {
    const m = prep(new Mutex());
    await m.acquire();
    expect(m.isLocked()).toBe(true);
    m.release();
    expect(m.isLocked()).toBe(false);
  });

  test('release() on an unlocked mutex throws NotHeldError', async () => {
    const m = prep(new Mutex());
    expect(() => m.release()).toThrow(NotHeldError);
    expect(() => m.release()).toThrow(/not locked/);
    const g = await m.acquire();
    g.release();
    let err: unknown;
    try {
      m.release();
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(NotHeldError);
    expect((err as NotHeldError).code).toBe('ERR_THREADKIT_NOT_HELD');
    expect(m.isLocked()).toBe(false);
    // A release that was refused must not have unlocked anything for later.
    const again = await m.acquire();
    expect(m.tryAcquire()).toBeNull();
    again.release();
  });

  test('tryAcquire', async () => {
    const m = prep(new Mutex());
    const g = m.tryAcquire();
    expect(g).toBeInstanceOf(Permit);
    expect(m.isLocked()).toBe(true);
    expect(m.tryAcquire()).toBeNull();
    g!.release();
    expect(m.isLocked()).toBe(false);
    // not while someone is queued
    const hold = await m.acquire();
    const queued = track(m.acquire());
    hold.release(); // hands the lock to the queued waiter
    expect(m.tryAcquire()).toBeNull();
    await settle();
    expect(queued.fulfilled).toBe(true);
    (queued.value as Permit).release();
    expect(m.tryAcquire()).not.toBeNull();
  });

  test('waitForUnlock resolves once free, without keeping the lock, and queues like acquire', async () => {
    const m = prep(new Mutex());
    await m.waitForUnlock(); // free: resolves at once
    expect(m.isLocked()).toBe(false);
    const hold = await m.acquire();
    // An acquirer queued before the waitForUnlock call is served first.
    const acq = track(m.acquire());
    const wait = track(m.waitForUnlock());
    expect(m.waiting).toBe(2);
    hold.release();
    await settle();
    expect(acq.fulfilled).toBe(true);
    expect(wait.settled).toBe(false); // the lock is held by the earlier acquirer
    expect(m.waiting).toBe(1);
    (acq.value as Permit).release();
    await settle();
    expect(wait.fulfilled).toBe(true);
    expect(m.isLocked()).toBe(false); // waitForUnlock did not keep the lock
    expect(m.waiting).toBe(0);
    // waitForUnlock queued first does not keep the lock from the acquirer behind it.
    const hold2 = await m.acquire();
    const wait2 = m.waitForUnlock();
    const acq2 = m.acquire();
    hold2.release();
    await wait2;
    const g = await acq2;
    expect(m.isLocked()).toBe(true);
    g.release();
    expect(m.isLocked()).toBe(false);
  });

  test('waitForUnlock honours timeout and signal', async () => {
    const m = prep(new Mutex());
    const hold = await m.acquire();
    await expect(m.waitForUnlock({ timeout: 10 })).rejects.toBeInstanceOf(TimeoutError);
    const ac = new AbortController();
    const p = m.waitForUnlock({ signal: ac.signal });
    ac.abort();
    await expect(p).rejects.toBeInstanceOf(AbortError);
    expect(m.waiting).toBe(0);
    hold.release();
    expect(m.isLocked()).toBe(false);
  });

  test('runExclusive returns the value and unlocks, also on throw', async () => {
    const m = prep(new Mutex());
    expect(
      await m.runExclusive(async () => {
        expect(m.isLocked()).toBe(true);
        await sleep(1);
        return 'v';
      }),
    ).toBe('v');
    expect(m.isLocked()).toBe(false);
    await expect(
      m.runExclusive(() => {
        throw new TypeError('bad');
      }),
    ).rejects.toBeInstanceOf(TypeError);
    expect(m.isLocked()).toBe(false);
    await expect(m.runExclusive(() => Promise.reject(new Error('rej')))).rejects.toThrow('rej');
    expect(m.isLocked()).toBe(false);
    expect(m.waiting).toBe(0);
  });

  test('runExclusive with a timeout that expires does not run fn', async () => {
    const m = prep(new Mutex());
    const hold = await m.acquire();
    const fn = jest.fn();
    await expect(m.runExclusive(fn, { timeout: 5 })).rejects.toBeInstanceOf(TimeoutError);
    expect(fn).not.toHaveBeenCalled();
    hold.release();
    expect(m.isLocked()).toBe(false);
  });

  test('FIFO: 50 queued waiters are granted in the order they queued', async () => {
    const m = prep(new Mutex());
    const hold = await m.acquire();
    const order: number[] = [];
    const all = Array.from({ length: 50 }, (_, i) =>
      m.acquire().then(async (g) => {
        order.push(i);
        expect(m.isLocked()).toBe(true);
        await randomPause(); // vary the hold time: FIFO must not depend on it
        g.release();
      }),
    );
    expect(m.waiting).toBe(50);
    hold.release();
    await Promise.all(all);
    expect(order).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(m.isLocked()).toBe(false);
    expect(m.waiting).toBe(0);
  });

  test('FIFO holds when waiters join the queue while others are being served', async () => {
    const m = prep(new Mutex());
    const TOTAL = 60;
    const order: number[] = [];
    let next = 0;
    const running: Promise<void>[] = [];
    const spawn = () => running.push(one(next++));
    async function one(id: number) {
      const g = await m.acquire();
      order.push(id);
      // Queue another waiter from inside the critical section.
      if (next < TOTAL) spawn();
      await randomPause();
      g.release();
    }
    for (let i = 0; i < 5; i++) spawn();
    await until(() => running.length === TOTAL, 'all waiters to be queued');
    await Promise.all(running);
    expect(order).toEqual(Array.from({ length: TOTAL }, (_, i) => i));
  });

  test('mutual exclusion under many async tasks with random delays (no lost updates)', async () => {
    const m = prep(new Mutex());
    let inside = 0;
    let violations = 0;
    let balance = 0;
    const task = async () => {
      for (let i = 0; i < 25; i++) {
        await randomPause();
        const form = random();
        const body = async () => {
          if (++inside !== 1) violations++;
          const read = balance;
          await randomPause();
          balance = read + 1;
          inside--;
        };
        if (form < 0.34) {
          await m.runExclusive(body);
        } else if (form < 0.67) {
          const g = await m.acquire();
          try {
            await body();
          } finally {
            g.release();
          }
        } else {
          await m.acquire();
          try {
            await body();
          } finally {
            m.release();
          }
        }
      }
    };
    await Promise.all(Array.from({ length: 30 }, task));
    expect(violations).toBe(0);
    expect(balance).toBe(30 * 25);
    expect(m.isLocked()).toBe(false);
    expect(m.waiting).toBe(0);
  });

  test('close rejects waiters; release by the holder still works', async () => {
    const m = prep(new Mutex());
    const g = await m.acquire();
    const w = m.acquire();
    m.close('bye');
    expect(m.closed).toBe(true);
    const err = await w.catch((e) => e);
    expect(err).toBeInstanceOf(ClosedError);
    expect(err.reason).toBe('bye');
    await expect(m.acquire()).rejects.toBeInstanceOf(ClosedError);
    await expect(m.waitForUnlock()).rejects.toBeInstanceOf(ClosedError);
    g.release();
    expect(m.isLocked()).toBe(false);
    expect(m.tryAcquire()).toBeNull();
  });
});
