/**
 * Suite `channel`: Channel throughput against the messaging Node has built in.
 *
 * - C1: a worker streams values to the main thread. threadkit: a shared
 *   bounded Channel (the worker awaits each send; main awaits each receive).
 *   Peer: the worker's `parentPort.postMessage` (unbounded: no backpressure).
 *   Both check that every value arrives, in order.
 * - C1 memory: the same streams while main does not receive for a while:
 *   the channel's memory stays bounded (the sender waits), postMessage's
 *   queue grows with everything sent.
 * - C2: producer and consumer tasks on one thread through a buffered Channel
 *   against a MessageChannel.
 */

import { createRequire } from 'node:module';
import { MessageChannel } from 'node:worker_threads';
import { interleaved, compareRow, describe, fullGc, logged } from '../lib/harness.mjs';
import { startWorker, postMessageStream, pausedMemoryRow, rssGrowth } from '../lib/stream-worker.mjs';

const require = createRequire(import.meta.url);
const { Channel } = require('../../index.js');

const C1_BUFFER = 256;
const C2_BUFFER = 64;

const valueOf = (kind, v) => (kind === 'number' ? v : v.i);

function tkStream(kind) {
  const ch = new Channel(C1_BUFFER);
  const w = startWorker('stream-channel.cjs', { channel: ch.handle });
  return {
    name: `threadkit Channel(${C1_BUFFER})`,
    w,
    run: async (n) => {
      w.post({ n, kind });
      let bad = 0;
      for (let i = 0; i < n; i++) {
        const v = await ch.receive();
        if (valueOf(kind, v) !== i) bad++;
      }
      await w.expect('done');
      if (bad) throw new Error(`${bad} values out of order or wrong`);
      return n;
    },
    verify: () => (ch.length === 0 ? null : `${ch.length} values left in the channel`),
  };
}

async function runStream(ctx, kind, goal) {
  const impls = [tkStream(kind), postMessageStream(kind)];
  try {
    for (const impl of impls) await impl.w.expect('started');
    const res = await interleaved({ impls, rounds: ctx.rounds, roundMs: 250, startN: 2000, gcBetween: ctx.gcBetween, log: ctx.log });
    describe(res, 'ops').forEach(ctx.log);
    const what = kind === 'number' ? 'worker → main stream, numbers' : 'worker → main stream, small objects';
    return logged(ctx, [compareRow({ id: 'C1', what, tk: res[0], peer: res[1], peerName: 'postMessage', unit: 'ops', goal })]);
  } finally {
    await Promise.all(impls.map((i) => i.w.stop()));
  }
}

/**
 * The worker sends `n` values of ~1 KB while main does not receive for
 * `pauseMs`; returns main's RSS growth at the end of the pause (after a gc).
 */
async function memoryGrowth(file, pauseMs, n) {
  const ch = new Channel(C1_BUFFER);
  const w = startWorker(file, { channel: ch.handle });
  try {
    await w.expect('started');
    let got = 0;
    let receiving = false;
    w.setOnData(() => {
      if (receiving) got++;
    });
    await fullGc();
    const before = process.memoryUsage().rss;
    w.post({ n, kind: 'object', size: 1000 });
    await new Promise((r) => setTimeout(r, pauseMs));
    await fullGc();
    const during = process.memoryUsage().rss;
    receiving = true;
    if (file === 'stream-channel.cjs') for (let i = 0; i < n; i++) await ch.receive();
    await w.expect('done');
    return during - before;
  } finally {
    await w.stop();
  }
}

async function runMemory(ctx) {
  const n = 100_000;
  const tk = await memoryGrowth('stream-channel.cjs', 1500, n);
  const pm = await memoryGrowth('stream-postmessage.cjs', 1500, n);
  ctx.log(
    `slow receiver (main does not receive for 1.5 s while the worker sends ${n} values of ~1 KB): threadkit ${rssGrowth(tk)}, postMessage ${rssGrowth(pm)}`,
  );
  return [
    pausedMemoryRow(
      'C1 memory: receiver pauses 1.5 s (100k × 1 KB sent)',
      tk,
      pm,
      `main's RSS after a forced gc at the end of the pause, against before; the Channel holds at most ${C1_BUFFER} values, so its sender waits.`,
    ),
  ];
}

// ------------------------------------------------------------------ C2

function tkLocal(shared) {
  const ch = new Channel(C2_BUFFER);
  if (shared) void ch.handle;
  return {
    name: shared ? `threadkit Channel(${C2_BUFFER}), shared mode` : `threadkit Channel(${C2_BUFFER})`,
    run: async (n) => {
      const producer = (async () => {
        for (let i = 0; i < n; i++) await ch.send({ i });
      })();
      let bad = 0;
      let got = 0;
      for (let i = 0; i < n; i++) {
        if ((await ch.receive()).i !== i) bad++;
        got++;
      }
      await producer;
      if (bad) throw new Error(`${bad} values out of order`);
      return got;
    },
    verify: () => (ch.length === 0 ? null : `${ch.length} values left`),
  };
}

function messageChannel() {
  return {
    name: 'MessageChannel',
    run: (n) =>
      new Promise((resolve, reject) => {
        const { port1, port2 } = new MessageChannel();
        let got = 0;
        let bad = 0;
        port2.on('message', (m) => {
          if (m.i !== got) bad++;
          if (++got === n) {
            port1.close();
            if (bad) reject(new Error(`${bad} values out of order`));
            else resolve(got);
          }
        });
        for (let i = 0; i < n; i++) port1.postMessage({ i });
      }),
  };
}

async function runC2(ctx) {
  const impls = [tkLocal(false), messageChannel(), tkLocal(true)];
  const res = await interleaved({ impls, rounds: ctx.rounds, roundMs: 250, startN: 2000, gcBetween: ctx.gcBetween, log: ctx.log });
  describe(res, 'ops').forEach(ctx.log);
  return logged(ctx, [
    compareRow({ id: 'C2', what: 'same-thread send/receive, buffered', tk: res[0], peer: res[1], peerName: 'MessageChannel', unit: 'ops', goal: 5 }),
    compareRow({ id: 'C2', what: 'same, channel in shared mode', tk: res[2], peer: res[1], peerName: 'MessageChannel', unit: 'ops' }),
  ]);
}

export const cases = [
  { id: 'C1', title: 'worker → main stream (small objects)', run: (ctx) => runStream(ctx, 'object', 2) },
  { id: 'C1n', title: 'worker → main stream (numbers)', run: (ctx) => runStream(ctx, 'number', null) },
  { id: 'C1m', title: 'memory with a slow receiver', run: runMemory },
  { id: 'C2', title: 'same-thread buffered send/receive', run: runC2 },
];
