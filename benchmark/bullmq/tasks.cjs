'use strict';
/**
 * The task of the `bullmq` bench suite, in threadkit's worker-script form: `(data) => result`.
 * `data` is `{ i, ms, block }`: spin the CPU for `ms` milliseconds (0: a tiny job), or with `block`, hold the
 * thread for `ms` without using the CPU (the fairness case F1: long jobs whose length does not depend on how
 * many other threads share the cores); then return `i + 1`, so the bench can check that each job really ran.
 */
function spin(ms) {
  const end = performance.now() + ms;
  let x = 0;
  while (performance.now() < end) x++;
  return x;
}

const sleeper = new Int32Array(new SharedArrayBuffer(4));

module.exports = function task({ i, ms, block }) {
  if (ms > 0) {
    if (block) Atomics.wait(sleeper, 0, 0, ms);
    else spin(ms);
  }
  return i + 1;
};
module.exports.spin = spin;
