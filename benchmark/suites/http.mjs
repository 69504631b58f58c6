/**
 * Suite `http` (opt-in: `npm run bench -- http`): a node:http service that
 * offloads CPU work, measured end to end (issue 19). Not a microbenchmark:
 * each request submits one task, as a service does.
 *
 * benchmark/http/server.mjs serves /hash (~1 ms of PBKDF2 in the pool),
 * /small (a pool task that returns its input) and /health (no pool) on
 * 127.0.0.1, in a child process, with a pool of 2 workers of threadkit,
 * piscina, or none (inline: the work runs on the main thread). autocannon
 * loads it from another process (benchmark/http/load.mjs), for a bounded
 * time with a bounded number of connections. The server measures itself
 * over each window: its CPU time (process.cpuUsage, split by thread from
 * /proc where available) and its event-loop delay (monitorEventLoopDelay).
 *
 * Per run, each pool kind gets a fresh server and three windows:
 *   hash   /hash at 50 connections                 → H1 req/s, p99; H3 loop delay p99
 *   small  /small at 50 connections                → H2 req/s, server CPU per request
 *   mixed  /hash at 50 + /health at 10 connections → /health req/s under /hash saturation
 * The kinds are interleaved (their order rotates every run); ratios are
 * taken per run (threadkit and piscina measured seconds apart) and the
 * table shows their median and range over the runs.
 *
 * Environment: HTTP_BENCH_RUNS (default 3), HTTP_BENCH_SECONDS per window
 * (default 5), HTTP_BENCH_QUICK=1 (1 run of 1.5 s windows: a smoke run,
 * not figures to quote). THREADKIT_SPIN_MAX_US reaches the servers as set.
 */

import os from 'node:os';
import { startServer, measure } from '../http/drive.mjs';
import { median } from '../lib/harness.mjs';

export const optIn = true;

const KINDS = ['threadkit', 'piscina', 'inline'];
const quick = process.env.HTTP_BENCH_QUICK === '1';
const RUNS = positive('HTTP_BENCH_RUNS', quick ? 1 : 3);
const SECONDS = positive('HTTP_BENCH_SECONDS', quick ? 1.5 : 5);
const CONNECTIONS = 50;
const HEALTH_CONNECTIONS = 10;

function positive(name, fallback) {
  const v = process.env[name];
  if (v === undefined || v === '') return fallback;
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new RangeError(`${name} must be a positive number, got ${JSON.stringify(v)}`);
  return n;
}

/** Every figure one server gives in one run (see the windows above). */
async function measureKind(kind) {
  const server = await startServer(kind);
  try {
    const t = (label, route, connections) => ({ label, url: server.url(route), connections });
    const hash = await measure(server, [t('hash', '/hash?p=secret', CONNECTIONS)], SECONDS);
    const small = await measure(server, [t('small', '/small?x=hello', CONNECTIONS)], SECONDS);
    const mixed = await measure(server, [t('hash', '/hash?p=secret', CONNECTIONS), t('health', '/health', HEALTH_CONNECTIONS)], SECONDS);
    for (const w of [hash, small, mixed]) {
      for (const l of w.load) {
        if (l.errors || l.timeouts || l.non2xx || w.server.requests.errors) {
          throw new Error(
            `${kind} ${l.label}: ${l.errors} errors, ${l.timeouts} timeouts, ${l.non2xx} non-2xx replies, ${w.server.requests.errors} task failures`,
          );
        }
      }
    }
    const perSmall = (us) => us / small.server.requests.small;
    const split = small.server.threadCpuUs;
    return {
      hashRps: hash.load[0].rps,
      hashP99: hash.load[0].p99,
      hashLag: hash.server.loopDelayMs.p99,
      hashSpins: hash.server.mainSpins,
      hashMainWait: hash.server.mainRunQueueWaitUs !== null ? hash.server.mainRunQueueWaitUs / hash.server.mainSlices : NaN,
      hashPoolSlices: hash.server.poolSlices !== null ? hash.server.poolSlices / hash.server.requests.hash : NaN,
      hashMainCpu: hash.server.threadCpuUs ? hash.server.threadCpuUs.main / hash.server.requests.hash : NaN,
      smallRps: small.load[0].rps,
      smallCpu: perSmall(small.server.cpuUs.total),
      smallMainCpu: split ? perSmall(split.main) : NaN,
      smallPoolCpu: split ? perSmall(split.pool) : NaN,
      smallLag: small.server.loopDelayMs.p99,
      mixedHashRps: mixed.load[0].rps,
      mixedHashP99: mixed.load[0].p99,
      mixedLag: mixed.server.loopDelayMs.p99,
      healthRps: mixed.load[1].rps,
    };
  } finally {
    await server.stop();
  }
}

const fmt = {
  rps: (x) => (x >= 1000 ? `${(x / 1000).toFixed(1)}k req/s` : `${x.toFixed(0)} req/s`),
  ms: (x) => `${x.toFixed(1)} ms`,
  us: (x) => `${x.toFixed(1)} µs`,
};

/** "median (min–max)" of `xs` with `f`. */
function spanOf(xs, f) {
  const ok = xs.filter(Number.isFinite);
  if (!ok.length) return 'n/a';
  const [lo, hi] = [Math.min(...ok), Math.max(...ok)];
  return ok.length > 1 ? `${f(median(ok))} (${f(lo)}–${f(hi)})` : f(ok[0]);
}

/**
 * A table row comparing threadkit with piscina on `key` over the runs.
 * `better`: 'higher' (ratio tk/peer) or 'lower' (ratio peer/tk), so > 1
 * always means threadkit is better. `goal` is the minimum ratio, or null.
 */
