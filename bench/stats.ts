/**
 * Order statistics for the benchmark samples (nearest-rank, so every figure is a real sample),
 * and the interval every floor is judged on: a figure PASSes only when its whole 90 % bootstrap
 * interval lies inside the floor, FAILs only when the whole interval lies outside, and is
 * `inconclusive` otherwise (never a silent PASS).
 *
 * The helpers other figures use, with a stable API:
 * - {@link compareToFloor}: paired (interleaved) samples of a measured path and its baseline and
 *   a ratio floor (`measured ÷ baseline ≤ floor`) → `{ ratio, low, high, verdict }`;
 * - {@link compareToLimit}: samples of one quantity and an absolute limit (`p50 < 1000 ms`).
 */

const sorted = (samples: readonly number[]): number[] => {
  if (samples.length === 0) throw new Error('No samples to summarise');
  return [...samples].sort((a, b) => a - b);
};

/** The `p`-th percentile (0 < p ≤ 100) by nearest rank. */
export const percentile = (samples: readonly number[], p: number): number => {
  const ordered = sorted(samples);
  const rank = Math.min(ordered.length, Math.max(1, Math.ceil((p / 100) * ordered.length)));
  return ordered[rank - 1] ?? Number.NaN;
};

/** The median; the mean of the two middle samples for an even count. */
export const median = (samples: readonly number[]): number => {
  const ordered = sorted(samples);
  const middle = Math.floor(ordered.length / 2);
  const upper = ordered[middle] ?? Number.NaN;
  return ordered.length % 2 === 1 ? upper : ((ordered[middle - 1] ?? Number.NaN) + upper) / 2;
};

export const round = (value: number, digits = 2): number => {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
};

/** How a floor judged a figure. `inconclusive`: the interval straddles the floor. */
export type FloorVerdict = 'PASS' | 'FAIL' | 'inconclusive';

export interface FloorComparison {
  /** The point estimate: statistic(measured) ÷ statistic(baseline). */
  readonly ratio: number;
  /** The bootstrap interval of {@link ratio} (`confidence`, two-sided, percentile method). */
  readonly low: number;
  readonly high: number;
  readonly floor: number;
  readonly verdict: FloorVerdict;
  /** statistic(measured), statistic(baseline): the figures the table prints. */
  readonly measured: number;
  readonly baseline: number;
  readonly samples: { readonly measured: number; readonly baseline: number };
  readonly confidence: number;
  /** `true` when the samples were resampled as pairs (same count, interleaved rounds). */
  readonly paired: boolean;
}

export interface LimitComparison {
  /** statistic(samples). */
  readonly value: number;
  readonly low: number;
  readonly high: number;
  readonly limit: number;
  readonly verdict: FloorVerdict;
  readonly samples: number;
  readonly confidence: number;
}

export interface IntervalOptions {
  /** Two-sided coverage of the interval; 0.9 unless told. */
  readonly confidence?: number;
  /** Bootstrap resamples; 2000 unless told. */
  readonly resamples?: number;
  /** The statistic compared: the median unless told (e.g. `(s) => percentile(s, 99)`). */
  readonly statistic?: (samples: readonly number[]) => number;
  /** Seed of the resampling generator, so one set of samples always gives one interval. */
  readonly seed?: number;
}

/** mulberry32: small, fast, deterministic; enough to pick resample indices. */
const generator = (seed: number) => {
  let state = seed >>> 0;
  return (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
};

const resample = (samples: readonly number[], indices: readonly number[]): number[] =>
  indices.map((i) => samples[i] ?? Number.NaN);

const drawIndices = (count: number, random: () => number): number[] =>
  Array.from({ length: count }, () => Math.floor(random() * count));

/** The percentile-method bounds of `estimates` for a two-sided `confidence`. */
const bounds = (estimates: number[], confidence: number): { low: number; high: number } => {
  estimates.sort((a, b) => a - b);
  const tail = (1 - confidence) / 2;
  const at = (q: number) =>
    estimates[Math.min(estimates.length - 1, Math.max(0, Math.floor(q * estimates.length)))];
  return { low: at(tail) ?? Number.NaN, high: at(1 - tail) ?? Number.NaN };
};

/**
 * Judges `measured ÷ baseline ≤ floor` on the statistic (median unless told) of each side.
 * Samples of equal count are taken as pairs from interleaved rounds (round i of each side ran
 * back to back) and resampled together, so drift in machine load that hits both sides of a round
 * cancels; samples of unequal count are resampled independently.
 * PASS: the whole interval ≤ floor; FAIL: the whole interval > floor; else inconclusive.
 */
export const compareToFloor = (
  measured: readonly number[],
  baseline: readonly number[],
  floor: number,
  options: IntervalOptions = {},
): FloorComparison => {
  if (measured.length === 0 || baseline.length === 0) throw new Error('No samples to compare');
  const confidence = options.confidence ?? 0.9;
  const statistic = options.statistic ?? median;
  const random = generator(options.seed ?? 0x5eed);
  const paired = measured.length === baseline.length;
  const resamples = options.resamples ?? 2000;
  const estimates: number[] = [];
  for (let r = 0; r < resamples; r++) {
    const m = drawIndices(measured.length, random);
    const b = paired ? m : drawIndices(baseline.length, random);
    estimates.push(statistic(resample(measured, m)) / statistic(resample(baseline, b)));
  }
  const { low, high } = bounds(estimates, confidence);
  const measuredValue = statistic(measured);
  const baselineValue = statistic(baseline);
  return {
    ratio: measuredValue / baselineValue,
    low,
    high,
    floor,
    verdict: judge(low, high, floor, false),
    measured: measuredValue,
    baseline: baselineValue,
    samples: { measured: measured.length, baseline: baseline.length },
    confidence,
    paired,
  };
};

/**
 * Judges `statistic(samples) < limit` (median unless told), e.g. time to ready under 1 s.
 * PASS: the whole interval < limit; FAIL: the whole interval ≥ limit; else inconclusive.
 */
export const compareToLimit = (
  samples: readonly number[],
  limit: number,
  options: IntervalOptions = {},
): LimitComparison => {
  if (samples.length === 0) throw new Error('No samples to compare');
  const confidence = options.confidence ?? 0.9;
  const statistic = options.statistic ?? median;
  const random = generator(options.seed ?? 0x5eed);
  const estimates: number[] = [];
  for (let r = 0; r < (options.resamples ?? 2000); r++) {
    estimates.push(statistic(resample(samples, drawIndices(samples.length, random))));
  }
  const { low, high } = bounds(estimates, confidence);
  return {
    value: statistic(samples),
    low,
    high,
    limit,
    verdict: judge(low, high, limit, true),
    samples: samples.length,
    confidence,
  };
};

/** `strict`: the bound itself fails (`< limit`); otherwise it passes (`≤ floor`). */
const judge = (low: number, high: number, bound: number, strict: boolean): FloorVerdict => {
  if (!Number.isFinite(low) || !Number.isFinite(high)) return 'inconclusive';
  const inside = (value: number) => (strict ? value < bound : value <= bound);
  if (inside(high)) return 'PASS';
  if (!inside(low)) return 'FAIL';
  return 'inconclusive';
};

/** A ratio and its interval as the table prints them: `1.12× [1.08–1.17]`. */
export const formatInterval = (c: { readonly ratio: number; readonly low: number; readonly high: number }) =>
  `${c.ratio.toFixed(2)}× [${c.low.toFixed(2)}–${c.high.toFixed(2)}]`;
