/**
 * H2's /small window (50 connections) on the bench's server, threadkit as
 * built against another copy of it (PROBE_BEFORE=<path of an index.js>) and
 * piscina, interleaved, a fresh server per configuration and round
 * (benchmark/http/CHANGES.md §5 used it for each change's before/after).
 *
 *   PROBE_BEFORE=/tmp/base/index.js node benchmark/probes/small-ab.mjs [rounds=3] [seconds=3]
 *
 * Per configuration: req/s and the server's main-thread CPU per request
 * (medians and ranges over the rounds), with the load average.
 */

import os from 'node:os';
import { startServer, measure } from '../http/drive.mjs';

const [rounds = 3, seconds = 3] = process.argv.slice(2).map(Number);
const configs = [
  { name: 'threadkit (as built)', kind: 'threadkit', env: {} },
  ...(process.env.PROBE_BEFORE ? [{ name: 'threadkit (before)', kind: 'threadkit', env: { HTTP_BENCH_THREADKIT: process.env.PROBE_BEFORE } }] : []),
  ...(process.env.PROBE_NO_PISCINA ? [] : [{ name: 'piscina', kind: 'piscina', env: {} }]),
];
const rows = new Map(configs.map((c) => [c.name, []]));
const load0 = os.loadavg()[0];
for (let r = 0; r < rounds; r++) {
  for (const c of configs) {
    const server = await startServer(c.kind, c.env);
    try {
      const url = server.url('/small?x=hello');
      const { load, server: st } = await measure(server, [{ label: 'small', url, connections: 50 }], seconds);
      const reqs = st.requests.small;
      rows.get(c.name).push({ rps: load[0].rps, mainUs: st.threadCpuUs.main / reqs, cpuUs: st.cpuUs.total / reqs });
    } finally {
      await server.stop();
    }
  }
}
const med = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const fmt = (xs, d = 1) => `${med(xs).toFixed(d)} (${Math.min(...xs).toFixed(d)}–${Math.max(...xs).toFixed(d)})`;
console.log(`load ${load0.toFixed(2)} → ${os.loadavg()[0].toFixed(2)}, ${rounds} rounds of ${seconds} s`);
for (const [name, rs] of rows) {
  console.log(
    `${name.padEnd(22)} req/s ${fmt(
      rs.map((x) => x.rps),
      0,
    )}  main µs/req ${fmt(rs.map((x) => x.mainUs))}  CPU µs/req ${fmt(rs.map((x) => x.cpuUs))}`,
  );
}
