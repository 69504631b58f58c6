/**
 * Case S3 of suite `sync` (see ../sync.mjs): the cross-thread hand-off
 * latency of a threadkit Mutex against an Atomics.waitAsync and a
 * postMessage ping-pong, each between the main thread and one worker.
 */

import { Worker } from 'node:worker_threads';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { createRequire } from 'node:module';
import { interleaved, compareRow, describe, now, withTimeout, logged } from '../../lib/harness.mjs';

const require = createRequire(import.meta.url);
const { Mutex } = require('../../../index.js');

const workersDir = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'workers');

/** A worker answering `{ n }` commands; resolves messages in order. */
function startWorker(file, workerData) {
  const w = new Worker(path.join(workersDir, file), { workerData });
  const queue = [];
  const pending = [];
  let failure = null;
  const deliver = (m) => (pending.length ? pending.shift().resolve(m) : queue.push(m));
  w.on('message', deliver);
  const fail = (err) => {
    failure = err;
    while (pending.length) pending.shift().reject(err);
  };
  w.on('error', fail);
  w.on('exit', (code) => fail(new Error(`worker ${file} exited (code ${code})`)));
  return {
    worker: w,
    post: (m) => w.postMessage(m),
    next: () => {
      if (queue.length) return Promise.resolve(queue.shift());
      if (failure) return Promise.reject(failure);
      return new Promise((resolve, reject) => pending.push({ resolve, reject }));
    },
    async expect(type, ms = 10_000) {
      const m = await withTimeout(this.next(), ms, `worker ${file} (waiting for "${type}")`);
      if (m.type === 'error') throw new Error(`worker ${file}: ${m.message}`);
      if (m.type !== type) throw new Error(`worker ${file} sent "${m.type}" instead of "${type}"`);
      return m;
    },
    stop: () => w.terminate(),
  };
}

/**
 * threadkit: three Mutexes L0..L2 rotate between the two threads. The awake
 * thread holds two of them (`old`, `cur`); the other thread holds the third
 * and is queued on `old`. A step is: queue on the lock the other thread
 * holds, then release `old` (which hands it to the other thread, waking it).
 * So every step is exactly one cross-thread wake, each lock has at most one
 * waiter, and no thread ever queues on a lock it holds itself (with two
 * Mutexes one side would have to queue behind the other on a lock it holds,
 * which relies on FIFO hand-off; three avoid that). A round trip is two
 * steps, one per thread. A shared counter, advanced by each thread on its
 * step and checked by the other, proves strict alternation.
 */
function tkPingPong() {
  const locks = [new Mutex(), new Mutex(), new Mutex()];
  const counter = new Int32Array(new SharedArrayBuffer(4));
  const w = startWorker('pingpong-threadkit.cjs', { handles: locks.map((l) => l.handle), counter: counter.buffer });
  return {
    name: 'threadkit Mutex hand-off',
    w,
    run: async (n) => {
      await locks[0].acquire();
      await locks[1].acquire();
      Atomics.store(counter, 0, 0);
      w.post({ n });
      await w.expect('ready'); // the worker holds L2 and is queued on L0
      let old = 0;
      let cur = 1;
      let bad = 0;
      const c0 = process.cpuUsage();
      const t0 = now();
      for (let i = 0; i < n; i++) {
        if (Atomics.load(counter, 0) !== 2 * i) bad++;
        Atomics.store(counter, 0, 2 * i + 1);
        const target = 3 - old - cur;
        const p = locks[target].acquire(); // held by the worker: queues
        locks[old].release(); // hands `old` to the worker, which is queued on it
        old = cur;
        cur = target;
        await p;
      }
      const ms = now() - t0;
      const cpu = process.cpuUsage(c0);
      if (Atomics.load(counter, 0) !== 2 * n) bad++;
      locks[old].release();
      locks[cur].release();
      const done = await w.expect('done');
      if (bad || done.bad) throw new Error(`alternation broken: ${bad} bad steps on main, ${done.bad} in the worker`);
      return { ops: n, ms, cpuUs: cpu.user + cpu.system };
    },
    verify: () => (locks.some((l) => l.isLocked()) ? `locks still held: ${locks.map((l) => l.isLocked())}` : null),
  };
}

/**
 * Atomics.waitAsync: one Int32 in shared memory. Main writes 2i+1 and
 * notifies, the worker (waiting while it reads 2i) writes 2i+2 and notifies.
 * The value itself proves the alternation. A wait that finds the value
 * already changed returns without sleeping; those are counted.
 */
