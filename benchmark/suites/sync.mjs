/**
 * Suite `sync`: Semaphore / Mutex against async-sema and async-mutex, the
 * cross-thread hand-off latency against Atomics.waitAsync and postMessage,
 * and a leak check.
 *
 * Every threadkit figure here is checked: loops count the acquisitions they
 * really got (the harness rejects a short count), sample iterations check
 * that the lock is really held, a mutual-exclusion pass runs before each
 * contended measurement, the cross-thread ping-pong proves strict alternation
 * with a counter in shared memory, and the lock must be free after every
 * sample. Peers go through the same checks, so the comparison stays fair.
 */

import { createRequire } from 'node:module';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { Sema } from 'async-sema';
import { Mutex as AsyncMutex } from 'async-mutex';
import { interleaved, compareRow, describe, withTimeout, logged } from '../lib/harness.mjs';
import { runS3 } from './sync/handoff.mjs';

const require = createRequire(import.meta.url);
const { Semaphore, Mutex } = require('../../index.js');

const workersDir = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'workers');

/** Every CHECK_MASK+1-th iteration of a timed loop checks that the lock is really held. */
const CHECK_MASK = 4095;

// ------------------------------------------------------------------ S1

/**
 * S1: `await x.acquire(); x.release()` in a loop on one thread, nobody else
 * around. Each implementation has its own loop function (its own source
 * literal), so V8's call-site feedback is not shared between them.
 */
function s1Impls() {
  const tkSem = new Semaphore(1);
  const tkMutex = new Mutex();
  const tkShared = new Mutex();
  void tkShared.handle; // taking the handle switches it to shared (cross-thread) mode for good
  const sema = new Sema(1);
  const am = new AsyncMutex();
  const notHeld = (name) => new Error(`${name}: acquire resolved but the lock was not held`);
  return {
    tkSem: {
      name: 'threadkit Semaphore(1)',
      run: async (n) => {
        const s = tkSem;
        let ops = 0;
        for (let i = 0; i < n; i++) {
          await s.acquire();
          ops++;
          if ((i & CHECK_MASK) === 0 && s.available !== 0) throw notHeld('Semaphore');
          s.release();
        }
        return ops;
      },
      verify: () => (tkSem.available === 1 ? null : `available is ${tkSem.available} after the loop, expected 1`),
    },
    tkMutex: {
      name: 'threadkit Mutex',
      run: async (n) => {
        const m = tkMutex;
        let ops = 0;
        for (let i = 0; i < n; i++) {
          await m.acquire();
          ops++;
          if ((i & CHECK_MASK) === 0 && !m.isLocked()) throw notHeld('Mutex');
          m.release();
        }
        return ops;
      },
      verify: () => (tkMutex.isLocked() ? 'still locked after the loop' : null),
    },
    tkShared: {
      name: 'threadkit Mutex (shared mode)',
      run: async (n) => {
        const m = tkShared;
        let ops = 0;
        for (let i = 0; i < n; i++) {
          await m.acquire();
          ops++;
          if ((i & CHECK_MASK) === 0 && !m.isLocked()) throw notHeld('Mutex');
          m.release();
        }
        return ops;
      },
      verify: () => (tkShared.isLocked() ? 'still locked after the loop' : null),
    },
    sema: {
      name: 'async-sema Sema(1)',
      run: async (n) => {
        const s = sema;
        let ops = 0;
        for (let i = 0; i < n; i++) {
          await s.acquire();
          ops++;
          if ((i & CHECK_MASK) === 0 && s.tryAcquire() !== undefined) throw notHeld('Sema');
          s.release();
        }
        return ops;
      },
      verify: () => {
        const t = sema.tryAcquire();
        if (t === undefined) return 'not free after the loop';
        sema.release(t);
        return null;
      },
    },
    am: {
      name: 'async-mutex Mutex',
      run: async (n) => {
        const m = am;
        let ops = 0;
        for (let i = 0; i < n; i++) {
          const r = await m.acquire();
          ops++;
          if ((i & CHECK_MASK) === 0 && !m.isLocked()) throw notHeld('async-mutex');
          r();
        }
        return ops;
      },
      verify: () => (am.isLocked() ? 'still locked after the loop' : null),
    },
  };
}

