// Barrier (Python's threading.Barrier, across threads): arrival indexes, cyclic rounds that never mix,
// breaking on give-up / abort() / a dead thread, reset(), bad input, and real workers with seeded pauses.
import { Barrier, BrokenBarrierError, TimeoutError, AbortError, InvalidHandleError, ThreadkitError } from '../index';
import { spawnSync } from 'node:child_process';
import { Workers, nextMessage, until, root, random, modes, settle } from './helpers';

const workers = new Workers();
afterEach(() => workers.stopAll());

describe.each(modes)('Barrier on one thread, %s', (_mode, prep) => {
  test('parties pass together with distinct arrival indexes, round after round', async () => {
    const b = prep(new Barrier(3));
    for (let round = 0; round < 10; round++) {
      const first = [b.wait(), b.wait()];
      let passed = false;
      void Promise.all(first).then(() => (passed = true));
      await settle();
      expect(passed).toBe(false);
      expect(b.waiting).toBe(2);
      const last = await b.wait();
      expect(last).toBe(2);
      expect(await Promise.all(first)).toEqual([0, 1]);
      expect(b.waiting).toBe(0);
    }
    expect(await new Barrier(1).wait()).toBe(0);
  });

  test('a party that times out breaks it for the others until reset()', async () => {
    const b = prep(new Barrier(3));
    const other = b.wait();
    const timed = b.wait({ timeout: 10 });
    await expect(timed).rejects.toBeInstanceOf(TimeoutError);
    await expect(other).rejects.toBeInstanceOf(BrokenBarrierError);
    expect(b.broken).toBe(true);
    await expect(b.wait()).rejects.toBeInstanceOf(BrokenBarrierError);
    b.reset();
    expect(b.broken).toBe(false);
    const all = await Promise.all([b.wait(), b.wait(), b.wait()]);
    expect(all).toEqual([0, 1, 2]);
  });

  test('an aborted party breaks it; a signal aborted before the call breaks nothing', async () => {
    const b = prep(new Barrier(2));
    await expect(b.wait({ signal: AbortSignal.abort() })).rejects.toBeInstanceOf(AbortError);
    expect(b.broken).toBe(false);
    const ac = new AbortController();
    const other = b.wait({ timeout: 60_000 });
    const mine = b.wait({ signal: ac.signal });
    // Both arrived: the barrier tripped, so an abort after that changes nothing.
    ac.abort();
    expect(await Promise.all([other, mine])).toEqual([0, 1]);
    expect(b.broken).toBe(false);
    const lone = b.wait({ signal: ac.signal });
    await expect(lone).rejects.toBeInstanceOf(AbortError); // already aborted
    const ac2 = new AbortController();
    const waiting = b.wait({ signal: ac2.signal });
    const other2 = b.wait.bind(b);
    ac2.abort(new Error('stop'));
    await expect(waiting).rejects.toBeInstanceOf(AbortError);
    await expect(other2()).rejects.toBeInstanceOf(BrokenBarrierError);
  });

  test('abort() rejects the waiters; reset() rejects them and renews', async () => {
    const b = prep(new Barrier(3));
    const w1 = b.wait();
    b.abort();
    await expect(w1).rejects.toBeInstanceOf(BrokenBarrierError);
    await expect(b.wait()).rejects.toThrow(ThreadkitError);
    b.reset();
    const w2 = b.wait();
    b.reset();
    await expect(w2).rejects.toBeInstanceOf(BrokenBarrierError);
    expect(b.broken).toBe(false);
    expect((await Promise.all([b.wait(), b.wait(), b.wait()])).sort()).toEqual([0, 1, 2]);
  });
});

describe('Barrier: bad input and handles', () => {
  test('parties and options are checked, naming the value', async () => {
    expect(() => new Barrier(0)).toThrow(/parties must be an integer from 1 to 2147483647, got 0/);
    expect(() => new Barrier(1.5)).toThrow(RangeError);
    expect(() => new Barrier('3' as never)).toThrow(/parties must be a number, got "3"/);
    const b = new Barrier(2);
    await expect(b.wait({ timeout: -5 })).rejects.toThrow(/got -5/);
    await expect(b.wait(null as never)).rejects.toThrow(TypeError);
    expect(b.waiting).toBe(0); // a refused wait did not arrive
  });

  test('from() refuses other kinds, damaged and forged handles', () => {
    const b = new Barrier(2);
    const h = b.handle;
    expect(h).toEqual({ __threadkit: 'Barrier', id: h.id, nonce: h.nonce, parties: 2 });
    expect(() => Barrier.from({ ...h, __threadkit: 'Mutex' } as never)).toThrow(/use Mutex.from/);
    expect(() => Barrier.from({ ...h, id: -1 })).toThrow(InvalidHandleError);
    expect(() => Barrier.from({ ...h, nonce: (h.nonce + 1) % 2 ** 31 })).toThrow(InvalidHandleError);
    expect(() => Barrier.from(42 as never)).toThrow(InvalidHandleError);
    expect(Barrier.from(h).parties).toBe(2);
  });
});

/** A worker running `body` with `b` = Barrier.from(workerData.h), `post`, and a seeded `random`. */
function worker(body: string, workerData: unknown) {
  return workers.eval(
    `const { workerData, parentPort } = require('node:worker_threads');
     const tk = require(${JSON.stringify(root)});
     const { random } = require(${JSON.stringify(root + '/__test__/fixtures/random.js')});
     const b = tk.Barrier.from(workerData.h);
     const post = (m) => parentPort.postMessage(m);
     const pause = () => new Promise((r) => random() < 0.5 ? setImmediate(r) : setTimeout(r, random() * 2));
     (async () => { ${body} })().catch((e) => post('error ' + e.name + ': ' + e.message));`,
    workerData,
  );
}

