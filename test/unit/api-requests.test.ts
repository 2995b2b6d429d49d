/**
 * The request schemas' own rules (`shared/domain/api/requests/`, `docs/api.md`): what a client's
 * body or query is refused for, with the message its 422 carries, and how query strings are read.
 */
import { describe, expect, it } from 'vitest';
import {
  createEnvironmentRequestSchema,
  createKeyRequestSchema,
  executeRequestSchema,
  listEnvironmentsQuerySchema,
  logsQuerySchema,
  putSecretRequestSchema,
} from '#domain/api-schemas';

interface Issue {
  readonly code: string;
  readonly message: string;
  readonly issues?: readonly Issue[];
}

/** The messages of a refused value (a record key's own issues in place of zod's wrapper), or [] when accepted. */
const messagesOf = (result: { success: boolean; error?: { issues: readonly Issue[] } }): string[] =>
  result.success
    ? []
    : (result.error?.issues ?? []).flatMap((issue) =>
        issue.issues === undefined ? [issue.message] : issue.issues.map((inner) => inner.message),
      );

/** The codes of a refused value's issues, record keys' own issues in place of zod's wrapper. */
const codesOf = (result: { error?: { issues: readonly Issue[] } }): string[] =>
  (result.error?.issues ?? []).flatMap((issue) =>
    issue.issues === undefined ? [issue.code] : issue.issues.map((inner) => inner.code),
  );

describe('createKeyRequestSchema', () => {
  const key = { name: 'ci', role: 'member' };

  it('takes "*" alone or a list of workspaces', () => {
    expect(messagesOf(createKeyRequestSchema.safeParse({ ...key, workspaces: ['*'] }))).toEqual([]);
    expect(messagesOf(createKeyRequestSchema.safeParse({ ...key, workspaces: ['a', 'b'] }))).toEqual([]);
    expect(messagesOf(createKeyRequestSchema.safeParse({ ...key, workspaces: ['*', 'a'] }))).toEqual([
      'Use ["*"] alone or a list of workspaces',
    ]);
  });
});

describe('createEnvironmentRequestSchema', () => {
  it('refuses an input name that cannot be stored, naming the key', () => {
    const body = JSON.parse('{"task_ref": "acme/web", "inputs": {"": 1, "constructor": 2, "user": "x"}}');
    expect(messagesOf(createEnvironmentRequestSchema.safeParse(body))).toEqual([
      'Keys must not be empty',
      "'constructor' cannot be used as a key",
    ]);
    expect(codesOf(createEnvironmentRequestSchema.safeParse(body))).toEqual(['custom', 'custom']);
    expect(
      createEnvironmentRequestSchema.safeParse({ task_ref: 'acme/web', inputs: { user: 'x' } }).success,
    ).toBe(true);
  });
});

describe('executeRequestSchema', () => {
  it('refuses env names taskenv sets itself, and only those', () => {
    expect(
      messagesOf(executeRequestSchema.safeParse({ command: 'id', env: { TASKENV_EXECUTE_TOKEN: 'x' } })),
    ).toEqual(['Names starting with TASKENV_ are reserved']);
    expect(messagesOf(executeRequestSchema.safeParse({ command: 'id', env: { MY_TASKENV_: 'x' } }))).toEqual(
      [],
    );
  });

  it('takes only an absolute workdir', () => {
    expect(messagesOf(executeRequestSchema.safeParse({ command: 'id', workdir: 'tmp/' }))).toEqual([
      'Must be an absolute path',
    ]);
    expect(messagesOf(executeRequestSchema.safeParse({ command: 'id', workdir: '/tmp' }))).toEqual([]);
  });
});

describe('query strings', () => {
  it('reads whole numbers from text, the default when absent, and refuses anything else', () => {
    expect(logsQuerySchema.parse({ tail: '25' })).toEqual({ tail: 25 });
    expect(logsQuerySchema.parse({})).toEqual({ tail: 200 });
    // Only the whole text is a number: no padding, no repeats (`?tail=5&tail=6` or a one-item list).
    for (const tail of ['2.5', '25x', 'x25', '', '-', ' 25', '25 ', ['5'], ['5', '6']]) {
      expect(logsQuerySchema.safeParse({ tail }).success).toBe(false);
    }
    // Negative numbers are read as numbers, then refused by the bound rather than as text.
    const negative = logsQuerySchema.safeParse({ tail: '-3' });
    expect(negative.error?.issues[0]?.code).toBe('too_small');
    expect(listEnvironmentsQuerySchema.parse({ page: '2', limit: '200' })).toMatchObject({
      page: 2,
      limit: 200,
    });
  });

  it('reads one ?state= or several, without repeats', () => {
    expect(listEnvironmentsQuerySchema.parse({ state: 'ready' }).state).toEqual(['ready']);
    expect(listEnvironmentsQuerySchema.parse({ state: ['ready', 'failed', 'ready'] }).state).toEqual([
      'ready',
      'failed',
    ]);
    expect(listEnvironmentsQuerySchema.parse({}).state).toBeUndefined();
    expect(listEnvironmentsQuerySchema.parse({ state: undefined }).state).toBeUndefined();
    // Repeats do not count against the limit of one value per state.
    expect(listEnvironmentsQuerySchema.safeParse({ state: Array(7).fill('ready') }).success).toBe(true);
  });
});

describe('putSecretRequestSchema', () => {
  it('refuses a multi-line value without quoting it back', () => {
    const result = putSecretRequestSchema.safeParse({ value: 'line1\nline2' });
    expect(messagesOf(result)).toEqual([
      'Must be one line without control characters (no CR, LF, NUL or tab); base64-encode binary or multi-line values',
    ]);
    expect(codesOf(result)).toEqual(['custom']);
    expect(JSON.stringify(result.error?.issues)).not.toContain('line1');
  });

  it('refuses an env_var that steers execution', () => {
    expect(messagesOf(putSecretRequestSchema.safeParse({ value: 'v', env_var: 'LD_PRELOAD' }))).toEqual([
      'Names starting with LD_ steer how programs in the sandbox run and cannot be set by a secret',
    ]);
    expect(codesOf(putSecretRequestSchema.safeParse({ value: 'v', env_var: 'LD_PRELOAD' }))).toEqual([
      'custom',
    ]);
    expect(messagesOf(putSecretRequestSchema.safeParse({ value: 'v', env_var: 'API_TOKEN' }))).toEqual([]);
  });
});
