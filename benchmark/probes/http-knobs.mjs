/**
 * What the spin settings do to the HTTP bench's /small and /hash rows:
 * the bench's server (benchmark/http/) with threadkit as built, with the
 * main thread's spin off (THREADKIT_SPIN_MAX_US=0), with the workers' spin
 * off (THREADKIT_WORKER_SPIN_MAX_US=0), with both off, and with
 * piscina; interleaved, a fresh server per configuration and round.
 *
 *   node benchmark/probes/http-knobs.mjs [rounds=3] [seconds=3]
 *
 * HTTP_KNOBS_SET=nice compares niceIncrement 0, 2, 5 and 19 instead, and
 * adds the bench's mixed window (/hash + /health at once); HTTP_KNOBS_SET=slice
 * a 0.1 ms EEVDF slice for the server's main thread (Linux ≥ 6.12); HTTP_KNOBS_SET=handover
 * the workers' hand-over after waking the main thread (THREADKIT_WAKE_HANDOVER: off, yield,
 * pending, once; with HTTP_KNOBS_SLEEP=1 also a 20 µs sleep), with the mixed window.
 * PROBE_BEFORE=<path of an index.js> adds that copy of threadkit to the set.
 *
 * Per window the same figures as the bench: req/s and p99 from autocannon,
 * CPU per request and loop delay p99 from the server.
 */

import os from 'node:os';
import { startServer, measure } from '../http/drive.mjs';
import { median } from '../lib/harness.mjs';

const [rounds = 3, seconds = 3] = process.argv.slice(2).map(Number);
const SETS = {
  spin: [
    { name: 'threadkit (as built)', kind: 'threadkit', env: {} },
    { name: 'threadkit, main spin off', kind: 'threadkit', env: { THREADKIT_SPIN_MAX_US: '0' } },
    { name: 'threadkit, worker spin off', kind: 'threadkit', env: { THREADKIT_WORKER_SPIN_MAX_US: '0' } },
    { name: 'threadkit, both spins off', kind: 'threadkit', env: { THREADKIT_WORKER_SPIN_MAX_US: '0', THREADKIT_SPIN_MAX_US: '0' } },
    { name: 'piscina', kind: 'piscina', env: {} },
  ],
  nice: [
    { name: 'threadkit (as built)', kind: 'threadkit', env: {} },
    { name: 'threadkit, niceIncrement 2', kind: 'threadkit', env: { HTTP_BENCH_NICE: '2' } },
    { name: 'threadkit, niceIncrement 5', kind: 'threadkit', env: { HTTP_BENCH_NICE: '5' } },
    { name: 'threadkit, niceIncrement 19', kind: 'threadkit', env: { HTTP_BENCH_NICE: '19' } },
    { name: 'piscina', kind: 'piscina', env: {} },
  ],
  // Issue 19, CHANGES.md §1.3 (b): a worker whose completion woke the main thread gives its core up once.
  handover: [
    { name: 'threadkit, no hand-over', kind: 'threadkit', env: { THREADKIT_WAKE_HANDOVER: 'off' } },
    { name: 'threadkit, hand-over: sched_yield', kind: 'threadkit', env: { THREADKIT_WAKE_HANDOVER: 'yield' } },
    { name: 'threadkit, hand-over: sched_yield while a wake-up is pending', kind: 'threadkit', env: { THREADKIT_WAKE_HANDOVER: 'pending' } },
    { name: 'threadkit, hand-over: sched_yield once per worker and wake-up', kind: 'threadkit', env: { THREADKIT_WAKE_HANDOVER: 'once' } },
    ...(process.env.HTTP_KNOBS_SLEEP
      ? [{ name: 'threadkit, hand-over: sleep 20 µs', kind: 'threadkit', env: { THREADKIT_WAKE_HANDOVER: '20' } }]
      : []),
    { name: 'piscina', kind: 'piscina', env: {} },
  ],
  // Issue 19 §4.3 (c): a short EEVDF slice for the server's main thread (server.mjs HTTP_BENCH_SLICE_US).
  slice: [
    { name: 'threadkit (as built)', kind: 'threadkit', env: {} },
    { name: 'threadkit, main slice 0.1 ms', kind: 'threadkit', env: { HTTP_BENCH_SLICE_US: '100' } },
    { name: 'piscina', kind: 'piscina', env: {} },
  ],
};
// PROBE_BEFORE=<path of an index.js>: that copy of threadkit (a build from before a change) joins the set.
if (process.env.PROBE_BEFORE) {
  for (const set of Object.values(SETS))
    set.unshift({ name: 'threadkit (before)', kind: 'threadkit', env: { HTTP_BENCH_THREADKIT: process.env.PROBE_BEFORE } });
}
/** HTTP_KNOBS_SET: `spin` (default) or `nice` (the workers' niceIncrement, against the loop delay). */
const CONFIGS = SETS[process.env.HTTP_KNOBS_SET ?? 'spin'];

