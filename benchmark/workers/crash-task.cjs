'use strict';
// The task of the M2 memory row: it crashes its worker, by process.exit for
// an even number and by an uncaught error thrown from a timer for an odd one
// (the two ways a worker dies of its own code). 'ok' returns.
module.exports = (i) => {
  if (i === 'ok') return 'ok';
  if (i % 2 === 0) process.exit(7);
  setImmediate(() => {
    throw new Error(`crash on task ${i}`);
  });
  return new Promise(() => {});
};