async function runS1(ctx) {
  const i = s1Impls();
  const res = await interleaved({
    impls: [i.tkSem, i.tkMutex, i.sema, i.am, i.tkShared],
    rounds: ctx.rounds,
    roundMs: 200,
    startN: 10_000,
    gcBetween: ctx.gcBetween,
    log: ctx.log,
  });
  const [tkSem, tkMutex, sema, am, tkShared] = res;
  describe(res, 'ops').forEach(ctx.log);
  return logged(ctx, [
    compareRow({ id: 'S1', what: 'uncontended: Semaphore(1)', tk: tkSem, peer: sema, peerName: 'async-sema Sema(1)', unit: 'ops', goal: 1 }),
    compareRow({ id: 'S1', what: 'uncontended: Mutex', tk: tkMutex, peer: sema, peerName: 'async-sema Sema(1)', unit: 'ops', goal: 1 }),
    compareRow({ id: 'S1', what: 'uncontended: Mutex', tk: tkMutex, peer: am, peerName: 'async-mutex Mutex', unit: 'ops' }),
    compareRow({
      id: 'S1',
      what: 'uncontended: Mutex, shared mode',
      tk: tkShared,
      peer: sema,
      peerName: 'async-sema Sema(1)',
      unit: 'ops',
      goal: 0.9,
      note: 'the "shared mode" rows use a Mutex whose `handle` was taken (as when it is handed to a worker); goals from issue 16.',
    }),
  ]);
}

// ------------------------------------------------------------------ S2

const TASKS = 100;

/**
 * S2: 100 async loops on one thread, each doing `await m.acquire(); m.release()`.
 * The first acquire of the first task succeeds at once; the other 99 tasks
 * queue before it resumes, so from then on every acquire queues and every
 * release hands the lock to the next waiter.
 */
function s2Impls() {
  const tkMutex = new Mutex();
  const tkShared = new Mutex();
  void tkShared.handle;
  const sema = new Sema(1);
  const am = new AsyncMutex();
  return {
    tkMutex: {
      name: 'threadkit Mutex',
      lock: tkMutex,
      run: async (n) => {
        const m = tkMutex;
        const per = n / TASKS;
        let ops = 0;
        const task = async () => {
          for (let i = 0; i < per; i++) {
            await m.acquire();
            ops++;
            m.release();
          }
        };
        const all = [];
        for (let t = 0; t < TASKS; t++) all.push(task());
        await Promise.all(all);
        return ops;
      },
      verify: () => (tkMutex.isLocked() || tkMutex.waiting !== 0 ? `locked=${tkMutex.isLocked()} waiting=${tkMutex.waiting} after the run` : null),
      acquire: () => tkMutex.acquire(),
      release: () => tkMutex.release(),
      waiting: () => tkMutex.waiting,
    },
    tkShared: {
      name: 'threadkit Mutex (shared mode)',
      run: async (n) => {
        const m = tkShared;
        const per = n / TASKS;
        let ops = 0;
        const task = async () => {
          for (let i = 0; i < per; i++) {
            await m.acquire();
            ops++;
            m.release();
          }
        };
        const all = [];
        for (let t = 0; t < TASKS; t++) all.push(task());
        await Promise.all(all);
        return ops;
      },
      verify: () =>
        tkShared.isLocked() || tkShared.waiting !== 0 ? `locked=${tkShared.isLocked()} waiting=${tkShared.waiting} after the run` : null,
      acquire: () => tkShared.acquire(),
      release: () => tkShared.release(),
      waiting: () => tkShared.waiting,
    },
    sema: {
      name: 'async-sema Sema(1)',
      run: async (n) => {
        const s = sema;
        const per = n / TASKS;
        let ops = 0;
        const task = async () => {
          for (let i = 0; i < per; i++) {
            await s.acquire();
            ops++;
            s.release();
          }
        };
        const all = [];
        for (let t = 0; t < TASKS; t++) all.push(task());
        await Promise.all(all);
        return ops;
      },
      verify: () => {
        if (sema.nrWaiting() !== 0) return `${sema.nrWaiting()} still waiting`;
        const t = sema.tryAcquire();
        if (t === undefined) return 'not free after the run';
        sema.release(t);
        return null;
      },
      acquire: () => sema.acquire(),
      release: () => sema.release(),
      waiting: () => sema.nrWaiting(),
    },
    am: {
      name: 'async-mutex Mutex',
      run: async (n) => {
        const m = am;
        const per = n / TASKS;
        let ops = 0;
        const task = async () => {
          for (let i = 0; i < per; i++) {
            const r = await m.acquire();
            ops++;
            r();
          }
        };
        const all = [];
        for (let t = 0; t < TASKS; t++) all.push(task());
        await Promise.all(all);
        return ops;
      },
      verify: () => (am.isLocked() ? 'still locked after the run' : null),
      acquire: async () => {
        am.releaser = await am.acquire();
      },
      release: () => am.releaser(),
      waiting: null,
    },
  };
}

