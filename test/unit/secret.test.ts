/** A secret's default env var and preview, and what keeps chosen secrets out of an environment. */
import { describe, expect, it } from 'vitest';
import { chosenSecretProblems, defaultEnvVar, previewOf } from '#domain/secret';

describe('defaultEnvVar', () => {
  it('upper-cases the id and turns every - into _', () => {
    expect(defaultEnvVar('db-pass-word')).toBe('DB_PASS_WORD');
    expect(defaultEnvVar('API_KEY')).toBe('API_KEY');
  });
});

describe('previewOf', () => {
  it('shows the last 4 characters of a value of 12 or more, none of a shorter one', () => {
    expect(previewOf('sk-abcdef9f2c')).toBe('****9f2c');
    expect(previewOf('123456789012')).toBe('****9012');
    expect(previewOf('12345678901')).toBe('****');
    expect(previewOf('')).toBe('****');
  });
});

describe('chosenSecretProblems', () => {
  it('takes secrets with distinct usable names and one-line values', () => {
    const secrets = [
      { id: 'a', envVar: 'API_TOKEN', value: 'sk-1' },
      { id: 'b', envVar: 'DB_URL', value: 'postgres://x' },
    ];
    expect(chosenSecretProblems(secrets, new Set(['MODE']))).toEqual([]);
  });

  it('says which secret carries an unusable name or value, at its index, never quoting the value', () => {
    const problems = chosenSecretProblems(
      [
        { id: 'ok', envVar: 'FINE', value: 'v' },
        { id: 'bad-name', envVar: 'PATH', value: 'v' },
        { id: 'bad-value', envVar: 'TOKEN', value: 'line1\nline2' },
      ],
      new Set(),
    );

    expect(problems).toEqual([
      {
        loc: ['body', 'secret_ids', 1],
        msg: "Secret 'bad-name': 'PATH' steers how programs in the sandbox run and cannot be set by a secret",
        type: 'invalid_env_var',
      },
      {
        loc: ['body', 'secret_ids', 2],
        msg: "Secret 'bad-value': its value: Must be one line without control characters (no CR, LF, NUL or tab); base64-encode binary or multi-line values; PUT it again",
        type: 'invalid_value',
      },
    ]);
  });

  it('names both secrets that set the same variable, and a variable the manifest sets itself', () => {
    const problems = chosenSecretProblems(
      [
        { id: 'first', envVar: 'TOKEN', value: 'a' },
        { id: 'second', envVar: 'TOKEN', value: 'b' },
        { id: 'third', envVar: 'TOKEN', value: 'c' },
        { id: 'mode', envVar: 'MODE', value: 'd' },
      ],
      new Set(['MODE']),
    );

    expect(problems).toEqual([
      {
        loc: ['body', 'secret_ids', 1],
        msg: "Secrets 'first' and 'second' both set TOKEN",
        type: 'env_var_collision',
      },
      {
        loc: ['body', 'secret_ids', 2],
        msg: "Secrets 'first' and 'third' both set TOKEN",
        type: 'env_var_collision',
      },
      {
        loc: ['body', 'secret_ids', 3],
        msg: "Secret 'mode' sets MODE, which the task's manifest sets itself",
        type: 'env_var_collision',
      },
    ]);
  });
});
