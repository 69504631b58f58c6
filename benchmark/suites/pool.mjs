/**
 * Suite `pool`: WorkerPool against piscina (the goal peer), tinypool and
 * workerpool, each with as many workers as this machine has CPUs.
 *
 * P1 throughput of tiny echo tasks (all submitted at once, then awaited),
 * P1-obj the same with a small flat object as data and result,
 * P2 sequential round trip of one tiny task, P3 CPU-bound speed-up
 * (fib(31) x 16 against the same work inline), P4 the 99th percentile of the
 * main thread's event-loop gaps while P3 runs, P5 a stream of values from one task
 * (lib/p5-stream.mjs), M1 the RSS of a process holding N idle
 * workers, and M2 the RSS kept after 500 worker crashes and restarts against
 * plain Workers crashing the same way (child processes, so nothing else is in
 * the heap).
 *
 * Every implementation's results are checked (echo returns what was sent,
 * fib returns fib(n)), so a broken pool cannot post a good figure.
 */

import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { interleaved, compareRow, describe, median, logged } from '../lib/harness.mjs';
import { runP5, runP5memory } from '../lib/p5-stream.mjs';
import { napiBindingFloorKb } from '../lib/napi-binding-floor.mjs';

const require = createRequire(import.meta.url);
const { WorkerPool } = require('../../index.js');
const { gapStats } = require('../lib/stats.cjs');
const { Piscina } = require('piscina');
const { Tinypool } = require('tinypool');
const workerpool = require('workerpool');

const workersDir = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'workers');
const root = path.join(workersDir, '..', '..');
const script = path.join(workersDir, 'pool-tasks.cjs');
const threads = Math.max(1, (await import('node:os')).availableParallelism());
const { fib } = require(script);

/** The four pools, each with `run(x)` and `fib(n)` returning promises, and `stop()`. */
function makePools() {
  const tk = new WorkerPool(script, threads);
  const pi = new Piscina({ filename: script, minThreads: threads, maxThreads: threads, idleTimeout: 60_000 });
  const ti = new Tinypool({ filename: script, minThreads: threads, maxThreads: threads, idleTimeout: 60_000 });
  const wp = workerpool.pool(path.join(workersDir, 'pool-tasks-workerpool.cjs'), { minWorkers: threads, maxWorkers: threads, workerType: 'thread' });
  return [
    { name: 'threadkit WorkerPool', run: (x) => tk.execute(x), fib: (n) => tk.execute(n, { name: 'fib' }), stop: () => tk.terminate() },
    { name: 'piscina', run: (x) => pi.run(x), fib: (n) => pi.run(n, { name: 'fib' }), stop: () => pi.destroy() },
    { name: 'tinypool', run: (x) => ti.run(x), fib: (n) => ti.run(n, { name: 'fib' }), stop: () => ti.destroy() },
    { name: 'workerpool', run: (x) => wp.exec('echo', [x]), fib: (n) => wp.exec('fib', [n]), stop: () => wp.terminate(true) },
  ];
}

async function withPools(fn) {
  const pools = makePools();
  try {
    // Warm up: every worker started and every code path compiled.
    for (const p of pools) await Promise.all(Array.from({ length: 200 }, (_, i) => p.run(i)));
    return await fn(pools);
  } finally {
    await Promise.all(pools.map((p) => p.stop()));
  }
}

function checkEcho(name, got, want) {
  if (got !== want) throw new Error(`${name}: echo returned ${got}, expected ${want}`);
}

// ------------------------------------------------------------------ P1

async function runP1(ctx) {
  return withPools(async (pools) => {
    const impls = pools.map((p) => ({
      name: p.name,
      run: async (n) => {
        const out = await Promise.all(Array.from({ length: n }, (_, i) => p.run(i)));
        for (let i = 0; i < n; i += 997) checkEcho(p.name, out[i], i);
        return out.length;
      },
    }));
    const res = await interleaved({
      impls,
      rounds: ctx.rounds,
      roundMs: 600,
      startN: 20_000,
      multipleOf: 1000,
      gcBetween: ctx.gcBetween,
      log: ctx.log,
    });
    describe(res, 'ops').forEach(ctx.log);
    const [tk, pi, ti, wp] = res;
    return logged(ctx, [
      compareRow({ id: 'P1', what: `throughput, tiny echo tasks (${threads} workers)`, tk, peer: pi, peerName: 'piscina', unit: 'ops', goal: 2 }),
      compareRow({ id: 'P1', what: 'throughput, tiny echo tasks', tk, peer: ti, peerName: 'tinypool', unit: 'ops' }),
      compareRow({ id: 'P1', what: 'throughput, tiny echo tasks', tk, peer: wp, peerName: 'workerpool', unit: 'ops' }),
    ]);
  });
}

