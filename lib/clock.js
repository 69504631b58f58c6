// @ts-check
'use strict';

/**
 * Milliseconds on a monotonic clock: the pool's worker and pool ages, its
 * utilization window, and the lock-wait spans' wait time. Not
 * performance.now(): the `performance` global loads perf_hooks, which a
 * program may not need.
 * @returns {number}
 */
function clockMs() {
  return Number(process.hrtime.bigint()) / 1e6;
}

module.exports = { clockMs };
