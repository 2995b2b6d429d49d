/**
 * Groups recorded calls into the waves they ran in, so a baseline can replay them with the same
 * concurrency: a call that started before every call of the current wave had finished ran
 * beside it (an adapter's `Promise.all`); one that started after they all ended begins the next.
 */
export const wavesOf = <Call extends { readonly startedAt: number; readonly endedAt: number }>(
  calls: readonly Call[],
): Call[][] => {
  const ordered = [...calls].sort((a, b) => a.startedAt - b.startedAt);
  const result: Call[][] = [];
  let current: Call[] = [];
  let currentEnd = Number.NEGATIVE_INFINITY;
  for (const call of ordered) {
    if (current.length > 0 && call.startedAt >= currentEnd) {
      result.push(current);
      current = [];
    }
    current.push(call);
    currentEnd = Math.max(currentEnd, call.endedAt);
  }
  if (current.length > 0) result.push(current);
  return result;
};
