'use strict';
// The worker script of examples/worker-pool.mjs and examples/bullmq.mjs: the
// task function is module.exports; other exports are picked with { name }.
module.exports = function hash({ text, rounds }) {
  let h = 0;
  for (let r = 0; r < rounds; r++) for (let i = 0; i < text.length; i++) h = (h * 31 + text.charCodeAt(i)) | 0;
  return h;
};
module.exports.square = (n) => n * n;
// A generator: pool.stream() gives its values as they come.
module.exports.primes = function* primes(below) {
  for (let n = 2; n < below; n++) {
    let prime = true;
    for (let d = 2; d * d <= n && prime; d++) prime = n % d !== 0;
    if (prime) yield n;
  }
};
// examples/tracing.mjs: what a tracing subscriber sent along with the task.
module.exports.traced = (n, { taskId, traceContext }) => `task ${taskId} of ${traceContext?.traceId ?? 'no trace'}: ${n * n}`;
