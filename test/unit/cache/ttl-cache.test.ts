import { describe, expect, it } from 'vitest';
import { TtlCache } from '#adapters/cache/ttl-cache';
import type { Clock } from '#ports/clock';

/** A clock the test moves by hand. */
const manualClock = (): Clock & { advance(ms: number): void } => {
  let nowMs = Date.parse('2026-01-01T00:00:00.000Z');
  return { now: () => new Date(nowMs), advance: (ms) => (nowMs += ms) };
};

/** A load that counts its calls and answers `value()` at the time of the call. */
const counting = <V>(value: () => V) => {
  const load = Object.assign(
    async () => {
      load.calls++;
      return value();
    },
    { calls: 0 },
  );
  return load;
};

describe('TtlCache', () => {
  it('answers from what it read until ttl has passed, then reads again', async () => {
    const clock = manualClock();
    const cache = new TtlCache<number>({ ttlMs: 5_000, clock });
    let stored = 1;
    const load = counting(() => stored);

    expect(await cache.get('k', load)).toBe(1);
    stored = 2;
    clock.advance(4_999);
    expect(await cache.get('k', load)).toBe(1);
    clock.advance(1);
    expect(await cache.get('k', load)).toBe(2);
    expect(load.calls).toBe(2);
  });

  it('makes one read for concurrent callers of one key, one per key', async () => {
    const cache = new TtlCache<string>({ ttlMs: 5_000, clock: manualClock() });
    const load = counting(() => 'v');

    await Promise.all([
      cache.get('a', load),
      cache.get('a', load),
      cache.get('a', load),
      cache.get('b', load),
    ]);

    expect(load.calls).toBe(2);
  });

  it('keeps neither a failed read nor a value it is told not to keep', async () => {
    const cache = new TtlCache<string | null>({
      ttlMs: 5_000,
      clock: manualClock(),
      keep: (v) => v !== null,
    });
    let answer: string | null = null;
    const load = counting(() => answer);
    const failing = async (): Promise<string | null> => {
      throw new Error('unreachable');
    };

    await expect(cache.get('k', failing)).rejects.toThrow('unreachable');
    expect(await cache.get('k', load)).toBeNull();
    answer = 'found';
    expect(await cache.get('k', load)).toBe('found');
    expect(await cache.get('k', load)).toBe('found');
    expect(load.calls).toBe(2);
  });

  it('holds at most maxEntries keys, dropping the oldest', async () => {
    const cache = new TtlCache<string>({ ttlMs: 5_000, clock: manualClock(), maxEntries: 2 });
    const load = counting(() => 'v');

    for (const key of ['a', 'b', 'c', 'a']) await cache.get(key, load);

    expect(load.calls).toBe(4);
  });

  it('keeps nothing with a ttl of 0, and forgets a key on demand', async () => {
    const clock = manualClock();
    const uncached = new TtlCache<string>({ ttlMs: 0, clock });
    const cache = new TtlCache<string>({ ttlMs: 5_000, clock });
    const load = counting(() => 'v');

    await uncached.get('k', load);
    await uncached.get('k', load);
    await cache.get('k', load);
    cache.forget('k');
    await cache.get('k', load);

    expect(load.calls).toBe(4);
  });
});
