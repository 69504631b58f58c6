/**
 * The trickle probe (trickle.mjs) over several copies of threadkit,
 * interleaved: the worktree's build and copies with one change undone
 * (each a directory with index.js, native.js, lib/ and the addon), to
 * measure one change at a time. Each copy runs once per round in a fresh
 * process (the order rotates every round); the table gives the median and
 * range over the rounds.
 *
 *   node benchmark/probes/trickle-variants.mjs rounds n inflight [name=path/of/index.js ...]
 *
 * The worktree's build is always the first row ("as built").
 */

import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import os from 'node:os';
import path from 'node:path';
import { median } from '../lib/harness.mjs';

const probe = path.join(path.dirname(fileURLToPath(import.meta.url)), 'trickle.mjs');
const [roundsArg, nArg, inflightArg, ...given] = process.argv.slice(2);
const [rounds, n, inflight] = [roundsArg, nArg, inflightArg].map(Number);
if (!(rounds > 0) || !(n > 0) || !(inflight > 0) || given.some((g) => !g.includes('='))) {
  process.stderr.write(`usage: trickle-variants.mjs rounds n inflight [name=path/of/index.js ...] (got ${process.argv.slice(2).join(' ')})\n`);
  process.exit(2);
}
const variants = [
  { name: 'as built', index: undefined },
  ...given.map((g) => ({ name: g.slice(0, g.indexOf('=')), index: g.slice(g.indexOf('=') + 1) })),
];
const results = variants.map(() => []);
const load0 = os.loadavg()[0];
for (let r = 0; r < rounds; r++) {
  for (let k = 0; k < variants.length; k++) {
    const i = (k + r) % variants.length;
    const env = { ...process.env };
    if (variants[i].index) env.PROBE_THREADKIT = variants[i].index;
    const out = execFileSync(process.execPath, [probe, 'threadkit', String(n), String(inflight)], { env, encoding: 'utf8', timeout: 300_000 });
    results[i].push(JSON.parse(out.trim().split('\n').pop()));
  }
}
const span = (xs) => `${median(xs).toFixed(1)} (${Math.min(...xs).toFixed(1)}–${Math.max(...xs).toFixed(1)})`;
const lines = [
  `trickle variants: ${n} tasks per run, ${inflight} in flight, ${rounds} rounds interleaved; load average (1 min) ${load0.toFixed(2)} at start, ${os.loadavg()[0].toFixed(2)} at end`,
  '',
  '| variant | wall µs/task | CPU µs/task (all threads) | main thread | pool threads |',
  '|---|---|---|---|---|',
];
for (let i = 0; i < variants.length; i++) {
  const rs = results[i];
  lines.push(
    `| ${variants[i].name} | ${span(rs.map((x) => x.usPerTaskWall))} | ${span(rs.map((x) => x.cpuUsPerTask.total))} | ${span(rs.map((x) => x.threadCpuUsPerTask.main))} | ${span(rs.map((x) => x.threadCpuUsPerTask.pool))} |`,
  );
}
process.stdout.write(`${lines.join('\n')}\n`);
