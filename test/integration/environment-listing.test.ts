import { BatchWriteCommand, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { createDocumentClient, queryAll } from '#adapters/aws/dynamodb/client';
import { environmentItem, fromSummaryItem } from '#adapters/aws/dynamodb/environment-item';
import { DynamoEnvironmentStore } from '#adapters/aws/dynamodb/environment-store';
import { counterKeys, environmentFilterKeys, workspaceEnvironmentsPk } from '#adapters/aws/dynamodb/keys';
import {
  type EnvironmentRecord,
  type EnvironmentState,
  type EnvironmentSummary,
  environmentStates,
} from '#domain/environment';
import type { EnvironmentQuery } from '#ports/environment-store';
import { makeEnvironment, summaryOf, uniqueName } from '#test/support/factories';

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

/** What a full read of the workspace answers: every environment, filtered and sorted in memory. */
const fullRead = (records: readonly EnvironmentSummary[], query: EnvironmentQuery) => {
  const matches = records
    .filter((r) => query.states === undefined || query.states.includes(r.state))
    .filter((r) => query.projectId === undefined || r.projectId === query.projectId)
    .sort((a, b) => {
      const [ka, kb] = [`${a.createdAt}#${a.id}`, `${b.createdAt}#${b.id}`];
      return ka < kb ? 1 : ka > kb ? -1 : 0;
    });
  const start = (query.page - 1) * query.limit;
  const items = matches.slice(start, start + query.limit);
  return { items, ids: items.map((r) => r.id), total: matches.length };
};

/** A store on a client of its own that notes each call and how many items or keys DynamoDB read for it. */
const countingStore = () => {
  const reads: { command: string; index?: string; read: number }[] = [];
  const counted = createDocumentClient();
  counted.middlewareStack.add(
    (next, context) => async (args) => {
      const result = await next(args);
      const output = result.output as {
        Item?: unknown;
        ScannedCount?: number;
        Responses?: Record<string, unknown[]>;
      };
      const input = args.input as { IndexName?: string };
      reads.push({
        command: context.commandName ?? 'unknown',
        ...(input.IndexName === undefined ? {} : { index: input.IndexName }),
        read:
          output.ScannedCount ??
          Object.values(output.Responses ?? {}).reduce((n, items) => n + items.length, 0) +
            (output.Item === undefined ? 0 : 1),
      });
      return result;
    },
    { step: 'initialize', name: 'listReads' },
  );
  return { reads, store: new DynamoEnvironmentStore({ client: counted, tableName }) };
};

describe('environment list counters', () => {
  // 24 moves on the same two counter items collide and back off (retryOnConflict): 14-17 s on a
  // loaded 2-CPU machine, past the default 20 s when other test files run beside it.
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
  }, 60_000);
});

describe('environment list while the indexes lag', () => {
  it('lists an environment once when an index still has it under the state it left', async () => {
    // Prepare: three environments; the middle one moved to ready, and the index still holds its
    // old `building` key too (a stale index entry, as eventually consistent indexes keep one for
    // a moment: here an index-only item naming the same environment).
    const base = makeEnvironment();
    const records = [0, 1, 2].map((i) =>
      makeEnvironment({
        org: base.org,
        workspace: base.workspace,
        createdAt: new Date(Date.parse('2026-01-01T00:00:00.000Z') + i * 1000).toISOString(),
      }),
    );
    for (const r of records) await store.create(r, quota);
    const moved = records[1] as EnvironmentRecord;
    await store.transition(moved.id, { to: 'provisioning' });
    const stale = environmentFilterKeys({ ...moved, state: 'building' });
    await client.send(
      new PutCommand({
        TableName: tableName,
        Item: { pk: `ENV#${moved.id}`, sk: 'STALE-INDEX-ENTRY', gsi4pk: stale.gsi4pk, gsi4sk: stale.gsi4sk },
      }),
    );

    // Act: the states the stale entry and the move span (a merge of two keys-only partitions),
    // and the unfiltered page 1 (gsi6, which the stale entry is not in).
    const merged = await store.list({
      org: base.org,
      workspace: base.workspace,
      states: ['building', 'provisioning'],
      page: 1,
      limit: 50,
    });
    const unfiltered = await store.list({ org: base.org, workspace: base.workspace, page: 1, limit: 50 });

    // Assess: each environment once, newest first, and the total from the counters.
    const newestFirst = [...records].reverse().map((r) => r.id);
    expect(merged.items.map((r) => r.id)).toEqual(newestFirst);
    expect(merged.items.map((r) => r.state)).toEqual(['building', 'provisioning', 'building']);
    expect(merged.total).toBe(3);
    expect(unfiltered.items.map((r) => r.id)).toEqual(newestFirst);
    expect(unfiltered.total).toBe(3);
  });
});

