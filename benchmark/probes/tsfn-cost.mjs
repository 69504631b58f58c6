/**
 * Probe (not part of `npm run bench`): a fixed pool workload whose cost is
 * counted in instructions, not time, to compare two builds of the addon's
 * wake-up path (issue 12: napi-rs's `ThreadsafeFunction` against the raw
 * `napi_create_threadsafe_function` threadkit uses). Every pool completion
 * batch reaches the owner through that threadsafe function, so both
 * workloads below call it once per wake-up:
 * - `p2 N`: N sequential round trips of a tiny echo task (P2's workload),
 *   one threadsafe-function call per task;
 * - `p1 N`: N tiny echo tasks submitted at once, then awaited (P1's
 *   workload), a call per completion batch.
 * Two workers, fixed (a pool of size 2). Run it under callgrind with the
 * spin off (spinning adds instructions that depend on timing):
 *
 *   THREADKIT_SPIN_MAX_US=0 valgrind --tool=callgrind --callgrind-out-file=cg.raw.p2 \
 *     node benchmark/probes/tsfn-cost.mjs p2 2000
 *   python3 benchmark/probes/tsfn-cost-annotate.py cg.raw.p2 ...
 *
 * The second prints the per-wake-up counts of each run (unstripped builds:
 * `CARGO_PROFILE_RELEASE_STRIP=none npm run build`); the whole-process total
 * is in valgrind's output. Results: benchmark/README.md.
 */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { WorkerPool } = require('../../index.js');

const [mode = 'p2', nArg = '1000'] = process.argv.slice(2);
const n = Number(nArg);
if (!['p1', 'p2'].includes(mode) || !Number.isInteger(n) || n < 0) {
  console.error(`usage: tsfn-cost.mjs p1|p2 N (got ${JSON.stringify(process.argv.slice(2))})`);
  process.exit(2);
}

const pool = new WorkerPool(new URL('../workers/pool-tasks.cjs', import.meta.url), 2);
// Warm-up, also for N = 0: both workers started, the task path compiled.
for (let i = 0; i < 200; i++) await Promise.all([pool.execute(i), pool.execute(i)]);

if (mode === 'p2') {
  for (let i = 0; i < n; i++) {
    if ((await pool.execute(i)) !== i) throw new Error(`echo ${i} came back wrong`);
  }
} else {
  const out = await Promise.all(Array.from({ length: n }, (_, i) => pool.execute(i)));
  for (let i = 0; i < n; i++) if (out[i] !== i) throw new Error(`echo ${i} came back wrong`);
}
await pool.close();
console.log(JSON.stringify({ mode, n }));
