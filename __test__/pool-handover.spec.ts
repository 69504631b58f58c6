/**
 * A pool worker that completes a task while its owner's wake-up is scheduled
 * and not yet run, on a machine with no idle core, gives its core up once
 * (issue 19, H3: the owner's event loop then runs at once instead of after
 * the worker's time slice; benchmark/http/CHANGES.md §3). spinStats()[6]
 * counts those hand-overs process-wide.
 */
import os from 'node:os';
import { Worker } from 'node:worker_threads';
import { random } from './helpers';
import { poolFactory, shared, tasks } from './pool-helpers';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const native = require('../native.js');

const pool = poolFactory();

// The busy-machine gate reads /proc/loadavg: elsewhere there is no hand-over.
const linuxTest = process.platform === 'linux' ? test : test.skip;

linuxTest('workers hand their core to the owner while every core is busy, and every task settles once', async () => {
  // More busy threads than the host has CPUs: no core is idle, whatever the machine.
  const stop = shared(1);
  const hogs = Array.from(
    { length: Math.max(os.cpus().length, os.availableParallelism()) + 2 },
    () =>
      new Worker("const v = new Int32Array(require('node:worker_threads').workerData); while (Atomics.load(v, 0) === 0);", {
        eval: true,
        workerData: stop.buffer,
      }),
  );
  try {
    const p = pool(tasks, { minWorkers: 2, maxWorkers: 2 });
    await p.execute(0);
    const before = native.spinStats()[6];
    // Tasks of 0.1–0.5 ms, 8 in flight, until a hand-over was counted (or 2000 tasks: a bound, not a timer).
    let next = 0;
    let handOvers = 0;
    const lane = async () => {
      while (next < 2000 && handOvers === 0) {
        const ms = 0.1 + random() * 0.4;
        next++;
        await expect(p.execute(ms, { name: 'busy' })).resolves.toBe(ms);
        handOvers = native.spinStats()[6] - before;
      }
    };
    await Promise.all(Array.from({ length: 8 }, lane));
    expect(handOvers).toBeGreaterThan(0);
  } finally {
    Atomics.store(stop, 0, 1);
    await Promise.all(hogs.map((h) => h.terminate()));
  }
});
