'use strict';
// S3 worker, threadkit side of the three-Mutex rotation (see tkPingPong in
// ../suites/sync.mjs). Main holds L0 and L1; this thread takes L2, queues on
// L0 and says "ready". Each wake-up is one step: check and advance the shared
// counter, queue on the lock main holds, release the oldest lock we hold.
const { parentPort, workerData } = require('node:worker_threads');
const { Mutex } = require('../../index.js');

const locks = workerData.handles.map((h) => Mutex.from(h));
const counter = new Int32Array(workerData.counter);

async function round(n) {
  await locks[2].acquire(); // free: main holds L0 and L1
  let old = 2;
  let cur = 0;
  let p = locks[0].acquire(); // held by main: queues
  parentPort.postMessage({ type: 'ready' });
  await p;
  let bad = 0;
  for (let i = 0; i < n; i++) {
    if (Atomics.load(counter, 0) !== 2 * i + 1) bad++;
    Atomics.store(counter, 0, 2 * i + 2);
    const target = 3 - old - cur;
    p = locks[target].acquire(); // held by main: queues
    locks[old].release(); // main is queued on it: hands it over
    old = cur;
    cur = target;
    await p; // after the last step this resolves when main lets go at the end
  }
  locks[old].release();
  locks[cur].release();
  return bad;
}

parentPort.on('message', ({ n }) => {
  round(n).then(
    (bad) => parentPort.postMessage({ type: 'done', bad }),
    (err) => parentPort.postMessage({ type: 'error', message: String(err?.stack ?? err) }),
  );
});
parentPort.postMessage({ type: 'started' });
