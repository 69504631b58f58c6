// PromisePool rate limiting: { interval, intervalCap } on one thread, and a RateLimit shared by handle across 4 workers.
import { PromisePool, RateLimit, Semaphore, InvalidHandleError } from '../index';
import { Workers, messageWhere, random, randomPause, root, seed, within } from './helpers';

const workers = new Workers();
afterEach(() => workers.stopAll());

/** Starts per fixed window of `rate`, from the times the limiter granted them. */
function perWindow(rate: RateLimit, times: number[]): Map<number, number> {
  const counts = new Map<number, number>();
  for (const t of times) {
    const w = Math.floor((t - rate.origin) / rate.interval); // computed here, not by the limiter
    counts.set(w, (counts.get(w) ?? 0) + 1);
  }
  return counts;
}

/** Records the time of every start the pool's limiter grants. */
function recordGrants(rate: RateLimit): number[] {
  const times: number[] = [];
  const take = rate.tryTake.bind(rate);
  rate.tryTake = () => {
    const now = Date.now();
    const ok = take(now);
    if (ok) times.push(now);
    return ok;
  };
  return times;
}

describe('RateLimit', () => {
  test('fixed windows: at most intervalCap grants per window; a stale time is refused', () => {
    const rate = new RateLimit({ interval: 100, intervalCap: 3 });
    const t0 = rate.origin;
    expect([1, 2, 3, 4].map(() => rate.tryTake(t0 + 10))).toEqual([true, true, true, false]);
    expect(rate.tryTake(t0 + 99)).toBe(false);
    expect(rate.tryTake(t0 + 100)).toBe(true); // a new window
    expect(rate.tryTake(t0 + 50)).toBe(false); // older than the window now open
    expect(rate.msToNextWindow(t0 + 120)).toBe(80);
    const other = RateLimit.from(rate.handle); // the same count
    expect([other.tryTake(t0 + 150), other.tryTake(t0 + 150), rate.tryTake(t0 + 150)]).toEqual([true, true, false]);
    expect(other.interval).toBe(100);
    expect(other.intervalCap).toBe(3);
  });

  test('window indexes wrap around 2^32 (1 ms windows, 49 days on) and still count', () => {
    const rate = new RateLimit({ interval: 1, intervalCap: 2 });
    for (const w of [2 ** 31 - 1, 2 ** 31, 2 ** 32 - 1, 2 ** 32, 2 ** 32 + 1, 3 * 2 ** 32 + 7]) {
      const t = rate.origin + w;
      expect([rate.tryTake(t), rate.tryTake(t), rate.tryTake(t)]).toEqual([true, true, false]);
      expect(rate.tryTake(t - 1)).toBe(false); // the window before is stale
    }
  });

  test('bad input names the value', () => {
    expect(() => new RateLimit({ interval: 0, intervalCap: 1 })).toThrow('interval must be a finite number of milliseconds above 0, got 0');
    expect(() => new RateLimit({ interval: 10, intervalCap: 1.5 })).toThrow('intervalCap must be an integer from 1 to 2147483647, got 1.5');
    expect(() => new RateLimit(null as never)).toThrow('new RateLimit() needs { interval, intervalCap }, got null');
    expect(() => RateLimit.from({} as never)).toThrow(InvalidHandleError);
    expect(() => new PromisePool(2, { interval: 10 })).toThrow(
      'options.interval and options.intervalCap go together, got interval 10 and intervalCap undefined',
    );
    expect(() => new PromisePool(2, { rateLimit: 5 as never })).toThrow(InvalidHandleError);
    expect(() => new PromisePool(2, { intervalCap: 'x' as never, interval: 5 })).toThrow('intervalCap must be a positive integer, got "x"');
    expect(() => new PromisePool(2, { bogus: 1 } as never)).toThrow('options.bogus is not an option');
    expect(() => new PromisePool({ concurrency: 2 } as never, {} as never)).toThrow(
      'new PromisePool(options) takes one argument, got a second: object',
    );
    const rate = new RateLimit({ interval: 10, intervalCap: 2 });
    expect(() => new PromisePool(2, { rateLimit: rate, interval: 10, intervalCap: 1 })).toThrow(
      'options.rateLimit and options.interval/intervalCap exclude each other',
    );
    // the one-object form takes the same options
    expect(new PromisePool({ concurrency: 2, interval: 10, intervalCap: 1 }).rateLimit!.intervalCap).toBe(1);
    expect(new PromisePool({ concurrency: 2, rateLimit: rate.handle, autoStart: false }).isPaused).toBe(true);
  });
});

