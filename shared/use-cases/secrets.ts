import { envVarProblem } from '#domain/env-var';
import { SecretNotFoundError, ValidationError } from '#domain/errors';
import type { Principal } from '#domain/principal';
import { defaultEnvVar, previewOf, type SecretMetadata } from '#domain/secret';
import type { Clock } from '#ports/clock';
import type { SecretMetadataStore, SecretValueStore } from '#ports/secret-store';
import { assertWorkspaceAccess } from './access.ts';

export interface SecretDeps {
  readonly metadata: SecretMetadataStore;
  readonly values: SecretValueStore;
  readonly clock: Clock;
}

interface SecretAddress {
  readonly principal: Principal;
  readonly org: string;
  readonly workspace: string;
}

/**
 * Creates or replaces a secret. The value goes to the value store only; the result holds none of
 * it. The request schema already checks the value and an explicit `env_var`; the default one
 * (from the id) is checked here: a secret called `path` may not become `PATH`.
 */
export const putSecret = async (
  input: SecretAddress & {
    readonly id: string;
    readonly value: string;
    readonly envVar?: string | undefined;
  },
  deps: SecretDeps,
): Promise<SecretMetadata> => {
  assertWorkspaceAccess(input.principal, input.org, input.workspace);
  const envVar = input.envVar ?? defaultEnvVar(input.id);
  const problem = envVarProblem(envVar);
  if (problem !== null) {
    const given = input.envVar !== undefined;
    throw new ValidationError([
      {
        loc: given ? ['body', 'env_var'] : ['path', 'secret_id'],
        msg: given ? problem : `${problem}; pass another env_var`,
        type: 'invalid_env_var',
      },
    ]);
  }
  const existing = await deps.metadata.get(input.org, input.workspace, input.id);
  const valueRef = await deps.values.put(input.org, input.workspace, input.id, input.value);
  const now = deps.clock.now().toISOString();
  const metadata: SecretMetadata = {
    org: input.org,
    workspace: input.workspace,
    id: input.id,
    envVar,
    preview: previewOf(input.value),
    valueRef,
    createdAt: existing?.createdAt ?? now,
    updatedAt: now,
  };
  await deps.metadata.put(metadata);
  return metadata;
};

export const listSecrets = async (
  input: SecretAddress,
  deps: Pick<SecretDeps, 'metadata'>,
): Promise<SecretMetadata[]> => {
  assertWorkspaceAccess(input.principal, input.org, input.workspace);
  const secrets = await deps.metadata.list(input.org, input.workspace);
  return secrets.sort((a, b) => a.id.localeCompare(b.id));
};

export const deleteSecret = async (
  input: SecretAddress & { readonly id: string },
  deps: SecretDeps,
): Promise<void> => {
  assertWorkspaceAccess(input.principal, input.org, input.workspace);
  const existing = await deps.metadata.get(input.org, input.workspace, input.id);
  if (existing === null) throw new SecretNotFoundError(input.id);
  await deps.metadata.delete(input.org, input.workspace, input.id);
  await deps.values.delete(existing.valueRef);
};
