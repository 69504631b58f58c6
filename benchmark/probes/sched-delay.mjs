/**
 * Who waits for a CPU while /hash is saturated (H3): the bench's server
 * under /hash at 50 connections, threadkit and piscina alternately (2 each);
 * 1 s into each 5 s window, `perf sched record` takes 2 s of scheduler
 * events (every CPU), and `perf sched timehist` gives each time the
 * server's threads were switched in, with its scheduling delay (runnable →
 * running). Prints the main thread's and the other threads' delays.
 *
 *   node benchmark/probes/sched-delay.mjs      (needs perf and root)
 */

import { startServer, runLoad } from '../http/drive.mjs';
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir, loadavg } from 'node:os';
import path from 'node:path';

const dir = mkdtempSync(path.join(tmpdir(), 'tk-sched-'));
const q = (xs, p) => {
  const a = [...xs].sort((x, y) => x - y);
  return a.length ? a[Math.floor((a.length - 1) * p)] : NaN;
};

for (const [i, kind] of ['threadkit', 'piscina', 'threadkit', 'piscina'].entries()) {
  const server = await startServer(kind);
  const file = path.join(dir, `${i}-${kind}.data`);
  let rec;
  try {
    await runLoad([{ label: 'hash', url: server.url('/hash?p=x'), connections: 50 }], 5, async () => {
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
    const delays = { main: [], other: [] };
    // time  [cpu]  name[tid/pid] (the main thread: name[pid])  wait  sch-delay  run   (ms)
    for (const line of out.split('\n')) {
      const m = line.match(/^\s*[\d.]+\s+\[\d+\]\s+\S*\[(\d+)(?:\/(\d+))?\]\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)/);
      if (!m || Number(m[2] ?? m[1]) !== server.pid) continue;
      (Number(m[1]) === server.pid ? delays.main : delays.other).push(Number(m[4]));
    }
    const f = (xs) => `${xs.length} switch-ins, scheduling delay p50 ${q(xs, 0.5)} ms, p99 ${q(xs, 0.99)} ms, max ${q(xs, 1)} ms`;
    process.stdout.write(`${kind.padEnd(9)} load ${loadavg()[0].toFixed(1)}  main thread: ${f(delays.main)}; other threads: ${f(delays.other)}\n`);
  } finally {
    await server.stop();
  }
}
