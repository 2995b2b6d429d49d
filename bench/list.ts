/**
 * Figure 5, list: `GET …/environments?limit=50` through the gateway, the authorizer and the
 * environments-read handler, in a workspace of 10 environments and one of 10,000, interleaved.
 * Floor (docs/design.md): p50 at 10,000 ≤ 1.5× p50 at 10. Also reported (info): page 1 with
 * `limit=10` (10 items on both sides, so only the workspace's size differs), the raw Query page 1
 * makes (DynamoDB Local's own growth for the same call), `?state=ready` and a deep page. The workspaces are seeded fast: items built by the store's own codec
 * (`environmentItem`), written with BatchWriteItem, and the list counters (and the org's quota
 * counter) set to what was written, so `total` is exact; each run checks it is.
 */
import { randomUUID } from 'node:crypto';
import { BatchWriteCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { environmentItem } from '#adapters/aws/dynamodb/environment-item';
import { counterKeys, orgKey, workspaceEnvironmentsPk } from '#adapters/aws/dynamodb/keys';
import { type EnvironmentRecord, type EnvironmentState, isFinal } from '#domain/environment';
import type { Gateway } from '#local/gateway';
import { compareToFloor, type FloorComparison } from './stats.ts';
import { BENCH_ORG, BENCH_WORKSPACE, type World } from './world.ts';

export interface ListVariant {
  readonly name: string;
  readonly query: string;
  readonly comparison: FloorComparison;
  /** Whether docs/design.md puts a floor on it (page 1 unfiltered) or it is reported only. */
  readonly gated: boolean;
}

export interface ListResult {
  readonly small: number;
  readonly large: number;
  readonly requests: number;
  readonly seedSeconds: number;
  readonly variants: readonly ListVariant[];
  readonly notes: readonly string[];
}

/** Of every 100 environments: most finished (they stay 30 days), a few live. */
const MIX: readonly (readonly [EnvironmentState, number])[] = [
  ['torn_down', 88],
  ['failed', 4],
  ['ready', 6],
  ['provisioning', 1],
  ['building', 1],
];

const SMALL_MIX: readonly EnvironmentState[] = [
  'torn_down',
  'torn_down',
  'torn_down',
  'torn_down',
  'torn_down',
  'failed',
  'ready',
  'ready',
  'provisioning',
  'building',
];

const stateAt = (i: number): EnvironmentState => {
  let slot = i % 100;
  for (const [state, share] of MIX) {
    if (slot < share) return state;
    slot -= share;
  }
  return 'torn_down';
};

/** `count` environments in `workspace`, cloned from `template`, newest last; counters set. */
const seed = async (world: World, template: EnvironmentRecord, workspace: string, count: number) => {
  const base = Date.parse(template.createdAt) - count * 1000;
  const counts = new Map<EnvironmentState, number>();
  const items: Record<string, unknown>[] = [];
  for (let i = 0; i < count; i++) {
    // Under 100, a coarser mix in which every state has some (`?state=ready` finds a few).
    const state = count < 100 ? (SMALL_MIX[i % SMALL_MIX.length] ?? 'torn_down') : stateAt(i);
    counts.set(state, (counts.get(state) ?? 0) + 1);
    const createdAt = new Date(base + i * 1000).toISOString();
    const record: EnvironmentRecord = {
      ...template,
      id: randomUUID(),
      workspace,
      state,
      createdAt,
      updatedAt: createdAt,
      ...(isFinal(state) ? { serviceUrls: null, stopReason: state === 'torn_down' ? 'deleted' : null } : {}),
    };
    items.push(environmentItem(record));
  }
  const batches: Record<string, unknown>[][] = [];
  for (let i = 0; i < items.length; i += 25) batches.push(items.slice(i, i + 25));
  let next = 0;
  const writer = async () => {
    for (let b = next++; b < batches.length; b = next++) {
      let pending = (batches[b] ?? []).map((Item) => ({ PutRequest: { Item } }));
      while (pending.length > 0) {
        const { UnprocessedItems } = await world.client.send(
          new BatchWriteCommand({ RequestItems: { [world.tableName]: pending } }),
        );
        pending = (UnprocessedItems?.[world.tableName] ?? []) as typeof pending;
      }
    }
  };
  await Promise.all(Array.from({ length: 6 }, writer));
  const adds = [...counts.entries()];
  const names = Object.fromEntries(adds.map(([state], i) => [`#s${i}`, state]));
  const values = Object.fromEntries(adds.map(([, n], i) => [`:n${i}`, n]));
  for (const Key of counterKeys({ org: BENCH_ORG, workspace, projectId: template.projectId })) {
    await world.client.send(
      new UpdateCommand({
        TableName: world.tableName,
        Key,
        UpdateExpression: `ADD ${adds.map((_, i) => `#s${i} :n${i}`).join(', ')}`,
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
      }),
    );
  }
  const live = adds.filter(([state]) => !isFinal(state)).reduce((sum, [, n]) => sum + n, 0);
  await world.client.send(
    new UpdateCommand({
      TableName: world.tableName,
      Key: orgKey(BENCH_ORG),
      UpdateExpression: 'ADD runningCount :n',
      ExpressionAttributeValues: { ':n': live },
    }),
  );
  return counts;
};

export const measureList = async (
  world: World,
  gateway: Gateway,
  options: {
    readonly large: number;
    readonly small: number;
    readonly requests: number;
    readonly floor: number;
    readonly progress: (line: string) => void;
  },
): Promise<ListResult> => {
  // The list shows a summary: the whole record to clone is read by id.
  const newest = (
    await world.stores.store.list({
      org: BENCH_ORG,
      workspace: BENCH_WORKSPACE,
      page: 1,
      limit: 1,
    })
  ).items[0];
  const template = newest === undefined ? null : await world.stores.store.get(newest.id);
  if (template === null) throw new Error('The list figure needs one environment in the bench world to clone');
  const small = `list-${options.small}`;
  const large = `list-${options.large}`;
  const seedStarted = performance.now();
  const smallCounts = await seed(world, template, small, options.small);
  const largeCounts = await seed(world, template, large, options.large);
  const seedSeconds = (performance.now() - seedStarted) / 1000;
  world.recorder.take();
  options.progress(
    `list: seeded ${options.small} and ${options.large} environments in ${seedSeconds.toFixed(1)} s`,
  );

  const get = async (workspace: string, query: string, expectedTotal: number): Promise<number> => {
    const started = performance.now();
    const response = await gateway.handle({
      method: 'GET',
      path: `/api/v1/org/${BENCH_ORG}/ws/${workspace}/environments`,
      query: new URLSearchParams(query),
      headers: { authorization: `Bearer ${world.apiKey}` },
    });
    const elapsed = performance.now() - started;
    if (response.statusCode !== 200)
      throw new Error(`List answered ${response.statusCode}: ${response.body}`);
    const body = JSON.parse(response.body) as { total?: unknown; environments?: unknown[] };
    if (body.total !== expectedTotal) {
      throw new Error(
        `List of ${workspace}?${query} says total ${String(body.total)}, ${expectedTotal} were seeded`,
      );
    }
    return elapsed;
  };
  const sum = (counts: Map<EnvironmentState, number>, states?: readonly EnvironmentState[]) =>
    [...counts.entries()]
      .filter(([s]) => states === undefined || states.includes(s))
      .reduce((a, [, n]) => a + n, 0);
  const request = (query: string, states?: readonly EnvironmentState[]) => ({
    small: () => get(small, query, sum(smallCounts, states)),
    large: () => get(large, query, sum(largeCounts, states)),
  });
  // DynamoDB Local's own growth: the Query page 1 makes (gsi6, newest first, the same Limit),
  // sent raw on the bench's other client; the same 10 items at 10 and 50 at 10,000.
  const rawNewest = (workspace: string, expected: number) => async () => {
    const started = performance.now();
    const { Items } = await world.rawClient.send(
      new QueryCommand({
        TableName: world.tableName,
        IndexName: 'gsi6',
        KeyConditionExpression: '#pk = :pk',
        ExpressionAttributeNames: { '#pk': 'gsi1pk' },
        ExpressionAttributeValues: { ':pk': workspaceEnvironmentsPk(BENCH_ORG, workspace) },
        ScanIndexForward: false,
        Limit: 50,
      }),
    );
    const elapsed = performance.now() - started;
    if (Items?.length !== expected) throw new Error(`Raw query of ${workspace} read ${Items?.length} items`);
    return elapsed;
  };
  // A tenth of the way down: it reads `page × limit` index keys of each state, by design.
  const deepPage = Math.max(2, Math.floor(options.large / 50 / 10));
  const deepRequests = Math.min(30, options.requests);
  const variants: {
    name: string;
    query: string;
    gated: boolean;
    requests: number;
    small: () => Promise<number>;
    large: () => Promise<number>;
  }[] = [
    {
      name: '?limit=50, page 1',
      query: 'limit=50',
      gated: true,
      requests: options.requests,
      ...request('limit=50'),
    },
    {
      // Like with like: 10 items on both sides, so only the workspace's size differs.
      name: '?limit=10, page 1 (10 items each side)',
      query: 'limit=10',
      gated: false,
      requests: options.requests,
      ...request('limit=10'),
    },
    {
      name: 'raw Query gsi6 Limit 50 (DynamoDB Local alone)',
      query: 'Query gsi6, Limit 50',
      gated: false,
      requests: options.requests,
      small: rawNewest(small, Math.min(50, options.small)),
      large: rawNewest(large, Math.min(50, options.large)),
    },
    {
      name: '?limit=50, ?state=ready',
      query: 'limit=50&state=ready',
      gated: false,
      requests: options.requests,
      ...request('limit=50&state=ready', ['ready']),
    },
    {
      name: `?limit=50, deep page (${deepPage} of ${Math.ceil(options.large / 50)}) vs page 1`,
      query: `limit=50&page=${deepPage}`,
      gated: false,
      requests: deepRequests,
      small: request('limit=50').small,
      large: request(`limit=50&page=${deepPage}`).large,
    },
  ];
  const samples = variants.map(() => ({ small: [] as number[], large: [] as number[] }));
  const warmup = Math.min(10, options.requests);
  for (let i = 0; i < warmup + options.requests; i++) {
    for (const [v, variant] of variants.entries()) {
      if (i >= warmup + variant.requests) continue;
      let s: number;
      let l: number;
      if (i % 2 === 0) {
        s = await variant.small();
        l = await variant.large();
      } else {
        l = await variant.large();
        s = await variant.small();
      }
      if (i >= warmup) {
        samples[v]?.small.push(s);
        samples[v]?.large.push(l);
      }
    }
    world.recorder.take();
    world.rawRecorder.take();
  }
  options.progress(
    `list: ${options.requests} requests of each variant, ${deepRequests} of page ${deepPage}, at each size`,
  );
  return {
    small: options.small,
    large: options.large,
    requests: options.requests,
    seedSeconds,
    variants: variants.map((variant, v) => ({
      name: variant.name,
      query: variant.query,
      gated: variant.gated,
      comparison: compareToFloor(samples[v]?.large ?? [], samples[v]?.small ?? [], options.floor),
    })),
    notes: [
      'GET /environments through the local gateway, authorizer (no cache) and environments-read handler on DynamoDB Local',
      `workspaces seeded with environmentItem (the store's codec) + BatchWriteItem; mix per 100: ${MIX.map(([s, n]) => `${n} ${s}`).join(', ')}; counters set, totals checked on every request`,
      'large and small alternate request by request; the interval is over pairs',
    ],
  };
};
