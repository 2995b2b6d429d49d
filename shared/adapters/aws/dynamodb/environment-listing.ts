import {
  BatchGetCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  QueryCommand,
} from '@aws-sdk/lib-dynamodb';
import { type EnvironmentState, environmentStates } from '#domain/environment';
import type { EnvironmentQuery } from '#ports/environment-store';
import { summaryProjection } from './environment-item.ts';
import {
  counterKeys,
  environmentKey,
  type PrimaryKey,
  projectStatePk,
  workspaceEnvironmentsPk,
  workspaceStatePk,
} from './keys.ts';
import { tableDefinition } from './table.ts';

/**
 * The list counters' share of a transaction that moves one environment: on its workspace's and
 * its project's counter item, -1 on the state it leaves (`from`), +1 on the one it enters (`to`).
 * Any transaction that puts or moves an environment (create, transition, a pool claim) must
 * carry these, or `total` drifts.
 */
export const counterUpdates = (
  tableName: string,
  env: { readonly org: string; readonly workspace: string; readonly projectId: string },
  move: { readonly from?: EnvironmentState; readonly to?: EnvironmentState },
): {
  Update: {
    TableName: string;
    Key: PrimaryKey;
    UpdateExpression: string;
    ExpressionAttributeNames: Record<string, string>;
    ExpressionAttributeValues: Record<string, number>;
  };
}[] => {
  const adds: string[] = [];
  const names: Record<string, string> = {};
  const values: Record<string, number> = {};
  if (move.from !== undefined) {
    adds.push('#from :minus');
    names['#from'] = move.from;
    values[':minus'] = -1;
  }
  if (move.to !== undefined) {
    adds.push('#to :plus');
    names['#to'] = move.to;
    values[':plus'] = 1;
  }
  return counterKeys(env).map((Key) => ({
    Update: {
      TableName: tableName,
      Key,
      UpdateExpression: `ADD ${adds.join(', ')}`,
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: values,
    },
  }));
};

/** BatchGetItem's ceiling of keys per request. */
const BATCH_GET_MAX = 100;

/**
 * The read side of the listing (docs/architecture.md, "Listing in O(page)"): `total` from one
 * counter item, in parallel with the page. Page 1 without a filter is one key-range read of
 * gsi6 (the workspace's environments as summaries, newest first): `limit` items, no second
 * call. Any other page comes from the keys-only indexes (one partition per requested state,
 * merged newest first), then the page's items by key, their summaries only: page `n` of `k`
 * states reads at most `k · n · limit` index keys (~100 bytes each) and `limit` items. Page 1
 * thus costs about one page whatever the workspace holds. Items come back as stored: the
 * summary's attributes (and, from gsi6, the keys), for `fromSummaryItem`.
 */
export class EnvironmentListing {
  readonly #client: DynamoDBDocumentClient;
  readonly #tableName: string;

  constructor({ client, tableName }: { client: DynamoDBDocumentClient; tableName: string }) {
    this.#client = client;
    this.#tableName = tableName;
  }

  async page(query: EnvironmentQuery): Promise<{ items: Record<string, unknown>[]; total: number }> {
    const states: readonly EnvironmentState[] =
      query.states !== undefined && query.states.length > 0 ? [...new Set(query.states)] : environmentStates;
    if (query.page === 1 && query.projectId === undefined && states.length === environmentStates.length) {
      const [total, items] = await Promise.all([this.#total(query, states), this.#newest(query)]);
      return { items, total };
    }
    const [total, ids] = await Promise.all([this.#total(query, states), this.#pageIds(query, states)]);
    return { items: await this.#getAll(ids), total };
  }

  /** The workspace's `limit` newest environments: gsi6 holds their summaries. */
  #newest(query: EnvironmentQuery): Promise<Record<string, unknown>[]> {
    return this.#top('gsi6', workspaceEnvironmentsPk(query.org, query.workspace), query.limit);
  }

  async #total(query: EnvironmentQuery, states: readonly EnvironmentState[]): Promise<number> {
    const [workspaceKey, projectKey] = counterKeys({
      org: query.org,
      workspace: query.workspace,
      projectId: query.projectId ?? '',
    });
    const { Item } = await this.#client.send(
      new GetCommand({
        TableName: this.#tableName,
        Key: query.projectId === undefined ? workspaceKey : projectKey,
        ConsistentRead: true,
      }),
    );
    return states.reduce((sum, state) => {
      const count = Item?.[state];
      return sum + (typeof count === 'number' ? count : 0);
    }, 0);
  }

  /** Ids of the page, newest first: the top `page · limit` keys of each state, merged. */
  async #pageIds(query: EnvironmentQuery, states: readonly EnvironmentState[]): Promise<string[]> {
    const wanted = query.page * query.limit;
    const index = query.projectId === undefined ? 'gsi4' : 'gsi5';
    const partitions = await Promise.all(
      states.map((state) =>
        this.#topKeys(
          index,
          query.projectId === undefined
            ? workspaceStatePk(query.org, query.workspace, state)
            : projectStatePk(query.org, query.workspace, query.projectId, state),
          wanted,
        ),
      ),
    );
    const start = (query.page - 1) * query.limit;
    // The indexes are eventually consistent: an environment that just changed state can still be
    // listed under the state it left as well as under the new one. It counts once (BatchGetItem
    // refuses a request that names a key twice).
    const ids = [
      ...new Set(
        partitions
          .flat()
          .sort((a, b) => (a.sk < b.sk ? 1 : a.sk > b.sk ? -1 : 0))
          .map((key) => key.id),
      ),
    ];
    return ids.slice(start, start + query.limit);
  }

