import { Semaphore, Permit, ClosedError, NotHeldError, ThreadkitError } from '../index';
import { modes, settle, sleep, track, randomPause } from './helpers';

// Every test runs twice: on a primitive whose handle was never taken (local
// mode: plain JS state) and on one whose handle was taken (shared mode:
// SharedArrayBuffer word + native queue). The two are different code paths.
describe.each(modes)('Semaphore (%s mode)', (_mode, prep) => {
  test('options whose getter throws on a second read: acquire rejects (never throws) and leaves no waiter behind', async () => {
    const s = prep(new Semaphore(1));
    const g = s.tryAcquire()!;
    let reads = 0;
    const options = {
      get timeout() {
        if (reads++ >= 1) throw new Error('getter');
        return 1000;
      },
    };
    let p!: Promise<unknown>;
    expect(() => {
      p = s.acquire(1, options);
    }).not.toThrow();
    const r = track(p);
    await settle();
    expect(r.settled && !r.fulfilled).toBe(true);
    expect((r.error as Error).message).toBe('getter');
    expect(s.waiting).toBe(0);
    g.release();
    expect(s.available).toBe(1);
    (await s.acquire()).release();
  });

  test('permits / available / waiting / closed start as expected', () => {
    const s = prep(new Semaphore(3));
    expect(s.permits).toBe(3);
    expect(s.available).toBe(3);
    expect(s.waiting).toBe(0);
    expect(s.closed).toBe(false);
  });

  test('acquire resolves to a guard; guard.release gives the permits back once', async () => {
    const s = prep(new Semaphore(3));
    const g = await s.acquire(2);
    expect(g).toBeInstanceOf(Permit);
    expect(g.permits).toBe(2);
    expect(g.released).toBe(false);
    expect(s.available).toBe(1);
    g.release();
    expect(g.released).toBe(true);
    expect(g.permits).toBe(0);
    expect(s.available).toBe(3);
    g.release(); // idempotent: must not release twice
    expect(s.available).toBe(3);
    const d = await s.acquire();
    expect(d.permits).toBe(1);
    expect(s.available).toBe(2);
    d[Symbol.dispose]();
    expect(s.available).toBe(3);
    d[Symbol.dispose]();
    expect(s.available).toBe(3);
  });

  test('method form: acquire then sem.release(n)', async () => {
    const s = prep(new Semaphore(3));
    await s.acquire();
    await s.acquire(2);
    expect(s.available).toBe(0);
    s.release(2);
    expect(s.available).toBe(2);
    s.release();
    expect(s.available).toBe(3);
  });

  test('`using` releases at the end of the block, also on throw', async () => {
    const s = prep(new Semaphore(2));
    {
      using g = await s.acquire(2);
      expect(g.permits).toBe(2);
      expect(s.available).toBe(0);
    }
    expect(s.available).toBe(2);
    const body = async () => {
      using _g = await s.acquire();
      expect(s.available).toBe(1);
      throw new Error('boom');
    };
    await expect(body()).rejects.toThrow('boom');
    expect(s.available).toBe(2);
  });

  test('tryAcquire takes free permits or returns null at once', () => {
    const s = prep(new Semaphore(3));
    const a = s.tryAcquire(2);
    expect(a).toBeInstanceOf(Permit);
    expect(a!.permits).toBe(2);
    expect(s.tryAcquire(2)).toBeNull();
    const b = s.tryAcquire();
    expect(b).not.toBeNull();
    expect(s.tryAcquire()).toBeNull();
    expect(s.available).toBe(0);
    a!.release();
    b!.release();
    expect(s.available).toBe(3);
  });

  test('tryAcquire does not barge past a queued waiter', async () => {
    const s = prep(new Semaphore(2));
    const g = await s.acquire(2);
    const big = track(s.acquire(2));
    await settle();
    expect(s.waiting).toBe(1);
    g.release();
    await settle();
    expect(big.fulfilled).toBe(true);
    // Now: 0 free, nobody queued. Queue a big one behind a partial holder.
    (big.value as Permit).release();
    const one = await s.acquire();
    const big2 = track(s.acquire(2));
    await settle();
    expect(s.available).toBe(1);
    expect(s.tryAcquire()).toBeNull(); // 1 is free, but a waiter is queued
    one.release();
    await settle();
    expect(big2.fulfilled).toBe(true);
    (big2.value as Permit).release();
    expect(s.available).toBe(2);
  });

  test('runExclusive returns the value and holds one permit while running', async () => {
    const s = prep(new Semaphore(2));
    const v = await s.runExclusive(async () => {
      expect(s.available).toBe(1);
      await sleep(1);
      return 42;
    });
    expect(v).toBe(42);
    expect(s.available).toBe(2);
    expect(await s.runExclusive(() => 'sync')).toBe('sync');
    expect(s.available).toBe(2);
  });

  test('runExclusive releases when fn throws or rejects', async () => {
    const s = prep(new Semaphore(1));
    await expect(
      s.runExclusive(() => {
        throw new Error('sync throw');
      }),
    ).rejects.toThrow('sync throw');
    expect(s.available).toBe(1);
    await expect(
      s.runExclusive(async () => {
        await sleep(1);
        throw new Error('async throw');
      }),
    ).rejects.toThrow('async throw');
    expect(s.available).toBe(1);
    expect(s.waiting).toBe(0);
  });

  test('runExclusive limits concurrency to the permit count', async () => {
    const s = prep(new Semaphore(3));
    let inside = 0;
    let max = 0;
    await Promise.all(
      Array.from({ length: 40 }, () =>
        s.runExclusive(async () => {
          inside++;
          max = Math.max(max, inside);
          await randomPause();
          inside--;
        }),
      ),
    );
    expect(max).toBeLessThanOrEqual(3);
    expect(s.available).toBe(3);
    expect(s.waiting).toBe(0);
  });

  test('available and waiting follow the queue', async () => {
    const s = prep(new Semaphore(2));
    const g = await s.acquire(2);
    const w1 = track(s.acquire());
    const w2 = track(s.acquire(2));
    await settle();
    expect(s.available).toBe(0);
    expect(s.waiting).toBe(2);
    g.release();
    await settle();
    // w1 takes 1, w2 needs 2 and only 1 is free
    expect(w1.fulfilled).toBe(true);
    expect(w2.settled).toBe(false);
    expect(s.available).toBe(1);
    expect(s.waiting).toBe(1);
    (w1.value as Permit).release();
    await settle();
    expect(w2.fulfilled).toBe(true);
    expect(s.available).toBe(0);
    expect(s.waiting).toBe(0);
    (w2.value as Permit).release();
    expect(s.available).toBe(2);
  });

  test('weighted strict FIFO: a big request at the head is not overtaken by small ones', async () => {
    const s = prep(new Semaphore(3));
    const order: string[] = [];
    const first = await s.acquire(2); // 1 free
    const big = s.acquire(3).then((g) => (order.push('big'), g));
    const small1 = s.acquire(1).then((g) => (order.push('small1'), g));
    const small2 = s.acquire(1).then((g) => (order.push('small2'), g));
    await settle();
    expect(order).toEqual([]); // 1 permit is free, but the head needs 3
    expect(s.available).toBe(1);
    expect(s.waiting).toBe(3);
    first.release();
    const gBig = await big;
    await settle();
    expect(order).toEqual(['big']);
    expect(s.available).toBe(0);
    gBig.release();
    const [g1, g2] = await Promise.all([small1, small2]);
    expect(order).toEqual(['big', 'small1', 'small2']);
    expect(s.available).toBe(1);
    g1.release();
    g2.release();
    expect(s.available).toBe(3);
  });

  test('grants are in FIFO order for equal requests', async () => {
    const s = prep(new Semaphore(2));
    const hold = await s.acquire(2);
    const order: number[] = [];
    const all = Array.from({ length: 30 }, (_, i) =>
      s.acquire().then(async (g) => {
        order.push(i);
        await randomPause();
        g.release();
      }),
    );
    await settle();
    expect(s.waiting).toBe(30);
    hold.release();
    await Promise.all(all);
    expect(order).toEqual(Array.from({ length: 30 }, (_, i) => i));
    expect(s.available).toBe(2);
  });

  test('close(reason) rejects queued waiters and later acquires with ClosedError carrying the reason', async () => {
    const s = prep(new Semaphore(1));
    const g = await s.acquire();
    const w1 = s.acquire();
    const w2 = s.acquire(1, { timeout: 60_000 });
    await settle();
    expect(s.waiting).toBe(2);
    s.close('shutting down');
    expect(s.closed).toBe(true);
    for (const p of [w1, w2]) {
      const err = await p.then(
        () => null,
        (e) => e,
      );
      expect(err).toBeInstanceOf(ClosedError);
      expect(err).toBeInstanceOf(ThreadkitError);
      expect(err.code).toBe('ERR_THREADKIT_CLOSED');
      expect(err.reason).toBe('shutting down');
      expect(err.message).toMatch(/shutting down/);
    }
    expect(s.waiting).toBe(0);
    const later = await s.acquire().catch((e) => e);
    expect(later).toBeInstanceOf(ClosedError);
    expect(later.reason).toBe('shutting down');
    await expect(s.runExclusive(() => 1)).rejects.toBeInstanceOf(ClosedError);
    expect(s.tryAcquire()).toBeNull();
    // Releases still work after close.
    g.release();
    expect(s.available).toBe(1);
    // Closing twice does nothing (the first reason stays).
    s.close('again');
    const again = await s.acquire().catch((e) => e);
    expect(again).toBeInstanceOf(ClosedError);
    expect(again.reason).toBe('shutting down');
  });

  test('close() without a reason, and with an Error as reason', async () => {
    const s = prep(new Semaphore(1));
    s.close();
    const e1 = await s.acquire().catch((e) => e);
    expect(e1).toBeInstanceOf(ClosedError);
    expect(e1.reason).toBeUndefined();
    const t = prep(new Semaphore(1));
    t.close(new Error('disk gone'));
    const e2 = await t.acquire().catch((e) => e);
    expect(e2).toBeInstanceOf(ClosedError);
    expect(e2.reason).toBe('disk gone');
  });

  test('method-form release after close still works', async () => {
    const s = prep(new Semaphore(2));
    await s.acquire(2);
    s.close();
    s.release();
    s.release();
    expect(s.available).toBe(2);
    expect(() => s.release()).toThrow(NotHeldError);
  });
});
