import { AsyncLocalStorage } from 'node:async_hooks';
import { Semaphore, Permit, AbortError, TimeoutError, NotHeldError } from '../index';
import { modes, settle, sleep, track, randomPause, random } from './helpers';

// Waits that end without a grant (over-release, timeout, abort), async context, random contention, and
// waiters that move to shared mode while queued. Each describe.each test runs in local and shared mode.
describe.each(modes)('Semaphore waits (%s mode)', (_mode, prep) => {
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
