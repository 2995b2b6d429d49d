/**
 * `taskenv admin bootstrap` against a real table (DynamoDB Local standing in for the deployed
 * one): the key it prints authenticates through the same authorizer the API runs, and a second
 * bootstrap adds a key without touching the org's limits.
 */
import { expect, it } from 'vitest';
import { DynamoAccessStore } from '#adapters/aws/dynamodb/access-store';
import { createDocumentClient } from '#adapters/aws/dynamodb/client';
import { runAdminBootstrap } from '#cli/admin-bootstrap';
import { uniqueName } from '#test/support/factories';
import { authenticate } from '#use-cases/authenticate';

const tableName = process.env.TABLE_NAME ?? 'taskenv-test';
const access = new DynamoAccessStore({ client: createDocumentClient(), tableName });

it('creates the org and an admin key that the authorizer accepts', async () => {
  // Prepare
  const org = uniqueName('boot');

  // Act
  const result = await runAdminBootstrap({ org, tableName });

  // Assess
  expect(result.orgCreated).toBe(true);
  await expect(authenticate(`Bearer ${result.key}`, { access })).resolves.toEqual({
    keyId: result.keyId,
    org,
    role: 'admin',
    workspaces: ['*'],
  });
  expect(await access.getOrg(org)).toMatchObject({ org, runningCount: 0 });
});

it('keeps an existing org and its limits on a second bootstrap, and both keys work', async () => {
  // Prepare
  const org = uniqueName('boot');
  await access.putOrg({
    org,
    maxConcurrentEnvironments: 7,
    maxLifetimeSec: 1234,
    createdAt: new Date().toISOString(),
  });
  const first = await runAdminBootstrap({ org, tableName });

  // Act
  const second = await runAdminBootstrap({ org, tableName });

  // Assess
  expect(second.orgCreated).toBe(false);
  expect(await access.getOrg(org)).toMatchObject({ maxConcurrentEnvironments: 7, maxLifetimeSec: 1234 });
  await expect(authenticate(`Bearer ${first.key}`, { access })).resolves.toMatchObject({ org });
  await expect(authenticate(`Bearer ${second.key}`, { access })).resolves.toMatchObject({ org });
});
