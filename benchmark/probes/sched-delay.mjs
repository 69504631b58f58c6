/**
 * Who waits for a CPU while /hash is saturated (H3): the bench's server
 * under /hash at 50 connections, threadkit and piscina alternately (2 each);
 * 1 s into each 5 s window, `perf sched record` takes 2 s of scheduler
 * events (every CPU), and `perf sched timehist` gives each time the
 * server's threads were switched in, with its scheduling delay (runnable →
 * running). Prints the main thread's and the other threads' delays.
 *
 *   node benchmark/probes/sched-delay.mjs [rounds=2]     (needs perf and root)
 *
 * SCHED_DELAY_SET=handover compares the workers' hand-over after waking the
 * main thread (THREADKIT_WAKE_HANDOVER off, yield, pending, once) with piscina,
 * and adds each window's /hash req/s and loop delay p99, then medians.
 * SCHED_DELAY_SET=ownerwake compares the owner's wake-up through the addon's
 * libuv async handle (the default) with Node's threadsafe function
 * (THREADKIT_OWNER_WAKE=tsfn), and piscina.
 */

import { startServer, runLoad } from '../http/drive.mjs';
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir, loadavg } from 'node:os';
import path from 'node:path';

const dir = mkdtempSync(path.join(tmpdir(), 'tk-sched-'));
const q = (xs, p) => {
  const a = [...xs].sort((x, y) => x - y);
  return a.length ? a[Math.floor((a.length - 1) * p)] : NaN;
};

const rounds = Number(process.argv[2] ?? 2);
const SETS = {
  default: [
    { name: 'threadkit', kind: 'threadkit', env: {} },
    { name: 'piscina', kind: 'piscina', env: {} },
  ],
  handover: [
    { name: 'tk off', kind: 'threadkit', env: { THREADKIT_WAKE_HANDOVER: 'off' } },
    { name: 'tk yield', kind: 'threadkit', env: { THREADKIT_WAKE_HANDOVER: 'yield' } },
    { name: 'tk pending', kind: 'threadkit', env: { THREADKIT_WAKE_HANDOVER: 'pending' } },
    { name: 'tk once', kind: 'threadkit', env: { THREADKIT_WAKE_HANDOVER: 'once' } },
    { name: 'piscina', kind: 'piscina', env: {} },
  ],
  // How the owner's loop is woken (src/owner_wake): the addon's own libuv async handle, or Node's threadsafe function.
  ownerwake: [
    { name: 'tk uv', kind: 'threadkit', env: {} },
    { name: 'tk tsfn', kind: 'threadkit', env: { THREADKIT_OWNER_WAKE: 'tsfn' } },
    { name: 'piscina', kind: 'piscina', env: {} },
  ],
  // A short EEVDF slice for the pool's threads (Linux >= 6.12): the woken main thread may preempt a worker
  // once the worker has run its slice, not a default slice (RUN_TO_PARITY) or a tick later.
  shortslice: [
    { name: 'tk', kind: 'threadkit', env: {} },
    { name: 'tk slice 100us', kind: 'threadkit', env: { HTTP_BENCH_WORKER_SLICE_US: '100' } },
    { name: 'tk slice 300us', kind: 'threadkit', env: { HTTP_BENCH_WORKER_SLICE_US: '300' } },
    { name: 'piscina', kind: 'piscina', env: {} },
  ],
  // The pool threads' scheduling (server.mjs HTTP_BENCH_WORKER_*): a long EEVDF slice, or SCHED_BATCH.
  workers: [
    { name: 'tk off', kind: 'threadkit', env: { THREADKIT_WAKE_HANDOVER: 'off' } },
    { name: 'tk pending', kind: 'threadkit', env: { THREADKIT_WAKE_HANDOVER: 'pending' } },
    { name: 'tk slice 3ms', kind: 'threadkit', env: { THREADKIT_WAKE_HANDOVER: 'off', HTTP_BENCH_WORKER_SLICE_US: '3000' } },
    { name: 'tk batch', kind: 'threadkit', env: { THREADKIT_WAKE_HANDOVER: 'off', HTTP_BENCH_WORKER_POLICY: 'batch' } },
    { name: 'piscina', kind: 'piscina', env: {} },
  ],
};
const configs = SETS[process.env.SCHED_DELAY_SET ?? 'default'];
const runs = [];
for (let r = 0; r < rounds; r++) for (let k = 0; k < configs.length; k++) runs.push(configs[(k + r) % configs.length]);
const summary = new Map(configs.map((c) => [c.name, { p99: [], rps: [], lag: [], loadP99: [], run: [] }]));

