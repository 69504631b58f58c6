// Shared mode's uncontended path (lib/sync/fair-semaphore.js `takeShared` / `releaseShared`): a thread
// alone on a shared primitive pays one compare-and-swap per acquire and per release, and nothing else
// that crosses into native code; a stale guess of the shared word (another engine changed it) never
// takes permits that are not free.
import { Mutex, Semaphore } from '../index';
import { random, seed } from './helpers';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const native: Record<string, unknown> = require('../lib/native.js');

/** Counts calls to `Atomics.load`, `Atomics.compareExchange` and every native function while `body` runs. */
async function counted(body: () => Promise<void>) {
  const counts = { load: 0, cas: 0, native: 0 };
  const { load, compareExchange } = Atomics;
  const saved = new Map<string, unknown>();
  for (const [k, v] of Object.entries(native)) {
    if (typeof v !== 'function') continue;
    saved.set(k, v);
    native[k] = function (this: unknown, ...args: unknown[]) {
      counts.native++;
      return (v as (...a: unknown[]) => unknown).apply(this, args);
    };
  }
  Atomics.load = ((...args: Parameters<typeof load>) => (counts.load++, load(...args))) as typeof load;
  Atomics.compareExchange = ((...args: Parameters<typeof compareExchange>) => (counts.cas++, compareExchange(...args))) as typeof compareExchange;
  try {
    await body();
  } finally {
    Atomics.load = load;
    Atomics.compareExchange = compareExchange;
    for (const [k, v] of saved) native[k] = v;
  }
  return counts;
}

describe('a thread alone on a shared primitive', () => {
  test.each([
    ['Mutex', () => new Mutex()],
    ['Semaphore(3)', () => new Semaphore(3)],
  ])('%s: acquire + release is one compare-and-swap each, no load, no native call', async (_, make) => {
    const lock = make();
    void lock.handle; // shared mode
    await lock.acquire(); // the first one may learn the word
    lock.release();
    const n = 100;
    const counts = await counted(async () => {
      for (let i = 0; i < n; i++) {
        await lock.acquire();
        lock.release();
      }
    });
    expect(counts).toEqual({ load: 0, cas: 2 * n, native: 0 });
  });
});

describe('stale guesses of the shared word', () => {
  test('two engines of one Semaphore, driven in a random order, never hand out more than it has', async () => {
    const max = 4;
    const a = new Semaphore(max);
    const b = Semaphore.from(a.handle); // a second engine on this thread: its guesses go stale under a's changes
    const engines = [a, b];
    const held: { sem: Semaphore; n: number }[] = [];
    let out = 0;
    for (let step = 0; step < 2000; step++) {
      const sem = engines[random() < 0.5 ? 0 : 1];
      if (held.length > 0 && random() < 0.5) {
        const i = Math.floor(random() * held.length);
        const [p] = held.splice(i, 1);
        p.sem.release(p.n);
        out -= p.n;
      } else {
        const n = 1 + Math.floor(random() * max);
        const free = a.available;
        const permit = sem.tryAcquire(n);
        if (permit === null) {
          expect([step, seed, free < n]).toEqual([step, seed, true]);
        } else {
          held.push({ sem, n });
          out += n;
        }
      }
      expect([step, seed, a.available, b.available]).toEqual([step, seed, max - out, max - out]);
      // The promise form takes the same path when the permits are free.
      if (out === 0) {
        const p = await sem.acquire(max);
        expect(a.available).toBe(0);
        p.release();
      }
    }
    for (const p of held) p.sem.release(p.n);
    expect(a.available).toBe(max);
  });
});
