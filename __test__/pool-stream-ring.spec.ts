// pool.stream()'s byte ring (lib/pool/stream-ring.js): values of random sizes wrap around its end, a
// value bigger than the ring goes in pieces, a slow caller bounds the bytes (not only the values) the
// worker runs ahead, and streams that share a worker each keep their own ring. Random choices come from
// the suite's seed (printed after the tests; TK_SEED replays them).
import { TimeoutError, WorkerPool } from '../index';
import { fixture, random, seed, sleep, settle, until } from './helpers';
import { poolFactory, shared } from './pool-helpers';

/* eslint-disable @typescript-eslint/no-require-imports */
const { RingWriter, RingReader, NONE, RING_BYTES, recordBytes } = require('../lib/pool/stream-ring.js');
const { encodeCopy } = require('../lib/codec/index.js');
const { sizedValue, isSizedValue } = require('./fixtures/pool/sized-values.js');
/* eslint-enable @typescript-eslint/no-require-imports */

const tasks = fixture('pool/stream-tasks.js');
const pool = poolFactory();

/** `n` sizes from 0 to `max` bytes, most of them small, some near or over `big`. */
function sizes(n: number, max: number, big: number): number[] {
  return Array.from({ length: n }, () => {
    const r = random();
    if (r < 0.6) return Math.floor(random() * 64);
    if (r < 0.9) return Math.floor(random() * (big / 2));
    return Math.floor(random() * max);
  });
}

/** Takes every value of `it`, pausing now and then; checks each against sizedValue (in order, exactly once). */
async function takeAll(it: AsyncIterable<unknown>, want: number[], pauseChance: number): Promise<number> {
  let i = 0;
  for await (const v of it) {
    if (i >= want.length || !isSizedValue(v, i, want[i])) {
      throw new Error(`value ${i} is wrong or extra (seed ${seed}): ${String(v).slice(0, 60)}`);
    }
    i++;
    if (random() < pauseChance) await sleep(random() < 0.5 ? 0 : 1);
  }
  return i;
}

describe('the stream ring, in one thread', () => {
  test.each([256, 4096])(
    'values of random sizes, in pieces when larger than the free space, arrive whole, in order, exactly once (ring of %d bytes)',
    (cap) => {
      const ring = new RingWriter(
        () => {},
        () => false,
        1,
        cap,
      );
      const reader = new RingReader(ring.sab, 1);
      const want = sizes(3000, 3 * cap, cap);
      const hwm = 1 + Math.floor(random() * 16);
      let next = 0; // the next value to write
      let piece: { bytes: Buffer; done: number } | null = null;
      let got = 0;
      while (got < want.length) {
        // The invariants: the bytes in use fit the ring, and the writer is at most hwm values ahead.
        const used = (ring.write - reader.read) | 0;
        if (used < 0 || used > cap || ring.sent - reader.taken > hwm) {
          throw new Error(`ring invariant broken (seed ${seed}): ${used} bytes in use, ${ring.sent - reader.taken} values ahead`);
        }
        if (random() < 0.5) {
          // The writer's turn, as worker/stream.js does it.
          if (piece !== null) {
            piece.done = ring.putPiece(piece.bytes, piece.done);
            if (piece.done === recordBytes(piece.bytes.length)) piece = null;
          } else if (next < want.length && ring.credit(hwm) > 0) {
            const v = sizedValue(next, want[next]);
            if (!ring.tryPut(v)) {
              const bytes = encodeCopy(v);
              piece = { bytes, done: ring.putPiece(bytes, 0) };
              if (piece.done === recordBytes(bytes.length)) piece = null;
            }
            next++;
          }
        } else {
          const v = reader.take();
          if (v === NONE) continue;
          if (!isSizedValue(v, got, want[got])) throw new Error(`value ${got} of size ${want[got]} is wrong (seed ${seed})`);
          got++;
        }
      }
      expect(reader.take()).toBe(NONE);
      expect(ring.write).toBe(reader.read);
    },
  );

  test('a reader about to sleep sees a value written before its flag, and otherwise the writer wakes it once', () => {
    let wakes = 0;
    const ring = new RingWriter(
      () => wakes++,
      () => false,
      1,
      256,
    );
    const reader = new RingReader(ring.sab, 1);
    expect(reader.sleep()).toBe(true);
    expect(ring.tryPut(1)).toBe(true);
    expect(ring.tryPut(2)).toBe(true);
    expect(wakes).toBe(1); // once per wait, not per value
    expect(reader.take()).toBe(1);
    expect(reader.sleep()).toBe(false); // value 2 is there: take again
    expect(reader.take()).toBe(2);
    expect(ring.tryPut(3)).toBe(true);
    expect(wakes).toBe(1); // nobody waited
  });

  test('after close(), the values are those written before it: a later one, or a value still in pieces, is not one of them', () => {
    const ring = new RingWriter(
      () => {},
      () => false,
      1,
      256,
    );
    const reader = new RingReader(ring.sab, 1);
    ring.tryPut('a');
    const bytes = encodeCopy('b'.repeat(1000));
    expect(ring.putPiece(bytes, 0)).toBeLessThan(recordBytes(bytes.length));
    expect(reader.take()).toBe('a');
    expect(reader.take()).toBe(NONE); // copied out in part
    reader.close();
    ring.putPiece(bytes, 200);
    ring.tryPut('c');
    expect(reader.take()).toBe(NONE);
  });
});

