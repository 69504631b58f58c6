// KeyedMutex: one FIFO lock per key, freed when unused, across threads. Mutual exclusion per key and
// FIFO with seeded random timing, memory that follows the keys in use, bad keys, and dead threads.
import { KeyedMutex, Permit, TimeoutError, AbortError, NotHeldError, InvalidHandleError } from '../index';
import { spawnSync } from 'node:child_process';
import { Workers, nextMessage, until, root, random, modes, settle } from './helpers';

const workers = new Workers();
afterEach(() => workers.stopAll());

const pause = () => new Promise<void>((r) => (random() < 0.5 ? setImmediate(r) : setTimeout(r, random() * 2)));

describe.each(modes)('KeyedMutex on one thread, %s', (_mode, prep) => {
  test('one holder per key, FIFO per key; other keys do not wait', async () => {
    const km = prep(new KeyedMutex());
    const order: number[] = [];
    const g = await km.acquire('a');
    const queued = Array.from({ length: 10 }, (_, i) => km.acquire('a').then((p) => (order.push(i), p.release())));
    const other = await km.acquire('b'); // not blocked by 'a'
    expect([km.size, km.isLocked('a'), km.waiting('a'), km.isLocked('c')]).toEqual([2, true, 10, false]);
    other.release();
    await settle();
    expect(order).toEqual([]);
    g.release();
    await Promise.all(queued);
    expect(order).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(km.size).toBe(0);
  });

  test('200 tasks on 5 keys with random pauses: never two inside one key, each runs once', async () => {
    const km = prep(new KeyedMutex());
    const inside = new Map<number, number>();
    let ran = 0;
    await Promise.all(
      Array.from({ length: 200 }, async () => {
        const key = Math.floor(random() * 5);
        if (random() < 0.3) await pause();
        await km.runExclusive(key, async () => {
          inside.set(key, (inside.get(key) ?? 0) + 1);
          expect(inside.get(key)).toBe(1);
          if (random() < 0.5) await pause();
          inside.set(key, inside.get(key)! - 1);
          ran++;
        });
      }),
    );
    expect(ran).toBe(200);
    expect(km.size).toBe(0);
  });

  test('memory follows the keys in use: 20000 keys used once leave nothing behind', async () => {
    const km = prep(new KeyedMutex());
    const held: Permit[] = [];
    for (let i = 0; i < 20_000; i++) {
      const g = (i & 1) === 0 ? km.tryAcquire(`user-${i}`) : await km.acquire(i);
      held.push(g!);
      if (held.length === 100) {
        expect(km.size).toBe(100);
        for (const h of held.splice(0)) h.release();
        expect(km.size).toBe(0);
      }
    }
    expect(km.size).toBe(0);
  });

  test('timeout and abort leave the queue; the key then goes to the next in line', async () => {
    const km = prep(new KeyedMutex());
    const g = await km.acquire('k');
    const ac = new AbortController();
    const aborted = km.acquire('k', { signal: ac.signal });
    const timed = km.acquire('k', { timeout: 10 });
    const next = km.acquire('k');
    ac.abort();
    await expect(aborted).rejects.toBeInstanceOf(AbortError);
    await expect(timed).rejects.toThrow(TimeoutError);
    expect(km.waiting('k')).toBe(1);
    g.release();
    (await next).release();
    expect(km.size).toBe(0);
    await expect(km.acquire('k', { signal: AbortSignal.abort() })).rejects.toBeInstanceOf(AbortError);
    expect(km.size).toBe(0);
  });

  test('strings and numbers are keys as in a Map; the method form and runExclusive release', async () => {
    const km = prep(new KeyedMutex());
    const a = km.tryAcquire(1);
    const b = km.tryAcquire('1');
    expect(a).toBeInstanceOf(Permit);
    expect(b).toBeInstanceOf(Permit);
    expect(km.tryAcquire(-0)).not.toBeNull();
    expect(km.tryAcquire(0)).toBeNull(); // 0 and -0 are one key, as in a Map
    km.release(0);
    a!.release();
    a!.release(); // twice does nothing
    km.release('1');
    expect(() => km.release('1')).toThrow(NotHeldError);
    expect(() => km.release('1')).toThrow(/"1"/);
    await expect(km.runExclusive('x', () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(km.size).toBe(0);
  });
});

describe('KeyedMutex: bad input and handles', () => {
  test('bad keys are TypeErrors naming the value', async () => {
    const km = new KeyedMutex();
    await expect(km.acquire({} as never)).rejects.toThrow(/must be a string or a number \(not NaN\), got object/);
    await expect(km.acquire(NaN)).rejects.toThrow(/got NaN/);
    expect(() => km.tryAcquire(null as never)).toThrow(/got null/);
    expect(() => km.isLocked(undefined as never)).toThrow(TypeError);
    await expect(km.runExclusive('k', 'nope' as never)).rejects.toThrow(/fn must be a function, got "nope"/);
    await expect(km.acquire('k', { timeout: -1 })).rejects.toThrow(RangeError);
    expect(km.size).toBe(0);
  });

  test('from() refuses other kinds, damaged and forged handles', () => {
    const h = new KeyedMutex().handle;
    expect(() => KeyedMutex.from({ ...h, __threadkit: 'Barrier' } as never)).toThrow(/use Barrier.from/);
    expect(() => KeyedMutex.from({ ...h, nonce: 'x' } as never)).toThrow(InvalidHandleError);
    expect(() => KeyedMutex.from({ ...h, nonce: (h.nonce + 1) % 2 ** 31 })).toThrow(InvalidHandleError);
    const same = KeyedMutex.from(h);
    expect(same.tryAcquire('z')).not.toBeNull();
  });
});

/** A worker running `body` with `km` = KeyedMutex.from(workerData.h), `post`, `next()` and a seeded `random`. */
function worker(body: string, workerData: unknown) {
  return workers.eval(
    `const { workerData, parentPort } = require('node:worker_threads');
     const tk = require(${JSON.stringify(root)});
     const { random } = require(${JSON.stringify(root + '/__test__/fixtures/random.js')});
     const km = tk.KeyedMutex.from(workerData.h);
     const post = (m) => parentPort.postMessage(m);
     const next = () => new Promise((r) => parentPort.once('message', r));
     const pause = () => new Promise((r) => random() < 0.5 ? setImmediate(r) : setTimeout(r, random() * 2));
     (async () => { ${body} })().catch((e) => post('error ' + e.name + ': ' + e.message));`,
    workerData,
  );
}

describe('KeyedMutex across threads', () => {
  test('main and 3 workers on 4 keys: never two holders of one key, every task runs exactly once', async () => {
    const km = new KeyedMutex();
    const inside = new Int32Array(new SharedArrayBuffer(4 * 4));
    const ran = new Int32Array(new SharedArrayBuffer(4));
    const tasks = 60;
    const task = `async (key) => {
         if (Atomics.add(inside, key, 1) !== 0) throw new Error('two holders of key ' + key);
         if (random() < 0.5) await pause();
         Atomics.sub(inside, key, 1);
         Atomics.add(ran, 0, 1);
       }`;
    const body = `const inside = new Int32Array(workerData.inside); const ran = new Int32Array(workerData.ran);
       const run = ${task};
       await Promise.all(Array.from({ length: workerData.tasks }, async () => {
         const key = Math.floor(random() * 4);
         if (random() < 0.3) await pause();
         await km.runExclusive(key === 3 ? 'three' : key, () => run(key), { timeout: 30000 });
       }));
       post('done');`;
    const ws = Array.from({ length: 3 }, () => worker(body, { h: km.handle, inside: inside.buffer, ran: ran.buffer, tasks }));
    const done = ws.map((w) => nextMessage(w));
    await Promise.all(
      Array.from({ length: tasks }, async () => {
        const key = Math.floor(random() * 4);
        if (random() < 0.3) await pause();
        await km.runExclusive(key === 3 ? 'three' : key, async () => {
          expect(Atomics.add(inside, key, 1)).toBe(0);
          if (random() < 0.5) await pause();
          Atomics.sub(inside, key, 1);
          Atomics.add(ran, 0, 1);
        });
      }),
    );
    expect(await Promise.all(done)).toEqual(['done', 'done', 'done']);
    expect(ran[0]).toBe(4 * tasks);
    expect(km.size).toBe(0);
  });

  test('FIFO across threads: waiters on one key are served in the order they queued', async () => {
    const km = new KeyedMutex();
    // Each holder appends its name while it holds the key: the log is the order of service.
    const log = new Int32Array(new SharedArrayBuffer(4 * 8));
    const append = (who: number) => (log[1 + Atomics.add(log, 0, 1)] = who);
    const g = await km.acquire('k');
    const ws = [0, 1, 2].map((i) =>
      worker(
        `await next(); const log = new Int32Array(workerData.log);
         const g = await km.acquire('k'); log[1 + Atomics.add(log, 0, 1)] = workerData.i; g.release(); post('done');`,
        { h: km.handle, i, log: log.buffer },
      ),
    );
    const done = ws.map((w) => nextMessage(w));
    const mine: Promise<void>[] = [];
    for (let i = 0; i < 3; i++) {
      const before = km.waiting('k');
      ws[i].postMessage('go');
      await until(() => km.waiting('k') === before + 1, `worker ${i} queued`);
      mine.push(km.acquire('k').then((p) => (append(10 + i), p.release())));
      if (random() < 0.5) await pause();
    }
    g.release();
    await Promise.all([...mine, ...done]);
    expect(Array.from(log.subarray(0, 7))).toEqual([6, 0, 10, 1, 11, 2, 12]);
  });

  test('a timeout racing the hand-off from another thread loses nothing: 40 rounds at random moments', async () => {
    const km = new KeyedMutex();
    const rounds = 40;
    const delays = Array.from({ length: rounds }, () => random() * 3);
    const w = worker(
      `for (const d of workerData.delays) {
         const g = await km.acquire('k', { timeout: 30000 }); post('holding');
         await new Promise((r) => setTimeout(r, d)); g.release(); await next();
       }`,
      { h: km.handle, delays },
    );
    let timedOut = 0;
    for (let r = 0; r < rounds; r++) {
      expect(await nextMessage(w)).toBe('holding');
      try {
        (await km.acquire('k', { timeout: random() * 3 })).release();
      } catch (e) {
        expect(e).toBeInstanceOf(TimeoutError);
        timedOut++;
      }
      // A grant that came after the timeout was given back: the key is free again.
      (await km.acquire('k', { timeout: 30_000 })).release();
      w.postMessage('next');
    }
    expect(km.size).toBe(0);
    console.log(`${timedOut} of ${rounds} acquires timed out`);
  });

  test('a worker that dies holding a key releases it; one that dies queued leaves the queue', async () => {
    const km = new KeyedMutex();
    const holder = worker(`await km.acquire('k'); post('holding'); await next();`, { h: km.handle });
    expect(await nextMessage(holder)).toBe('holding');
    const mine = km.acquire('k', { timeout: 30_000 });
    const queued = worker(`const p = km.acquire('k'); post('queued'); await p; post('got it');`, { h: km.handle });
    expect(await nextMessage(queued)).toBe('queued');
    await until(() => km.waiting('k') === 2, 'main and a worker queued');
    await queued.terminate();
    await until(() => km.waiting('k') === 1, 'the terminated worker removed');
    await holder.terminate();
    const g = await mine;
    expect(km.size).toBe(1);
    g.release();
    expect(km.size).toBe(0);
  });
});

describe('KeyedMutex: lifetime', () => {
  test('a held guard keeps its KeyedMutex attached after the object itself was dropped and collected', () => {
    const r = spawnSync(
      process.execPath,
      [
        '--expose-gc',
        '-e',
        `const tk = require(${JSON.stringify(root)});
         (async () => {
           let handle, guard;
           await (async () => { const km = new tk.KeyedMutex(); handle = km.handle; guard = await km.acquire('k'); })();
           for (let i = 0; i < 5; i++) { await new Promise((r) => setTimeout(r, 10)); gc(); }
           const again = tk.KeyedMutex.from(handle);
           console.log(again.isLocked('k')); guard.release(); console.log(again.isLocked('k'));
         })().catch((e) => console.log(e.name));`,
      ],
      { encoding: 'utf8', timeout: 30_000 },
    );
    expect(r.stderr).toBe('');
    expect(r.stdout.trim().split('\n')).toEqual(['true', 'false']);
  });
});
