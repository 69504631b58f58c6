'use strict';
// C1 worker, postMessage: on a command { n, kind } posts n values to main.
const { parentPort } = require('node:worker_threads');

parentPort.on('message', ({ n, kind, size }) => {
  const pad = size ? 'x'.repeat(size) : 'x';
  if (kind === 'number') for (let i = 0; i < n; i++) parentPort.postMessage(i);
  else for (let i = 0; i < n; i++) parentPort.postMessage({ i, s: pad });
  parentPort.postMessage({ type: 'done' });
});
parentPort.postMessage({ type: 'started' });