describe('environment list page past one DynamoDB response', () => {
  it('still holds `limit` items when they pass 1 MB (page 1 without a filter)', async () => {
    // Prepare: 210 environments of ~6 KB each (a long instruction, which the listing index
    // projects): 200 of them are ~1.2 MB, more than one Query answers.
    const base = makeEnvironment();
    const records = Array.from({ length: 210 }, (_, i) =>
      makeEnvironment({
        org: base.org,
        workspace: base.workspace,
        createdAt: new Date(Date.parse('2026-01-01T00:00:00.000Z') + i * 1000).toISOString(),
        instruction: `${'x'.repeat(6_000)} ${i}`,
      }),
    );
    for (let i = 0; i < records.length; i += 30) {
      await Promise.all(records.slice(i, i + 30).map((r) => store.create(r, quota)));
    }
    const { reads, store: countedStore } = countingStore();
    const query: EnvironmentQuery = { org: base.org, workspace: base.workspace, page: 1, limit: 200 };

    // Act
    const page = await countedStore.list(query);

    // Assess: the 200 newest, as a full read has them, read in more than one Query.
    expect(page.total).toBe(210);
    expect(page.items).toEqual(fullRead(records.map(summaryOf), query).items);
    expect(reads.filter((r) => r.command === 'QueryCommand').length).toBeGreaterThan(1);
  }, 60_000);
});

describe('environment list at 10,000 environments', () => {
  const org = uniqueName('org');
  const workspace = uniqueName('ws');
  const records: EnvironmentRecord[] = [];
  let stored: EnvironmentSummary[] = [];

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
    // The oracle is the table itself: every environment of the workspace (gsi1, whole items, read as summaries).
    stored = (
      await queryAll(client, {
        TableName: tableName,
        IndexName: 'gsi1',
        KeyConditionExpression: 'gsi1pk = :pk',
        ExpressionAttributeValues: { ':pk': workspaceEnvironmentsPk(org, workspace) },
      })
    ).map(fromSummaryItem);
    expect(stored).toHaveLength(10_000);
    expect(stored).toEqual(expect.arrayContaining(records.slice(0, 3).map(summaryOf)));
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

  it('reads about one page for page 1 of every filter, and the unfiltered page 1 in one Query', async () => {
    const { reads, store: countedStore } = countingStore();
    const limit = 50;

    for (const filter of filters) {
      reads.length = 0;
      const query: EnvironmentQuery = {
        org,
        workspace,
        page: 1,
        limit,
        ...(filter.states === undefined ? {} : { states: filter.states }),
        ...(filter.projectId === undefined ? {} : { projectId: filter.projectId }),
      };
      expect((await countedStore.list(query)).items).toEqual(fullRead(stored, query).items);
      const states = filter.states?.length ?? environmentStates.length;
      const read = reads.reduce((n, r) => n + r.read, 0);
      // At most `limit` keys of each state, `limit` items and the counter item: not the 10,000.
      expect(read, filter.name).toBeLessThanOrEqual(states * limit + limit + 1);
      if (filter.states === undefined && filter.projectId === undefined) {
        expect(reads.map((r) => [r.command, r.index]).sort()).toEqual([
          ['GetItemCommand', undefined],
          ['QueryCommand', 'gsi6'],
        ]);
        expect(read).toBe(limit + 1);
      }
    }
  });

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
        const expected = fullRead(stored, query);
        const answer = await store.list(query);
        expect(answer.total).toBe(expected.total);
        expect(answer.items.map((r) => r.id)).toEqual(expected.ids);
        expect(answer.items).toEqual(expected.items);
      }
    });
  }
});