// ------------------------------------------------------------------ P1-obj

/**
 * P1 with a small flat object as the data and the result (`{ i, s: 'x' }`),
 * the shape real tasks carry: at least 100k tasks per sample, threadkit against
 * piscina in the same run.
 */
async function runP1obj(ctx) {
  return withPools(async (pools) => {
    const impls = pools.slice(0, 2).map((p) => ({
      name: p.name,
      run: async (n) => {
        const out = await Promise.all(Array.from({ length: n }, (_, i) => p.run({ i, s: 'x' })));
        for (let i = 0; i < n; i += 997) {
          const o = out[i];
          if (o?.i !== i || o.s !== 'x' || Object.keys(o).length !== 2)
            throw new Error(`${p.name}: echo returned ${JSON.stringify(o)} for task ${i}`);
        }
        return out.length;
      },
    }));
    // Samples of at least 100k tasks; 1 s rounds give piscina's samples the harness's 20 s limit on a loaded machine.
    const res = await interleaved({
      impls,
      rounds: ctx.rounds,
      roundMs: 1000,
      startN: 100_000,
      multipleOf: 100_000,
      gcBetween: ctx.gcBetween,
      log: ctx.log,
    });
    describe(res, 'ops').forEach(ctx.log);
    const [tk, pi] = res;
    return logged(ctx, [
      compareRow({
        id: 'P1-obj',
        what: `throughput, tiny tasks of { i, s: 'x' } (${threads} workers)`,
        tk,
        peer: pi,
        peerName: 'piscina',
        unit: 'ops',
        goal: 6,
      }),
    ]);
  });
}

// ------------------------------------------------------------------ P2

async function runP2(ctx) {
  return withPools(async (pools) => {
    const impls = pools.map((p) => ({
      name: p.name,
      run: async (n) => {
        for (let i = 0; i < n; i++) checkEcho(p.name, await p.run(i), i);
        return n;
      },
    }));
    const res = await interleaved({ impls, kind: 'latency', rounds: ctx.rounds, roundMs: 300, startN: 500, gcBetween: ctx.gcBetween, log: ctx.log });
    describe(res, 'us').forEach(ctx.log);
    const [tk, pi, ti, wp] = res;
    return logged(ctx, [
      compareRow({
        id: 'P2',
        what: 'sequential round trip, one tiny task',
        tk,
        peer: pi,
        peerName: 'piscina',
        unit: 'us',
        goal: 2,
        note: 'goal "≤ 0.5× piscina\'s round trip" is a ratio (piscina µs / threadkit µs) of at least 2.',
      }),
      compareRow({ id: 'P2', what: 'sequential round trip, one tiny task', tk, peer: ti, peerName: 'tinypool', unit: 'us' }),
      compareRow({ id: 'P2', what: 'sequential round trip, one tiny task', tk, peer: wp, peerName: 'workerpool', unit: 'us' }),
    ]);
  });
}

// ------------------------------------------------------------------ P3 + P4

const FIB_N = 31;
const FIB_TASKS = 16;

/**
 * Every gap (ms) between 1 ms interval ticks of this thread while `fn` runs,
 * the last one up to when `fn` settles.
 */
async function loopGaps(fn) {
  const gaps = [];
  let last = performance.now();
  const timer = setInterval(() => {
    const t = performance.now();
    gaps.push(t - last);
    last = t;
  }, 1);
  try {
    const out = await fn();
    gaps.push(performance.now() - last);
    return { out, gaps };
  } finally {
    clearInterval(timer);
  }
}

