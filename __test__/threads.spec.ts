import { Worker } from 'node:worker_threads';
import { spawnSync } from 'node:child_process';
import { AsyncLocalStorage } from 'node:async_hooks';
import * as path from 'node:path';
import { Mutex, Semaphore, RwLock, AtomicCounter, InvalidHandleError } from '../index';
import { seededWorkerEnv } from './helpers';

const fixture = (name: string) => path.join(__dirname, 'fixtures', name);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const workers: Worker[] = [];

function start(name: string, workerData: unknown): Worker {
  const w = new Worker(fixture(name), { workerData, ...seededWorkerEnv() });
  w.on('error', () => {}); // crashes are part of some tests; they are checked through messages
  workers.push(w);
  return w;
}

function nextMessage(w: Worker): Promise<unknown> {
  return new Promise((resolve, reject) => {
    w.once('message', resolve);
    w.once('exit', (code) => reject(new Error(`worker exited (${code}) before sending a message`)));
  });
}

async function until(cond: () => boolean, what: string, ms = 20_000) {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(2);
  }
}

afterEach(async () => {
  await Promise.all(workers.splice(0).map((w) => w.terminate()));
});

describe('across threads', () => {
  test('stress: main + 3 workers keep mutual exclusion, the permit limit and reader/writer exclusion', async () => {
    const mutex = new Mutex();
    const sem = new Semaphore(3);
    const rw = new RwLock();
    const counters = new Int32Array(new SharedArrayBuffer(6 * 4));
    const iterations = 300;
    const data = { mutex: mutex.handle, sem: sem.handle, rw: rw.handle, counters: counters.buffer, iterations };
    const ws = [0, 1, 2].map(() => start('stress-worker.js', data));
    const done = ws.map(nextMessage);
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { run } = require('./fixtures/stress-worker.js');
    await run({ mutex, sem, rw, counters: counters.buffer, iterations });
    expect(await Promise.all(done)).toEqual(['done', 'done', 'done']);
    expect(Atomics.load(counters, 4)).toBe(0); // no invariant was ever broken
    expect(Atomics.load(counters, 5)).toBe(4 * iterations);
    expect(mutex.isLocked()).toBe(false);
    expect(sem.available).toBe(3);
    expect(rw.readers).toBe(0);
    expect(rw.isWriteLocked()).toBe(false);
    expect(mutex.waiting + sem.waiting + rw.waiting).toBe(0);
  });

  test('FIFO across threads: waiters are served in the order they queued', async () => {
    const mutex = new Mutex();
    const order = new Int32Array(new SharedArrayBuffer(8 * 4));
    const guard = await mutex.acquire();
    const done: Promise<unknown>[] = [];
    for (let me = 1; me <= 5; me++) {
      const w = start('order-worker.js', { mutex: mutex.handle, order: order.buffer, me });
      done.push(new Promise((r) => w.on('message', (m) => m === 'done' && r(m))));
      await until(() => mutex.waiting === me, `worker ${me} to queue`);
    }
    guard.release();
    await Promise.all(done);
    expect(Array.from(order.slice(1, 6))).toEqual([1, 2, 3, 4, 5]);
    expect(mutex.isLocked()).toBe(false);
  });

  test.each(['exit', 'throw', 'terminate'])('a worker that dies (%s) while holding gives back its lock and permits', async (how) => {
    const mutex = new Mutex();
    const sem = new Semaphore(3);
    const w = start('holder-worker.js', { mutex: mutex.handle, sem: sem.handle, how });
    expect(await nextMessage(w)).toBe('holding');
    expect(mutex.isLocked()).toBe(true);
    expect(sem.available).toBe(1);
    const waiting = mutex.acquire({ timeout: 15_000 });
    if (how === 'terminate') await w.terminate();
    else w.postMessage('die');
    const g = await waiting; // resolves only because the dead worker's lock was released
    expect(sem.available).toBe(3);
    g.release();
    expect(mutex.isLocked()).toBe(false);
    const all = await sem.acquire(3, { timeout: 1000 });
    all.release();
  });

  test('a worker that dies while queued does not swallow the lock', async () => {
    const mutex = new Mutex();
    const sem = new Semaphore(3);
    const guard = await mutex.acquire();
    const w = start('holder-worker.js', { mutex: mutex.handle, sem: sem.handle, queueOnly: true });
    expect(await nextMessage(w)).toBe('queued');
    await until(() => mutex.waiting === 1, 'the worker to queue');
    await w.terminate();
    await until(() => mutex.waiting === 0, 'the dead waiter to be removed');
    guard.release();
    expect(mutex.isLocked()).toBe(false);
    const again = await mutex.acquire({ timeout: 1000 });
    again.release();
  });

  test('an idle primitive keeps nothing alive: a process using them exits by itself', () => {
    const root = path.resolve(__dirname, '..');
    const r = spawnSync(
      process.execPath,
      [
        '-e',
        `const tk = require(${JSON.stringify(root)});
         const m = new tk.Mutex(), s = new tk.Semaphore(2), rw = new tk.RwLock();
         const handles = [m.handle, s.handle, rw.handle];
         (async () => {
           (await m.acquire()).release();
           (await s.acquire(2)).release();
           (await rw.writeLock()).release();
           const t = m.acquire({ timeout: 50 }); // a waiter that times out leaves nothing behind
           (await t).release();
           console.log('ok', handles.length);
         })();`,
      ],
      { encoding: 'utf8', timeout: 20_000 },
    );
    expect(r.signal).toBeNull();
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe('ok 3');
    expect(r.status).toBe(0);
  });

  test('handles: wrong kind, junk and forged handles give InvalidHandleError', () => {
    const sem = new Semaphore(2);
    const mutex = new Mutex();
    expect(() => Mutex.from(sem.handle as never)).toThrow(InvalidHandleError);
    expect(() => Mutex.from(sem.handle as never)).toThrow(/Semaphore\.from/);
    for (const junk of [{}, null, 42, 'x', { __threadkit: 'Mutex' }, { ...mutex.handle, state: new ArrayBuffer(4) }]) {
      expect(() => Mutex.from(junk as never)).toThrow(InvalidHandleError);
    }
    // The id of a live mutex, with some other shared memory: a forgery.
    const forged = { ...mutex.handle, state: new SharedArrayBuffer(mutex.handle.state.byteLength) };
    expect(() => Mutex.from(forged)).toThrow(InvalidHandleError);
    expect(() => Mutex.from(forged)).toThrow(/does not match/);
  });

  test('a handle outlives the worker that created it', async () => {
    const w = new Worker(
      `const { parentPort } = require('node:worker_threads');
       const tk = require(${JSON.stringify(path.resolve(__dirname, '..'))});
       const m = new tk.Mutex();
       parentPort.postMessage(m.handle);`,
      { eval: true },
    );
    workers.push(w);
    // Listen for 'exit' before awaiting the message: both can come in one tick.
    const exited = new Promise((r) => w.once('exit', r));
    const handle = (await nextMessage(w)) as ReturnType<() => Mutex['handle']>;
    await exited;
    const m = Mutex.from(handle);
    const g = await m.acquire({ timeout: 1000 });
    expect(m.isLocked()).toBe(true);
    g.release();
    expect(m.isLocked()).toBe(false);
  });

  test('AtomicCounter is exact under contention from 4 workers and main', async () => {
    const counter = new AtomicCounter();
    const root = JSON.stringify(path.resolve(__dirname, '..'));
    const code = `const { workerData, parentPort } = require('node:worker_threads');
      const c = require(${root}).AtomicCounter.from(workerData);
      for (let i = 0; i < 100000; i++) { c.increment(); if (i % 3 === 0) { c.decrement(); c.increment(); } }
      parentPort.postMessage('done');`;
    const ws = [0, 1, 2, 3].map(() => {
      const w = new Worker(code, { eval: true, workerData: counter.handle });
      workers.push(w);
      return nextMessage(w);
    });
    for (let i = 0; i < 100000; i++) counter.increment();
    await Promise.all(ws);
    expect(counter.get()).toBe(500000);
  });

  test('AsyncLocalStorage context survives a queued acquire woken by another thread', async () => {
    const als = new AsyncLocalStorage<string>();
    const mutex = new Mutex();
    const sem = new Semaphore(3);
    const w = start('holder-worker.js', { mutex: mutex.handle, sem: sem.handle, how: 'terminate' });
    expect(await nextMessage(w)).toBe('holding');
    const seen = als.run('request-42', async () => {
      const g = await mutex.acquire({ timeout: 15_000 });
      g.release();
      return als.getStore();
    });
    await until(() => mutex.waiting === 1, 'main to queue');
    await w.terminate(); // the wake comes from the dead worker's cleanup, on the worker's thread
    expect(await seen).toBe('request-42');
  });
});
