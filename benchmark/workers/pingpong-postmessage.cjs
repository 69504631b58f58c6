'use strict';
// S3 worker, postMessage ping-pong: a command { n } starts a round, then the
// next n numbers are echoed back.
const { parentPort } = require('node:worker_threads');

let left = 0;
parentPort.on('message', (m) => {
  if (left === 0) {
    left = m.n;
    parentPort.postMessage({ type: 'ready' });
    return;
  }
  parentPort.postMessage(m);
  if (--left === 0) parentPort.postMessage({ type: 'done' });
});
parentPort.postMessage({ type: 'started' });
