'use strict';
// The WorkerPool task of every consumer (copied into each consumer project):
// attaches to the caller's Mutex and Channel by handle, as a consumer's own
// worker would, and sends on the Channel while it holds the Mutex.
const { Mutex, Channel } = require('threadkit');

module.exports = async ({ lock, channel, value }) => {
  const mutex = Mutex.from(lock);
  const out = Channel.from(channel);
  await mutex.runExclusive(() => out.send(`worker holds the lock: ${value}`));
  return { doubled: value * 2, threadkit: require.resolve('threadkit') };
};
