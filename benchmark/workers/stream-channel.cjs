'use strict';
// C1 worker, threadkit: on a command { n, kind } sends n values through the
// shared channel (awaiting each send, as a producer normally would), then
// reports 'done'.
const { workerData, parentPort } = require('node:worker_threads');
const { Channel } = require('../../index.js');

const ch = Channel.from(workerData.channel);
parentPort.on('message', async ({ n, kind, size }) => {
  try {
    const pad = size ? 'x'.repeat(size) : 'x';
    if (kind === 'number') for (let i = 0; i < n; i++) await ch.send(i);
    else for (let i = 0; i < n; i++) await ch.send({ i, s: pad });
    parentPort.postMessage({ type: 'done' });
  } catch (err) {
    parentPort.postMessage({ type: 'error', message: String(err?.stack ?? err) });
  }
});
parentPort.postMessage({ type: 'started' });
