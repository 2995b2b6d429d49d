import { describe, expect, it } from 'vitest';
import { chunkUtf8 } from '#adapters/aws/dynamodb/execution-store';
import { sha256Hex } from '#domain/digest';
import {
  capUtf8,
  type ExecutionJob,
  executionDeadline,
  MAX_VERIFY_OUTPUT_BYTES,
  outcomeFor,
  runningRecord,
} from '#domain/execution';

import { matchesDigest, redactVerification, shellQuote, verificationPlan } from '#domain/verification';

describe('output pieces', () => {
  it('cuts UTF-8 text into pieces of at most n bytes, never inside a character, and joins back', () => {
    const text = `a${'€'.repeat(1000)}b`;
    const pieces = chunkUtf8(text, 100);
    for (const piece of pieces) expect(Buffer.byteLength(piece, 'utf8')).toBeLessThanOrEqual(100);
    expect(pieces.join('')).toBe(text);
    expect(pieces.some((p) => p.includes('\ufffd'))).toBe(false);
  });

  it('caps at a character boundary', () => {
    expect(capUtf8('éé', 3)).toEqual({ text: 'é', truncated: true });
    expect(capUtf8('ab', 3)).toEqual({ text: 'ab', truncated: false });
  });
});

describe('verification', () => {
  it('plans a flag by answer, by path and a script from the redacted config', () => {
    const digest = sha256Hex('FLAG{x}');
    expect(verificationPlan(redactVerification({ method: 'flag', value: 'FLAG{x}' }) ?? {})).toEqual({
      method: 'flag',
      kind: 'answer',
      digest,
    });
    expect(
      verificationPlan(redactVerification({ method: 'flag', path: '/f', value: 'FLAG{x}' }) ?? {}),
    ).toEqual({
      method: 'flag',
      kind: 'path',
      digest,
      path: '/f',
      service: null,
    });
    expect(verificationPlan({ method: 'script', script: 'true' })).toEqual({
      method: 'script',
      script: 'true',
      timeoutSec: 30,
      service: null,
    });
    expect(verificationPlan({ method: 'regex', pattern: '.*' })).toBeNull();
  });

  it('compares trimmed answers by digest', () => {
    expect(matchesDigest(' FLAG{x}\n', sha256Hex('FLAG{x}'))).toBe(true);
    expect(matchesDigest('FLAG{y}', sha256Hex('FLAG{x}'))).toBe(false);
  });

  it('keeps only the digest of a flag file and caps script output at 64 KiB', () => {
    const base = { exitCode: 0, truncated: false, timedOut: false, durationMs: 1, error: null };
    expect(outcomeFor('digest', { ...base, output: 'FLAG{x}\n' }).output).toBe(sha256Hex('FLAG{x}'));
    const long = outcomeFor('verify-script', { ...base, output: 'x'.repeat(MAX_VERIFY_OUTPUT_BYTES + 10) });
    expect(long.output).toHaveLength(MAX_VERIFY_OUTPUT_BYTES);
    expect(long.truncated).toBe(true);
  });

  it('quotes a path as one shell word', () => {
    expect(shellQuote("/tmp/a b'c")).toBe(`'/tmp/a b'\\''c'`);
  });
});

describe('execution records', () => {
  const job: ExecutionJob = {
    environmentId: 'env-1',
    executionId: 'x-1',
    taskArn: 'arn:aws:ecs:us-east-1:123456789012:task/c/t',
    service: 'web',
    command: 'id',
    timeoutSec: 60,
    env: {},
    workdir: null,
    purpose: 'command',
    startedAt: '2026-06-01T10:00:00.000Z',
  };

  it('gives a runner the command timeout plus 30 s before its slot is taken back', () => {
    expect(executionDeadline('2026-06-01T10:00:00.000Z', 60)).toBe('2026-06-01T10:01:30.000Z');
  });

  it('records an accepted execution as running, with nothing of its outcome yet', () => {
    expect(runningRecord(job)).toEqual({
      environmentId: 'env-1',
      id: 'x-1',
      state: 'running',
      service: 'web',
      purpose: 'command',
      startedAt: '2026-06-01T10:00:00.000Z',
      deadline: '2026-06-01T10:01:30.000Z',
      // Nothing of the outcome is known yet.
      ...Object.fromEntries(
        ['finishedAt', 'exitCode', 'output', 'truncated', 'timedOut', 'durationMs', 'error'].map((field) => [
          field,
          null,
        ]),
      ),
    });
  });
});

describe('what an outcome keeps', () => {
  const base = { exitCode: 0, truncated: false, timedOut: false, durationMs: 1, error: null };

  it('keeps text of exactly the cap whole', () => {
    expect(capUtf8('abc', 3)).toEqual({ text: 'abc', truncated: false });
    expect(capUtf8('abcd', 3)).toEqual({ text: 'abc', truncated: true });
  });

  it('keeps a command’s output as written, however long', () => {
    const outcome = { ...base, output: 'x'.repeat(MAX_VERIFY_OUTPUT_BYTES + 10) };
    expect(outcomeFor('command', outcome)).toEqual(outcome);
  });

  it('marks a flag digest as not truncated, and a short script output as it came', () => {
    expect(outcomeFor('digest', { ...base, output: 'FLAG{x}', truncated: true }).truncated).toBe(false);
    expect(outcomeFor('verify-script', { ...base, output: 'ok' })).toEqual({ ...base, output: 'ok' });
    expect(outcomeFor('verify-script', { ...base, output: 'ok', truncated: true }).truncated).toBe(true);
  });
});
