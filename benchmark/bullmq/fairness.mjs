/**
 * Cases F1 and F2 of the `bullmq` suite: what a large prefetch costs when jobs are long and few. Two consumer processes
 * (`serve`, maxWorkers = the machine's threads each) take jobs from one queue; one `addBulk` adds F1_JOBS jobs
 * that each hold a pool thread for 50-200 ms (random, seeded, the seed printed) without using the CPU, so a
 * job's length does not depend on how many threads share the 2 cores. A consumer that prefetches many jobs
 * takes them before the other one wakes up, and they wait in its pool's queue while the other's threads idle.
 *
 * Per variant (a BullMQ concurrency, or serve's default), rounds interleaved with the other variants, each on
 * the same job lengths: how the jobs split between the consumers (from BullMQ's `processedBy`), and the
 * makespan (the first job added to the last one completed) against the ideal, the longest-first schedule of
 * the same jobs on all 2 x maxWorkers threads (a lower bound up to a few %, and no round trips).
 *
 * F2 is the switch that a large cap risks: F2_TINY tiny jobs, then at once F2_JOBS long jobs (20-80 ms), so
 * both consumers are at their tiny-job prefetch when the long jobs arrive, and each may take as many of them
 * as it has slots before it has seen one run long. The makespan runs from the first tiny job added to the last
 * long job completed, against the ideal for the long jobs alone (the tiny ones take a few ms).
 */

import { createRequire } from 'node:module';
import { setTimeout as sleep } from 'node:timers/promises';
import { median, now } from '../lib/harness.mjs';
import { threads, JOB_NAME, redis, freshQueueName, startConsumer, closeAll } from './jobs.mjs';

const require = createRequire(import.meta.url);
const { Queue } = require('bullmq');

export const F1_JOBS = 16;
const F1 = { id: 'F1', jobs: F1_JOBS, minMs: 50, maxMs: 200, tiny: 0 };
export const F2_JOBS = 48;
export const F2_TINY = 400;
const F2 = { id: 'F2', jobs: F2_JOBS, minMs: 20, maxMs: 80, tiny: F2_TINY };
export const SCENARIOS = { F1, F2 };
const ROUNDS = 6;

// The test suite's seeded PRNG (mulberry32), so a round's job lengths can be replayed from the printed seed.
const { seededRandom: prng } = require('../../__test__/fixtures/random.js');

/** The longest-processing-time-first schedule of `lengths` on `slots` threads: its makespan in ms. */
export function lptMakespan(lengths, slots) {
  const load = new Array(slots).fill(0);
  for (const ms of [...lengths].sort((a, b) => b - a)) {
    let k = 0;
    for (let j = 1; j < slots; j++) if (load[j] < load[k]) k = j;
    load[k] += ms;
  }
  return Math.max(...load);
}

async function oneRound(side, lengths, tiny = 0) {
  await side.queue.addBulk([]); // connection warm before the clock starts
  const t0 = now();
  // F2: tiny jobs first (ids after the long ones' range, so the checks below tell them apart), then the long ones.
  if (tiny > 0) await side.queue.addBulk(Array.from({ length: tiny }, (_, k) => ({ name: JOB_NAME, data: { i: lengths.length + k, ms: 0 } })));
  await side.queue.addBulk(lengths.map((ms, i) => ({ name: JOB_NAME, data: { i, ms, block: true } })));
  for (;;) {
    const { completed, failed } = await side.queue.getJobCounts('completed', 'failed');
    if (failed > 0) throw new Error(`${side.name}: ${failed} jobs failed`);
    if (completed >= lengths.length + tiny) break;
    await sleep(2);
  }
  const makespan = now() - t0;
  const jobs = await side.queue.getJobs(['completed'], 0, -1);
  const by = {};
  for (const j of jobs) {
    if (j.returnvalue !== j.data.i + 1) throw new Error(`${side.name}: job ${j.id} returned ${JSON.stringify(j.returnvalue)}`);
    if (j.data.ms === 0) continue; // F2's tiny jobs: checked, not counted in the split
    by[j.processedBy] ??= { jobs: 0, ms: 0 };
    by[j.processedBy].jobs++;
    by[j.processedBy].ms += j.data.ms;
  }
  await side.queue.clean(0, 0, 'completed');
  const split = ['A', 'B'].map((name) => by[name] ?? { jobs: 0, ms: 0 });
  return { makespan, split };
}

