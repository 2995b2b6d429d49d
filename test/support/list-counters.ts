/**
 * The list counters of a workspace next to what a full read of it finds: the check that `total`
 * is exact (`docs/architecture.md`, "Listing"). Both sides as `{ "<scope>": { "<state>": n } }`,
 * scope `workspace` or `project:<id>`, zero counts left out.
 */
import { type DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { queryAll } from '#adapters/aws/dynamodb/client';
import { counterKeys, workspaceEnvironmentsPk } from '#adapters/aws/dynamodb/keys';
import { environmentStates } from '#domain/environment';

type Tally = Record<string, Record<string, number>>;

export const listCountersAndFullRead = async (
  client: DynamoDBDocumentClient,
  tableName: string,
  org: string,
  workspace: string,
): Promise<{ counters: Tally; fullRead: Tally }> => {
  // The full read: every environment of the workspace (gsi1 projects state and project of each).
  const items = await queryAll(client, {
    TableName: tableName,
    IndexName: 'gsi1',
    KeyConditionExpression: 'gsi1pk = :pk',
    ExpressionAttributeValues: { ':pk': workspaceEnvironmentsPk(org, workspace) },
  });
  const fullRead: Tally = {};
  const add = (scope: string, state: string) => {
    const states = fullRead[scope] ?? {};
    states[state] = (states[state] ?? 0) + 1;
    fullRead[scope] = states;
  };
  const projects = new Set<string>();
  for (const item of items) {
    add('workspace', String(item.state));
    add(`project:${String(item.projectId)}`, String(item.state));
    projects.add(String(item.projectId));
  }

  const counters: Tally = {};
  const read = async (scope: string, key: { pk: string; sk: string }) => {
    const { Item } = await client.send(
      new GetCommand({ TableName: tableName, Key: key, ConsistentRead: true }),
    );
    for (const state of environmentStates) {
      const count = Item?.[state];
      if (typeof count === 'number' && count !== 0) counters[scope] = { ...counters[scope], [state]: count };
    }
  };
  await read('workspace', counterKeys({ org, workspace, projectId: '' })[0]);
  await Promise.all(
    [...projects].map((projectId) =>
      read(`project:${projectId}`, counterKeys({ org, workspace, projectId })[1]),
    ),
  );
  return { counters, fullRead };
};