/**
 * Untimed check before S2: 100 tasks whose critical section awaits, so a
 * lock that let two holders in would be caught; also checks that the tasks
 * really queue (waiting reaches 99) and that every acquisition happened.
 */
async function exclusionCheck(impl, iterations = 20) {
  let inside = 0;
  let overlaps = 0;
  let count = 0;
  let maxWaiting = 0;
  const task = async () => {
    for (let i = 0; i < iterations; i++) {
      await impl.acquire();
      if (++inside !== 1) overlaps++;
      count++;
      await null;
      await new Promise((r) => setImmediate(r));
      inside--;
      impl.release();
    }
  };
  const all = [];
  for (let t = 0; t < TASKS; t++) all.push(task());
  if (impl.waiting) maxWaiting = impl.waiting();
  await withTimeout(Promise.all(all), 30_000, `${impl.name} mutual-exclusion check`);
  const problems = [];
  if (overlaps) problems.push(`${overlaps} times two tasks were inside the critical section together`);
  if (count !== TASKS * iterations) problems.push(`${count} acquisitions instead of ${TASKS * iterations}`);
  if (impl.waiting && maxWaiting !== TASKS - 1) problems.push(`only ${maxWaiting} waiters queued (expected ${TASKS - 1})`);
  return problems.length ? problems.join('; ') : null;
}

async function runS2(ctx) {
  const i = s2Impls();
  for (const impl of [i.tkMutex, i.tkShared, i.sema, i.am]) {
    const problem = await exclusionCheck(impl);
    ctx.log(`mutual-exclusion check ${impl.name}: ${problem ?? 'ok (100 tasks x 20, 99 queued, no overlap)'}`);
    if (problem) impl.run = () => Promise.reject(new Error(`mutual-exclusion check failed: ${problem}`));
  }
  const res = await interleaved({
    impls: [i.tkMutex, i.sema, i.am, i.tkShared],
    rounds: ctx.rounds,
    roundMs: 200,
    startN: 10_000,
    multipleOf: TASKS,
    gcBetween: ctx.gcBetween,
    log: ctx.log,
  });
  const [tkMutex, sema, am, tkShared] = res;
  describe(res, 'ops').forEach(ctx.log);
  return logged(ctx, [
    compareRow({ id: 'S2', what: '100 tasks contend: Mutex', tk: tkMutex, peer: sema, peerName: 'async-sema Sema(1)', unit: 'ops', goal: 1 }),
    compareRow({ id: 'S2', what: '100 tasks contend: Mutex', tk: tkMutex, peer: am, peerName: 'async-mutex Mutex', unit: 'ops' }),
    compareRow({
      id: 'S2',
      what: '100 tasks contend: Mutex, shared mode',
      tk: tkShared,
      peer: sema,
      peerName: 'async-sema Sema(1)',
      unit: 'ops',
      goal: 0.5,
    }),
  ]);
}

// ------------------------------------------------------------------ L1

