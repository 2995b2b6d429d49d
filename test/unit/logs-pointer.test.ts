/** The sentence a failed environment's `error` ends with (`shared/domain/logs-pointer.ts`). */
import { describe, expect, it } from 'vitest';
import { logsPointer } from '#domain/logs-pointer';

describe('logsPointer', () => {
  const env = { org: 'acme', workspace: 'default', id: '0b7c' };

  it('names the logs route and the CLI command for one service', () => {
    expect(logsPointer(env, 'web')).toBe(
      '; its logs: GET /api/v1/org/acme/ws/default/environments/0b7c/logs?service=web (CLI: taskenv env logs 0b7c --service web)',
    );
  });

  it('leaves the service out when the route default applies', () => {
    expect(logsPointer(env, null)).toBe(
      '; its logs: GET /api/v1/org/acme/ws/default/environments/0b7c/logs (CLI: taskenv env logs 0b7c)',
    );
  });

  it('percent-encodes every part of the path and the query', () => {
    expect(logsPointer({ org: 'a/b', workspace: 'w s', id: 'i?d' }, 'x&y')).toBe(
      '; its logs: GET /api/v1/org/a%2Fb/ws/w%20s/environments/i%3Fd/logs?service=x%26y (CLI: taskenv env logs i?d --service x&y)',
    );
  });
});
