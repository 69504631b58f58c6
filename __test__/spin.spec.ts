/**
 * A thread waiting for another thread spins briefly before its event loop
 * sleeps (src/spin.rs). These tests check that the spin stays brief: a
 * long wait, even with a 1 ms timer keeping the waiting loop busy, costs
 * little CPU. Spinning through the whole wait would cost at least the
 * wait's length in CPU time; the bound is half of that, and CPU time does
 * not grow when the machine is slow or busy.
 */
import path from 'node:path';
import { availableParallelism } from 'node:os';
import { spawnSync } from 'node:child_process';
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

/** Runs the 300-hand-off ping-pong fixture in a child process; its spin counters. */
function pingPongSpinStats(env: Record<string, string>) {
  const base = { ...process.env };
  delete base.THREADKIT_SPIN_MAX_US;
  const r = spawnSync(process.execPath, [fixture('spin-pingpong.js')], { env: { ...base, ...env }, encoding: 'utf8', timeout: 60_000 });
  expect(r.status).toBe(0);
  const [spins, caught, fullUs] = JSON.parse(r.stdout) as number[];
  return { spins, caught, fullUs };
}

test('hand-offs between threads spin before sleeping, unless THREADKIT_SPIN_MAX_US=0', () => {
  const on = pingPongSpinStats({});
  expect(on.fullUs).toBe(50);
  // One CPU: never spin (the thread that will wake us needs the core).
  if (availableParallelism() > 1) expect(on.spins).toBeGreaterThan(0);
  else expect(on.spins).toBe(0);
  expect(on.caught).toBeLessThanOrEqual(on.spins);

  for (const off of ['0', 'off']) {
    expect(pingPongSpinStats({ THREADKIT_SPIN_MAX_US: off })).toEqual({ spins: 0, caught: 0, fullUs: 0 });
  }
  expect(pingPongSpinStats({ THREADKIT_SPIN_MAX_US: '20' }).fullUs).toBe(20);
});
