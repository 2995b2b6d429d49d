/** API keys (their shape, hash and generation) and which workspaces a principal may use. */
import { describe, expect, it } from 'vitest';
import {
  canUseWorkspace,
  generateApiKey,
  hashApiKey,
  isWellFormedApiKey,
  type Principal,
  principalSchema,
} from '#domain/principal';
import * as z from '#shared/zod';

const SECRET_32 = 'A'.repeat(32);

describe('isWellFormedApiKey', () => {
  it.each([`tk_abcdefghij12_${SECRET_32}`, `tk_000000000000_${'a-_Z9'.repeat(12).slice(0, 64)}`])(
    'takes %s',
    (key) => {
      expect(isWellFormedApiKey(key)).toBe(true);
    },
  );

  it.each([
    ['an id of 11 characters', `tk_abcdefghij1_${SECRET_32}`],
    ['an id of 13 characters', `tk_abcdefghij123_${SECRET_32}`],
    ['an upper-case id', `tk_ABCDEFGHIJ12_${SECRET_32}`],
    ['a secret of 31 characters', `tk_abcdefghij12_${'A'.repeat(31)}`],
    ['a secret of 65 characters', `tk_abcdefghij12_${'A'.repeat(65)}`],
    ['a secret with a dot', `tk_abcdefghij12_${'A'.repeat(31)}.`],
    ['another prefix', `xtk_abcdefghij12_${SECRET_32}`],
    ['text after the key', `tk_abcdefghij12_${SECRET_32} `],
    ['a missing separator', `tk_abcdefghij12${SECRET_32}`],
  ])('refuses %s', (_what, key) => {
    expect(isWellFormedApiKey(key)).toBe(false);
  });
});

describe('hashApiKey', () => {
  it('is the SHA-256 hex of the whole key', () => {
    expect(hashApiKey(`tk_abcdefghij12_${SECRET_32}`)).toBe(
      'e9bd7c790f5accb0a1d37dc516e85d61a46ae66b165ed8e8e3fd99a20543769d',
    );
  });
});

describe('generateApiKey', () => {
  it('makes a well-formed tk_<id>_<43 character secret> key, its id and its hash', () => {
    const { key, keyId, keyHash } = generateApiKey();

    expect(keyId).toMatch(/^[a-z0-9]{12}$/);
    expect(key.startsWith(`tk_${keyId}_`)).toBe(true);
    expect(key).toHaveLength(3 + 12 + 1 + 43);
    expect(isWellFormedApiKey(key)).toBe(true);
    expect(keyHash).toBe(hashApiKey(key));
  });

  it('makes a different key and id each time, ids with letters as well as digits', () => {
    const keys = Array.from({ length: 20 }, () => generateApiKey());

    expect(new Set(keys.map((k) => k.key)).size).toBe(20);
    expect(new Set(keys.map((k) => k.keyId)).size).toBe(20);
    expect(keys.some((k) => /[a-z]/.test(k.keyId))).toBe(true);
  });
});

describe('canUseWorkspace', () => {
  const member = (workspaces: string[]): Principal => ({
    keyId: 'k1',
    org: 'acme',
    role: 'member',
    workspaces,
  });

  it('lets an admin use every workspace of its own org only', () => {
    const admin: Principal = { keyId: 'k0', org: 'acme', role: 'admin', workspaces: [] };
    expect(canUseWorkspace(admin, 'acme', 'any')).toBe(true);
    expect(canUseWorkspace(admin, 'other', 'any')).toBe(false);
  });

  it('lets a member use the workspaces its key lists, or all of them with *', () => {
    expect(canUseWorkspace(member(['dev']), 'acme', 'dev')).toBe(true);
    expect(canUseWorkspace(member(['dev']), 'acme', 'prod')).toBe(false);
    expect(canUseWorkspace(member(['*']), 'acme', 'prod')).toBe(true);
    expect(canUseWorkspace(member(['*']), 'other', 'prod')).toBe(false);
    expect(canUseWorkspace(member([]), 'acme', 'dev')).toBe(false);
  });
});

describe('principalSchema', () => {
  it('takes the admin and member roles and nothing else', () => {
    const principal = { keyId: 'k1', org: 'acme', role: 'member', workspaces: ['dev'] };
    expect(z.parse(principalSchema, principal)).toEqual(principal);
    expect(z.parse(principalSchema, { ...principal, role: 'admin' }).role).toBe('admin');
    expect(z.safeParse(principalSchema, { ...principal, role: 'owner' }).success).toBe(false);
  });
});
