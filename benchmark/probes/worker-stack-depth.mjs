/**
 * How deep a WorkerPool worker's stack is when a task starts, over a long
 * trickle of sequential tasks (one worker, each task awaited).
 *
 *   node benchmark/probes/worker-stack-depth.mjs [tasks=100000] [stackSizeMb=4]
 *
 * Found while profiling the trickle (issue 19): in lib/pool/worker.js,
 * sleep() calls loop() and loop() calls sleep() synchronously whenever the
 * doorbell rings during the spin or the futex wait, so every task that
 * arrives within SPIN_WAIT_MS of the previous one adds two frames (sleep,
 * loop) to the worker's stack; only a wake through Atomics.waitAsync or a
 * setImmediate yield unwinds it. The probe prints the deepest stack seen
 * and whether a task failed. With a small stack (resourceLimits.stackSizeMb,
 * e.g. 0.3) the worker dies of "Maximum call stack size exceeded" and the
 * task rejects with WorkerCrashedError; with the default 4 MB the depth
 * reached ~4900 frames here before an async wake-up reset it.
 */

import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const require = createRequire(import.meta.url);
const { WorkerPool } = require('../../index.js');
const task = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '__test__', 'fixtures', 'pool', 'stack-depth.js');
const [tasks = 100_000, stackSizeMb = 4] = process.argv.slice(2).map(Number);

const pool = new WorkerPool(task, { minWorkers: 1, maxWorkers: 1, resourceLimits: { stackSizeMb } });
let deepest = 0;
let failure = null;
let i = 0;
try {
  for (; i < tasks; i++) deepest = Math.max(deepest, await pool.execute(i));
} catch (e) {
  failure = e;
}
process.stdout.write(
  `${JSON.stringify({ tasks: i, stackSizeMb, deepestFrames: deepest, failed: failure ? `${failure.name}: ${failure.message}` : null })}\n`,
);
await pool.terminate();
process.exitCode = failure ? 1 : 0;
