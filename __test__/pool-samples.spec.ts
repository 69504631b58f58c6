// The WorkerPool's percentile ring (lib/pool/samples.js): it starts small and
// grows while it fills, and keeps the latest `capacity` samples.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { Samples } = require('../lib/pool/samples.js');

describe('Samples', () => {
  test('empty: zeros', () => {
    expect(new Samples().summary()).toEqual({ p50: 0, p90: 0, p99: 0, max: 0 });
  });

  test('percentiles over every sample while it grows past its first size', () => {
    const s = new Samples(1000);
    for (let i = 1; i <= 700; i++) s.add(i);
    expect(s.summary()).toEqual({ p50: 351, p90: 631, p99: 694, max: 700 });
  });

  test('once full it keeps the latest `capacity` samples (max stays over all time)', () => {
    const s = new Samples(100);
    for (let i = 1; i <= 100; i++) s.add(i);
    expect(s.summary()).toEqual({ p50: 51, p90: 91, p99: 100, max: 100 });
    for (let i = 0; i < 150; i++) s.add(5);
    expect(s.summary()).toEqual({ p50: 5, p90: 5, p99: 5, max: 100 });
    const big = new Samples();
    for (let i = 1; i <= 10_000; i++) big.add(i);
    expect(big.summary()).toEqual({ p50: 7953, p90: 9591, p99: 9960, max: 10_000 });
  });

  test('a capacity below the first size works', () => {
    const s = new Samples(3);
    for (const v of [9, 1, 2, 3]) s.add(v);
    expect(s.summary()).toEqual({ p50: 2, p90: 3, p99: 3, max: 9 });
  });
});
