import { AuthenticationError } from '#domain/errors';
import { hashApiKey, isWellFormedApiKey, type Principal } from '#domain/principal';
import type { AccessStore } from '#ports/access-store';

/**
 * Resolves `Authorization: Bearer <key>` to the caller. Missing, malformed, unknown and revoked
 * keys all fail the same way, so a caller cannot tell which it was.
 */
export const authenticate = async (
  authorization: string | undefined,
  deps: { readonly access: AccessStore },
): Promise<Principal> => {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
  const key = match?.[1];
  if (key === undefined || !isWellFormedApiKey(key)) throw new AuthenticationError();
  const record = await deps.access.getApiKey(hashApiKey(key));
  if (record === null || record.revoked) throw new AuthenticationError();
  return { keyId: record.keyId, org: record.org, role: record.role, workspaces: [...record.workspaces] };
};
