import { AsyncLocalStorage } from 'node:async_hooks';
import { Semaphore, Permit, AbortError, TimeoutError, ClosedError, NotHeldError, ThreadkitError } from '../index';
import { modes, settle, sleep, track, randomPause, random } from './helpers';

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

  test('over-release throws NotHeldError and changes nothing', async () => {
    const s = prep(new Semaphore(3));
    expect(() => s.release()).toThrow(NotHeldError);
    const g = await s.acquire();
    let err: unknown;
    try {
      s.release(2);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(NotHeldError);
    expect((err as NotHeldError).code).toBe('ERR_THREADKIT_NOT_HELD');
    expect((err as Error).message.length).toBeGreaterThan(10);
    expect(s.available).toBe(2);
    g.release();
    expect(s.available).toBe(3);
    expect(() => s.release()).toThrow(NotHeldError);
    expect(s.available).toBe(3);
  });

  test('timeout rejects with TimeoutError, leaves the queue at once, and a later release goes to the next waiter', async () => {
    const s = prep(new Semaphore(1));
    const hold = await s.acquire();
    let waitingWhenRejected = -1;
    const timedOut = s.acquire(1, { timeout: 20 }).then(
      () => null,
      (e) => {
        waitingWhenRejected = s.waiting;
        return e;
      },
    );
    const next = track(s.acquire());
    expect(s.waiting).toBe(2); // queued synchronously (no await before the timeout can fire)
    const err = await timedOut;
    expect(err).toBeInstanceOf(TimeoutError);
    expect(err.code).toBe('ERR_THREADKIT_TIMEOUT');
    expect(waitingWhenRejected).toBe(1); // gone from the queue by the time it rejects
    expect(s.waiting).toBe(1);
    expect(next.settled).toBe(false);
    hold.release();
    await settle();
    expect(next.fulfilled).toBe(true); // the release went to the next waiter
    expect(s.available).toBe(0); // ... and not also to the timed-out one
    (next.value as Permit).release();
    expect(s.available).toBe(1);
    expect(s.waiting).toBe(0);
  });

  test('a timed-out big request at the head lets the smaller ones behind it through', async () => {
    const s = prep(new Semaphore(3));
    const hold = await s.acquire(2); // 1 free
    const big = s.acquire(3, { timeout: 20 });
    const small = track(s.acquire(1));
    expect(s.waiting).toBe(2);
    await expect(big).rejects.toBeInstanceOf(TimeoutError);
    await settle();
    expect(small.fulfilled).toBe(true);
    expect(s.available).toBe(0);
    (small.value as Permit).release();
    hold.release();
    expect(s.available).toBe(3);
    expect(s.waiting).toBe(0);
  });

  test('a timeout that is not reached changes nothing', async () => {
    const s = prep(new Semaphore(1));
    const hold = await s.acquire();
    const p = s.acquire(1, { timeout: 60_000 });
    await settle();
    hold.release();
    const g = await p;
    expect(s.available).toBe(0);
    g.release();
    expect(s.available).toBe(1);
    // a free semaphore with timeout 0 grants at once
    const z = await s.acquire(1, { timeout: 0 });
    z.release();
  });

  test('AbortSignal: abort rejects with AbortError (cause = reason) and leaves the queue at once', async () => {
    const s = prep(new Semaphore(1));
    const hold = await s.acquire();
    const ac = new AbortController();
    const aborted = s.acquire(1, { signal: ac.signal }).then(
      () => null,
      (e) => e,
    );
    const next = track(s.acquire());
    await settle();
    expect(s.waiting).toBe(2);
    const reason = new Error('user cancelled');
    ac.abort(reason);
    expect(s.waiting).toBe(1); // synchronously out of the queue
    const err = await aborted;
    expect(err).toBeInstanceOf(AbortError);
    expect(err.code).toBe('ABORT_ERR');
    expect(err.cause).toBe(reason);
    hold.release();
    await settle();
    expect(next.fulfilled).toBe(true);
    expect(s.available).toBe(0);
    (next.value as Permit).release();
    expect(s.available).toBe(1);
    // aborting later does nothing
    ac.abort();
    expect(s.available).toBe(1);
  });

  test('an already-aborted signal rejects at once, even when permits are free', async () => {
    const s = prep(new Semaphore(2));
    const ac = new AbortController();
    ac.abort('nope');
    const err = await s.acquire(1, { signal: ac.signal }).catch((e) => e);
    expect(err).toBeInstanceOf(AbortError);
    expect(err.cause).toBe('nope');
    expect(s.available).toBe(2);
    expect(s.waiting).toBe(0);
    await expect(s.runExclusive(() => 1, { signal: ac.signal })).rejects.toBeInstanceOf(AbortError);
    expect(s.available).toBe(2);
  });

  test('a granted acquire ignores a later abort and timeout', async () => {
    const s = prep(new Semaphore(1));
    const ac = new AbortController();
    const g = await s.acquire(1, { signal: ac.signal, timeout: 5 });
    ac.abort();
    await sleep(20);
    expect(s.available).toBe(0);
    g.release();
    expect(s.available).toBe(1);
  });

  test('AsyncLocalStorage context is kept across a queued acquire woken by another task', async () => {
    const als = new AsyncLocalStorage<string>();
    const s = prep(new Semaphore(1));
    const holder = await als.run('holder', () => s.acquire());
    const seen: (string | undefined)[] = [];
    const waiters = ['a', 'b', 'c'].map((name) =>
      als.run(name, async () => {
        seen.push(als.getStore());
        const g = await s.acquire();
        seen.push(als.getStore());
        await randomPause();
        g.release(); // wakes the next waiter from this context
        return als.getStore();
      }),
    );
    await settle();
    expect(s.waiting).toBe(3);
    // Release from yet another context.
    als.run('releaser', () => holder.release());
    expect(await Promise.all(waiters)).toEqual(['a', 'b', 'c']);
    expect(seen).toEqual(['a', 'b', 'c', 'a', 'b', 'c']);
  });

  test('random contention with timeouts and aborts never exceeds the limit and ends fully released', async () => {
    const s = prep(new Semaphore(3));
    let held = 0;
    let violations = 0;
    let granted = 0;
    let cancelled = 0;
    const task = async () => {
      for (let i = 0; i < 40; i++) {
        const n = 1 + Math.floor(random() * 3);
        const r = random();
        const ac = new AbortController();
        const opts = r < 0.2 ? { timeout: Math.floor(random() * 3) } : r < 0.4 ? { signal: ac.signal } : undefined;
        if (r >= 0.2 && r < 0.4) setTimeout(() => ac.abort(), Math.floor(random() * 2));
        let g: Permit;
        try {
          g = await s.acquire(n, opts);
        } catch (e) {
          if (!(e instanceof TimeoutError || e instanceof AbortError)) throw e;
          cancelled++;
          continue;
        }
        granted++;
        held += n;
        if (held > 3) violations++;
        await randomPause();
        held -= n;
        g.release();
      }
    };
    await Promise.all(Array.from({ length: 10 }, task));
    expect(violations).toBe(0);
    expect(granted + cancelled).toBe(400);
    expect(granted).toBeGreaterThan(0);
    await settle(); // late grants to cancelled waiters are handed back
    expect(s.available).toBe(3);
    expect(s.waiting).toBe(0);
  });
});

