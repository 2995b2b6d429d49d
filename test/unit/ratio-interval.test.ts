import { describe, expect, it } from 'vitest';
import { ratioInterval, verdictOf } from '../../bench/ratio-interval.ts';

describe('ratioInterval', () => {
  it('brackets the ratio of the medians, and is narrow when the samples agree', () => {
    // Prepare: the chain costs 3× the raw exec, with a little noise on both.
    const raw = Array.from({ length: 200 }, (_, i) => 10 + (i % 7) * 0.1);
    const chain = raw.map((r, i) => 3 * r + (i % 5) * 0.1);

    // Act
    const interval = ratioInterval(chain, raw);

    // Assess
    expect(interval.low).toBeLessThanOrEqual(3.03);
    expect(interval.high).toBeGreaterThanOrEqual(3.0);
    expect(interval.high - interval.low).toBeLessThan(0.1);
  });

  it('is wide when the samples scatter, and the same for the same samples', () => {
    // Prepare: a bimodal chain (half the requests hit a slow path).
    const raw = Array.from({ length: 40 }, () => 10);
    const chain = raw.map((_, i) => (i % 2 === 0 ? 12 : 18));

    // Act
    const first = ratioInterval(chain, raw);
    const second = ratioInterval(chain, raw);

    // Assess
    expect(first.low).toBeLessThanOrEqual(1.3);
    expect(first.high).toBeGreaterThanOrEqual(1.7);
    expect(second).toEqual(first);
  });

  it('refuses unpaired samples', () => {
    expect(() => ratioInterval([1, 2], [1])).toThrow('Paired samples needed');
  });
});

describe('verdictOf', () => {
  it('passes or fails only when the whole interval is on one side of the floor', () => {
    expect(verdictOf({ low: 1.1, high: 1.4 }, 1.5)).toBe('PASS');
    expect(verdictOf({ low: 1.1, high: 1.5 }, 1.5)).toBe('PASS');
    expect(verdictOf({ low: 1.6, high: 2.0 }, 1.5)).toBe('FAIL');
    expect(verdictOf({ low: 1.4, high: 1.6 }, 1.5)).toBe('inconclusive');
  });
});
