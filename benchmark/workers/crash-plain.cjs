'use strict';
// A plain worker_threads Worker running crash-task.cjs: each message is one
// task, replied to if it returns (it crashes the worker otherwise).
const { parentPort } = require('node:worker_threads');
const task = require('./crash-task.cjs');

parentPort.on('message', (i) => {
  parentPort.postMessage(task(i));
});
