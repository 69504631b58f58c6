/**
 * P5 (suite `pool`): WorkerPool.stream() against a plain worker posting the
 * same values to parentPort, in the same run.
 *
 * - P5: one task streams 100k small records ({ i, s: 'x' }) to a caller that
 *   takes each with `for await`; the peer's worker posts each record with
 *   `parentPort.postMessage` to a 'message' listener. Both check that every
 *   record arrives, in order.
 * - P5 memory: the same with ~1 KB records while the caller does not read
 *   for 1.5 s: the stream holds at most highWaterMark values and one ring
 *   (its generator waits); postMessage's queue grows with everything posted.
 */

import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { interleaved, compareRow, describe, fullGc, logged } from './harness.mjs';
import { startWorker, postMessageStream, pausedMemoryRow, rssGrowth } from './stream-worker.mjs';

const require = createRequire(import.meta.url);
const { WorkerPool } = require('../../index.js');
const { DEFAULT_HIGH_WATER_MARK } = require('../../lib/pool/stream.js');
const { RING_BYTES } = require('../../lib/pool/stream-ring.js');

const script = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'workers', 'pool-stream.cjs');
const N = 100_000;

function tkStream(pool) {
  return {
    name: 'threadkit WorkerPool.stream()',
    run: async (n) => {
      let got = 0;
      let bad = 0;
      for await (const v of pool.stream({ n })) {
        if (v.i !== got) bad++;
        got++;
      }
      if (bad) throw new Error(`${bad} values out of order`);
      return got;
    },
  };
}

export async function runP5(ctx) {
  const pool = new WorkerPool(script, 1);
  const pm = postMessageStream('object');
  const w = pm.w;
  try {
    await w.expect('started');
    const impls = [tkStream(pool), pm];
    // Runs of N records each (a round of 1 ms never asks for more).
    const res = await interleaved({ impls, rounds: ctx.rounds, roundMs: 1, startN: N, multipleOf: N, gcBetween: ctx.gcBetween, log: ctx.log });
    describe(res, 'ops').forEach(ctx.log);
    return logged(ctx, [
      compareRow({
        id: 'P5',
        what: `stream of ${N / 1000}k small records from one task`,
        tk: res[0],
        peer: res[1],
        peerName: 'postMessage',
        unit: 'ops',
        goal: 2,
        note: `default highWaterMark (${DEFAULT_HIGH_WATER_MARK}); the caller takes each value with for await, the peer's with a 'message' listener`,
      }),
    ]);
  } finally {
    await pool.terminate();
    await w.stop();
  }
}

/**
 * RSS growth of the caller's process while it does not read for `pauseMs`
 * and the producer has `n` records of ~1 KB to send.
 */
async function growth(kind, pauseMs, n) {
  const pool = kind === 'tk' ? new WorkerPool(script, 1) : null;
  const w = kind === 'tk' ? null : startWorker('stream-postmessage.cjs', {});
  try {
    if (w) await w.expect('started');
    if (pool) await pool.stream({ n: 1 }).next(); // the worker is up
    let got = 0;
    w?.setOnData(() => got++);
    await fullGc();
    const before = process.memoryUsage().rss;
    const it = pool?.stream({ n, size: 1000 });
    w?.post({ n, kind: 'object', size: 1000 });
    await new Promise((r) => setTimeout(r, pauseMs));
    await fullGc();
    const during = process.memoryUsage().rss;
    if (it) {
      for await (const v of it) if (v.i === got) got++;
    } else {
      await w.expect('done');
    }
    if (got !== n) throw new Error(`${kind}: ${got} of ${n} records arrived`);
    return during - before;
  } finally {
    await pool?.terminate();
    await w?.stop();
  }
}

export async function runP5memory(ctx) {
  const n = N;
  const tk = await growth('tk', 1500, n);
  const pm = await growth('pm', 1500, n);
  ctx.log(`slow caller (does not read for 1.5 s while ${n} records of ~1 KB are streamed): threadkit ${rssGrowth(tk)}, postMessage ${rssGrowth(pm)}`);
  return [
    pausedMemoryRow(
      'P5 memory: caller pauses 1.5 s (100k × 1 KB streamed)',
      tk,
      pm,
      `the caller's RSS after a forced gc at the end of the pause, against before; the stream holds at most highWaterMark (${DEFAULT_HIGH_WATER_MARK}) values and one ring of ${RING_BYTES / 1024} KiB, so the generator waits.`,
    ),
  ];
}
