/**
 * The HTTP bench's server: node:http on 127.0.0.1 (port 0: the OS picks),
 * started by the bench (or the smoke test) with `child_process.fork`.
 *
 *   node benchmark/http/server.mjs threadkit|piscina|inline
 *
 * Routes:
 *   /hash?p=...   ~1 ms of PBKDF2 (tasks.cjs `hash`) in the pool; 200 + the hex digest
 *   /small?x=...  a pool task that returns its input; 200 + the input back
 *   /health       answered on the main thread, no pool; 200 + "ok"
 * With `inline` the pool's work runs on the main thread instead (the floor
 * for /small, and what a server without a pool does with /hash).
 *
 * The pool has 2 workers of threadkit (WorkerPool) or piscina. The server
 * measures itself, over a window the parent opens and closes over IPC:
 *   parent → { type: 'reset' }  opens a window; reply { type: 'reset' }
 *   parent → { type: 'stats' }  reply { type: 'stats', stats } (see #stats below)
 *   parent → { type: 'stop' }   closes the pool and the server, then exits
 * and sends { type: 'ready', port, pool } once it listens.
 *
 * The environment variable HTTP_BENCH_THREADKIT may name another copy of
 * threadkit's index.js (the probes use a copy with other spin constants),
 * and HTTP_BENCH_NICE sets threadkit's niceIncrement option (default 0).
 */

import http from 'node:http';
import os from 'node:os';
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import path from 'node:path';

const require = createRequire(import.meta.url);
const here = path.dirname(fileURLToPath(import.meta.url));
const TASKS = path.join(here, 'tasks.cjs');
const tasks = require(TASKS);
const WORKERS = 2;
const KINDS = ['threadkit', 'piscina', 'inline'];

const kind = process.argv[2];
if (!KINDS.includes(kind)) {
  process.stderr.write(`usage: server.mjs ${KINDS.join('|')} (got ${JSON.stringify(kind)})\n`);
  process.exit(2);
}

// ------------------------------------------------------------ per-thread CPU

/**
 * CPU time of every thread of this process, and the time it spent runnable
 * but waiting for a CPU, in µs, and how many times it was scheduled:
 * `Map(tid → { cpu, wait, slices })`, from /proc/self/task/<tid>/schedstat
 * (ns on the CPU, ns waiting on a run queue, time slices).
 * Linux only; elsewhere an empty map (the split rows then say n/a).
 */
function threadCpuUs() {
  const out = new Map();
  let tids = [];
  try {
    tids = readdirSync('/proc/self/task');
  } catch {
    return out;
  }
  for (const tid of tids) {
    try {
      const [onCpu, waiting, slices] = readFileSync(`/proc/self/task/${tid}/schedstat`, 'utf8').split(' ');
      out.set(Number(tid), { cpu: Number(onCpu) / 1000, wait: Number(waiting) / 1000, slices: Number(slices) });
    } catch {
      // the thread exited meanwhile
    }
  }
  return out;
}

// Threads that exist before the pool: the main thread, V8's platform threads, libuv's.
const threadsBefore = new Set(threadCpuUs().keys());

// ------------------------------------------------------------------ the pool

/** threadkit's `spinStats()` (spins started, spins that caught their wake-up), or null. */
let spinStats = null;

