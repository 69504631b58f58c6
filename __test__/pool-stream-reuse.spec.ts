// pool.stream()'s ring reuse (lib/pool/stream-rings.js, worker/stream.js): a worker's later streams take
// a ring it sent before once the stream that held it is done with it, with no message; no value of one
// stream is ever seen in another, whatever the order in which streams start, break, fail or end; a worker
// keeps a bounded number of free rings. Which ring a stream used is read from its iterator (internal:
// `ring.sab`), not inferred from timing. Random choices come from the suite's seed (printed after the
// tests; TK_SEED replays them).
import v8 from 'node:v8';
import vm from 'node:vm';
import { WorkerCrashedError, TimeoutError } from '../index';
import { fixture, random, seed, sleep, until } from './helpers';
import { poolFactory, shared } from './pool-helpers';

/* eslint-disable @typescript-eslint/no-require-imports */
const { RingWriter, RingReader, NONE, RING_BYTES, MAX_FREE_RINGS, FREE, DROPPED, ownerOf, ringHeader } = require('../lib/pool/stream-ring.js');
const { isSizedValue } = require('./fixtures/pool/sized-values.js');
/* eslint-enable @typescript-eslint/no-require-imports */

const tasks = fixture('pool/stream-tasks.js');
const pool = poolFactory();

/** The ring `it` reads from now (undefined before it found one, and after it freed it). */
const ringOf = (it: AsyncIterator<unknown>): SharedArrayBuffer | undefined => (it as any).ring?.sab;
const owner = (sab: SharedArrayBuffer): number => ownerOf(ringHeader(sab));

/** `n` value sizes, most small, some larger than a ring. */
function sizes(n: number): number[] {
  return Array.from({ length: n }, () => {
    const r = random();
    if (r < 0.8) return Math.floor(random() * 40);
    if (r < 0.95) return Math.floor(random() * 8000);
    return RING_BYTES + Math.floor(random() * RING_BYTES);
  });
}

/**
 * Reads stream `tag`'s values, checking each is its own next one (in order, exactly once, none of another
 * stream); stops after `stopAt` values (a break) if given. Returns how many it took and the rings it read from.
 */
async function take(it: AsyncIterableIterator<any>, tag: string, want: number[], stopAt = Infinity) {
  let i = 0;
  const rings = new Set<SharedArrayBuffer>();
  for await (const v of it) {
    const sab = ringOf(it);
    if (sab) rings.add(sab);
    if (v?.tag !== tag || v.i !== i || i >= want.length || !isSizedValue(v.v, i, want[i])) {
      throw new Error(`stream ${tag} got a wrong value at ${i} (seed ${seed}): ${JSON.stringify(v).slice(0, 80)}`);
    }
    if (++i >= stopAt) break;
    if (random() < 0.05) await sleep(random() < 0.5 ? 0 : 1);
  }
  return { n: i, rings };
}

describe('a ring claimed again, in one thread', () => {
  test('a ring is claimed only once its holder freed it; the new stream sees its own values only', () => {
    const ring = new RingWriter(
      () => {},
      () => false,
      7,
      256,
    );
    const a = new RingReader(ring.sab, 7);
    for (let i = 0; i < 5; i++) expect(ring.tryPut(`a${i}`)).toBe(true);
    expect(a.take()).toBe('a0');
    expect(ring.claim(8)).toBe(false); // stream 7 holds it
    new RingReader(ring.sab, 9).release(); // not its holder: changes nothing
    expect(owner(ring.sab)).toBe(7);
    a.release();
    expect(owner(ring.sab)).toBe(FREE);
    expect(ring.claim(8)).toBe(true);
    expect(owner(ring.sab)).toBe(8);
    const b = new RingReader(ring.sab, 8);
    expect(b.take()).toBe(NONE); // a1..a4 are not stream 8's
    expect(ring.tryPut('b0')).toBe(true);
    expect(b.take()).toBe('b0');
    expect(b.take()).toBe(NONE);
    ring.drop();
    b.release(); // after a drop: stays dropped
    expect(owner(ring.sab)).toBe(DROPPED);
    expect(ring.claim(9)).toBe(false);
  });
});