/**
 * The floor for P4: the same fib tasks on `threads` plain workers (no pool
 * library: one postMessage per task, round robin), run interleaved with the
 * pools and measured the same way. Its main-loop gaps are what the OS
 * scheduler alone does to the main thread when every core is busy, over as
 * many samples as each pool gets.
 */
async function plainWorkers() {
  const { Worker } = await import('node:worker_threads');
  const code = `const { parentPort } = require('node:worker_threads'); const { fib } = require(${JSON.stringify(script)});
parentPort.on('message', (n) => parentPort.postMessage(fib(n)));`;
  const ws = Array.from({ length: threads }, () => new Worker(code, { eval: true }));
  const pending = ws.map(() => []);
  ws.forEach((w, i) => w.on('message', (v) => pending[i].shift()(v)));
  let next = 0;
  return {
    fib: (n) =>
      new Promise((resolve) => {
        const i = next++ % threads;
        pending[i].push(resolve);
        ws[i].postMessage(n);
      }),
    stop: () => Promise.all(ws.map((w) => w.terminate())),
  };
}

async function runP3(ctx) {
  const want = fib(FIB_N);
  const plain = await plainWorkers();
  try {
    return await runP3With(ctx, want, plain);
  } finally {
    await plain.stop();
  }
}

async function runP3With(ctx, want, plain) {
  return withPools(async (pools) => {
    const gaps = new Map();
    const impls = [
      {
        name: 'inline (main thread)',
        run: async (n) => {
          for (let i = 0; i < n; i++) if (fib(FIB_N) !== want) throw new Error('inline fib is wrong');
          return n;
        },
      },
      ...[...pools, { name: 'plain workers (floor)', fib: plain.fib }].map((p) => ({
        name: p.name,
        run: async (n) => {
          const { out, gaps: g } = await loopGaps(() => Promise.all(Array.from({ length: n }, () => p.fib(FIB_N))));
          if (out.some((v) => v !== want)) throw new Error(`${p.name}: fib(${FIB_N}) is wrong`);
          gaps.set(p.name, [...(gaps.get(p.name) ?? []), g]);
          return out.length;
        },
      })),
    ];
    const res = await interleaved({
      impls,
      // All the rounds (not half, as before): P4's percentile needs the ticks.
      rounds: ctx.rounds,
      roundMs: 400,
      startN: FIB_TASKS,
      multipleOf: FIB_TASKS,
      gcBetween: ctx.gcBetween,
      log: ctx.log,
    });
    describe(res, 'ops').forEach(ctx.log);
    const [inline, tk, pi, ti, wp, floorRes] = res;
    const speedup = (r) => (r.error ? NaN : r.median / inline.median);
    ctx.log(`speed-up over inline: ${[tk, pi, ti, wp, floorRes].map((r) => `${r.name} ${speedup(r).toFixed(2)}×`).join(', ')}`);
    // Only the measured samples: the calibration samples came first, and an
    // implementation that failed has fewer measured ones.
    const stats = new Map(res.slice(1).map((r) => [r.name, gapStats((gaps.get(r.name) ?? []).slice(-r.samples.length || Infinity))]));
    const ms = (x) => `${x.toFixed(1)} ms`;
    for (const [name, st] of stats) {
      ctx.log(
        `main-thread event-loop gaps while ${name} ran: p99 ${ms(st.p99)} (judged; per sample ${st.perSample.map((x) => x.toFixed(1)).join(', ')} ms), median of the samples' largest gaps ${ms(st.medianMax)}, largest ${ms(st.max)}, ${st.ticks} ticks`,
      );
    }
    const tkGap = stats.get(tk.name)?.p99 ?? NaN;
    const piGap = stats.get(pi.name)?.p99 ?? NaN;
    const floorSt = stats.get(floorRes.name);
    const floor = floorSt?.p99 ?? NaN;
    // Samples of one round ran seconds apart: their ratio shows how much the statistic moves with the machine.
    const perRound = (stats.get(tk.name)?.perSample ?? []).map((x, i) => x / floorSt?.perSample[i]).filter(Number.isFinite);
    const roundRange = perRound.length ? `${Math.min(...perRound).toFixed(2)}–${Math.max(...perRound).toFixed(2)}×` : 'n/a';
    ctx.log(`P4 tk/floor: ${(tkGap / floor).toFixed(2)}× (p99 of all gaps); per round (each sample's p99) ${roundRange}`);
    return logged(ctx, [
      compareRow({
        id: 'P3',
        what: `CPU-bound speed-up, fib(${FIB_N}) x ${FIB_TASKS} vs inline`,
        tk,
        peer: pi,
        peerName: 'piscina',
        unit: 'ops',
        goal: 0.97,
        note: `speed-up over inline: threadkit ${speedup(tk).toFixed(2)}×, piscina ${speedup(pi).toFixed(2)}×, tinypool ${speedup(ti).toFixed(2)}×, workerpool ${speedup(wp).toFixed(2)}× (${threads} CPUs). The ratio of the speed-ups is the ratio of the throughputs.`,
      }),
      {
        case: 'P4 main-loop gap p99 while P3 runs',
        peer: 'piscina',
        peerFigure: ms(piGap),
        tkFigure: ms(tkGap),
        ratio: `${(piGap / tkGap).toFixed(2)}×`,
        basis: 'peer/tk ms',
        goal: 'tk ≤ 1.2× floor',
        met: tkGap <= 1.2 * floor ? 'yes' : 'NO',
        note: `floor: p99 ${ms(floor)} (tk ${(tkGap / floor).toFixed(2)}× it; per round ${roundRange}), the same fib tasks on ${threads} plain workers (one postMessage per task, no pool), interleaved with the pools: what the OS scheduler does to the main thread when every core is busy. The p99 of all 1 ms-timer gaps over the measured samples, for every side alike; largest gap: tk ${ms(stats.get(tk.name)?.max ?? NaN)}, piscina ${ms(stats.get(pi.name)?.max ?? NaN)}, floor ${ms(floorSt?.max ?? NaN)}`,
      },
    ]);
  });
}