/** `{ small(x), hash(p), close() }`, each returning a promise (inline: settled at once). */
async function makePool() {
  if (kind === 'threadkit') {
    const index = process.env.HTTP_BENCH_THREADKIT || path.join(here, '..', '..', 'index.js');
    const { WorkerPool } = require(index);
    // Not public API: the main thread's spin counters (src/spin.rs), for the window's stats.
    spinStats = require(path.join(path.dirname(index), 'native.js')).spinStats;
    // HTTP_BENCH_NICE: the pool's niceIncrement option (the probes try it against the loop delay).
    const pool = new WorkerPool(TASKS, { minWorkers: WORKERS, maxWorkers: WORKERS, niceIncrement: Number(process.env.HTTP_BENCH_NICE ?? 0) });
    const hashOpts = { name: 'hash' };
    return { small: (x) => pool.execute(x), hash: (p) => pool.execute(p, hashOpts), close: () => pool.terminate() };
  }
  if (kind === 'piscina') {
    const { Piscina } = require('piscina');
    const pool = new Piscina({ filename: TASKS, minThreads: WORKERS, maxThreads: WORKERS, idleTimeout: 60_000 });
    const hashOpts = { name: 'hash' };
    return { small: (x) => pool.run(x), hash: (p) => pool.run(p, hashOpts), close: () => pool.destroy() };
  }
  return {
    small: async (x) => tasks(x),
    hash: async (p) => tasks.hash(p),
    close: async () => {},
  };
}

const pool = await makePool();
// Start every worker and compile every path before the first window.
await Promise.all(Array.from({ length: 64 }, (_, i) => (i % 2 ? pool.small(String(i)) : pool.hash(String(i)))));
/** Threads that appeared with the pool: its workers (and threadkit's own helper threads, if any). */
const poolThreads = new Set([...threadCpuUs().keys()].filter((t) => !threadsBefore.has(t)));
if (process.env.HTTP_BENCH_WORKER_SLICE_US || process.env.HTTP_BENCH_WORKER_POLICY) {
  const policy = process.env.HTTP_BENCH_WORKER_POLICY === 'batch' ? 3 : 0;
  for (const tid of poolThreads) schedSetattr(tid, policy, Number(process.env.HTTP_BENCH_WORKER_SLICE_US ?? 0));
}

// ------------------------------------------------------------------ serving

const counts = { hash: 0, small: 0, health: 0, notFound: 0, errors: 0 };