  async #topKeys(index: 'gsi4' | 'gsi5', pk: string, wanted: number): Promise<{ sk: string; id: string }[]> {
    return (await this.#top(index, pk, wanted)).flatMap((item) => {
      const sk = item[`${index}sk`];
      const tablePk = item.pk;
      return typeof sk === 'string' && typeof tablePk === 'string'
        ? [{ sk, id: tablePk.slice('ENV#'.length) }]
        : [];
    });
  }

  /**
   * The first `wanted` entries of one index partition, newest first: one Query, unless they pass
   * DynamoDB's 1 MB a response (then it follows `LastEvaluatedKey` until it has them).
   */
  async #top(
    index: 'gsi6' | 'gsi4' | 'gsi5',
    pk: string,
    wanted: number,
  ): Promise<Record<string, unknown>[]> {
    const items: Record<string, unknown>[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.#client.send(
        new QueryCommand({
          TableName: this.#tableName,
          IndexName: index,
          KeyConditionExpression: '#pk = :pk',
          ExpressionAttributeNames: { '#pk': partitionKeyOf(index) },
          ExpressionAttributeValues: { ':pk': pk },
          ScanIndexForward: false,
          Limit: wanted - items.length,
          ExclusiveStartKey: startKey,
        }),
      );
      items.push(...(page.Items ?? []));
      startKey = page.LastEvaluatedKey;
    } while (startKey !== undefined && items.length < wanted);
    return items;
  }

  /** The summaries of `ids`, in that order; one that TTL removed meanwhile is left out. */
  async #getAll(ids: readonly string[]): Promise<Record<string, unknown>[]> {
    const found = new Map<string, Record<string, unknown>>();
    for (let at = 0; at < ids.length; at += BATCH_GET_MAX) {
      let keys: Record<string, unknown>[] = ids
        .slice(at, at + BATCH_GET_MAX)
        .map((id) => ({ ...environmentKey(id) }));
      for (let attempt = 0; keys.length > 0; attempt++) {
        if (attempt > 0)
          await new Promise((resolve) => setTimeout(resolve, Math.min(1_000, 10 * 2 ** attempt)));
        const { Responses, UnprocessedKeys } = await this.#client.send(
          new BatchGetCommand({
            RequestItems: {
              [this.#tableName]: { Keys: keys, ConsistentRead: true, ...summaryProjection },
            },
          }),
        );
        for (const item of Responses?.[this.#tableName] ?? []) {
          if (typeof item.id === 'string') found.set(item.id, item);
        }
        keys = UnprocessedKeys?.[this.#tableName]?.Keys ?? [];
      }
    }
    return ids.flatMap((id) => {
      const item = found.get(id);
      return item === undefined ? [] : [item];
    });
  }
}

/** The partition key attribute of one of the table's indexes (gsi6 shares gsi1's). */
const partitionKeyOf = (indexName: string): string => {
  const index = tableDefinition.globalIndexes.find((i) => i.indexName === indexName);
  if (index === undefined) throw new Error(`The table has no index ${indexName}`);
  return index.partitionKey;
};
