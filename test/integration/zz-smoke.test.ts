import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { expect, it } from 'vitest';
it('lists', async () => {
  const c = new DynamoDBClient({});
  const r = await c.send(new ListTablesCommand({}));
  expect(r.TableNames).toContain('taskenv-test');
});
