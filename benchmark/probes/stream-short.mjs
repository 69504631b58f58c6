/**
 * Probe (not part of `npm run bench`): what a short pool.stream() costs, next to execute(), on one
 * worker. Each round times N sequential tasks of each kind, in turn (interleaved), after a warm-up:
 * - execute: a task that returns one small record;
 * - stream 1: a stream of 1 small record;
 * - stream 10: a stream of 10 small records.
 * It prints each kind's median µs per task over the rounds, and the min-max across rounds. With a gap
 * (ms), each task starts that long after the last one ended (its worker has gone to sleep by then: a
 * wake-up is in each task's time), and only the tasks themselves are timed.
 *
 *   node benchmark/probes/stream-short.mjs [rounds=7] [n=2000] [gapMs=0]
 *   TK_ROOT=/path/to/another/checkout node benchmark/probes/stream-short.mjs   (the same probe on other code)
 */
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = process.env.TK_ROOT ?? path.join(here, '..', '..');
const require = createRequire(path.join(root, 'index.js'));
const { WorkerPool } = require(path.join(root, 'index.js'));

const ROUNDS = Number(process.argv[2] ?? 7);
const N = Number(process.argv[3] ?? 2000);
const GAP_MS = Number(process.argv[4] ?? 0);
const script = path.join(here, 'stream-short-worker.cjs');

const pool = new WorkerPool(script, 1);

async function streamOf(n) {
  let got = 0;
  for await (const v of pool.stream({ n })) {
    if (v.i !== got) throw new Error(`value ${got} is ${JSON.stringify(v)}`);
    got++;
  }
  if (got !== n) throw new Error(`${got} values, not ${n}`);
}

const kinds = [
  ['execute', () => pool.execute({ n: 1 }, { name: 'one' })],
  ['stream 1', () => streamOf(1)],
  ['stream 10', () => streamOf(10)],
];

const pause = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** µs per task for `n` sequential runs of `fn` (GAP_MS apart, not timed). */
async function time(fn, n) {
  if (GAP_MS === 0) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < n; i++) await fn();
    return Number(process.hrtime.bigint() - t0) / 1000 / n;
  }
  let total = 0n;
  for (let i = 0; i < n; i++) {
    await pause(GAP_MS);
    const t0 = process.hrtime.bigint();
    await fn();
    total += process.hrtime.bigint() - t0;
  }
  return Number(total) / 1000 / n;
}

const samples = kinds.map(() => []);
for (const [, fn] of kinds) await time(fn, N / 4); // warm-up
for (let r = 0; r < ROUNDS; r++) {
  for (let k = 0; k < kinds.length; k++) samples[k].push(await time(kinds[k][1], N));
}
await pool.terminate();

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
console.log(`${root}: ${ROUNDS} rounds of ${N} sequential tasks each${GAP_MS ? `, ${GAP_MS} ms apart` : ''}, one worker`);
for (let k = 0; k < kinds.length; k++) {
  const xs = samples[k];
  console.log(
    `${kinds[k][0].padEnd(10)} median ${median(xs).toFixed(1)} µs/task (rounds ${Math.min(...xs).toFixed(1)}-${Math.max(...xs).toFixed(1)})`,
  );
}
