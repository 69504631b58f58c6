/**
 * A benchmark worker (a script in benchmark/workers/) that streams values to
 * the main thread on command: used by C1 (suites/channel.mjs) and P5
 * (suites/pool.mjs, lib/p5-stream.mjs).
 */

import { Worker } from 'node:worker_threads';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { withTimeout } from './harness.mjs';

const workersDir = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'workers');

/** A worker that takes `{ n, kind }` commands and answers 'done'. */
export function startWorker(file, workerData) {
  const w = new Worker(path.join(workersDir, file), { workerData });
  const control = [];
  const waiting = [];
  let onData = null;
  let failure = null;
  w.on('message', (m) => {
    if (m !== null && typeof m === 'object' && typeof m.type === 'string') {
      if (waiting.length) waiting.shift().resolve(m);
      else control.push(m);
    } else if (onData !== null) onData(m);
  });
  const fail = (err) => {
    failure = err;
    while (waiting.length) waiting.shift().reject(err);
  };
  w.on('error', fail);
  w.on('exit', (code) => fail(new Error(`worker ${file} exited (code ${code})`)));
  return {
    setOnData: (f) => (onData = f),
    post: (m) => w.postMessage(m),
    async expect(type, ms = 60_000) {
      const next = control.length
        ? Promise.resolve(control.shift())
        : failure
          ? Promise.reject(failure)
          : new Promise((resolve, reject) => waiting.push({ resolve, reject }));
      const m = await withTimeout(next, ms, `worker ${file} (waiting for "${type}")`);
      if (m.type === 'error') throw new Error(`worker ${file}: ${m.message}`);
      if (m.type !== type) throw new Error(`worker ${file} sent "${m.type}" instead of "${type}"`);
      return m;
    },
    stop: () => w.terminate(),
  };
}

/**
 * The peer of C1 and P5: a plain worker (workers/stream-postmessage.cjs) that
 * posts `n` values of `kind` ('number', or 'object': `{ i, s }`) to
 * parentPort; `run(n)` checks that each arrives, in order.
 * @param {'number' | 'object'} kind
 */
export function postMessageStream(kind) {
  const w = startWorker('stream-postmessage.cjs', {});
  return {
    name: 'worker postMessage',
    w,
    run: (n) =>
      new Promise((resolve, reject) => {
        let got = 0;
        let bad = 0;
        w.setOnData((v) => {
          if ((kind === 'number' ? v : v.i) !== got) bad++;
          if (++got === n) {
            w.setOnData(null);
            w.expect('done').then(() => (bad ? reject(new Error(`${bad} values out of order`)) : resolve(n)), reject);
          }
        });
        w.post({ n, kind });
      }),
  };
}

const MB = 2 ** 20;

/**
 * The memory row of C1 and P5: the caller's RSS growth (bytes) while it did
 * not read, threadkit's and the postMessage peer's; goal: bounded.
 * @param {string} name  the row's case
 * @param {number} tk
 * @param {number} pm
 * @param {string} note
 */
export function pausedMemoryRow(name, tk, pm, note) {
  return {
    case: name,
    peer: 'postMessage',
    peerFigure: rssGrowth(pm),
    tkFigure: rssGrowth(tk),
    ratio: '—',
    basis: '—',
    goal: 'bounded (≤ 10 MB)',
    met: tk <= 10 * MB ? 'yes' : 'NO',
    note,
  };
}

/** An RSS growth in bytes, as the memory rows print it. */
export const rssGrowth = (x) => `RSS ${x >= 0 ? '+' : ''}${(x / MB).toFixed(1)} MB`;
