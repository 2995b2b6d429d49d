import { describe, expect, it } from 'vitest';
import { compareToFloor, compareToLimit, formatInterval, median, percentile } from '../../../bench/stats.ts';

/** n samples spread evenly over [centre − spread, centre + spread], in a shuffled order. */
const spread = (n: number, centre: number, width: number): number[] =>
  Array.from({ length: n }, (_, i) => centre - width + ((i * 7919) % n) * ((2 * width) / (n - 1)));

describe('order statistics', () => {
  it('takes nearest-rank percentiles and the middle of an even median', () => {
    expect(percentile([5, 1, 4, 2, 3], 50)).toBe(3);
    expect(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 90)).toBe(9);
    expect(median([4, 1, 3, 2])).toBe(2.5);
  });
});

describe('compareToFloor', () => {
  it('passes only when the whole interval is inside the floor', () => {
    const c = compareToFloor(spread(100, 11, 1), spread(100, 10, 1), 1.5);
    expect(c.verdict).toBe('PASS');
    expect(c.ratio).toBeCloseTo(1.1, 1);
    expect(c.low).toBeLessThanOrEqual(c.ratio);
    expect(c.high).toBeGreaterThanOrEqual(c.ratio);
    expect(c.high).toBeLessThanOrEqual(1.5);
    expect(c.paired).toBe(true);
  });

  it('fails only when the whole interval is outside the floor', () => {
    const c = compareToFloor(spread(100, 20, 1), spread(100, 10, 1), 1.5);
    expect(c.verdict).toBe('FAIL');
    expect(c.low).toBeGreaterThan(1.5);
  });

  it('is inconclusive when the interval straddles the floor, even if the point estimate is inside', () => {
    // Point estimate 1.45 (inside 1.5), but samples this noisy cannot tell 1.45 from 1.55.
    // Reversed, so the noise of the two sides is unrelated and pairing cannot cancel it.
    const c = compareToFloor(spread(12, 14.5, 8), spread(12, 10, 6).reverse(), 1.5);
    expect(c.ratio).toBeLessThanOrEqual(1.5);
    expect(c.low).toBeLessThan(1.5);
    expect(c.high).toBeGreaterThan(1.5);
    expect(c.verdict).toBe('inconclusive');
  });

  it('gives one interval for one set of samples (seeded)', () => {
    const a = compareToFloor(spread(40, 12, 3), spread(40, 10, 3), 1.3);
    const b = compareToFloor(spread(40, 12, 3), spread(40, 10, 3), 1.3);
    expect(a).toEqual(b);
  });

  it('resamples pairs together, so a drift shared by both sides of a round narrows the interval', () => {
    // Load drifts from 1× to 3× over the run; each round's two samples see the same load.
    const load = Array.from({ length: 60 }, (_, i) => 1 + (2 * i) / 59);
    const measured = load.map((l) => 12 * l);
    const baseline = load.map((l) => 10 * l);
    const pairedC = compareToFloor(measured, baseline, 1.3);
    const unpaired = compareToFloor(measured, baseline.slice(1), 1.3);
    expect(pairedC.high - pairedC.low).toBeLessThan(unpaired.high - unpaired.low);
    expect(unpaired.paired).toBe(false);
  });

  it('compares another statistic when told', () => {
    const c = compareToFloor([1, 1, 1, 1, 10], [1, 1, 1, 1, 2], 2, { statistic: (s) => percentile(s, 100) });
    expect(c.ratio).toBe(5);
    expect(c.measured).toBe(10);
  });

  it('refuses to judge without samples', () => {
    expect(() => compareToFloor([], [1], 1.5)).toThrow();
  });

  it('formats the ratio with its interval', () => {
    expect(formatInterval({ ratio: 1.123, low: 1.08, high: 1.171 })).toBe('1.12× [1.08–1.17]');
  });
});

describe('compareToLimit', () => {
  it('passes, fails or stays inconclusive by where the interval of the median lies', () => {
    expect(compareToLimit(spread(50, 80, 20), 1000).verdict).toBe('PASS');
    expect(compareToLimit(spread(50, 1500, 100), 1000).verdict).toBe('FAIL');
    expect(compareToLimit(spread(9, 1000, 300), 1000).verdict).toBe('inconclusive');
  });

  it('treats the limit itself as outside (under 1 s means < 1000 ms)', () => {
    expect(compareToLimit([1000, 1000, 1000], 1000).verdict).toBe('FAIL');
  });
});
