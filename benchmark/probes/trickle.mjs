/**
 * Where a trickled task's server CPU goes (issue 19, point 2): `n` /small-like
 * tasks (a 5-character string in, the same string back) through a pool of 2
 * workers, with at most `inflight` tasks outstanding (1: each task is awaited
 * before the next is submitted, a service's trickle), and no HTTP.
 *
 *   node benchmark/probes/trickle.mjs threadkit|piscina|inline N [inflight] [warmup]
 *
 * Prints one JSON line: wall time, process CPU (process.cpuUsage) and CPU
 * per thread (main, the pool's threads, others; /proc/self/task/.../schedstat),
 * all for the measured tasks only (after `warmup` tasks, default 2000), and
 * threadkit's spinStats() (spins started, spins that caught their wake-up).
 *
 * For tools that count a whole process (callgrind's instructions, strace's
 * syscalls) run it with two values of N and take the difference over the
 * difference of N: start-up and warm-up cancel out. The runs used for
 * benchmark/http/FINDINGS.md are in probes/trickle-tools.sh.
 *
 * PROBE_WORKER_WAIT_MS / PROBE_ADDON (see patched-threadkit.mjs) run
 * threadkit from a copy whose worker futex wait follows them, or with another
 * build of the addon; PROBE_THREADKIT=<path of an index.js> runs another
 * copy of threadkit (a build from before a change, for before/after);
 * THREADKIT_SPIN_MAX_US and THREADKIT_WORKER_SPIN_MAX_US set the spins.
 */

import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { patchedThreadkit } from './patched-threadkit.mjs';

const require = createRequire(import.meta.url);
const TASKS = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'http', 'tasks.cjs');
const [kind, nArg, inflightArg = '1', warmArg = '2000'] = process.argv.slice(2);
const n = Number(nArg);
const inflight = Number(inflightArg);
const warmup = Number(warmArg);
if (!['threadkit', 'piscina', 'inline'].includes(kind) || !(n > 0) || !(inflight >= 1) || !(warmup >= 0)) {
  process.stderr.write(`usage: trickle.mjs threadkit|piscina|inline N [inflight] [warmup] (got ${process.argv.slice(2).join(' ')})\n`);
  process.exit(2);
}

function threadCpuUs() {
  const out = new Map();
  for (const tid of readdirSync('/proc/self/task')) {
    try {
      out.set(Number(tid), Number(readFileSync(`/proc/self/task/${tid}/schedstat`, 'utf8').split(' ')[0]) / 1000);
    } catch {
      // exited meanwhile
    }
  }
  return out;
}

/** PROBE_POOL_SIZE: workers in the pool (default 2, as in the HTTP bench). */
const WORKERS = Number(process.env.PROBE_POOL_SIZE ?? 2);
const before = new Set(threadCpuUs().keys());
let native = null;
let run;
let close = async () => {};
if (kind === 'threadkit') {
  const patched = ['PROBE_WORKER_WAIT_MS', 'PROBE_ADDON'].some((k) => process.env[k] !== undefined);
  const index = process.env.PROBE_THREADKIT ?? (patched ? patchedThreadkit() : path.join(path.dirname(TASKS), '..', '..', 'index.js'));
  const { WorkerPool } = require(index);
  native = require(path.join(path.dirname(index), 'native.js'));
  const pool = new WorkerPool(TASKS, WORKERS);
  run = (x) => pool.execute(x);
  close = () => pool.terminate();
} else if (kind === 'piscina') {
  const { Piscina } = require('piscina');
  const pool = new Piscina({ filename: TASKS, minThreads: WORKERS, maxThreads: WORKERS, idleTimeout: 60_000 });
  run = (x) => pool.run(x);
  close = () => pool.destroy();
} else {
  const echo = require(TASKS);
  run = async (x) => echo(x);
}

/** `count` tasks, at most `inflight` outstanding; checks every result. */
async function trickle(count) {
  let next = 0;
  async function lane() {
    while (next < count) {
      const x = `t${next++ % 10000}`.padEnd(5, '-');
      const got = await run(x);
      if (got !== x) throw new Error(`${kind}: task returned ${JSON.stringify(got)}, expected ${JSON.stringify(x)}`);
    }
  }
  await Promise.all(Array.from({ length: inflight }, lane));
}

await trickle(warmup);
const poolThreads = new Set([...threadCpuUs().keys()].filter((t) => !before.has(t)));
const spin0 = native ? native.spinStats() : null;
const t0 = threadCpuUs();
const cpu0 = process.cpuUsage();
const w0 = performance.now();
await trickle(n);
const ms = performance.now() - w0;
const cpu = process.cpuUsage(cpu0);
const t1 = threadCpuUs();
const spin1 = native ? native.spinStats() : null;
const split = { main: 0, pool: 0, other: 0 };
for (const [tid, us] of t1) {
  const d = us - (t0.get(tid) ?? 0);
  if (tid === process.pid) split.main += d;
  else if (poolThreads.has(tid)) split.pool += d;
  else split.other += d;
}
const per = (x) => Number((x / n).toFixed(2));
process.stdout.write(
  `${JSON.stringify({
    kind,
    workers: kind === 'inline' ? 0 : WORKERS,
    n,
    inflight,
    usPerTaskWall: per(ms * 1000),
    cpuUsPerTask: { total: per(cpu.user + cpu.system), user: per(cpu.user), system: per(cpu.system) },
    threadCpuUsPerTask: { main: per(split.main), pool: per(split.pool), other: per(split.other) },
    spins: spin1 ? { started: spin1[0] - spin0[0], caught: spin1[1] - spin0[1], budgetUs: spin1[2] } : null,
    // Counted since the addon had them (older builds: null).
    workerSpins: spin1?.length > 3 ? { started: spin1[3] - spin0[3], caught: spin1[4] - spin0[4], budgetUs: spin1[5] } : null,
    workerWaitMs: kind === 'threadkit' ? (process.env.PROBE_WORKER_WAIT_MS ?? '0.25 (built in)') : null,
  })}\n`,
);
await close();
