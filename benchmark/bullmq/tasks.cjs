'use strict';
/**
 * The task of the `bullmq` bench suite, in threadkit's worker-script form: `(data) => result`.
 * `data` is `{ i, ms }`: spin the CPU for `ms` milliseconds (0: a tiny job), then return `i + 1`,
 * so the bench can check that each job really ran.
 */
function spin(ms) {
  const end = performance.now() + ms;
  let x = 0;
  while (performance.now() < end) x++;
  return x;
}

module.exports = function task({ i, ms }) {
  if (ms > 0) spin(ms);
  return i + 1;
};
module.exports.spin = spin;
