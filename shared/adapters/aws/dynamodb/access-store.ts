import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import type { OrgRecord } from '#domain/org';
import { type ApiKeyRecord, roleSchema } from '#domain/principal';
import type { AccessStore } from '#ports/access-store';
import * as z from '#shared/zod';
import { apiKeyKey, orgKey, orgKeyListKeys, orgKeysPk } from './keys.ts';
import { quotaUsage } from './org-quota.ts';

/**
 * {@link AccessStore} on the one DynamoDB table. The org's quota counter is the environment
 * store's (`org-quota.ts`: shards, plus the org item's old `runningCount`): this store writes only
 * the org's own fields, and reads the counter's sum as `runningCount`.
 */
export class DynamoAccessStore implements AccessStore {
  readonly #client: DynamoDBDocumentClient;
  readonly #tableName: string;

  constructor({ client, tableName }: { client: DynamoDBDocumentClient; tableName: string }) {
    this.#client = client;
    this.#tableName = tableName;
  }

  async getApiKey(keyHash: string): Promise<ApiKeyRecord | null> {
    // Consistent, so a revocation holds from the moment it is written (the authorizer's cache aside).
    const { Item } = await this.#client.send(
      new GetCommand({ TableName: this.#tableName, Key: apiKeyKey(keyHash), ConsistentRead: true }),
    );
    return Item === undefined ? null : fromApiKeyItem(Item);
  }

  async putApiKey(record: ApiKeyRecord): Promise<void> {
    await this.#client.send(
      new PutCommand({
        TableName: this.#tableName,
        Item: {
          ...apiKeyKey(record.keyHash),
          ...orgKeyListKeys(record),
          keyHash: record.keyHash,
          name: record.name,
          keyId: record.keyId,
          org: record.org,
          role: record.role,
          workspaces: record.workspaces,
          createdAt: record.createdAt,
          revoked: record.revoked,
        },
      }),
    );
  }

  async listApiKeys(org: string): Promise<ApiKeyRecord[]> {
    const keys: ApiKeyRecord[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.#client.send(
        new QueryCommand({
          TableName: this.#tableName,
          IndexName: 'gsi1',
          KeyConditionExpression: 'gsi1pk = :pk',
          ExpressionAttributeValues: { ':pk': orgKeysPk(org) },
          ...(start === undefined ? {} : { ExclusiveStartKey: start }),
        }),
      );
      for (const item of page.Items ?? []) keys.push(fromApiKeyItem(item));
      start = page.LastEvaluatedKey;
    } while (start !== undefined);
    return keys;
  }

  async revokeApiKey(keyHash: string): Promise<void> {
    try {
      await this.#client.send(
        new UpdateCommand({
          TableName: this.#tableName,
          Key: apiKeyKey(keyHash),
          UpdateExpression: 'SET revoked = :true',
          // Without it, revoking an unknown hash would create a stray item holding only the flag.
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeValues: { ':true': true },
        }),
      );
    } catch (error) {
      // Revoking a key that does not exist leaves the same outcome: no usable key.
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }

  /**
   * @returns null also when only the counter exists (environments were created for an org that
   *   was never put): such an org has no limits of its own, so callers apply the defaults.
   */
  async getOrg(org: string): Promise<OrgRecord | null> {
    const [{ Item }, runningCount] = await Promise.all([
      this.#client.send(
        new GetCommand({ TableName: this.#tableName, Key: orgKey(org), ConsistentRead: true }),
      ),
      quotaUsage(this.#client, this.#tableName, org),
    ]);
    if (Item === undefined || !('maxConcurrentEnvironments' in Item)) return null;
    const { maxPoolTasks, runningCount: _legacy, ...parsed } = orgSchema.parse(Item);
    return {
      ...parsed,
      runningCount,
      ...(maxPoolTasks === undefined ? {} : { maxPoolTasks }),
    };
  }

  async ping(): Promise<void> {
    // A key that is never written: one cheap GetItem that exercises the table and the credentials.
    await this.#client.send(
      new GetCommand({ TableName: this.#tableName, Key: { pk: 'HEALTH', sk: 'HEALTH' } }),
    );
  }

  async putOrg(record: Omit<OrgRecord, 'runningCount'>): Promise<void> {
    await this.#client.send(
      new UpdateCommand({
        TableName: this.#tableName,
        Key: orgKey(record.org),
        // An update, not a put: the item also holds the quota counter, which must survive.
        UpdateExpression:
          'SET #org = :org, maxConcurrentEnvironments = :max, maxLifetimeSec = :lifetime, createdAt = if_not_exists(createdAt, :createdAt)' +
          (record.maxPoolTasks === undefined ? '' : ', maxPoolTasks = :pool'),
        ExpressionAttributeNames: { '#org': 'org' },
        ExpressionAttributeValues: {
          ':org': record.org,
          ':max': record.maxConcurrentEnvironments,
          ':lifetime': record.maxLifetimeSec,
          ':createdAt': record.createdAt,
          ...(record.maxPoolTasks === undefined ? {} : { ':pool': record.maxPoolTasks }),
        },
      }),
    );
  }
}

const apiKeySchema = z.object({
  keyHash: z.string(),
  name: z.optional(z.string()),
  keyId: z.string(),
  org: z.string(),
  role: roleSchema,
  workspaces: z.array(z.string()),
  createdAt: z.string(),
  revoked: z.boolean(),
});

const fromApiKeyItem = (item: Record<string, unknown>): ApiKeyRecord => {
  const { name, ...rest } = apiKeySchema.parse(item);
  return name === undefined ? rest : { ...rest, name };
};

const orgSchema = z.object({
  org: z.string(),
  maxConcurrentEnvironments: z.number(),
  maxLifetimeSec: z.number(),
  runningCount: z.optional(z.number()),
  maxPoolTasks: z.optional(z.number()),
  createdAt: z.string(),
});