describe.each([
  ['local', (extra: object) => new PromisePool(4, extra)],
  ['shared Semaphore', (extra: object) => new PromisePool(new Semaphore(4).handle, extra)],
])('PromisePool { interval, intervalCap } (%s)', (_mode, make) => {
  test(`never more than intervalCap starts in a window; every task runs once (seed ${seed})`, async () => {
    const pool = make({ interval: 40, intervalCap: 3 });
    const rate = pool.rateLimit!;
    expect(rate.intervalCap).toBe(3);
    const grants = recordGrants(rate);
    const ran: number[] = [];
    const ps = Array.from({ length: 15 }, (_, i) =>
      pool.add(async () => {
        ran.push(i);
        if (random() < 0.5) await randomPause();
      }),
    );
    await within(Promise.all(ps), 20_000, 'rate-limited tasks');
    expect(ran.sort((a, b) => a - b)).toEqual([...Array(15).keys()]);
    expect(grants.length).toBe(15);
    const counts = perWindow(rate, grants);
    expect(Math.max(...counts.values())).toBeLessThanOrEqual(3);
    expect(counts.size).toBeGreaterThanOrEqual(5); // 15 starts at 3 per window need at least 5 windows
  });
});

test(`a RateLimit shared by handle holds across 4 worker threads together (seed ${seed})`, async () => {
  const interval = 50;
  const cap = 4;
  const rate = new RateLimit({ interval, intervalCap: cap });
  const perWorker = 12;
  const slots = 4 * perWorker + 16;
  const times = new Float64Array(new SharedArrayBuffer(8 * slots));
  const count = new Int32Array(new SharedArrayBuffer(4));
  const code = `
    const { workerData, parentPort } = require('node:worker_threads');
    const { PromisePool, RateLimit, Semaphore } = require(${JSON.stringify(root + '/index.js')});
    const { seededRandom } = require(${JSON.stringify(root + '/__test__/fixtures/random.js')});
    const random = seededRandom(Number(process.env.TK_WORKER_SEED));
    const rate = RateLimit.from(workerData.rate);
    const times = new Float64Array(workerData.times);
    const count = new Int32Array(workerData.count);
    const take = rate.tryTake.bind(rate);
    rate.tryTake = () => {
      const now = Date.now();
      const ok = take(now);
      if (ok) times[Atomics.add(count, 0, 1)] = now; // the time the grant was made for
      return ok;
    };
    const pool = workerData.shared ? new PromisePool(new Semaphore(3).handle, { rateLimit: rate }) : new PromisePool(3, { rateLimit: rate });
    let ran = 0;
    const ps = [];
    for (let i = 0; i < workerData.n; i++) {
      ps.push(pool.add(() => new Promise((r) => setTimeout(() => r(++ran), Math.floor(random() * 20)))));
    }
    Promise.all(ps).then(() => parentPort.postMessage({ done: ran }));
  `;
  const ws = [0, 1, 2, 3].map((i) =>
    workers.eval(code, { rate: rate.handle, times: times.buffer, count: count.buffer, n: perWorker, shared: i % 2 === 1 }),
  );
  const done = await within(Promise.all(ws.map((w) => messageWhere<{ done: number }>(w, () => true, 60_000))), 60_000, 'workers');
  expect(done.map((d) => d.done)).toEqual([perWorker, perWorker, perWorker, perWorker]);
  const n = Atomics.load(count, 0);
  expect(n).toBe(4 * perWorker); // exactly one grant per task
  const counts = perWindow(rate, Array.from(times.subarray(0, n)));
  expect(Math.max(...counts.values())).toBeLessThanOrEqual(cap);
  expect(counts.size).toBeGreaterThanOrEqual((4 * perWorker) / cap);
}, 90_000);

