/** The execute token's message and wire form (`shared/domain/execute-token.ts`). */
import { describe, expect, it } from 'vitest';
import { executeTokenBytes, executeTokenMessage } from '#domain/execute-token';

describe('executeTokenMessage', () => {
  it('is domain-separated and versioned', () => {
    expect(executeTokenMessage('env-1')).toBe('taskenv:execute-token:v1:env-1');
  });
});

describe('executeTokenBytes', () => {
  it('decodes 43 base64url characters to the 32 MAC bytes', () => {
    const bytes = executeTokenBytes(`${'A'.repeat(42)}w`);
    expect(bytes?.toString('hex')).toBe(`${'00'.repeat(31)}0c`);
    expect(executeTokenBytes(`-_${'9'.repeat(41)}`)?.length).toBe(32);
  });

  it('refuses any other length or alphabet', () => {
    expect(executeTokenBytes('A'.repeat(42))).toBeNull();
    expect(executeTokenBytes('A'.repeat(44))).toBeNull();
    expect(executeTokenBytes(`${'A'.repeat(42)}=`)).toBeNull();
    expect(executeTokenBytes(`${'A'.repeat(42)}+`)).toBeNull();
    expect(executeTokenBytes(`x${'A'.repeat(43)}`)).toBeNull();
    expect(executeTokenBytes(`${'A'.repeat(43)}\n`)).toBeNull();
  });
});
