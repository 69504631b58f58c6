// A Semaphore's bound: `new Semaphore(n, { max })` (starting below it, release on any thread),
// `setPermits` (changing it at run time) and `waitForUnlock(weight)`. Cross-thread cases are in
// semaphore-bound-threads.spec.ts.
import { Semaphore, NotHeldError, TimeoutError, Permit } from '../index';
import { modes, settle, track, random, seed } from './helpers';

describe.each(modes)('Semaphore bound (%s mode)', (_mode, prep) => {
  test('new Semaphore(0, { max: 1 }): a waiter is woken by a release on a thread that acquired nothing', async () => {
    const s = prep(new Semaphore(0, { max: 1 }));
    expect([s.available, s.permits]).toEqual([0, 1]);
    expect(s.tryAcquire()).toBeNull();
    const w = track(s.acquire());
    await settle();
    expect(w.settled).toBe(false);
    s.release(); // the signal
    await settle();
    expect(w.fulfilled).toBe(true);
    expect(s.available).toBe(0);
    s.release();
    expect(s.available).toBe(1);
    expect(() => s.release()).toThrow(RangeError);
    expect(() => s.release()).toThrow('cannot release 1 permit(s) of this Semaphore: 1 of its 1 are free');
    expect(s.available).toBe(1);
  });

  test('{ max } with a start in between: release fills up to max, and never past it, also with permits held', async () => {
    const s = prep(new Semaphore(1, { max: 3 }));
    const g = await s.acquire();
    s.release(2); // 2 new permits: 2 of 3 free, 1 held
    expect(s.available).toBe(2);
    // Held permits count too: releasing the held one plus a new one would make 4 free.
    expect(() => s.release(2)).toThrow(RangeError);
    expect(s.available).toBe(2);
    g.release();
    expect(s.available).toBe(3);
    expect(() => s.release()).toThrow(RangeError);
    const all = await s.acquire(3);
    expect(all.permits).toBe(3);
    all.release();
  });

  test('without { max }, release still needs permits this thread holds, and 0 permits is refused', () => {
    expect(() => new Semaphore(0)).toThrow('permits must be an integer from 1 to 536870911, got 0');
    const s = prep(new Semaphore(2));
    expect(() => s.release()).toThrow(NotHeldError);
    expect(s.available).toBe(2);
  });

  test('setPermits raises the bound and serves the waiters that now fit, in FIFO order', async () => {
    const s = prep(new Semaphore(2));
    const held = await s.acquire(2);
    const order: number[] = [];
    const a = s.acquire(2).then((g) => (order.push(1), g));
    const b = s.acquire(1).then((g) => (order.push(2), g));
    s.setPermits(3); // 1 free: the head wants 2, so nobody is served
    await settle();
    expect(order).toEqual([]);
    expect([s.permits, s.available]).toEqual([3, 1]);
    s.setPermits(5); // 3 free: both fit
    const [ga, gb] = await Promise.all([a, b]);
    expect(order).toEqual([1, 2]);
    expect(s.available).toBe(0);
    for (const g of [held, ga, gb]) g.release();
    expect([s.permits, s.available, s.waiting]).toEqual([5, 5, 0]);
  });

  test('setPermits below what is held: nothing is free until the excess is released, then waiters are served', async () => {
    const s = prep(new Semaphore(4));
    const g3 = await s.acquire(3);
    s.setPermits(2); // 1 free is taken back, 1 held permit is owed
    expect([s.permits, s.available]).toEqual([2, 0]);
    expect(s.tryAcquire()).toBeNull();
    const w = track(s.acquire(2));
    g3.release(); // 1 pays the debt, 2 are free
    await settle();
    expect(w.fulfilled).toBe(true);
    (w.value as Permit).release();
    expect([s.permits, s.available, s.waiting]).toEqual([2, 2, 0]);
    expect(s.tryAcquire(2)?.release()).toBeUndefined(); // the fast path works again
    expect(() => s.setPermits(0)).toThrow('n must be an integer from 1 to 536870911, got 0');
    expect(s.permits).toBe(2);
  });

  test('a bound lowered while a debt is owed, then raised, frees only what is not owed', async () => {
    const s = prep(new Semaphore(3));
    const g = await s.acquire(3);
    s.setPermits(1); // owes 2
    s.setPermits(2); // owes 1
    expect(s.available).toBe(0);
    s.setPermits(4); // pays 1, frees 1
    expect(s.available).toBe(1);
    g.release();
    expect([s.available, s.permits]).toEqual([4, 4]);
  });

  test('waitForUnlock(weight) resolves once weight permits are free, in queue order, and keeps none', async () => {
    const s = prep(new Semaphore(3));
    const g = await s.acquire(2);
    const order: string[] = [];
    const w2 = s.waitForUnlock(2).then(() => order.push('wait2'));
    const a1 = s.acquire(1).then((p) => (order.push('acq1'), p));
    await settle();
    expect(order).toEqual([]); // 1 is free, but acquire(1) does not pass the waitForUnlock(2) queued first
    g.release();
    await w2;
    const p1 = await a1;
    expect(order.sort()).toEqual(['acq1', 'wait2']);
    expect(s.available).toBe(2); // waitForUnlock kept nothing
    p1.release();
    await expect(s.waitForUnlock(4)).rejects.toThrow(RangeError);
    const all = await s.acquire(3);
    await expect(s.waitForUnlock(1, { timeout: 5 })).rejects.toBeInstanceOf(TimeoutError);
    all.release();
    await s.waitForUnlock();
    expect(s.available).toBe(3);
  });

  test('bad options name the value received', () => {
    expect(() => new Semaphore(1, null as never)).toThrow('options must be an object like { max: 1 }, got null');
    expect(() => new Semaphore(1, { max: 0 })).toThrow('options.max must be an integer from 1 to 536870911, got 0');
    expect(() => new Semaphore(1, { max: 1.5 })).toThrow(RangeError);
    expect(() => new Semaphore(1, { max: '2' as never })).toThrow(TypeError);
    expect(() => new Semaphore(3, { max: 2 })).toThrow('permits (with options.max) must be an integer from 0 to 2, got 3');
    expect(() => new Semaphore(-1, { max: 2 })).toThrow(RangeError);
  });

  test('random acquires, releases, cancels and bound changes match a model (FIFO, bound, no permit lost)', async () => {
    const s = prep(new Semaphore(2, { max: 4 }));
    // The model: free permits, bound, debt, and the FIFO queue of requests.
    let free = 2;
    let bound = 4;
    let debt = 0;
    type Req = { n: number; id: number; timer?: AbortController };
    const queue: Req[] = [];
    const held: { n: number; g: Permit }[] = [];
    const granted: number[] = [];
    const expectedGrants: number[] = [];
    const serve = () => {
      while (queue.length > 0 && queue[0].n <= free) {
        const r = queue.shift()!;
        free -= r.n;
        expectedGrants.push(r.id);
      }
    };
    for (let step = 0; step < 400; step++) {
      const op = random();
      if (op < 0.35) {
        const n = 1 + Math.floor(random() * bound);
        const ac = new AbortController();
        const r: Req = { n, id: step, timer: ac };
        s.acquire(n, { signal: ac.signal }).then(
          (g) => {
            granted.push(step);
            held.push({ n, g });
          },
          () => {},
        );
        if (queue.length === 0 && free >= n) {
          free -= n;
          expectedGrants.push(step);
        } else queue.push(r);
      } else if (op < 0.55 && held.length > 0) {
        const i = Math.floor(random() * held.length);
        const { n, g } = held[i];
        const paid = Math.min(n, debt);
        if (free + n - paid > bound) {
          // Releases from other callers filled it up: a { max } semaphore refuses, and the guard still holds.
          expect(() => g.release()).toThrow(RangeError);
          expect(g.released).toBe(false);
        } else {
          held.splice(i, 1);
          g.release();
          debt -= paid;
          free += n - paid;
          serve();
        }
      } else if (op < 0.65 && queue.length > 0) {
        const i = Math.floor(random() * queue.length);
        const [r] = queue.splice(i, 1);
        r.timer!.abort();
        if (i === 0) serve();
      } else if (op < 0.75) {
        const n = 1 + Math.floor(random() * 6);
        s.setPermits(n);
        if (n < bound) {
          const take = Math.min(bound - n, free);
          debt += bound - n - take;
          free -= take;
        } else {
          const paid = Math.min(n - bound, debt);
          debt -= paid;
          free += n - bound - paid;
        }
        bound = n;
        serve();
      } else if (op < 0.85) {
        const n = 1 + Math.floor(random() * 2);
        if (debt === 0 && free + n <= bound) {
          s.release(n); // a release of permits this thread never acquired ({ max })
          free += n;
          serve();
        } else if (debt === 0) {
          expect(() => s.release(n)).toThrow(RangeError);
        }
      }
      await settle(2);
      expect([s.available, s.permits, s.waiting]).toEqual([free, bound, queue.length]);
    }
    expect(granted).toEqual(expectedGrants);
    expect(seed).toBeDefined();
    // A queued waiter of a shared semaphore keeps its thread alive, as it should: cancel the ones left.
    for (const r of queue) r.timer!.abort();
    await settle(2);
    expect(s.waiting).toBe(0);
  });
});
