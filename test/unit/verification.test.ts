/** Which redacted verification configs taskenv can run (`docs/api.md`, verification), and how. */
import { describe, expect, it } from 'vitest';
import { redactVerification, verificationPlan } from '#domain/verification';

const DIGEST = 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad';

describe('verificationPlan', () => {
  it('checks a flag file in the service the config names', () => {
    expect(verificationPlan({ method: 'flag', value: DIGEST, path: '/flag', service: 'db' })).toEqual({
      method: 'flag',
      kind: 'path',
      digest: DIGEST,
      path: '/flag',
      service: 'db',
    });
  });

  it.each([
    ['an answer that is not a digest', { method: 'flag', value: 'FLAG{x}' }],
    ['an upper-case digest', { method: 'flag', value: DIGEST.toUpperCase() }],
    ['a digest one digit short', { method: 'flag', value: DIGEST.slice(1) }],
    ['a digest with text after it', { method: 'flag', value: `${DIGEST}0` }],
    ['a digest with text before it', { method: 'flag', value: `0${DIGEST}` }],
    ['an empty flag path', { method: 'flag', value: DIGEST, path: '' }],
    ['an empty script', { method: 'script', script: '' }],
    ['a script timeout of 0', { method: 'script', script: 'true', timeout: 0 }],
    ['a script timeout over 600', { method: 'script', script: 'true', timeout: 601 }],
    ['a fractional script timeout', { method: 'script', script: 'true', timeout: 1.5 }],
    ['no method', { value: DIGEST }],
  ])('runs nothing for %s', (_what, config) => {
    expect(verificationPlan(config)).toBeNull();
  });

  it('runs a script for its timeout, 1 to 600 s, in the service the config names', () => {
    expect(
      verificationPlan({ method: 'script', script: 'test -f /ok', timeout: 600, service: 'api' }),
    ).toEqual({
      method: 'script',
      script: 'test -f /ok',
      timeoutSec: 600,
      service: 'api',
    });
    expect(verificationPlan({ method: 'script', script: 'true', timeout: 1 })).toEqual({
      method: 'script',
      script: 'true',
      timeoutSec: 1,
      service: null,
    });
  });
});

describe('redactVerification', () => {
  it('keeps null and other non-answer values as they are', () => {
    expect(redactVerification({ method: 'flag', hint: null, tries: 3, paths: ['/a'] })).toEqual({
      method: 'flag',
      hint: null,
      tries: 3,
      paths: ['/a'],
    });
  });
});
