import { describe, expect, it } from 'vitest';
import {
  envVarProblem,
  MAX_PLATFORM_MESSAGE_CHARS,
  redactPlatformMessage,
  secretValueProblem,
} from '#domain/env-var';
import { chosenSecretProblems } from '#domain/secret';

describe('envVarProblem', () => {
  it.each(['PATH', 'HOME', 'LD_AUDIT', 'DYLD_INSERT_LIBRARIES', 'PYTHONHOME', 'BASH_ENV', 'ENV', 'PERL5OPT'])(
    'refuses %s',
    (name) => {
      expect(envVarProblem(name)).toMatch(/steer/);
    },
  );

  it('refuses TASKENV_ names as reserved for taskenv, and names that are not identifiers', () => {
    expect(envVarProblem('TASKENV_ENVIRONMENT_ID')).toBe(
      'Names starting with TASKENV_ are reserved for taskenv',
    );
    expect(envVarProblem('lower')).toMatch(/not a usable/);
    expect(envVarProblem('1ABC')).toMatch(/not a usable/);
  });

  it.each(['API_TOKEN', 'NODE_ENV', 'DATABASE_URL', 'PATHFINDER_KEY', 'ENVIRONMENT', 'HOMEPAGE_URL'])(
    'takes %s',
    (name) => {
      expect(envVarProblem(name)).toBeNull();
    },
  );
});

describe('secretValueProblem', () => {
  it.each(['a\nb', 'a\rb', 'a\u0000b', 'a\tb', 'a\u001bb', 'a\u007fb', 'a\u0085b'])('refuses %j', (value) => {
    expect(secretValueProblem(value)).toMatch(/one line without control characters/);
  });

  it('takes one line of printable text, unicode included', () => {
    expect(secretValueProblem('sk-live_ABC.def/+= ünïcødé ✓')).toBeNull();
  });
});

describe('redactPlatformMessage', () => {
  it('replaces every given value, longest first, and control characters', () => {
    const message =
      "options.env['API_TOKEN'] must be without null bytes. Received 'sk-abc\u0000def' (sk-abc)";

    const redacted = redactPlatformMessage(message, ['sk-abc', 'sk-abc\u0000def']);

    expect(redacted).toBe("options.env['API_TOKEN'] must be without null bytes. Received '****' (****)");
  });

  it('caps the message', () => {
    expect(redactPlatformMessage('x'.repeat(5000))).toHaveLength(MAX_PLATFORM_MESSAGE_CHARS + 1);
    expect(redactPlatformMessage('x'.repeat(5000)).endsWith('x…')).toBe(true);
    // Exactly at the cap: kept whole, no ellipsis.
    expect(redactPlatformMessage('y'.repeat(MAX_PLATFORM_MESSAGE_CHARS))).toBe(
      'y'.repeat(MAX_PLATFORM_MESSAGE_CHARS),
    );
  });

  it('turns every control character into a space', () => {
    expect(redactPlatformMessage('line one\nline two\r\tend\u0085')).toBe('line one line two  end ');
  });

  it('ignores an empty value instead of starring every gap', () => {
    expect(redactPlatformMessage('Received abc', ['', 'abc'])).toBe('Received ****');
    expect(redactPlatformMessage('nothing secret', [''])).toBe('nothing secret');
  });
});

describe('chosenSecretProblems', () => {
  it('names collisions between secrets and with the manifest, and never quotes a value', () => {
    const problems = chosenSecretProblems(
      [
        { id: 'a', envVar: 'TOKEN', value: 'value-a' },
        { id: 'b', envVar: 'TOKEN', value: 'value-b\n' },
        { id: 'c', envVar: 'MODE', value: 'value-c' },
      ],
      new Set(['MODE']),
    );

    expect(problems.map((p) => [p.loc, p.type])).toEqual([
      [['body', 'secret_ids', 1], 'invalid_value'],
      [['body', 'secret_ids', 1], 'env_var_collision'],
      [['body', 'secret_ids', 2], 'env_var_collision'],
    ]);
    expect(JSON.stringify(problems)).not.toContain('value-');
  });
});