describe('pool.stream() reuses its worker rings', () => {
  test('sequential streams on one worker, some broken off early, some failing: one ring for all, each stream its own values', async () => {
    const p = pool(tasks, { maxWorkers: 1 });
    const rings = new Set<SharedArrayBuffer>();
    for (let k = 0; k < 60; k++) {
      const tag = `s${k}`;
      const want = sizes(1 + Math.floor(random() * 12));
      const stopAt = random() < 0.3 ? 1 + Math.floor(random() * want.length) : Infinity;
      const it = p.stream({ tag, sizes: want }, { name: 'taggedSized', highWaterMark: 1 + Math.floor(random() * 8) });
      const got = await take(it, tag, want, stopAt);
      expect(got.n).toBe(Math.min(want.length, stopAt));
      for (const sab of got.rings) rings.add(sab);
      if (random() < 0.2) {
        const failing = p.stream(2, { name: 'fails' });
        const seen: number[] = [];
        await expect(
          (async () => {
            for await (const v of failing) {
              seen.push(v);
              rings.add(ringOf(failing) as SharedArrayBuffer);
            }
          })(),
        ).rejects.toThrow('failed after 2');
        expect(seen).toEqual([0, 1]);
      }
    }
    // Each stream was done with the ring (its end taken, or its break returned) before the next started.
    expect(rings.size).toBe(1);
  });

  test('many short streams interleaved on one worker (concurrentTasksPerWorker), random breaks and pauses: exactly-once, in order, never another stream value', async () => {
    const p = pool(tasks, { maxWorkers: 1, concurrentTasksPerWorker: 4 });
    const rings = new Set<SharedArrayBuffer>();
    let withValues = 0;
    const lane = async (l: number) => {
      for (let k = 0; k < 40; k++) {
        const tag = `l${l}s${k}`;
        const want = sizes(Math.floor(random() * 10));
        const pauses = want.map(() => (random() < 0.2 ? Math.floor(random() * 2) : -1));
        const stopAt = random() < 0.3 ? 1 + Math.floor(random() * (want.length + 1)) : Infinity;
        const it = p.stream({ tag, sizes: want, pauses }, { name: 'taggedSized', highWaterMark: 1 + Math.floor(random() * 4) });
        const got = await take(it, tag, want, stopAt);
        expect(got.n).toBe(Math.min(want.length, stopAt));
        for (const sab of got.rings) rings.add(sab);
        if (got.n > 0) withValues++;
      }
    };
    await Promise.all([0, 1, 2, 3, 4, 5].map(lane));
    // Reuse happened (how much depends on the timing: a stream holds its ring while it runs, and at most
    // 4 run at once; each stream with a value read from one ring).
    console.log(`${withValues} interleaved streams with values read from ${rings.size} rings (seed ${seed})`);
    expect(rings.size).toBeLessThan(withValues);
  });

  test('many streams queued at once, each awaited from the start, on reused rings: each gets its own values', async () => {
    const p = pool(tasks, { maxWorkers: 2 });
    const rings = new Set<SharedArrayBuffer>();
    const runs = Array.from({ length: 60 }, async (_, k) => {
      const want = sizes(1 + Math.floor(random() * 6));
      const got = await take(p.stream({ tag: `q${k}`, sizes: want }, { name: 'taggedSized' }), `q${k}`, want);
      expect(got.n).toBe(want.length);
      for (const sab of got.rings) rings.add(sab);
    });
    await Promise.all(runs);
    console.log(`60 queued streams on 2 workers read from ${rings.size} rings (seed ${seed})`);
  });

  test(`a worker keeps at most MAX_FREE_RINGS free rings when one of its streams ends: after 8 concurrent streams, the others are dropped`, async () => {
    const p = pool(tasks, { maxWorkers: 1, concurrentTasksPerWorker: 8 });
    const its = Array.from({ length: 8 }, (_, k) => p.stream({ tag: `c${k}`, sizes: [1, 2, 3], pauses: [5, 5, 5] }, { name: 'taggedSized' }));
    // Each reads its first value before any ends: eight rings at once.
    const firsts = await Promise.all(its.map((it) => it.next().then(() => ringOf(it) as SharedArrayBuffer)));
    expect(new Set(firsts).size).toBe(8);
    for (const [k, it] of its.entries()) {
      const rest: number[] = [];
      for await (const v of it) rest.push(v.i);
      expect(rest).toEqual([1, 2]);
      expect(owner(firsts[k])).toBe(FREE); // freed when its end was taken
    }
    // The next stream reuses one; its end on the worker (before its caller frees it) trims the other 7 to MAX_FREE_RINGS.
    const next = await take(p.stream({ tag: 'n', sizes: [4] }, { name: 'taggedSized' }), 'n', [4]);
    expect(firsts).toContain([...next.rings][0]);
    const states = firsts.map(owner);
    expect(states.filter((o) => o === FREE).length).toBe(MAX_FREE_RINGS + 1);
    expect(states.filter((o) => o === DROPPED).length).toBe(8 - 1 - MAX_FREE_RINGS);
  });

  test('a stream nobody reads keeps its ring: later streams get another, and it still reads its own values after them', async () => {
    const p = pool(tasks, { maxWorkers: 1, concurrentTasksPerWorker: 2 });
    const state = shared(4);
    // Its task ends (its values fit the ring) before anyone reads.
    const idle = p.stream({ state, n: 3 }, { name: 'counted' });
    await until(() => Atomics.load(state, 1) === 1, 'the unread stream to end');
    for (let k = 0; k < 10; k++) {
      const want = sizes(1 + Math.floor(random() * 5));
      expect((await take(p.stream({ tag: `o${k}`, sizes: want }, { name: 'taggedSized' }), `o${k}`, want)).n).toBe(want.length);
    }
    const seen: number[] = [];
    for await (const v of idle) seen.push(v);
    expect(seen).toEqual([0, 1, 2]);
  });

  test('a stream collected unread frees its ring for the next one', async () => {
    v8.setFlagsFromString('--expose-gc');
    const gc = vm.runInNewContext('gc') as () => void;
    const p = pool(tasks, { maxWorkers: 1 });
    let sab: SharedArrayBuffer | undefined;
    await (async () => {
      const it = p.stream({ tag: 'lost', sizes: [1, 2, 3] }, { name: 'taggedSized' });
      await it.next(); // it finds its ring; the other values stay unread
      sab = ringOf(it);
    })();
    expect(sab).toBeDefined();
    const ring = sab as SharedArrayBuffer;
    await until(() => {
      gc();
      return owner(ring) === FREE;
    }, 'the ring of the collected stream to be freed');
    const next = await take(p.stream({ tag: 'n', sizes: [5, 6] }, { name: 'taggedSized' }), 'n', [5, 6]);
    expect(next.rings.size).toBe(1);
    expect([...next.rings][0]).toBe(ring); // the same memory, not an equal copy
  });

  test('a worker that dies mid-stream on a reused ring: the values it wrote arrive, then WorkerCrashedError; its replacement serves on', async () => {
    const p = pool(tasks, { maxWorkers: 1 });
    const before = await take(p.stream({ tag: 'a', sizes: [1] }, { name: 'taggedSized' }), 'a', [1]);
    const seen: number[] = [];
    const it = p.stream(3, { name: 'crashes' });
    const err = await (async () => {
      try {
        for await (const v of it) {
          seen.push(v);
          if (seen.length === 1) expect(ringOf(it)).toBe([...before.rings][0]); // reused
        }
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(err).toBeInstanceOf(WorkerCrashedError);
    expect(seen.slice(0, 3)).toEqual([0, 1, 2]);
    const after = await take(p.stream({ tag: 'b', sizes: [2, 3] }, { name: 'taggedSized' }), 'b', [2, 3]);
    expect(after.n).toBe(2);
    expect([...after.rings][0]).not.toBe([...before.rings][0]); // the dead worker's rings went with it
  });

  test('with concurrentTasksPerWorker, a stream that times out hands its ring back only once its generator stopped; later streams read their own values', async () => {
    const p = pool(tasks, { maxWorkers: 1, concurrentTasksPerWorker: 2 });
    const state = shared(4);
    const it = p.stream({ state, n: 1_000_000 }, { name: 'counted', highWaterMark: 4, timeout: 150 });
    let k = 0;
    await expect(
      (async () => {
        for await (const v of it) {
          expect(v).toBe(k++);
          await sleep(10);
        }
      })(),
    ).rejects.toBeInstanceOf(TimeoutError);
    for (let j = 0; j < 10; j++) {
      const want = sizes(1 + Math.floor(random() * 6));
      expect((await take(p.stream({ tag: `t${j}`, sizes: want }, { name: 'taggedSized' }), `t${j}`, want)).n).toBe(want.length);
    }
    await until(() => Atomics.load(state, 1) === 1, "the timed-out generator's finally");
  });
});