for (const [i, c] of runs.entries()) {
  const kind = c.name;
  const server = await startServer(c.kind, c.env);
  const file = path.join(dir, `${i}-${c.kind}.data`);
  let rec;
  let loadPid = -1;
  try {
    const [load] = await runLoad([{ label: 'hash', url: server.url('/hash?p=x'), connections: 50 }], 5, async () => {
      // The load process (autocannon): this process's child that is not the server.
      const kids = readFileSync(`/proc/self/task/${process.pid}/children`, 'utf8').trim().split(/\s+/).map(Number);
      loadPid = kids.find((k) => k !== server.pid) ?? -1;
      await server.reset();
      setTimeout(() => {
        rec = spawn('perf', ['sched', 'record', '-o', file, '--', 'sleep', '2'], { stdio: 'ignore' });
      }, 1000);
    });
    if (rec.exitCode === null) await new Promise((r) => rec.once('exit', r));
    const out = execFileSync('perf', ['sched', 'timehist', '-i', file], {
      encoding: 'utf8',
      maxBuffer: 1 << 28,
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    const delays = { main: [], other: [], load: [], mainRun: [] };
    // time  [cpu]  name[tid/pid] (the main thread: name[pid])  wait  sch-delay  run   (ms)
    for (const line of out.split('\n')) {
      const m = line.match(/^\s*[\d.]+\s+\[\d+\]\s+\S*\[(\d+)(?:\/(\d+))?\]\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)/);
      if (!m) continue;
      const pid = Number(m[2] ?? m[1]);
      if (pid === loadPid) delays.load.push(Number(m[4]));
      if (pid !== server.pid) continue;
      (Number(m[1]) === server.pid ? delays.main : delays.other).push(Number(m[4]));
      // How long the main thread ran once switched in: a long run is a long loop iteration, not a wait for a CPU.
      if (Number(m[1]) === server.pid) delays.mainRun.push(Number(m[5]));
    }
    const stats = await server.stats();
    const f = (xs) => `${xs.length} switch-ins, scheduling delay p50 ${q(xs, 0.5)} ms, p99 ${q(xs, 0.99)} ms, max ${q(xs, 1)} ms`;
    const window = `/hash ${load.rps.toFixed(0)} req/s, loop delay p99 ${stats.loopDelayMs.p99.toFixed(1)} ms`;
    process.stdout.write(
      `${kind.padEnd(9)} load ${loadavg()[0].toFixed(1)}  ${window}; main thread: ${f(delays.main)}, run p99 ${q(delays.mainRun, 0.99)} ms; other threads: ${f(delays.other)}; load process: ${f(delays.load)}\n`,
    );
    const sum = summary.get(c.name);
    sum.p99.push(q(delays.main, 0.99));
    sum.rps.push(load.rps);
    sum.lag.push(stats.loopDelayMs.p99);
    sum.loadP99.push(q(delays.load, 0.99));
    sum.run.push(q(delays.mainRun, 0.99));
  } finally {
    await server.stop();
  }
}

const span = (xs, d) => `${q(xs, 0.5).toFixed(d)} (${Math.min(...xs).toFixed(d)}–${Math.max(...xs).toFixed(d)})`;
process.stdout.write(
  '\n| configuration | main thread scheduling delay p99, ms | main thread run p99, ms | load process scheduling delay p99, ms | /hash req/s | loop delay p99, ms |\n|---|---|---|---|---|---|\n',
);
for (const [name, s] of summary)
  process.stdout.write(`| ${name} | ${span(s.p99, 2)} | ${span(s.run, 2)} | ${span(s.loadP99, 2)} | ${span(s.rps, 0)} | ${span(s.lag, 1)} |\n`);