describe('pool.stream() through the ring', () => {
  test('values of random sizes wrap around the ring, some larger than it: all arrive whole, in order, exactly once', async () => {
    const p = pool(tasks, { maxWorkers: 1 });
    const want = sizes(600, 3 * RING_BYTES, RING_BYTES);
    const hwm = 1 + Math.floor(random() * 64);
    expect(await takeAll(p.stream({ sizes: want }, { name: 'sized', highWaterMark: hwm }), want, 0.05)).toBe(want.length);
  });

  test.each([1, 4, 256])('values of about the ring size and far larger arrive whole (highWaterMark %d)', async (hwm) => {
    const p = pool(tasks, { maxWorkers: 1 });
    const R = RING_BYTES;
    const want = [R - 16, 3, R - 8, R, R + 1, 0, 5 * R, 7, 2 * R - 3, 16 * R];
    expect(await takeAll(p.stream({ sizes: want }, { name: 'sized', highWaterMark: hwm }), want, 0)).toBe(want.length);
  });

  test('a caller that does not read holds at most a ring of bytes, whatever its highWaterMark: the generator waits', async () => {
    const p = pool(tasks, { maxWorkers: 1 });
    const state = shared(4);
    const size = 10_000;
    const want = Array.from({ length: 200 }, () => size);
    const it = p.stream({ sizes: want, state }, { name: 'sized', highWaterMark: 1000 });
    // The ring holds 6 of these; a 7th is copied out in pieces only as the caller reads.
    const most = Math.floor(RING_BYTES / recordBytes(size + 8)) + 1;
    await until(() => Atomics.load(state, 0) >= most - 1, 'the generator to run ahead');
    await sleep(30);
    await settle();
    expect(Atomics.load(state, 0)).toBeLessThanOrEqual(most);
    expect(await takeAll(it, want, 0)).toBe(want.length);
  });

  test('several streams on one worker (concurrentTasksPerWorker), interleaved with random sizes and pauses: each gets its own values', async () => {
    const p = pool(tasks, { maxWorkers: 1, concurrentTasksPerWorker: 4 });
    const runs = Array.from({ length: 6 }, () => {
      const want = sizes(120, 2 * RING_BYTES, RING_BYTES / 2);
      const pauses = want.map(() => (random() < 0.1 ? 1 : 0));
      const hwm = 1 + Math.floor(random() * 32);
      return takeAll(p.stream({ sizes: want, pauses }, { name: 'sizedAsync', highWaterMark: hwm }), want, 0.1).then((n) =>
        expect(n).toBe(want.length),
      );
    });
    await Promise.all(runs);
  });

  test('with concurrentTasksPerWorker, a stream that times out while its generator waits for room ends with TimeoutError after its values; the worker serves on', async () => {
    const p = pool(tasks, { maxWorkers: 1, concurrentTasksPerWorker: 2 });
    const state = shared(4);
    const it = p.stream({ state, n: 1_000_000 }, { name: 'counted', highWaterMark: 8, timeout: 250 });
    const seen: number[] = [];
    const err = await (async () => {
      try {
        for await (const v of it) {
          seen.push(v);
          await sleep(20); // a slow caller: the generator waits for room most of the time
        }
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(err).toBeInstanceOf(TimeoutError);
    expect(seen).toEqual(Array.from({ length: seen.length }, (_, i) => i));
    expect(seen.length).toBeGreaterThan(0);
    await until(() => Atomics.load(state, 1) === 1, "the generator's finally");
    expect(await p.execute(3, { name: 'plain' })).toBe(3);
  });

  test('a pool whose caller waits for each value (an empty ring each time) gets them all', async () => {
    const p = new WorkerPool(tasks, { maxWorkers: 1 });
    try {
      const want = Array.from({ length: 40 }, (_, i) => i * 7);
      const pauses = want.map(() => 1);
      expect(await takeAll(p.stream({ sizes: want, pauses }, { name: 'sizedAsync', highWaterMark: 2 }), want, 0)).toBe(want.length);
    } finally {
      await p.terminate();
    }
  });
});
