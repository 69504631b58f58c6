// acquire({ priority }) on Semaphore and Mutex (and readLock/writeLock on RwLock): lower first, FIFO within a priority, in local and
// shared mode and across threads.
import { Semaphore, Mutex, RwLock, Permit } from '../index';
import { modes, settle, random, Workers, nextMessage, root, until } from './helpers';

describe.each(modes)('acquire({ priority }) (%s mode)', (_mode, prep) => {
  test('Mutex: waiters are served lowest priority first, FIFO within one', async () => {
    const m = prep(new Mutex());
    const held = await m.acquire();
    const order: string[] = [];
    const want = (name: string, priority?: number) =>
      m.acquire(priority === undefined ? undefined : { priority }).then((g) => {
        order.push(name);
        g.release();
      });
    const all = [want('a0'), want('b5', 5), want('c-1', -1), want('d0', 0), want('e5', 5), want('f-1', -1)];
    await settle();
    expect(m.waiting).toBe(6);
    held.release();
    await Promise.all(all);
    expect(order).toEqual(['c-1', 'f-1', 'a0', 'd0', 'b5', 'e5']);
  });

  test('RwLock: readLock/writeLock/runRead/runWrite queue by priority, FIFO within one', async () => {
    const rw = prep(new RwLock());
    const held = await rw.writeLock();
    const order: string[] = [];
    const read = (name: string, priority: number) =>
      rw.readLock({ priority }).then((g) => {
        order.push(name);
        g.release();
      });
    const write = (name: string, priority: number) => rw.runWrite(() => void order.push(name), { priority });
    const all = [write('w0', 0), read('r1', 1), write('w-1', -1), rw.runRead(() => void order.push('r-1'), { priority: -1 }), read('r0', 0)];
    await settle();
    expect(rw.waiting).toBe(5);
    held.release();
    await Promise.all(all);
    // -1 first (the writer, then the reader queued after it), then 0 (FIFO: the writer, then the reader), then 1.
    expect(order).toEqual(['w-1', 'r-1', 'w0', 'r0', 'r1']);
  });

  test('Semaphore: a cancelled waiter leaves its run in order; a big head blocks those behind it', async () => {
    const s = prep(new Semaphore(3));
    const held = await s.acquire(3);
    const order: number[] = [];
    const ac = new AbortController();
    const want = (n: number, priority: number, signal?: AbortSignal) =>
      s.acquire(n, { priority, signal }).then(
        (g) => (order.push(priority * 10 + n), g),
        () => undefined,
      );
    const ws = [want(1, 2), want(3, 1), want(1, 1, ac.signal), want(1, 0)];
    ac.abort();
    await settle();
    held.release(); // 3 free: priority 0 (1), then priority 1 wants 3: blocked by 2 free
    await settle();
    expect(order).toEqual([1]);
    const g0 = (await ws[3]) as Permit;
    g0.release();
    const g13 = (await ws[1]) as Permit;
    expect(order).toEqual([1, 13]);
    g13.release();
    ((await ws[0]) as Permit).release();
    expect(order).toEqual([1, 13, 21]);
    expect([s.available, s.waiting]).toEqual([3, 0]);
  });

  test('random priorities, cancels and releases: grants follow (priority, arrival) order', async () => {
    const m = prep(new Mutex());
    let g: Permit | null = await m.acquire();
    const queue: { p: number; id: number; ac: AbortController }[] = [];
    const granted: number[] = [];
    const expected: number[] = [];
    const done: Promise<unknown>[] = [];
    for (let id = 0; id < 300; id++) {
      const r = random();
      if (r < 0.6 || g === null) {
        const p = random() < 0.5 ? 0 : Math.floor(random() * 7) - 3;
        const ac = new AbortController();
        done.push(
          m.acquire({ priority: p, signal: ac.signal }).then(
            (x) => {
              granted.push(id);
              g = x;
            },
            () => {},
          ),
        );
        if (g === null && queue.length === 0) {
          expected.push(id);
        } else {
          let i = queue.length;
          while (i > 0 && queue[i - 1].p > p) i--;
          queue.splice(i, 0, { p, id, ac });
        }
      } else if (r < 0.7 && queue.length > 0) {
        queue.splice(Math.floor(random() * queue.length), 1)[0].ac.abort();
      } else {
        const held = g;
        g = null;
        held.release();
        const next = queue.shift();
        if (next !== undefined) expected.push(next.id);
      }
      await settle(2);
    }
    while (queue.length > 0) {
      (g as unknown as Permit).release();
      g = null;
      expected.push(queue.shift()!.id);
      await settle(2);
    }
    expect(granted).toEqual(expected);
  });

  test('bad priorities reject, naming the value', async () => {
    const m = prep(new Mutex());
    const held = await m.acquire();
    await expect(m.acquire({ priority: 1.5 })).rejects.toThrow('options.priority must be an integer from -2147483648 to 2147483647, got 1.5');
    await expect(m.acquire({ priority: '1' as never })).rejects.toThrow(TypeError);
    await expect(prep(new Semaphore(1)).acquire(1, { priority: 2 ** 31 })).rejects.toThrow(RangeError); // even when free
    expect(m.waiting).toBe(0);
    held.release();
  });
});

describe('priority across threads', () => {
  const workers = new Workers();
  afterEach(() => workers.stopAll());

  test('waiters on main and in a worker are served in priority order, FIFO within one', async () => {
    const m = new Mutex();
    const held = await m.acquire();
    const log = new Int32Array(new SharedArrayBuffer(4 * 16));
    const w = workers.eval(
      `const { workerData, parentPort } = require('node:worker_threads');
       const tk = require(${JSON.stringify(root)});
       const m = tk.Mutex.from(workerData.h);
       const log = new Int32Array(workerData.log);
       const want = (id, priority) => m.acquire({ priority, timeout: 20000 }).then((g) => { log[1 + Atomics.add(log, 0, 1)] = id; g.release(); });
       (async () => {
         const ps = [];
         for (const [id, p] of workerData.mine) { ps.push(want(id, p)); while (m.waiting < workerData.waitingAfter[id]) await new Promise((r) => setTimeout(r, 1)); parentPort.postMessage(id); }
         await Promise.all(ps);
         parentPort.postMessage('done');
       })();`,
      {
        h: m.handle,
        log: log.buffer,
        mine: [
          [1, 3],
          [3, -2],
        ],
        waitingAfter: { 1: 1, 3: 3 },
      },
    );
    const mainWant = (id: number, priority: number) =>
      m.acquire({ priority, timeout: 20_000 }).then((g) => {
        log[1 + Atomics.add(log, 0, 1)] = id;
        g.release();
      });
    expect(await nextMessage(w)).toBe(1); // worker: id 1, priority 3
    const a = mainWant(2, 3); // main: id 2, priority 3 (after 1)
    expect(await nextMessage(w)).toBe(3); // worker: id 3, priority -2 (first)
    const b = mainWant(4, 0); // main: id 4, priority 0
    await until(() => m.waiting === 4, 'all four to queue');
    const done = nextMessage(w);
    held.release();
    await Promise.all([a, b, done]);
    expect(Array.from(log.slice(1, 1 + Atomics.load(log, 0)))).toEqual([3, 4, 1, 2]);
  });
});
