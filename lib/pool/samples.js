'use strict';
/**
 * The latest N duration samples (ms) in a ring, for percentile metrics.
 * Percentiles are computed on demand by sorting a copy, which is fine for
 * a metrics call and keeps `add` at two stores.
 */
class Samples {
  #ring;
  #next = 0;
  #count = 0;
  #max = 0;

  constructor(capacity = 4096) {
    this.#ring = new Float64Array(capacity);
  }

  add(ms) {
    this.#ring[this.#next] = ms;
    this.#next = (this.#next + 1) % this.#ring.length;
    if (this.#count < this.#ring.length) this.#count++;
    if (ms > this.#max) this.#max = ms;
  }

  /** `{ p50, p90, p99, max }` in ms over the latest samples (max over all time); zeros when empty. */
  summary() {
    if (this.#count === 0) return { p50: 0, p90: 0, p99: 0, max: 0 };
    const sorted = this.#ring.slice(0, this.#count).sort();
    const at = (q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
    return { p50: at(0.5), p90: at(0.9), p99: at(0.99), max: this.#max };
  }
}

module.exports = { Samples };
