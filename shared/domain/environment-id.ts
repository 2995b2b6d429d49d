import { createHash } from 'node:crypto';

/**
 * The environment id of a create with an `Idempotency-Key`: a name-based UUID (RFC 9562
 * version 8, SHA-256) of (org, workspace, key). The same key in the same workspace always names
 * the same environment, so a retry after a crash or a lost response finds the one it recorded
 * instead of making another; keys of other workspaces and orgs name other ids.
 */
export const environmentIdForKey = (org: string, workspace: string, idempotencyKey: string): string => {
  const bytes = createHash('sha256')
    // NUL cannot occur in slugs; the key goes last, so no two triples hash the same text.
    .update(`taskenv:environment-id:v1\0${org}\0${workspace}\0${idempotencyKey}`, 'utf8')
    .digest()
    .subarray(0, 16);
  bytes[6] = ((bytes[6] ?? 0) & 0x0f) | 0x80; // version 8
  bytes[8] = ((bytes[8] ?? 0) & 0x3f) | 0x80; // RFC 9562 variant
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
};