describe('Barrier across threads', () => {
  test('main and 3 workers pass 40 rounds together: nobody passes early, indexes are a permutation each round', async () => {
    const parties = 4;
    const rounds = 40;
    const b = new Barrier(parties);
    const arrived = new Int32Array(new SharedArrayBuffer(4));
    // Arrivals counted before each wait: after round r, at least (r+1)*parties arrived, and at most
    // (r+1)*parties + parties-1 (round r+1 cannot finish without this party).
    const body = `const arrived = new Int32Array(workerData.arrived); const seen = [];
       for (let r = 0; r < workerData.rounds; r++) {
         if (random() < 0.5) await pause();
         Atomics.add(arrived, 0, 1);
         const i = await b.wait({ timeout: 30000 });
         const n = Atomics.load(arrived, 0);
         if (n < (r + 1) * ${parties} || n > (r + 2) * ${parties} - 1) throw new Error('round ' + r + ': ' + n + ' arrived');
         seen.push(i);
       }
       post(seen);`;
    const ws = Array.from({ length: parties - 1 }, () => worker(body, { h: b.handle, arrived: arrived.buffer, rounds }));
    const results = ws.map((w) => nextMessage<number[] | string>(w));
    const mine: number[] = [];
    for (let r = 0; r < rounds; r++) {
      if (random() < 0.5) await new Promise((res) => setTimeout(res, random() * 2));
      Atomics.add(arrived, 0, 1);
      mine.push(await b.wait({ timeout: 30_000 }));
      const n = Atomics.load(arrived, 0);
      expect(n).toBeGreaterThanOrEqual((r + 1) * parties);
      expect(n).toBeLessThanOrEqual((r + 2) * parties - 1);
    }
    const all = [mine, ...(await Promise.all(results))];
    for (const s of all) expect(Array.isArray(s) ? s.length : s).toBe(rounds);
    for (let r = 0; r < rounds; r++) {
      expect(all.map((s) => (s as number[])[r]).sort()).toEqual([0, 1, 2, 3]);
    }
    expect(b.broken).toBe(false);
  });

  test('a worker terminated while it waits breaks the barrier for main; reset() makes it usable again', async () => {
    const b = new Barrier(3);
    const mine = b.wait();
    const w = worker(`const p = b.wait(); post('waiting'); await p; post('passed');`, { h: b.handle });
    expect(await nextMessage(w)).toBe('waiting');
    await until(() => b.waiting === 2, 'both waiting');
    await w.terminate();
    await expect(mine).rejects.toBeInstanceOf(BrokenBarrierError);
    expect(b.broken).toBe(true);
    b.reset();
    expect(await Promise.all([b.wait(), b.wait(), b.wait()])).toEqual([0, 1, 2]);
  });

  test('a timeout racing the last arrival: both pass, or the waiter times out and the other is broken (30 rounds)', async () => {
    const b = new Barrier(2);
    const rounds = 30;
    const delays = Array.from({ length: rounds }, () => random() * 3);
    const w = worker(
      `const next = () => new Promise((r) => parentPort.once('message', r));
       for (const d of workerData.delays) {
         await next();
         await new Promise((r) => setTimeout(r, d));
         try { post(await b.wait()); } catch (e) { post(e.name); }
       }`,
      { h: b.handle, delays },
    );
    const outcomes = new Set<string>();
    for (let r = 0; r < rounds; r++) {
      w.postMessage('go');
      const theirs = nextMessage(w);
      let mine: string;
      try {
        mine = String(await b.wait({ timeout: random() * 3 }));
      } catch (e) {
        mine = (e as Error).name;
      }
      const pair = `${mine}/${await theirs}`;
      expect(['0/1', '1/0', 'TimeoutError/BrokenBarrierError']).toContain(pair);
      outcomes.add(pair);
      b.reset();
    }
    console.log(`outcomes: ${[...outcomes].join(', ')}`);
  });

  test('a worker that times out breaks it for main and another worker', async () => {
    const b = new Barrier(4);
    const a = worker(`try { await b.wait(); post('passed'); } catch (e) { post(e.name); }`, { h: b.handle });
    const got = nextMessage(a);
    await until(() => b.waiting === 1, 'the first worker waiting');
    const mine = b.wait().catch((e: unknown) => e); // it rejects while the worker's message is awaited
    const t = worker(`try { await b.wait({ timeout: 20 }); post('passed'); } catch (e) { post(e.name); }`, { h: b.handle });
    expect(await nextMessage(t)).toBe('TimeoutError');
    expect(await got).toBe('BrokenBarrierError');
    expect(await mine).toBeInstanceOf(BrokenBarrierError);
  });
});

describe('Barrier: lifetime', () => {
  test('a waiting party keeps its Barrier attached after the object itself was dropped and collected', () => {
    const r = spawnSync(
      process.execPath,
      [
        '--expose-gc',
        '-e',
        `const tk = require(${JSON.stringify(root)});
         (async () => {
           let handle, p;
           (() => { const b = new tk.Barrier(2); handle = b.handle; p = b.wait(); })();
           for (let i = 0; i < 5; i++) { await new Promise((r) => setTimeout(r, 10)); gc(); }
           console.log((await Promise.all([p, tk.Barrier.from(handle).wait()])).join(' '));
         })().catch((e) => console.log(e.name));`,
      ],
      { encoding: 'utf8', timeout: 30_000 },
    );
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe('0 1');
  });
});
