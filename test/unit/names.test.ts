/** The identifier grammars: what each accepts, what it refuses and the message a client reads. */
import { describe, expect, it } from 'vitest';
import { orgSlug, projectId, secretId, workspaceSlug } from '#domain/names';
import * as z from '#shared/zod';

const messages = (schema: z.ZodMiniType, value: unknown): string[] => {
  const result = z.safeParse(schema, value);
  return result.success ? [] : result.error.issues.map((issue) => issue.message);
};

const SLUG_RULE = "Must contain only lowercase letters, digits and '-', starting with a letter or digit";

describe.each([
  ['orgSlug', orgSlug],
  ['workspaceSlug', workspaceSlug],
])('%s', (_name, schema) => {
  it.each(['acme', 'a', '0day', 'team-42', 'a'.repeat(64)])('takes %j', (value) => {
    expect(messages(schema, value)).toEqual([]);
  });

  it('refuses an empty slug and one over 64 characters, saying so', () => {
    expect(messages(schema, '')).toEqual(['Must not be empty', SLUG_RULE]);
    expect(messages(schema, 'a'.repeat(65))).toEqual(['Must be at most 64 characters']);
  });

  it.each(['-acme', 'Acme', 'ac me', 'acme/', 'x/acme', 'acme_1', 'acme@1', 'acme#1'])(
    'refuses %j',
    (value) => {
      expect(messages(schema, value)).toEqual([SLUG_RULE]);
    },
  );
});

describe('projectId', () => {
  it.each(['default', 'My.Project_1-x', '-lead', '.x', 'p'.repeat(128)])('takes %j', (value) => {
    expect(messages(projectId, value)).toEqual([]);
  });

  it.each(['a b', 'a/b', '/a', 'a/', 'a#b', 'a@b'])('refuses %j', (value) => {
    expect(messages(projectId, value)).toEqual(["Must contain only letters, digits, '.', '_' and '-'"]);
  });

  it('refuses an empty id and one over 128 characters', () => {
    expect(messages(projectId, '')).toEqual([
      'Must not be empty',
      "Must contain only letters, digits, '.', '_' and '-'",
    ]);
    expect(messages(projectId, 'p'.repeat(129))).toEqual(['Must be at most 128 characters']);
  });
});

describe('secretId', () => {
  it.each(['API_KEY', 'db-password', '9lives', 's'.repeat(128)])('takes %j', (value) => {
    expect(messages(secretId, value)).toEqual([]);
  });

  it.each(['_KEY', '-key', 'a.b', 'a b', 'key/', '/key'])('refuses %j', (value) => {
    expect(messages(secretId, value)).toEqual([
      "Must contain only letters, digits, '_' and '-', starting with a letter or digit",
    ]);
  });

  it('refuses one over 128 characters', () => {
    expect(messages(secretId, 's'.repeat(129))).toEqual(['Must be at most 128 characters']);
  });
});