// ------------------------------------------------------------------ M1

/** `{ rss, anon, file }` in bytes of one child process holding `n` idle workers (see pool-rss.cjs). */
function rssOf(which, n) {
  const out = execFileSync(process.execPath, ['--expose-gc', path.join(workersDir, 'pool-rss.cjs'), which, String(n)], {
    encoding: 'utf8',
    timeout: 60_000,
  });
  return JSON.parse(out.trim());
}

async function runM1(ctx) {
  const n = Math.max(4, threads);
  const samples = { threadkit: [], piscina: [], none: [] };
  for (let round = 0; round < 3; round++) {
    for (const which of ['threadkit', 'piscina', 'none']) samples[which].push(rssOf(which, n));
  }
  const mb = (x) => `${(x / 2 ** 20).toFixed(1)} MB`;
  const med = (which, key) => median(samples[which].map((s) => s[key]));
  const tk = med('threadkit', 'rss');
  const pi = med('piscina', 'rss');
  const base = med('none', 'rss');
  ctx.log(`RSS with ${n} idle workers (median of 3 child processes): threadkit ${mb(tk)}, piscina ${mb(pi)}, a process with no pool ${mb(base)}`);
  ctx.log(`per worker above the empty process: threadkit ${mb((tk - base) / n)}, piscina ${mb((pi - base) / n)}`);
  // The judged figure is the RSS; its split says where a difference lies (file-backed pages are shared
  // with every process that maps the same file: the node binary, the addon).
  const split = samples.threadkit[0].anon === null ? null : (which) => `${mb(med(which, 'anon'))} anonymous + ${mb(med(which, 'file'))} file-backed`;
  if (split) ctx.log(`RSS split (medians): threadkit ${split('threadkit')}, piscina ${split('piscina')}, no pool ${split('none')}`);
  // The floor any N-API addon pays and a pure-JS pool does not (lib/napi-binding-floor.mjs).
  const floor = napiBindingFloorKb(root, workersDir);
  const floorNote = floor
    ? `node-binary pages made resident by loading (medians of 3): a shared object binding the addon's ${floor.count} N-API imports and running nothing ${mb((floor.imports - floor.none) * 1024)} more than one binding none; the addon itself ${mb((floor.addon - floor.none) * 1024)} more`
    : null;
  if (floorNote) ctx.log(`floor: ${floorNote}`);
  return [
    {
      case: `M1 RSS with ${n} idle workers`,
      peer: 'piscina',
      peerFigure: mb(pi),
      tkFigure: mb(tk),
      ratio: `${(pi / tk).toFixed(2)}×`,
      basis: 'peer/tk RSS',
      goal: '≥ 1.00×',
      met: pi / tk >= 1 ? 'yes' : 'NO',
      note: split ? `RSS split: threadkit ${split('threadkit')}, piscina ${split('piscina')}${floorNote ? `; floor: ${floorNote}` : ''}` : undefined,
    },
  ];
}

