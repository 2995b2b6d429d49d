import { describe, expect, it } from 'vitest';
import { environmentIdForKey } from '#domain/environment-id';

const UUID_V8 = /^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('environmentIdForKey', () => {
  it('names the same environment for the same org, workspace and key, as an RFC 9562 version 8 UUID', () => {
    const id = environmentIdForKey('acme', 'default', 'retry-1');

    expect(id).toMatch(UUID_V8);
    expect(environmentIdForKey('acme', 'default', 'retry-1')).toBe(id);
  });

  it('is the first 16 bytes of SHA-256 over the versioned, NUL-separated triple, with version and variant bits set', () => {
    // sha256('taskenv:environment-id:v1\0acme\0default\0retry-1') starts 9c33be4bb402a34eda3743f10e083673:
    // byte 6 (a3) becomes 83 (version 8), byte 8 (da) becomes 9a (variant 10).
    expect(environmentIdForKey('acme', 'default', 'retry-1')).toBe('9c33be4b-b402-834e-9a37-43f10e083673');
  });

  it('names another environment when the org, the workspace or the key differs', () => {
    const ids = [
      environmentIdForKey('acme', 'default', 'k'),
      environmentIdForKey('other', 'default', 'k'),
      environmentIdForKey('acme', 'ws2', 'k'),
      environmentIdForKey('acme', 'default', 'k2'),
      // The parts are separated: moving characters across the boundary is another triple.
      environmentIdForKey('acme', 'defaultk', ''),
      environmentIdForKey('acm', 'edefault', 'k'),
    ];

    expect(new Set(ids).size).toBe(ids.length);
  });
});
