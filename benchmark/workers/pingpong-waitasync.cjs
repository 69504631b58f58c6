'use strict';
// S3 worker, Atomics.waitAsync ping-pong: waits while the word is 2i, checks
// that main wrote 2i+1, writes 2i+2 and notifies.
const { parentPort, workerData } = require('node:worker_threads');

const word = new Int32Array(workerData.word);

async function round(n) {
  let bad = 0;
  let noSleep = 0;
  let first = true;
  for (let i = 0; i < n; i++) {
    const r = Atomics.waitAsync(word, 0, 2 * i);
    if (first) {
      parentPort.postMessage({ type: 'ready' }); // our first wait is registered
      first = false;
    }
    if (r.async) await r.value;
    else noSleep++;
    if (Atomics.load(word, 0) !== 2 * i + 1) bad++;
    Atomics.store(word, 0, 2 * i + 2);
    Atomics.notify(word, 0);
  }
  return { bad, noSleep };
}

parentPort.on('message', ({ n }) => {
  round(n).then(
    ({ bad, noSleep }) => parentPort.postMessage({ type: 'done', bad, noSleep }),
    (err) => parentPort.postMessage({ type: 'error', message: String(err?.stack ?? err) }),
  );
});
parentPort.postMessage({ type: 'started' });