// ------------------------------------------------------------------ M2

const M2_CYCLES = 500;

/** `{ rss, anon, v8Heap }` growth in bytes of one child process (see pool-crash-rss.cjs). */
function crashGrowthOf(side) {
  // Young generations capped at 1 MB a semi-space (both sides, every thread): V8 grows them with the
  // allocation rate and shrinks them only after seconds of idling, which drowned the figure (+8 MB of
  // main-thread heap in some runs of either side). That is V8's sizing, not memory kept by crashes.
  const flags = ['--expose-gc', '--max-semi-space-size=1'];
  const out = execFileSync(process.execPath, [...flags, path.join(workersDir, 'pool-crash-rss.cjs'), side, String(M2_CYCLES)], {
    encoding: 'utf8',
    timeout: 300_000,
  });
  return JSON.parse(out.trim());
}

async function runM2(ctx) {
  const runs = { threadkit: [], plain: [] };
  for (let round = 0; round < 3; round++) {
    // Alternate which side goes first, as the machine's state drifts.
    for (const side of round % 2 ? ['plain', 'threadkit'] : ['threadkit', 'plain']) runs[side].push(crashGrowthOf(side));
  }
  const mb = (x) => `${(x / 2 ** 20).toFixed(1)} MB`;
  for (const side of ['threadkit', 'plain']) {
    ctx.log(
      `${side}: RSS growth per run ${runs[side].map((r) => mb(r.rss)).join(', ')} (anonymous ${runs[side].map((r) => mb(r.anon)).join(', ')}; main V8 heap ${runs[side].map((r) => mb(r.v8Heap)).join(', ')})`,
    );
  }
  const tk = median(runs.threadkit.map((r) => r.rss));
  const plain = median(runs.plain.map((r) => r.rss));
  // Growth can be ~0 (or below: the allocator gave back memory from before the base); a floor of 1 MB keeps the ratio meaningful.
  const ratio = Math.max(tk, 2 ** 20) / Math.max(plain, 2 ** 20);
  ctx.log(`M2 threadkit growth ${mb(tk)}, plain-worker growth ${mb(plain)}, ratio ${ratio.toFixed(2)}× (medians of 3 child processes per side)`);
  return [
    {
      case: `M2 RSS kept after ${M2_CYCLES} worker crashes`,
      peer: 'plain Workers',
      peerFigure: `+${mb(plain)}`,
      tkFigure: `+${mb(tk)}`,
      ratio: `${ratio.toFixed(2)}×`,
      basis: 'tk/peer growth',
      goal: '≤ 1.50×',
      met: ratio <= 1.5 ? 'yes' : 'NO',
      note: 'growth of RSS from settled to settled, 2 workers live at both ends, young generations capped at 1 MB; each growth is floored at 1 MB for the ratio',
    },
  ];
}

export const cases = [
  { id: 'P1', title: 'throughput of tiny tasks', run: runP1 },
  { id: 'P1-obj', title: 'throughput of tiny tasks whose data and result are a small object', run: runP1obj },
  { id: 'P2', title: 'sequential round trip', run: runP2 },
  { id: 'P3', title: 'CPU-bound speed-up and main-loop gap (P4)', run: runP3 },
  { id: 'P5', title: 'a stream of values from one task (WorkerPool.stream())', run: runP5 },
  { id: 'P5-mem', title: 'memory of a stream whose caller is slow', run: runP5memory },
  { id: 'M1', title: 'RSS with idle workers', run: runM1 },
  { id: 'M2', title: 'RSS kept after worker crashes', run: runM2 },
];
