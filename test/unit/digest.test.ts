import { describe, expect, it } from 'vitest';
import { sha256Hex } from '#domain/digest';

describe('sha256Hex', () => {
  it('is the lowercase hex SHA-256 of the UTF-8 bytes', () => {
    // printf 'héllo' | sha256sum
    expect(sha256Hex('héllo')).toBe('3c48591d8d098a4538f5e013dfcf406e948eac4d3277b10bf614e295d6068179');
  });
});