function waitAsyncPingPong(stats) {
  const word = new Int32Array(new SharedArrayBuffer(4));
  const w = startWorker('pingpong-waitasync.cjs', { word: word.buffer });
  return {
    name: 'Atomics.waitAsync ping-pong',
    w,
    run: async (n) => {
      Atomics.store(word, 0, 0);
      w.post({ n });
      await w.expect('ready'); // the worker waits while word == 0
      let bad = 0;
      let noSleep = 0;
      const c0 = process.cpuUsage();
      const t0 = now();
      for (let i = 0; i < n; i++) {
        Atomics.store(word, 0, 2 * i + 1);
        Atomics.notify(word, 0);
        const r = Atomics.waitAsync(word, 0, 2 * i + 1);
        if (r.async) await r.value;
        else noSleep++;
        if (Atomics.load(word, 0) !== 2 * i + 2) bad++;
      }
      const ms = now() - t0;
      const cpu = process.cpuUsage(c0);
      const done = await w.expect('done');
      stats.noSleep += noSleep + done.noSleep;
      stats.steps += 2 * n;
      if (bad || done.bad) throw new Error(`alternation broken: ${bad} on main, ${done.bad} in the worker`);
      return { ops: n, ms, cpuUs: cpu.user + cpu.system };
    },
  };
}

/** postMessage: main posts i, the worker posts i back. */
function postMessagePingPong() {
  const w = startWorker('pingpong-postmessage.cjs', {});
  return {
    name: 'postMessage ping-pong',
    w,
    run: async (n) => {
      w.post({ n });
      await w.expect('ready');
      let bad = 0;
      const c0 = process.cpuUsage();
      const t0 = now();
      for (let i = 0; i < n; i++) {
        w.post(i);
        if ((await w.next()) !== i) bad++;
      }
      const ms = now() - t0;
      const cpu = process.cpuUsage(c0);
      await w.expect('done');
      if (bad) throw new Error(`${bad} replies out of order`);
      return { ops: n, ms, cpuUs: cpu.user + cpu.system };
    },
  };
}

/** Adds up the process CPU time (all threads) spent in the timed part of each run. */
function withCpu(impl) {
  const run = impl.run;
  impl.resetCpu = () => (impl.cpu = { us: 0, ops: 0 });
  impl.resetCpu();
  impl.run = async (n) => {
    const out = await run(n);
    impl.cpu.us += out.cpuUs;
    impl.cpu.ops += out.ops;
    return out;
  };
  return impl;
}

/**
 * Two passes over the same workers. The goal is judged on the first, which
 * forces no gc between samples: threadkit's round trip measured right after
 * a forced full gc of the main thread came out 30-50% slower, while the
 * waitAsync and postMessage figures did not move, so a gc before every
 * 150 ms sample would mostly measure that after-gc state. The second pass,
 * with a forced gc before every sample, is printed as information.
 */
export async function runS3(ctx) {
  const stats = { noSleep: 0, steps: 0 };
  const impls = [tkPingPong(), waitAsyncPingPong(stats), postMessagePingPong()].map(withCpu);
  const cpuLine = () =>
    `CPU time per round trip, both threads (process.cpuUsage over the timed loops): ${impls.map((i) => `${i.name} ${(i.cpu.us / i.cpu.ops).toFixed(1)} µs`).join(', ')}`;
  try {
    for (const impl of impls) await impl.w.expect('started');
    ctx.log('pass 1: no forced gc between samples');
    const res = await interleaved({ impls, kind: 'latency', rounds: ctx.rounds * 2, roundMs: 150, startN: 200, gcBetween: false, log: ctx.log });
    describe(res, 'us').forEach(ctx.log);
    ctx.log(cpuLine());
    ctx.log(`waitAsync: ${stats.noSleep} of ${stats.steps} waits found the value already changed (no sleep)`);
    const [tk, wa, pm] = res;
    const rows = [
      compareRow({ id: 'S3', what: 'cross-thread round trip: Mutex hand-off', tk, peer: wa, peerName: 'Atomics.waitAsync', unit: 'us', goal: 1 }),
      compareRow({ id: 'S3', what: 'cross-thread round trip: Mutex hand-off', tk, peer: pm, peerName: 'postMessage', unit: 'us' }),
    ];
    if (ctx.gcBetween) {
      impls.forEach((i) => i.resetCpu());
      ctx.log('pass 2: a forced full gc (main thread) before every sample');
      const res2 = await interleaved({ impls, kind: 'latency', rounds: ctx.rounds, roundMs: 150, startN: 200, gcBetween: true, log: ctx.log });
      describe(res2, 'us').forEach(ctx.log);
      ctx.log(cpuLine());
      rows.push(
        compareRow({
          id: 'S3',
          what: 'same, forced gc before each sample',
          tk: res2[0],
          peer: res2[1],
          peerName: 'Atomics.waitAsync',
          unit: 'us',
          note: 'goal row: no forced gc between samples; the "forced gc" row (information) runs the same ping-pongs with a full gc of the main thread before each 150 ms sample, which slows threadkit only: the first ~1000-2000 hand-offs after a full collection are slow (benchmark/probes/s3-after-gc.mjs).',
        }),
      );
    }
    return logged(ctx, rows);
  } finally {
    await Promise.all(impls.map((i) => i.w.stop()));
  }
}
