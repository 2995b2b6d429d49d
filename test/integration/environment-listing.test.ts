import { BatchWriteCommand, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { createDocumentClient } from '#adapters/aws/dynamodb/client';
import { environmentItem } from '#adapters/aws/dynamodb/environment-item';
import { DynamoEnvironmentStore } from '#adapters/aws/dynamodb/environment-store';
import { counterKeys } from '#adapters/aws/dynamodb/keys';
import { type EnvironmentRecord, type EnvironmentState, environmentStates } from '#domain/environment';
import type { EnvironmentQuery } from '#ports/environment-store';
import { makeEnvironment, uniqueName } from '#test/support/factories';

const tableName = process.env.TABLE_NAME ?? 'missing TABLE_NAME';
const client = createDocumentClient();
const store = new DynamoEnvironmentStore({ client, tableName });
const quota = { limit: 100_000 };

const counters = async (env: { org: string; workspace: string; projectId: string }) => {
  const [ws, project] = await Promise.all(
    counterKeys(env).map(
      async (Key) =>
        (await client.send(new GetCommand({ TableName: tableName, Key, ConsistentRead: true }))).Item ?? {},
    ),
  );
  const pick = (item: Record<string, unknown>) =>
    Object.fromEntries(environmentStates.map((s) => [s, typeof item[s] === 'number' ? item[s] : 0]));
  return { workspace: pick(ws ?? {}), project: pick(project ?? {}) };
};

/** What a full read of the workspace answers: every record, filtered and sorted in memory. */
const fullRead = (records: readonly EnvironmentRecord[], query: EnvironmentQuery) => {
  const matches = records
    .filter((r) => query.states === undefined || query.states.includes(r.state))
    .filter((r) => query.projectId === undefined || r.projectId === query.projectId)
    .sort((a, b) => {
      const [ka, kb] = [`${a.createdAt}#${a.id}`, `${b.createdAt}#${b.id}`];
      return ka < kb ? 1 : ka > kb ? -1 : 0;
    });
  const start = (query.page - 1) * query.limit;
  return { ids: matches.slice(start, start + query.limit).map((r) => r.id), total: matches.length };
};

describe('environment list counters', () => {
  it('stay exact under concurrent creates and transitions of one workspace', async () => {
    const base = makeEnvironment();
    const records = Array.from({ length: 24 }, (_, i) =>
      makeEnvironment({
        org: base.org,
        workspace: base.workspace,
        projectId: i % 2 === 0 ? 'alpha' : 'beta',
      }),
    );

    await Promise.all(records.map((r) => store.create(r, quota)));
    // Every environment moves at once: a third to provisioning then ready, a third to failed, a
    // third twice to torn_down (the second attempt must change nothing).
    await Promise.all(
      records.map(async (r, i) => {
        if (i % 3 === 0) {
          await store.transition(r.id, { to: 'provisioning' });
          await store.transition(r.id, { to: 'ready' });
        } else if (i % 3 === 1) {
          await store.transition(r.id, { to: 'failed' });
        } else {
          await Promise.all([
            store.transition(r.id, { to: 'torn_down' }),
            store.transition(r.id, { to: 'torn_down' }),
          ]);
        }
      }),
    );

    const stored = await Promise.all(records.map(async (r) => store.get(r.id)));
    const count = (state: EnvironmentState, projectId?: string) =>
      stored.filter((r) => r?.state === state && (projectId === undefined || r.projectId === projectId))
        .length;
    const alpha = await counters({ ...base, projectId: 'alpha' });
    for (const state of environmentStates) {
      expect(alpha.workspace[state]).toBe(count(state));
      expect(alpha.project[state]).toBe(count(state, 'alpha'));
    }
    expect(alpha.workspace.ready).toBe(8);
    expect(alpha.workspace.failed).toBe(8);
    expect(alpha.workspace.torn_down).toBe(8);
    const page = await store.list({
      org: base.org,
      workspace: base.workspace,
      states: ['ready'],
      page: 1,
      limit: 50,
    });
    expect(page.total).toBe(8);
    expect(page.items.map((r) => r.state)).toEqual(Array(8).fill('ready'));
  });
});

describe('environment list at 10,000 environments', () => {
  const org = uniqueName('org');
  const workspace = uniqueName('ws');
  const records: EnvironmentRecord[] = [];

  beforeAll(async () => {
    const start = Date.parse('2026-01-01T00:00:00.000Z');
    const projects = ['alpha', 'beta', 'gamma'];
    for (let i = 0; i < 10_000; i++) {
      const createdAt = new Date(start + Math.floor(i / 2) * 1_000).toISOString(); // ties on purpose
      records.push(
        makeEnvironment({
          org,
          workspace,
          projectId: projects[i % 3] ?? 'alpha',
          state: environmentStates[(i * 7) % environmentStates.length] ?? 'building',
          createdAt,
          updatedAt: createdAt,
        }),
      );
    }
    // Seeded with the real item codec, 25 at a time, a few batches in flight.
    const batches: EnvironmentRecord[][] = [];
    for (let i = 0; i < records.length; i += 25) batches.push(records.slice(i, i + 25));
    const write = async (batch: EnvironmentRecord[]) => {
      let requests: Record<string, unknown>[] = batch.map((r) => ({
        PutRequest: { Item: environmentItem(r) },
      }));
      while (requests.length > 0) {
        const { UnprocessedItems } = await client.send(
          new BatchWriteCommand({ RequestItems: { [tableName]: requests as never } }),
        );
        requests = (UnprocessedItems?.[tableName] ?? []) as Record<string, unknown>[];
      }
    };
    for (let i = 0; i < batches.length; i += 8) await Promise.all(batches.slice(i, i + 8).map(write));
    // The counters a create of each would have left.
    const tally = new Map<string, Map<string, number>>();
    for (const r of records) {
      for (const key of counterKeys(r)) {
        const id = JSON.stringify(key);
        const states = tally.get(id) ?? new Map<string, number>();
        states.set(r.state, (states.get(r.state) ?? 0) + 1);
        tally.set(id, states);
      }
    }
    await Promise.all(
      [...tally].map(([key, states]) =>
        client.send(
          new UpdateCommand({
            TableName: tableName,
            Key: JSON.parse(key) as Record<string, string>,
            UpdateExpression: `SET ${[...states.keys()].map((_, i) => `#s${i} = :n${i}`).join(', ')}`,
            ExpressionAttributeNames: Object.fromEntries([...states.keys()].map((s, i) => [`#s${i}`, s])),
            ExpressionAttributeValues: Object.fromEntries([...states.values()].map((n, i) => [`:n${i}`, n])),
          }),
        ),
      ),
    );
  }, 240_000);

  const filters: { name: string; states?: EnvironmentState[]; projectId?: string }[] = [
    { name: 'no filter' },
    { name: 'one state', states: ['ready'] },
    { name: 'several states', states: ['building', 'failed', 'torn_down'] },
    { name: 'a project', projectId: 'beta' },
    { name: 'a project and a state', projectId: 'gamma', states: ['paused'] },
    { name: 'a project and several states', projectId: 'alpha', states: ['ready', 'provisioning'] },
    { name: 'a project with no environments', projectId: 'nobody' },
  ];

  for (const filter of filters) {
    it(`answers the same pages and total as a full read: ${filter.name}`, async () => {
      for (const [page, limit] of [
        [1, 50],
        [2, 50],
        [7, 200],
        [40, 37],
      ] as const) {
        const query: EnvironmentQuery = {
          org,
          workspace,
          page,
          limit,
          ...(filter.states === undefined ? {} : { states: filter.states }),
          ...(filter.projectId === undefined ? {} : { projectId: filter.projectId }),
        };
        const expected = fullRead(records, query);
        const answer = await store.list(query);
        expect(answer.total).toBe(expected.total);
        expect(answer.items.map((r) => r.id)).toEqual(expected.ids);
      }
    });
  }
});
