import { DeleteCommand, GetCommand } from '@aws-sdk/lib-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { describe, expect, it } from 'vitest';
import { createDocumentClient } from '#adapters/aws/dynamodb/client';
import { DynamoEnvironmentStore } from '#adapters/aws/dynamodb/environment-store';
import { counterKeys, environmentKey } from '#adapters/aws/dynamodb/keys';
import { countRemovals } from '#adapters/aws/dynamodb/ttl-removals';
import { makeEnvironment } from '#test/support/factories';

const tableName = process.env.TABLE_NAME ?? 'missing TABLE_NAME';
const client = createDocumentClient();
const store = new DynamoEnvironmentStore({ client, tableName });

describe('list counters when TTL removes finished environments', () => {
  it('counts each removal once, even when its stream record comes twice', async () => {
    const base = makeEnvironment();
    const records = [0, 1, 2].map(() => makeEnvironment({ org: base.org, workspace: base.workspace }));
    await Promise.all(records.map((r) => store.create(r, { limit: 10 })));
    await Promise.all(records.map((r) => store.transition(r.id, { to: 'torn_down' })));

    // What TTL does: delete the item; the stream then carries its old image.
    const removed = [];
    for (const r of records.slice(0, 2)) {
      const { Attributes } = await client.send(
        new DeleteCommand({ TableName: tableName, Key: environmentKey(r.id), ReturnValues: 'ALL_OLD' }),
      );
      removed.push({ eventName: 'REMOVE', dynamodb: { OldImage: marshall(Attributes ?? {}) } });
    }
    const deps = { client, tableName, now: new Date() };
    const counted = await countRemovals(
      [...removed, { eventName: 'MODIFY', dynamodb: {} }, removed[0] ?? {}],
      deps,
    );
    const again = await countRemovals(removed, deps);

    const [workspaceKey, projectKey] = counterKeys(base);
    const read = async (Key: { pk: string; sk: string }) =>
      (await client.send(new GetCommand({ TableName: tableName, Key, ConsistentRead: true }))).Item;
    expect(counted).toBe(2);
    expect(again).toBe(0);
    expect((await read(workspaceKey))?.torn_down).toBe(1);
    expect((await read(projectKey))?.torn_down).toBe(1);
    const page = await store.list({ org: base.org, workspace: base.workspace, page: 1, limit: 50 });
    expect(page.total).toBe(1);
    expect(page.items.map((r) => r.id)).toEqual([records[2]?.id]);
  });
});