test('taking the handle while waiters are queued keeps their order and their guards', async () => {
  const s = new Semaphore(2);
  const hold = await s.acquire(2);
  const order: number[] = [];
  const ps = [2, 1, 1].map((n, i) => s.acquire(n).then((g) => (order.push(i), g)));
  await settle();
  expect(s.waiting).toBe(3);
  void s.handle; // switch to shared mode with waiters queued
  expect(s.waiting).toBe(3);
  hold.release();
  const g0 = await ps[0];
  expect(order).toEqual([0]);
  g0.release();
  const rest = await Promise.all(ps.slice(1));
  expect(order).toEqual([0, 1, 2]);
  rest.forEach((g) => g.release());
  expect(s.available).toBe(2);
});

test('waiters with a timeout or a signal keep them when the handle is taken while they are queued', async () => {
  const s = new Semaphore(1);
  const hold = await s.acquire();
  const ac = new AbortController();
  const aborted = s.acquire(1, { signal: ac.signal });
  const timed = s.acquire(1, { timeout: 30 });
  const watchedButServed = s.acquire(1, { timeout: 60_000, signal: new AbortController().signal });
  await settle();
  expect(s.waiting).toBe(3);
  void s.handle; // the three waiters move to the shared queue with their timer and listener
  ac.abort();
  await expect(aborted).rejects.toBeInstanceOf(AbortError);
  expect(s.waiting).toBe(2);
  await expect(timed).rejects.toBeInstanceOf(TimeoutError);
  expect(s.waiting).toBe(1);
  hold.release();
  const g = await watchedButServed; // its 60 s timer is cleared on grant, or jest would report an open handle
  expect(s.available).toBe(0);
  g.release();
  expect(s.available).toBe(1);
  expect(s.waiting).toBe(0);
});
