/**
 * Why the main thread's loop delay is worse with threadkit while /hash is
 * saturated (H3): the bench's server under /hash at 50 connections, threadkit
 * and piscina alternately, 3 rounds of 4 s, with the scheduler's view from
 * /proc/self/task/<tid>/schedstat: the main thread's CPU, its time runnable
 * but waiting for a CPU, and how often it and the pool threads were
 * scheduled.
 *
 *   node benchmark/probes/run-queue.mjs
 */

import { startServer, measure } from '../http/drive.mjs';
import os from 'node:os';
const kinds = ['threadkit', 'piscina'];
for (let r = 0; r < 3; r++)
  for (const kind of r % 2 ? [...kinds].reverse() : kinds) {
    const s = await startServer(kind);
    const m = await measure(s, [{ label: 'hash', url: s.url('/hash?p=x'), connections: 50 }], 4);
    const st = m.server;
    const sec = st.windowMs / 1000;
    console.log(
      `${kind.padEnd(9)} load ${os.loadavg()[0].toFixed(1)} /hash ${m.load[0].rps.toFixed(0)} req/s lag p99 ${st.loopDelayMs.p99.toFixed(1)} ms; main: cpu ${(st.threadCpuUs.main / sec / 1000).toFixed(0)} ms/s, run-queue wait ${(st.mainRunQueueWaitUs / sec / 1000).toFixed(0)} ms/s over ${(st.mainSlices / sec).toFixed(0)} slices/s = ${(st.mainRunQueueWaitUs / st.mainSlices).toFixed(0)} µs each; pool threads cpu ${(st.threadCpuUs.pool / sec / 1000).toFixed(0)} ms/s over ${(st.poolSlices / sec).toFixed(0)} slices/s`,
    );
    await s.stop();
  }
