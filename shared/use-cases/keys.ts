import type { CreateKeyRequest } from '#domain/api-schemas';
import { NotFoundError, ValidationError } from '#domain/errors';
import { type ApiKeyRecord, generateApiKey, type Principal } from '#domain/principal';
import type { AccessStore } from '#ports/access-store';
import type { Clock } from '#ports/clock';
import { assertOrgAccess } from './access.ts';

export interface KeyDeps {
  readonly access: AccessStore;
  readonly clock: Clock;
}

interface OrgAddress {
  readonly principal: Principal;
  readonly org: string;
}

/**
 * Issues an API key of `org`. The plaintext is in the result only (shown once); the store keeps
 * its SHA-256. An admin key has every workspace of its org, so it lists `["*"]`.
 */
export const createKey = async (
  input: OrgAddress & { readonly request: CreateKeyRequest },
  deps: KeyDeps,
): Promise<{ readonly record: ApiKeyRecord; readonly key: string }> => {
  assertOrgAccess(input.principal, input.org);
  const { name, role, workspaces } = input.request;
  if (role === 'admin' && !(workspaces.length === 1 && workspaces[0] === '*')) {
    throw new ValidationError([
      {
        loc: ['body', 'workspaces'],
        msg: 'An admin key has every workspace of its org: use ["*"], or make a member key',
        type: 'admin_workspaces',
      },
    ]);
  }
  const generated = generateApiKey();
  const record: ApiKeyRecord = {
    keyHash: generated.keyHash,
    keyId: generated.keyId,
    name,
    org: input.org,
    role,
    workspaces: [...new Set(workspaces)],
    createdAt: deps.clock.now().toISOString(),
    revoked: false,
  };
  await deps.access.putApiKey(record);
  return { record, key: generated.key };
};

/** The org's keys that still work, oldest first. */
export const listKeys = async (input: OrgAddress, deps: Pick<KeyDeps, 'access'>): Promise<ApiKeyRecord[]> => {
  assertOrgAccess(input.principal, input.org);
  return (await deps.access.listApiKeys(input.org)).filter((k) => !k.revoked);
};

/**
 * Revokes a key of the org by its id; it fails from the next request on (on AWS, once the
 * authorizer's cache entry for it expires). Revoking a revoked key again changes nothing; an id
 * the org does not hold is a 404, whoever holds it.
 */
export const revokeKey = async (
  input: OrgAddress & { readonly keyId: string },
  deps: Pick<KeyDeps, 'access'>,
): Promise<void> => {
  assertOrgAccess(input.principal, input.org);
  const key = (await deps.access.listApiKeys(input.org)).find((k) => k.keyId === input.keyId);
  if (key === undefined) throw new NotFoundError(`API key '${input.keyId}' not found`);
  if (!key.revoked) await deps.access.revokeApiKey(key.keyHash);
};
