/** "Did you mean": the known word closest to a mistyped one. */

/** Edit distance (insertions, deletions, substitutions, adjacent swaps) between two words. */
const distance = (a: string, b: string): number => {
  const rows = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  const at = (i: number, j: number): number => rows[i]?.[j] ?? Number.POSITIVE_INFINITY;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        best = Math.min(best, at(i - 2, j - 2) + 1);
      const row = rows[i];
      if (row !== undefined) row[j] = best;
    }
  }
  return at(a.length, b.length);
};

/** The known word closest to a mistyped one, when it is close enough to be what was meant. */
export const closest = (word: string, known: readonly string[]): string | undefined => {
  let best: { candidate: string; score: number } | undefined;
  for (const candidate of known) {
    const score = distance(word.toLowerCase(), candidate);
    if (best === undefined || score < best.score) best = { candidate, score };
  }
  return best !== undefined && best.score <= Math.max(1, Math.floor(best.candidate.length / 3))
    ? best.candidate
    : undefined;
};
