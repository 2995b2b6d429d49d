/**
 * The interval of a benchmark ratio (median of one side over median of the other) and the
 * verdict it allows against a floor: PASS or FAIL only when the whole interval is on one side.
 * Kept apart from `stats.ts` (order statistics) so the execute figure needs nothing more.
 */
import { median, percentile } from './stats.ts';

export type RatioVerdict = 'PASS' | 'FAIL' | 'inconclusive';

/** Level of the ratio's interval. */
export const INTERVAL_LEVEL = 0.9;
const RESAMPLES = 2000;

/** A seeded linear congruential generator in [0, 1), so an interval is the same for the same samples. */
const seeded = (seed: number): (() => number) => {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
};

/**
 * The percentile bootstrap interval (at `level`) of median(chain) / median(raw). Samples are
 * resampled in pairs (sample i of each side ran back to back), so what the machine did to
 * both at one moment stays together.
 */
export const ratioInterval = (
  chain: readonly number[],
  raw: readonly number[],
  level = INTERVAL_LEVEL,
  resamples = RESAMPLES,
): { readonly low: number; readonly high: number } => {
  if (chain.length !== raw.length || chain.length === 0) throw new Error('Paired samples needed');
  const random = seeded(0x5eed);
  const ratios: number[] = [];
  const a: number[] = new Array(chain.length);
  const b: number[] = new Array(chain.length);
  for (let r = 0; r < resamples; r++) {
    for (let i = 0; i < chain.length; i++) {
      const pick = Math.floor(random() * chain.length);
      a[i] = chain[pick] ?? Number.NaN;
      b[i] = raw[pick] ?? Number.NaN;
    }
    ratios.push(median(a) / median(b));
  }
  const tail = ((1 - level) / 2) * 100;
  return { low: percentile(ratios, tail), high: percentile(ratios, 100 - tail) };
};

/** PASS when the whole interval is at or under the floor, FAIL when all of it is above. */
export const verdictOf = (
  interval: { readonly low: number; readonly high: number },
  floor: number,
): RatioVerdict => (interval.high <= floor ? 'PASS' : interval.low > floor ? 'FAIL' : 'inconclusive');
