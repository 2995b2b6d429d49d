/** The task sizes a manifest may ask for (`shared/domain/fargate.ts`), as Fargate lists them. */
import { describe, expect, it } from 'vitest';
import { FARGATE_SIZES } from '#domain/fargate';

describe('FARGATE_SIZES', () => {
  it('lists every CPU size with the memory it allows, in MiB', () => {
    expect(Object.fromEntries(FARGATE_SIZES)).toEqual({
      256: [512, 1024, 2048],
      512: [1024, 2048, 3072, 4096],
      1024: [2048, 3072, 4096, 5120, 6144, 7168, 8192],
      2048: Array.from({ length: 13 }, (_, i) => 4096 + i * 1024),
      4096: Array.from({ length: 23 }, (_, i) => 8192 + i * 1024),
      8192: Array.from({ length: 12 }, (_, i) => 16384 + i * 4096),
      16384: Array.from({ length: 12 }, (_, i) => 32768 + i * 8192),
    });
    expect(FARGATE_SIZES.get(2048)?.at(-1)).toBe(16384);
    expect(FARGATE_SIZES.get(4096)?.at(-1)).toBe(30720);
    expect(FARGATE_SIZES.get(8192)?.at(-1)).toBe(61440);
    expect(FARGATE_SIZES.get(16384)?.at(-1)).toBe(122880);
  });
});
