/** Order statistics for the benchmark samples (nearest-rank, so every figure is a real sample). */

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
