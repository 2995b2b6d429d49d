/**
 * A service table kept from before gsi6 (a local data dir, or a deployed table) gains the index
 * and lists page 1 from it, items written before the index included.
 */
import { CreateTableCommand, DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { expect, it } from 'vitest';
import { createDocumentClient } from '#adapters/aws/dynamodb/client';
import { DynamoEnvironmentStore } from '#adapters/aws/dynamodb/environment-store';
import { createTableInput } from '#adapters/aws/dynamodb/table';
import { ensureTables } from '#adapters/local/dynamodb-local';
import { makeEnvironment, summaryOf, uniqueName } from '#test/support/factories';

const endpoint = process.env.AWS_ENDPOINT_URL_DYNAMODB ?? 'missing endpoint';

it('adds the indexes a kept table lacks, filled from the items already in it', async () => {
  // Prepare: the table as it was before gsi6, with an environment in it.
  const tableName = uniqueName('upgrade');
  const raw = new DynamoDBClient({});
  const current = createTableInput(tableName);
  await raw.send(
    new CreateTableCommand({
      ...current,
      GlobalSecondaryIndexes: current.GlobalSecondaryIndexes?.filter((index) => index.IndexName !== 'gsi6'),
    }),
  );
  const store = new DynamoEnvironmentStore({ client: createDocumentClient(), tableName });
  const before = makeEnvironment({ org: uniqueName('org'), workspace: 'default' });
  await store.create(before, { limit: 10 });

  // Act
  await ensureTables(endpoint, { table: tableName, idempotencyTable: `${tableName}-idempotency` });
  await ensureTables(endpoint, { table: tableName, idempotencyTable: `${tableName}-idempotency` });

  // Assess
  const { Table } = await raw.send(new DescribeTableCommand({ TableName: tableName }));
  expect(Table?.GlobalSecondaryIndexes?.map((index) => index.IndexName).sort()).toEqual(
    current.GlobalSecondaryIndexes?.map((index) => index.IndexName).sort(),
  );
  const page = await store.list({ org: before.org, workspace: 'default', page: 1, limit: 50 });
  expect(page.total).toBe(1);
  expect(page.items).toEqual([summaryOf(before)]);
  raw.destroy();
});
