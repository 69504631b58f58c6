'use strict';
/**
 * The bench's statistics, in CommonJS so that the specs can require them
 * (harness.mjs re-exports median and quantile; the suites import from there).
 */

/** @param {number[]} xs */
function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/**
 * The `q` quantile (0..1) of an ascending array, interpolated between neighbours.
 * @param {number[]} sorted
 * @param {number} q
 */
function quantile(sorted, q) {
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

/** P4's judged statistic (see benchmark/README.md): the 99th percentile of the gaps. */
const P4_QUANTILE = 0.99;

/** @param {number[]} gaps */
function p99(gaps) {
  return quantile(
    [...gaps].sort((a, b) => a - b),
    P4_QUANTILE,
  );
}

/**
 * P4's figures for one implementation, from the event-loop gaps (ms) of its
 * measured samples (one array per sample, in round order): the judged p99
 * of all their gaps, each sample's own p99 (the spread), the median of the
 * samples' largest gaps, and the largest gap of all.
 * @param {number[][]} samples
 */
function gapStats(samples) {
  const all = samples.flat();
  const maxes = samples.map((g) => Math.max(...g));
  return { p99: p99(all), perSample: samples.map(p99), medianMax: median(maxes), max: Math.max(...maxes), ticks: all.length };
}

module.exports = { median, quantile, P4_QUANTILE, gapStats };
