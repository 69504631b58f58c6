/**
 * System calls per trickled task, by call, from `strace -f -c` (every
 * thread) on the trickle probe (trickle.mjs) run twice with different task
 * counts: (calls at N2 − calls at N1) / (N2 − N1), so start-up, warm-up and
 * shutdown cancel out. strace slows every system call down a lot, which
 * changes how often a spin catches its wake-up: the counts show which calls
 * a task makes, not their exact rate at full speed.
 *
 *   node benchmark/probes/syscalls-per-task.mjs threadkit|piscina [N1=2000] [N2=12000] [inflight=1]
 *
 * The environment reaches the probe (THREADKIT_SPIN_MAX_US, THREADKIT_WORKER_SPIN_MAX_US, ...).
 * Needs strace (apt-get install strace). With SYSCALL_TOOL=perf it uses
 * `perf trace -s` instead (its per-thread summaries are added up), which
 * distorts as much on this machine. With SYSCALL_TOOL=perfstat it counts
 * with `perf stat` on tracepoints (futex, epoll_pwait, read, write, every
 * system call, and context switches): counting in the kernel, no tracing,
 * so the probe runs at nearly full speed and its spins catch what they
 * would catch anyway. Use that one for rates, strace for the kinds of call.
 */

import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const probe = path.join(path.dirname(fileURLToPath(import.meta.url)), 'trickle.mjs');
const [kind, n1 = '2000', n2 = '12000', inflight = '1'] = process.argv.slice(2);

/** `Map(syscall → calls)` of one strace -c run of the probe with `n` tasks. */
function count(n) {
  if (process.env.SYSCALL_TOOL === 'perfstat') return countPerfStat(n);
  return process.env.SYSCALL_TOOL === 'perf' ? countPerf(n) : countStrace(n);
}

const STAT_EVENTS = ['futex', 'epoll_pwait', 'write', 'read']
  .map((c) => `syscalls:sys_enter_${c}`)
  .concat(['raw_syscalls:sys_enter', 'context-switches']);

function countPerfStat(n) {
  const out = path.join(mkdtempSync(path.join(tmpdir(), 'tk-perf-stat-')), 'summary');
  execFileSync('perf', ['stat', '-x,', '-o', out, '-e', STAT_EVENTS.join(','), '--', process.execPath, probe, kind, String(n), inflight], {
    stdio: ['ignore', 'ignore', 'inherit'],
    timeout: 600_000,
  });
  const calls = new Map();
  for (const line of readFileSync(out, 'utf8').split('\n')) {
    const [value, , event] = line.split(',');
    if (STAT_EVENTS.includes(event))
      calls.set(event.replace('syscalls:sys_enter_', '').replace('raw_syscalls:sys_enter', 'all system calls'), Number(value));
  }
  return calls;
}

function countPerf(n) {
  const out = path.join(mkdtempSync(path.join(tmpdir(), 'tk-perf-trace-')), 'summary');
  execFileSync('perf', ['trace', '-s', '-o', out, '--', process.execPath, probe, kind, String(n), inflight], {
    stdio: ['ignore', 'ignore', 'inherit'],
    timeout: 600_000,
  });
  const calls = new Map();
  for (const line of readFileSync(out, 'utf8').split('\n')) {
    // syscall  calls  errors  total  min  avg  max  stddev   (one table per thread)
    const m = line.trim().match(/^([a-z_0-9]+)\s+(\d+)\s+(\d+)\s+[\d.]+\s/);
    if (m) calls.set(m[1], (calls.get(m[1]) ?? 0) + Number(m[2]));
  }
  return calls;
}

function countStrace(n) {
  const out = path.join(mkdtempSync(path.join(tmpdir(), 'tk-strace-')), 'summary');
  execFileSync('strace', ['-f', '-c', '-o', out, process.execPath, probe, kind, String(n), inflight], {
    stdio: ['ignore', 'ignore', 'inherit'],
    timeout: 600_000,
  });
  const calls = new Map();
  for (const line of readFileSync(out, 'utf8').split('\n')) {
    // % time  seconds  usecs/call  calls  [errors]  syscall
    const m = line.trim().match(/^[\d.]+\s+[\d.]+\s+\d+\s+(\d+)\s+(?:(\d+)\s+)?([a-z_0-9]+)$/);
    if (m && m[3] !== 'total') calls.set(m[3], Number(m[1]));
  }
  return calls;
}

const a = count(Number(n1));
const b = count(Number(n2));
const per = [];
for (const [name, calls] of b) {
  const d = (calls - (a.get(name) ?? 0)) / (Number(n2) - Number(n1));
  if (Math.abs(d) >= 0.01) per.push([name, d]);
}
per.sort((x, y) => y[1] - x[1]);
const total = per.filter(([k]) => k !== 'context-switches' && k !== 'all system calls').reduce((s, [, d]) => s + d, 0);
process.stdout.write(
  `${JSON.stringify({ tool: { perf: 'perf trace', perfstat: 'perf stat' }[process.env.SYSCALL_TOOL] ?? 'strace', kind, inflight: Number(inflight), n1: Number(n1), n2: Number(n2), total: Number(total.toFixed(2)), perTask: Object.fromEntries(per.map(([k, d]) => [k, Number(d.toFixed(2))])) })}\n`,
);
