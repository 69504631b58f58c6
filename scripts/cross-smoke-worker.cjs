'use strict';
// The WorkerPool task of scripts/cross-smoke.cjs: attaches to the caller's Mutex and locks it here.
const { Mutex } = require('threadkit');

module.exports = async ({ lock, value }) => {
  const mutex = Mutex.from(lock);
  const doubled = await mutex.runExclusive(() => value * 2);
  return { tag: 'worker', doubled, arch: process.arch };
};
