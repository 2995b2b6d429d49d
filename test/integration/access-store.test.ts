import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { DynamoAccessStore } from '#adapters/aws/dynamodb/access-store';
import { createDocumentClient } from '#adapters/aws/dynamodb/client';
import { DynamoEnvironmentStore } from '#adapters/aws/dynamodb/environment-store';
import { apiKeyKey, orgKey } from '#adapters/aws/dynamodb/keys';
import { type ApiKeyRecord, generateApiKey } from '#domain/principal';
import { makeEnvironment, uniqueName } from '#test/support/factories';

const tableName = process.env.TABLE_NAME ?? 'missing TABLE_NAME';
const client = createDocumentClient();
const store = new DynamoAccessStore({ client, tableName });

const makeApiKey = (overrides: Partial<ApiKeyRecord> = {}): ApiKeyRecord => {
  const { keyId, keyHash } = generateApiKey();
  return {
    keyId,
    keyHash,
    org: uniqueName('org'),
    role: 'member',
    workspaces: ['default', 'research'],
    createdAt: new Date().toISOString(),
    revoked: false,
    ...overrides,
  };
};

describe('DynamoAccessStore', () => {
  describe('API keys', () => {
    it('finds a key by its hash', async () => {
      const record = makeApiKey({ role: 'admin', workspaces: ['*'] });

      await store.putApiKey(record);

      expect(await store.getApiKey(record.keyHash)).toEqual(record);
      expect(await store.getApiKey(generateApiKey().keyHash)).toBeNull();
    });

    it('revokes a key, and only that key', async () => {
      // Prepare
      const revoked = makeApiKey();
      const kept = makeApiKey({ org: revoked.org });
      await Promise.all([store.putApiKey(revoked), store.putApiKey(kept)]);

      // Act
      await store.revokeApiKey(revoked.keyHash);

      // Assess
      expect(await store.getApiKey(revoked.keyHash)).toEqual({ ...revoked, revoked: true });
      expect(await store.getApiKey(kept.keyHash)).toEqual(kept);
    });

    it('revokes an unknown key without creating anything', async () => {
      const { keyHash } = generateApiKey();

      await store.revokeApiKey(keyHash);

      const { Item } = await client.send(new GetCommand({ TableName: tableName, Key: apiKeyKey(keyHash) }));
      expect(Item).toBeUndefined();
    });
  });

  describe('orgs', () => {
    it('creates an org with a running count of 0', async () => {
      const org = {
        org: uniqueName('org'),
        maxConcurrentEnvironments: 5,
        maxLifetimeSec: 3600,
        createdAt: '2030-01-01T00:00:00.000Z',
      };

      await store.putOrg(org);

      expect(await store.getOrg(org.org)).toEqual({ ...org, runningCount: 0 });
      expect(await store.getOrg(uniqueName('org'))).toBeNull();
    });

    it('changes the limits but keeps the running count and the creation time', async () => {
      // Prepare
      const org = uniqueName('org');
      await store.putOrg({
        org,
        maxConcurrentEnvironments: 5,
        maxLifetimeSec: 3600,
        createdAt: '2030-01-01T00:00:00.000Z',
      });
      const environments = new DynamoEnvironmentStore({ client, tableName });
      await environments.create(makeEnvironment({ org }), { limit: 5 });
      await environments.create(makeEnvironment({ org }), { limit: 5 });

      // Act
      await store.putOrg({
        org,
        maxConcurrentEnvironments: 10,
        maxLifetimeSec: 7200,
        createdAt: '2031-06-01T00:00:00.000Z',
      });

      // Assess
      expect(await store.getOrg(org)).toEqual({
        org,
        maxConcurrentEnvironments: 10,
        maxLifetimeSec: 7200,
        runningCount: 2,
        createdAt: '2030-01-01T00:00:00.000Z',
      });
    });

    it('reads an org that only has a quota counter as not configured', async () => {
      const org = uniqueName('org');
      await client.send(
        new UpdateCommand({
          TableName: tableName,
          Key: orgKey(org),
          UpdateExpression: 'SET runningCount = :one',
          ExpressionAttributeValues: { ':one': 1 },
        }),
      );

      expect(await store.getOrg(org)).toBeNull();
    });
  });
});