/**
 * `variants`: `[{ key, label, concurrency }]` (concurrency undefined: serve's default); `scenario`: SCENARIOS.F1
 * or .F2. Returns, per variant, `{ label, rounds: [{ seed, makespan, ideal, split }] }`.
 */
export async function runFairness(ctx, variants, scenario = F1, seed0 = Number(process.env[`${scenario.id}_SEED`] ?? Date.now() % 1e9)) {
  const { id, jobs: count, minMs, maxMs, tiny } = scenario;
  const { connection } = await redis();
  const sides = [];
  try {
    for (const v of variants) {
      const queueName = freshQueueName(`${id.toLowerCase()}-${v.key}`);
      const consumers = [];
      for (const name of ['A', 'B']) {
        const workerOptions = { name, ...(v.concurrency === undefined ? {} : { concurrency: v.concurrency }) };
        consumers.push(await startConsumer({ side: 'threadkit', maxWorkers: threads, queue: queueName, connection, workerOptions }));
      }
      sides.push({ ...v, name: v.label, consumers, queue: new Queue(queueName, { connection }), rounds: [] });
    }
    ctx.log(
      `${id} seed ${seed0} (replay with ${id}_SEED=${seed0}); ${tiny > 0 ? `${tiny} tiny jobs, then ` : ''}${count} jobs of ${minMs}-${maxMs} ms per round`,
    );
    for (const s of sides) await oneRound(s, [1, 1, 1, 1]); // warm-up: pools, connections, scripts loaded
    for (let r = 0; r < ROUNDS; r++) {
      const seed = seed0 + r;
      const rnd = prng(seed);
      const lengths = Array.from({ length: count }, () => Math.round(minMs + rnd() * (maxMs - minMs)));
      const ideal = lptMakespan(lengths, 2 * threads);
      for (let k = 0; k < sides.length; k++) {
        const s = sides[(k + r) % sides.length];
        // Both consumers idle and waiting for jobs, as after a quiet spell, before each round.
        await sleep(200);
        const res = await oneRound(s, lengths, tiny);
        s.rounds.push({ seed, ideal, ...res });
        ctx.log(
          `  round ${r + 1} ${s.label.padEnd(34)} makespan ${res.makespan.toFixed(0)} ms (ideal ${ideal} ms, ${(res.makespan / ideal).toFixed(2)}x); jobs A/B ${res.split[0].jobs}/${res.split[1].jobs}, work A/B ${res.split[0].ms}/${res.split[1].ms} ms`,
        );
      }
    }
    return sides.map((s) => ({ key: s.key, label: s.label, rounds: s.rounds, concurrency: s.consumers[0].concurrency }));
  } finally {
    await closeAll(sides.flatMap((s) => s.consumers));
    await Promise.all(sides.map((s) => s.queue.close()));
  }
}

/** A row per variant: median makespan / ideal, and the median share of the work on the busier consumer. */
export function fairnessRows(results, scenario = F1) {
  const { id, jobs, minMs, maxMs, tiny } = scenario;
  return results.map((v) => {
    const over = v.rounds.map((r) => r.makespan / r.ideal);
    const share = v.rounds.map((r) => Math.max(r.split[0].ms, r.split[1].ms) / (r.split[0].ms + r.split[1].ms));
    const splits = v.rounds.map((r) => `${r.split[0].jobs}/${r.split[1].jobs}`).join(', ');
    return {
      case: `${id} ${tiny > 0 ? `${tiny} tiny jobs then ` : ''}${jobs} jobs of ${minMs}-${maxMs} ms, 2 consumers x ${threads} workers: ${v.label}`,
      peer: 'ideal schedule (longest first on all threads)',
      peerFigure: `${median(v.rounds.map((r) => r.ideal)).toFixed(0)} ms`,
      tkFigure: `${median(v.rounds.map((r) => r.makespan)).toFixed(0)} ms`,
      ratio: `${median(over).toFixed(2)}× (${Math.min(...over).toFixed(2)}-${Math.max(...over).toFixed(2)})`,
      basis: 'makespan/ideal',
      goal: '—',
      met: '—',
      note: `${v.rounds.length} rounds, seeds ${v.rounds.map((r) => r.seed).join(', ')}; ${tiny > 0 ? 'long ' : ''}jobs per consumer A/B ${splits}; the busier consumer's share of the work: median ${(100 * median(share)).toFixed(0)}%`,
    };
  });
}