/** The bench's mixed window, in the `nice` set only: /hash and /health at once. */
async function mixed(server) {
  if (!['nice', 'slice', 'handover'].includes(process.env.HTTP_KNOBS_SET)) return {};
  const m = await measure(
    server,
    [
      { label: 'hash', url: server.url('/hash?p=secret'), connections: 50 },
      { label: 'health', url: server.url('/health'), connections: 10 },
    ],
    seconds,
  );
  return { mixedHashRps: m.load[0].rps, mixedHashP99: m.load[0].p99, healthRps: m.load[1].rps, mixedLag: m.server.loopDelayMs.p99 };
}

async function once(c) {
  const server = await startServer(c.kind, c.env);
  try {
    const small = await measure(server, [{ label: 'small', url: server.url('/small?x=hello'), connections: 50 }], seconds);
    const hash = await measure(server, [{ label: 'hash', url: server.url('/hash?p=secret'), connections: 50 }], seconds);
    return {
      smallRps: small.load[0].rps,
      smallCpu: small.server.cpuUs.total / small.server.requests.small,
      smallMain: small.server.threadCpuUs.main / small.server.requests.small,
      smallPool: small.server.threadCpuUs.pool / small.server.requests.small,
      smallLag: small.server.loopDelayMs.p99,
      hashRps: hash.load[0].rps,
      hashP99: hash.load[0].p99,
      hashLag: hash.server.loopDelayMs.p99,
      hashMain: hash.server.threadCpuUs.main / hash.server.requests.hash,
      ...(await mixed(server)),
      hashSpins: hash.server.mainSpins ? hash.server.mainSpins.started / hash.server.requests.hash : NaN,
      hashHandOvers: hash.server.handOvers !== null ? hash.server.handOvers / hash.server.requests.hash : NaN,
      hashMainWait: hash.server.mainRunQueueWaitUs / (hash.server.windowMs / 1000) / 1000,
    };
  } finally {
    await server.stop();
  }
}

const results = CONFIGS.map(() => []);
const load0 = os.loadavg()[0];
for (let r = 0; r < rounds; r++) {
  for (let k = 0; k < CONFIGS.length; k++) {
    const i = (k + r) % CONFIGS.length;
    results[i].push(await once(CONFIGS[i]));
  }
  process.stderr.write(`round ${r + 1}/${rounds} done, load ${os.loadavg()[0].toFixed(2)}\n`);
}

const span = (xs, d = 1) => `${median(xs).toFixed(d)} (${Math.min(...xs).toFixed(d)}–${Math.max(...xs).toFixed(d)})`;
const lines = [
  `HTTP bench server, ${rounds} rounds interleaved, ${seconds} s windows, 50 connections; load average (1 min) ${load0.toFixed(2)} at start, ${os.loadavg()[0].toFixed(2)} at end`,
  '',
  '| configuration | /small req/s | CPU µs/req | main µs/req | pool threads µs/req | loop p99 ms (/small) | /hash req/s | /hash p99 ms | loop p99 ms (/hash) | main µs per /hash | main spins per /hash |',
  '|---|---|---|---|---|---|---|---|---|---|---|',
];
for (let i = 0; i < CONFIGS.length; i++) {
  const rs = results[i];
  const col = (k, d) =>
    span(
      rs.map((x) => x[k]),
      d,
    );
  lines.push(
    `| ${CONFIGS[i].name} | ${col('smallRps', 0)} | ${col('smallCpu')} | ${col('smallMain')} | ${col('smallPool')} | ${col('smallLag')} | ${col('hashRps', 0)} | ${col('hashP99', 0)} | ${col('hashLag')} | ${col('hashMain')} | ${rs[0].hashSpins === rs[0].hashSpins ? col('hashSpins', 2) : '—'} |`,
  );
}
if (process.env.HTTP_KNOBS_SET === 'handover') {
  lines.push('', '| configuration | hand-overs per /hash | main thread run-queue wait under /hash, ms/s |', '|---|---|---|');
  for (let i = 0; i < CONFIGS.length; i++) {
    const rs = results[i];
    const col = (k, d) =>
      span(
        rs.map((x) => x[k]),
        d,
      );
    lines.push(`| ${CONFIGS[i].name} | ${rs[0].hashHandOvers === rs[0].hashHandOvers ? col('hashHandOvers', 2) : '—'} | ${col('hashMainWait', 0)} |`);
  }
}
if (['nice', 'slice', 'handover'].includes(process.env.HTTP_KNOBS_SET)) {
  lines.push('', '| configuration | mixed: /hash req/s | mixed: /hash p99 ms | mixed: /health req/s | mixed: loop p99 ms |', '|---|---|---|---|---|');
  for (let i = 0; i < CONFIGS.length; i++) {
    const col = (k, d = 1) =>
      span(
        results[i].map((x) => x[k]),
        d,
      );
    lines.push(`| ${CONFIGS[i].name} | ${col('mixedHashRps', 0)} | ${col('mixedHashP99', 0)} | ${col('healthRps', 0)} | ${col('mixedLag')} |`);
  }
}
process.stdout.write(`${lines.join('\n')}\n`);