const L1_CYCLES = 1_000_000;
const L1_FLAGS = ['--expose-gc', '--min-semi-space-size=16', '--max-semi-space-size=16'];
const MB = 2 ** 20;
const mb = (x) => `${x >= 0 ? '+' : ''}${(x / MB).toFixed(1)}`;

/** Runs workers/leak-child.mjs (see there for the mix and why it is a child process). */
function runLeakChild(mode) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...L1_FLAGS, path.join(workersDir, 'leak-child.mjs'), mode, String(L1_CYCLES)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 180_000);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code !== 0)
        return reject(
          new Error(
            `leak child (${mode}) ${signal ? `was killed (${signal}, hang?)` : `exited with ${code}`}: ${err.trim().split('\n').slice(-3).join(' | ')}`,
          ),
        );
      try {
        resolve(JSON.parse(out.trim().split('\n').pop()));
      } catch (e) {
        reject(new Error(`leak child (${mode}) printed no result: ${out.slice(-200)} ${err.slice(-200)}`));
      }
    });
  });
}

/**
 * RSS growth over 1M cycles, measured after a forced gc; the growth of the
 * second 500k alone tells a plateau from a steady leak.
 */
async function leakCheck(ctx, mode) {
  const r = await runLeakChild(mode);
  const [m0, m1, m2] = r.mem;
  const label = `${mode} mode`;
  if (r.done !== L1_CYCLES) throw new Error(`L1 ${label}: ${r.done} cycles instead of ${L1_CYCLES}`);
  const rss = m2.rss - m0.rss;
  ctx.log(
    `${label}: ${r.done} cycles (${((100 * r.contended) / r.done).toFixed(1)}% in bursts of 10 contending tasks, ` +
      `${r.timeouts} timed-out and ${r.aborts} aborted acquires) in ${(r.ms / 1000).toFixed(1)} s`,
  );
  ctx.log(
    `${label}: RSS ${(m0.rss / MB).toFixed(1)} -> ${(m1.rss / MB).toFixed(1)} -> ${(m2.rss / MB).toFixed(1)} MB ` +
      `(second half ${mb(m2.rss - m1.rss)} MB); heapUsed ${(m0.heapUsed / MB).toFixed(1)} -> ${(m2.heapUsed / MB).toFixed(1)} MB; ` +
      `heapTotal ${(m0.heapTotal / MB).toFixed(1)} -> ${(m2.heapTotal / MB).toFixed(1)} MB; external ${(m0.external / MB).toFixed(1)} -> ${(m2.external / MB).toFixed(1)} MB`,
  );
  return {
    case: `L1 leak: 1M Mutex cycles, ${label}`,
    peer: '—',
    peerFigure: '—',
    tkFigure: `RSS ${mb(rss)} MB (2nd half ${mb(m2.rss - m1.rss)}, heap ${mb(m2.heapUsed - m0.heapUsed)})`,
    ratio: '—',
    basis: '—',
    goal: '≤ 10 MB RSS',
    met: rss <= 10 * MB ? 'yes' : 'NO',
    note:
      mode === 'local'
        ? `each mode in a fresh child process (node ${L1_FLAGS.join(' ')}: the young generation is pinned so V8's step-wise heap growth is not counted as a leak), ` +
          `after 200k warm-up cycles, RSS after a forced gc; mix: ${((100 * r.contended) / r.done).toFixed(0)}% of cycles in bursts of 10 contending tasks, ` +
          '1 timed-out + 1 aborted acquire per ~1000 cycles, the rest uncontended.'
        : undefined,
  };
}

async function runL1(ctx) {
  return [await leakCheck(ctx, 'local'), await leakCheck(ctx, 'shared')];
}

export const cases = [
  { id: 'S1', title: 'uncontended acquire+release', run: runS1 },
  { id: 'S2', title: 'mutex contended by 100 tasks', run: runS2 },
  { id: 'S3', title: 'cross-thread hand-off latency', run: runS3 },
  { id: 'L1', title: 'leak check (1M cycles)', run: runL1 },
];
