/**
 * `taskenv admin bootstrap`: the first org and its admin key, written straight to the table, since
 * no API call can be made before a key exists. Uses the caller's AWS credentials.
 */
import { DynamoAccessStore } from '#adapters/aws/dynamodb/access-store';
import { createDocumentClient } from '#adapters/aws/dynamodb/client';
import { defaultOrgLimits } from '#domain/org';
import { generateApiKey } from '#domain/principal';
import type { AccessStore } from '#ports/access-store';

export interface AdminBootstrapOptions {
  readonly org: string;
  readonly tableName: string;
  /** @default the SDK's own resolution (`AWS_REGION`, profile) */
  readonly region?: string | undefined;
  /** Injected by tests; built from `tableName` and `region` otherwise. */
  readonly store?: AccessStore;
  readonly now?: () => Date;
}

export interface AdminBootstrapResult {
  readonly org: string;
  /** Created now, or already there (its limits are then left alone). */
  readonly orgCreated: boolean;
  readonly keyId: string;
  /** The only time the plaintext exists outside the caller's hands: only its hash is stored. */
  readonly key: string;
}

/** Creates `org` with the default limits unless it exists, then a new admin key for all its workspaces. */
export const runAdminBootstrap = async (options: AdminBootstrapOptions): Promise<AdminBootstrapResult> => {
  const store =
    options.store ??
    new DynamoAccessStore({
      client: createDocumentClient(options.region === undefined ? {} : { region: options.region }),
      tableName: options.tableName,
    });
  const createdAt = (options.now?.() ?? new Date()).toISOString();

  const existing = await store.getOrg(options.org);
  if (existing === null) {
    await store.putOrg({ org: options.org, ...defaultOrgLimits, createdAt });
  }
  const { key, keyId, keyHash } = generateApiKey();
  await store.putApiKey({
    keyId,
    keyHash,
    org: options.org,
    role: 'admin',
    workspaces: ['*'],
    createdAt,
    revoked: false,
  });
  return { org: options.org, orgCreated: existing === null, keyId, key };
};
