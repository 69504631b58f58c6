/**
 * The trickle probe (trickle.mjs) under each spin setting, interleaved:
 * threadkit as built, with the main thread's spin off
 * (THREADKIT_SPIN_MAX_US=0), with the workers' spin off (a patched copy, see
 * patched-threadkit.mjs), with both off, and piscina. Each configuration
 * runs once per round in a fresh process (the order rotates every round);
 * the table gives the median and range over the rounds.
 *
 *   node benchmark/probes/trickle-knobs.mjs [rounds=5] [n=20000] [inflight=1]
 *
 * PROBE_BEFORE=<path of an index.js> adds that copy of threadkit (say, a
 * build from before a change) as "threadkit (before)"; PROBE_ONLY=<names,
 * separated by "|", each a prefix of a configuration's name> runs only those.
 *
 * The machine is shared: read the ranges, and the load average printed
 * with them.
 */

import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import os from 'node:os';
import path from 'node:path';
import { median } from '../lib/harness.mjs';

const probe = path.join(path.dirname(fileURLToPath(import.meta.url)), 'trickle.mjs');
const [rounds = 5, n = 20000, inflight = 1] = process.argv.slice(2).map(Number);

const CONFIGS = [
  { name: 'threadkit (as built)', kind: 'threadkit', env: {} },
  { name: 'threadkit, main spin off', kind: 'threadkit', env: { THREADKIT_SPIN_MAX_US: '0' } },
  { name: 'threadkit, worker spin off', kind: 'threadkit', env: { THREADKIT_WORKER_SPIN_MAX_US: '0' } },
  { name: 'threadkit, both spins off', kind: 'threadkit', env: { THREADKIT_SPIN_MAX_US: '0', THREADKIT_WORKER_SPIN_MAX_US: '0' } },
  {
    name: 'threadkit, both off, no futex wait',
    kind: 'threadkit',
    env: { THREADKIT_SPIN_MAX_US: '0', THREADKIT_WORKER_SPIN_MAX_US: '0', PROBE_WORKER_WAIT_MS: '0' },
  },
  { name: 'piscina', kind: 'piscina', env: {} },
];
if (process.env.PROBE_BEFORE) CONFIGS.unshift({ name: 'threadkit (before)', kind: 'threadkit', env: { PROBE_THREADKIT: process.env.PROBE_BEFORE } });
if (process.env.PROBE_ONLY) {
  const only = process.env.PROBE_ONLY.split('|');
  CONFIGS.splice(0, CONFIGS.length, ...CONFIGS.filter((c) => only.some((o) => c.name.startsWith(o))));
}

const results = CONFIGS.map(() => []);
const load0 = os.loadavg()[0];
for (let r = 0; r < rounds; r++) {
  for (let k = 0; k < CONFIGS.length; k++) {
    const i = (k + r) % CONFIGS.length;
    const c = CONFIGS[i];
    const out = execFileSync(process.execPath, [probe, c.kind, String(n), String(inflight)], {
      env: { ...process.env, ...c.env },
      encoding: 'utf8',
      timeout: 300_000,
    });
    results[i].push(JSON.parse(out.trim().split('\n').pop()));
  }
  process.stderr.write(`round ${r + 1}/${rounds} done, load ${os.loadavg()[0].toFixed(2)}\n`);
}

const span = (xs) => {
  const f = (x) => x.toFixed(1);
  return `${f(median(xs))} (${f(Math.min(...xs))}–${f(Math.max(...xs))})`;
};
const lines = [
  `trickle probe: ${n} tasks per run, ${inflight} in flight, ${rounds} rounds interleaved; load average (1 min) ${load0.toFixed(2)} at start, ${os.loadavg()[0].toFixed(2)} at end`,
  '',
  '| configuration | wall µs/task | CPU µs/task (all threads) | main thread | pool threads | other threads | main spins caught/started | worker spins caught/started |',
  '|---|---|---|---|---|---|---|---|',
];
for (let i = 0; i < CONFIGS.length; i++) {
  const rs = results[i];
  const spins = rs[0].spins ? `${median(rs.map((x) => x.spins.caught))}/${median(rs.map((x) => x.spins.started))}` : '—';
  const wspins = rs[0].workerSpins ? `${median(rs.map((x) => x.workerSpins.caught))}/${median(rs.map((x) => x.workerSpins.started))}` : '—';
  lines.push(
    `| ${CONFIGS[i].name} | ${span(rs.map((x) => x.usPerTaskWall))} | ${span(rs.map((x) => x.cpuUsPerTask.total))} | ${span(rs.map((x) => x.threadCpuUsPerTask.main))} | ${span(rs.map((x) => x.threadCpuUsPerTask.pool))} | ${span(rs.map((x) => x.threadCpuUsPerTask.other))} | ${spins} | ${wspins} |`,
  );
}
process.stdout.write(`${lines.join('\n')}\n`);
