// The bench's P4 statistic (benchmark/lib/stats.cjs): the p99 of all the main thread's event-loop
// gaps over the measured samples. One stray gap, which decided whole runs when the largest gap was
// judged, cannot move it; a tail that recurs does.
import * as path from 'node:path';
import { root } from './helpers';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { gapStats, quantile, median } = require(path.join(root, 'benchmark', 'lib', 'stats.cjs'));

/** `n` gaps of `ms` each. */
const gaps = (n: number, ms: number) => Array.from({ length: n }, () => ms);

describe('P4 gap statistics', () => {
  test('one stray 11 ms gap in one sample does not move the judged p99 (it did move the largest gap)', () => {
    const calm = Array.from({ length: 9 }, () => [...gaps(392, 1), ...gaps(8, 4)]);
    const stray = calm.map((s, i) => (i === 3 ? [...s.slice(1), 11] : s));
    const a = gapStats(calm);
    const b = gapStats(stray);
    expect(b.p99).toBe(a.p99);
    expect(b.max).toBe(11); // the old statistic: 11 ms against 4 ms
    expect(a.max).toBe(4);
    expect(b.medianMax).toBe(a.medianMax);
  });

  test('a tail that recurs in every sample moves it', () => {
    const calm = Array.from({ length: 9 }, () => [...gaps(392, 1), ...gaps(8, 4)]);
    const slow = Array.from({ length: 9 }, () => [...gaps(390, 1), ...gaps(10, 8)]);
    expect(gapStats(calm).p99).toBeCloseTo(4, 5);
    expect(gapStats(slow).p99).toBeCloseTo(8, 5);
  });

  test('the figures it reports', () => {
    const s = gapStats([
      [1, 2, 3],
      [1, 1, 9],
      [2, 2, 2],
    ]);
    expect(s.ticks).toBe(9);
    expect(s.max).toBe(9);
    expect(s.medianMax).toBe(3);
    expect(s.perSample).toHaveLength(3);
    expect(s.p99).toBeCloseTo(quantile([1, 1, 1, 2, 2, 2, 2, 3, 9], 0.99), 10);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(quantile([0, 10], 0.25)).toBe(2.5);
  });
});