function row(id, what, runs, key, unit, better, goal, note) {
  const tk = runs.map((r) => r.threadkit[key]);
  const pi = runs.map((r) => r.piscina[key]);
  const ratios = runs.map((r) => (better === 'higher' ? r.threadkit[key] / r.piscina[key] : r.piscina[key] / r.threadkit[key]));
  const ratio = median(ratios);
  const range = ratios.length > 1 ? ` (${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)})` : '';
  return {
    case: `${id} ${what}`,
    peer: 'piscina',
    peerFigure: spanOf(pi, fmt[unit]),
    tkFigure: spanOf(tk, fmt[unit]),
    ratio: Number.isFinite(ratio) ? `${ratio.toFixed(2)}×${range}` : 'n/a',
    basis: better === 'higher' ? 'tk/peer' : 'peer/tk',
    goal: goal === null ? '—' : `≥ ${goal.toFixed(2)}×`,
    met: goal === null ? '—' : ratio >= goal ? 'yes' : 'NO',
    note: `${note ? `${note} ` : ''}inline (no pool): ${spanOf(
      runs.map((r) => r.inline[key]),
      fmt[unit],
    )}.`,
  };
}

async function runHttp(ctx) {
  const runs = [];
  const load0 = os.loadavg();
  ctx.log(
    `${RUNS} run(s), ${SECONDS} s per window, ${CONNECTIONS} connections (+${HEALTH_CONNECTIONS} for /health); load average at start ${load0.map((x) => x.toFixed(2)).join(' ')}`,
  );
  for (let r = 0; r < RUNS; r++) {
    const run = {};
    const order = KINDS.map((_, i) => KINDS[(i + r) % KINDS.length]);
    for (const kind of order) {
      const l0 = os.loadavg()[0];
      run[kind] = await measureKind(kind);
      const m = run[kind];
      ctx.log(
        `run ${r + 1} ${kind.padEnd(9)} load ${l0.toFixed(2)}→${os.loadavg()[0].toFixed(2)}: /hash ${fmt.rps(m.hashRps)} p99 ${fmt.ms(m.hashP99)} lag p99 ${fmt.ms(m.hashLag)} main CPU/req ${fmt.us(m.hashMainCpu)}, main waits ${fmt.us(m.hashMainWait)} for a CPU per time slice, pool threads scheduled ${m.hashPoolSlices.toFixed(2)}× per request${m.hashSpins ? ` main spins ${m.hashSpins.caught}/${m.hashSpins.started} caught` : ''}; ` +
          `/small ${fmt.rps(m.smallRps)} ${fmt.us(m.smallCpu)} CPU/req (main ${fmt.us(m.smallMainCpu)}, pool threads ${fmt.us(m.smallPoolCpu)}) lag p99 ${fmt.ms(m.smallLag)}; ` +
          `mixed: /hash ${fmt.rps(m.mixedHashRps)} p99 ${fmt.ms(m.mixedHashP99)}, /health ${fmt.rps(m.healthRps)}, lag p99 ${fmt.ms(m.mixedLag)}`,
      );
    }
    runs.push(run);
  }
  const load1 = os.loadavg();
  ctx.log(`load average at end ${load1.map((x) => x.toFixed(2)).join(' ')}`);
  const loads = `load average (1 min) ${load0[0].toFixed(2)} at start, ${load1[0].toFixed(2)} at end.`;
  return [
    row('H1', `/hash req/s (${CONNECTIONS} conns)`, runs, 'hashRps', 'rps', 'higher', 1.2),
    row('H1', '/hash p99 latency', runs, 'hashP99', 'ms', 'lower', 2, 'goal "p99 ≤ 0.5× piscina" is a ratio (piscina/threadkit) of at least 2.'),
    row('H2', `/small req/s (${CONNECTIONS} conns)`, runs, 'smallRps', 'rps', 'higher', 2),
    row(
      'H2',
      'server CPU per /small request',
      runs,
      'smallCpu',
      'us',
      'lower',
      null,
      'process.cpuUsage() (every thread) over the window / requests served.',
    ),
    row(
      'H2',
      'main-thread CPU per /small request',
      runs,
      'smallMainCpu',
      'us',
      'lower',
      null,
      'the main thread alone (/proc/self/task/<pid>/schedstat).',
    ),
    row(
      'H3',
      'loop delay p99, /hash saturated',
      runs,
      'hashLag',
      'ms',
      'lower',
      1,
      `monitorEventLoopDelay (1 ms resolution) in the server. ${loads}`,
    ),
    row(
      'H3',
      'main-thread CPU per /hash request',
      runs,
      'hashMainCpu',
      'us',
      'lower',
      null,
      "the main thread's CPU over the window / requests: fixed costs included (the 1 ms loop-delay timer, idle wake-ups), so compare, do not read as a per-task cost.",
    ),
    row('H3', 'loop delay p99, /hash + /health', runs, 'mixedLag', 'ms', 'lower', null),
    row('H3', `/health req/s under /hash (+${HEALTH_CONNECTIONS} conns)`, runs, 'healthRps', 'rps', 'higher', null),
    row('H3', '/hash req/s with /health alongside', runs, 'mixedHashRps', 'rps', 'higher', null, 'H1 held while /health is served?'),
  ];
}

export const cases = [{ id: 'H', title: `HTTP service: /hash, /small, /health (threadkit, piscina, inline; ${RUNS} runs)`, run: runHttp }];