describe('a rate limit carried by a shared Semaphore', () => {
  test(`PromisePools limited by one shared Semaphore share its rate across 4 worker threads (seed ${seed})`, async () => {
    const interval = 50;
    const cap = 4;
    const sem = new Semaphore(3);
    const perWorker = 12;
    const times = new Float64Array(new SharedArrayBuffer(8 * (4 * perWorker + 16)));
    const count = new Int32Array(new SharedArrayBuffer(4));
    const code = `
      const { workerData, parentPort } = require('node:worker_threads');
      const { PromisePool, Semaphore } = require(${JSON.stringify(root + '/index.js')});
      const { seededRandom } = require(${JSON.stringify(root + '/__test__/fixtures/random.js')});
      const random = seededRandom(Number(process.env.TK_WORKER_SEED));
      const times = new Float64Array(workerData.times);
      const count = new Int32Array(workerData.count);
      // Each thread makes its own pool, with the rate as numbers: the semaphore carries it.
      const pool = new PromisePool(Semaphore.from(workerData.sem), { interval: workerData.interval, intervalCap: workerData.cap });
      const rate = pool.rateLimit;
      const take = rate.tryTake.bind(rate);
      rate.tryTake = () => {
        const now = Date.now();
        const ok = take(now);
        if (ok) times[Atomics.add(count, 0, 1)] = now;
        return ok;
      };
      let ran = 0;
      const ps = [];
      for (let i = 0; i < workerData.n; i++) {
        ps.push(pool.add(() => new Promise((r) => setTimeout(() => r(++ran), Math.floor(random() * 20)))));
      }
      Promise.all(ps).then(() => parentPort.postMessage({ done: ran }));
    `;
    const ws = [0, 1, 2, 3].map(() => workers.eval(code, { sem: sem.handle, times: times.buffer, count: count.buffer, n: perWorker, interval, cap }));
    const done = await within(Promise.all(ws.map((w) => messageWhere<{ done: number }>(w, () => true, 60_000))), 60_000, 'workers');
    expect(done.map((d) => d.done)).toEqual([perWorker, perWorker, perWorker, perWorker]);
    const n = Atomics.load(count, 0);
    expect(n).toBe(4 * perWorker);
    // Its windows start at the epoch (origin 0).
    const counts = new Map<number, number>();
    for (const t of times.subarray(0, n)) counts.set(Math.floor(t / interval), (counts.get(Math.floor(t / interval)) ?? 0) + 1);
    expect(Math.max(...counts.values())).toBeLessThanOrEqual(cap);
    expect(counts.size).toBeGreaterThanOrEqual((4 * perWorker) / cap);
  }, 90_000);

  test('one rate per Semaphore: another rate is refused with a TypeError that names the one it carries; a fraction of a ms with a RangeError', () => {
    const sem = new Semaphore(2);
    const a = new PromisePool(sem, { interval: 100, intervalCap: 2 });
    expect(a.rateLimit!.origin).toBe(0);
    expect(new PromisePool(Semaphore.from(sem.handle), { interval: 100, intervalCap: 2 }).rateLimit!.intervalCap).toBe(2);
    expect(() => new PromisePool(sem, { interval: 100, intervalCap: 3 })).toThrow(/already carries a rate limit of 2 starts per 100 ms/);
    expect(() => new PromisePool(new Semaphore(1), { interval: 2.5, intervalCap: 1 })).toThrow(RangeError);
    expect(() => a.rateLimit!.handle).toThrow(/carried by a Semaphore/);
    // A pool without a rate, or with a RateLimit of its own, is not affected.
    expect(new PromisePool(sem).rateLimit).toBeNull();
    expect(new PromisePool(sem, { rateLimit: new RateLimit({ interval: 7, intervalCap: 9 }) }).rateLimit!.interval).toBe(7);
  });
});