function reply(res, status, body) {
  res.writeHead(status, { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

function fail(res, err) {
  counts.errors++;
  reply(res, 500, String(err?.message ?? err));
}

const server = http.createServer((req, res) => {
  const q = req.url.indexOf('?');
  const route = q < 0 ? req.url : req.url.slice(0, q);
  const arg = q < 0 ? '' : decodeURIComponent(req.url.slice(q + 3));
  if (route === '/small') {
    counts.small++;
    pool.small(arg).then(
      (v) => reply(res, 200, v),
      (e) => fail(res, e),
    );
  } else if (route === '/hash') {
    counts.hash++;
    pool.hash(arg).then(
      (v) => reply(res, 200, v),
      (e) => fail(res, e),
    );
  } else if (route === '/health') {
    counts.health++;
    reply(res, 200, 'ok');
  } else {
    counts.notFound++;
    reply(res, 404, `no route ${route}`);
  }
});
server.keepAliveTimeout = 60_000;

// HTTP_BENCH_SLICE_US (a probe, issue 19 §4.3 c): ask Linux's EEVDF scheduler (≥ 6.12) for a short
// time slice for this main thread (sched_setattr's sched_runtime with SCHED_OTHER), which gives it an
// earlier deadline at each wake-up. Set from a python3 helper: Node has no binding for the syscall.
// HTTP_BENCH_WORKER_SLICE_US does the same for the pool's threads (a long slice: the main thread's
// default one is then the shorter, and EEVDF lets a shorter-slice wakee preempt), and
// HTTP_BENCH_WORKER_POLICY=batch puts them in SCHED_BATCH (probes for H3, CHANGES.md §3).
/** sched_setattr(tid, SCHED_OTHER or SCHED_BATCH, slice µs or 0 for the default) through python3. */
function schedSetattr(tid, policy, sliceUs) {
  const code = [
    'import ctypes, struct, sys',
    'attr = struct.pack("IIQiIQQQII", 56, int(sys.argv[3]), 0, 0, 0, int(sys.argv[2]) * 1000, 0, 0, 0, 1024)',
    'libc = ctypes.CDLL(None, use_errno=True)',
    'r = libc.syscall(314, int(sys.argv[1]), ctypes.c_char_p(attr), 0)',
    'sys.exit(0 if r == 0 else ctypes.get_errno())',
  ].join('\n');
  const r = spawnSync('python3', ['-c', code, String(tid), String(sliceUs), String(policy)]);
  if (r.status !== 0) throw new Error(`sched_setattr(${tid}) failed: errno ${r.status} ${r.stderr}`);
}
if (process.env.HTTP_BENCH_SLICE_US) schedSetattr(process.pid, 0, Number(process.env.HTTP_BENCH_SLICE_US));

// ------------------------------------------------------------------ measuring

// 1 ms resolution: the lag of a saturated server is a few ms; finer sampling would cost the loop itself.
const delay = monitorEventLoopDelay({ resolution: 1 });
let window = null;

function openWindow() {
  for (const k of Object.keys(counts)) counts[k] = 0;
  delay.reset();
  delay.enable();
  window = { t0: performance.now(), cpu: process.cpuUsage(), threads: threadCpuUs(), spins: spinStats?.() };
}

/** What the server measured since openWindow(). CPU figures are µs; delays ms. */
function stats() {
  const cpu = process.cpuUsage(window.cpu);
  const threads = threadCpuUs();
  const since = (tid, k = 'cpu') => (threads.get(tid)?.[k] ?? 0) - (window.threads.get(tid)?.[k] ?? 0);
  let main = 0;
  let poolCpu = 0;
  let other = 0;
  let poolSlices = 0;
  for (const tid of threads.keys()) {
    if (tid === process.pid) main += since(tid);
    else if (poolThreads.has(tid)) {
      poolCpu += since(tid);
      poolSlices += since(tid, 'slices');
    } else other += since(tid);
  }
  const ms = (ns) => ns / 1e6;
  const out = {
    pool: kind,
    windowMs: performance.now() - window.t0,
    requests: { ...counts },
    cpuUs: { total: cpu.user + cpu.system, user: cpu.user, system: cpu.system },
    threadCpuUs: threads.size ? { main, pool: poolCpu, other } : null,
    // Runnable but not running: how long the main thread waited for a CPU (what the loop delay is made of on a busy machine).
    mainRunQueueWaitUs: threads.size ? since(process.pid, 'wait') : null,
    mainSlices: threads.size ? since(process.pid, 'slices') : null,
    poolSlices: threads.size ? poolSlices : null,
    mainSpins: spinStats ? { started: spinStats()[0] - window.spins[0], caught: spinStats()[1] - window.spins[1] } : null,
    // Workers that gave their core up after waking the main thread (THREADKIT_WAKE_HANDOVER; 0 for builds without it).
    handOvers: spinStats ? (spinStats()[6] ?? 0) - (window.spins[6] ?? 0) : null,
    loopDelayMs: { p50: ms(delay.percentile(50)), p99: ms(delay.percentile(99)), max: ms(delay.max), mean: ms(delay.mean) },
    loadavg: os.loadavg(),
  };
  delay.disable();
  return out;
}

/** IPC to the parent; run by hand (no IPC), the messages go to stdout as JSON lines. */
const send = process.send ? (m) => process.send(m) : (m) => process.stdout.write(`${JSON.stringify(m)}\n`);

process.on('message', async (m) => {
  if (m?.type === 'reset') {
    openWindow();
    send({ type: 'reset' });
  } else if (m?.type === 'stats') {
    send({ type: 'stats', stats: window ? stats() : null });
  } else if (m?.type === 'stop') {
    server.close();
    server.closeAllConnections();
    await pool.close();
    process.exit(0);
  }
});
// The parent is gone: nobody will stop us.
process.on('disconnect', () => process.exit(0));

server.listen(0, '127.0.0.1', () => {
  send({ type: 'ready', port: server.address().port, pool: kind });
});
