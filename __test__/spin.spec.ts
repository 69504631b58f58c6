/**
 * A thread waiting for another thread spins briefly before its event loop
 * sleeps (src/spin.rs). These tests check that the spin stays brief: a
 * long wait, even with a 1 ms timer keeping the waiting loop busy, costs
 * little CPU. Spinning through the whole wait would cost at least the
 * wait's length in CPU time; the bound is half of that, and CPU time does
 * not grow when the machine is slow or busy.
 */
import path from 'node:path';
import { Mutex, WorkerPool } from '../index';
import { Workers, fixture, nextMessage, root } from './helpers';

const WAIT_MS = 600;
const CPU_BOUND_MS = WAIT_MS / 2;

/** CPU time (user + system, all threads of this process) spent while `fn` runs, in ms. */
async function cpuMsDuring(fn: () => Promise<unknown>): Promise<number> {
  const tick = setInterval(() => {}, 1); // wakes the waiting loop every millisecond
  const c0 = process.cpuUsage();
  try {
    await fn();
  } finally {
    clearInterval(tick);
  }
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / 1000;
}

const workers = new Workers();
afterEach(() => workers.stopAll());

test('waiting on a lock another thread holds for a long time does not spin through the wait', async () => {
  const mutex = new Mutex();
  const w = workers.eval(
    `const { parentPort, workerData } = require('node:worker_threads');
     const { Mutex } = require(${JSON.stringify(path.join(root, 'index.js'))});
     const m = Mutex.from(workerData.handle);
     m.acquire().then(() => {
       parentPort.postMessage('holding');
       setTimeout(() => m.release(), workerData.ms);
     });`,
    { handle: mutex.handle, ms: WAIT_MS },
  );
  expect(await nextMessage(w)).toBe('holding');
  const t0 = Date.now();
  const cpu = await cpuMsDuring(async () => (await mutex.acquire()).release());
  expect(Date.now() - t0).toBeGreaterThanOrEqual(WAIT_MS / 2); // it really waited
  expect(cpu).toBeLessThan(CPU_BOUND_MS);
});

test('waiting for a long pool task does not spin through the wait', async () => {
  const pool = new WorkerPool(fixture('pool/tasks.js'), 1);
  try {
    await pool.execute(1); // the worker is up
    const cpu = await cpuMsDuring(() => pool.execute(WAIT_MS, { name: 'later' }));
    expect(cpu).toBeLessThan(CPU_BOUND_MS);
  } finally {
    await pool.terminate();
  }
});
