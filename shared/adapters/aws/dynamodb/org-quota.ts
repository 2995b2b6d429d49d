/**
 * The org quota (live environments per org) as {@link QUOTA_SHARDS} counter items instead of one.
 *
 * One counter item would take every create and every finalisation of an org: on DynamoDB a
 * single item sustains about 1,000 WCU/s, and a transactional write costs 2 WCU, so one org
 * could create and finish at most ~250 environments a second (a create and a finalisation each
 * write it once), every one of them conflicting with the others. Spread over the shards, each
 * write lands on one of {@link QUOTA_SHARDS} items in separate partitions.
 *
 * Exactness: shard `i` holds at most its share of the limit, {@link shareOf}, and the shares add
 * up to the limit exactly; every increment is conditional on its own shard being under its share,
 * inside the create's transaction. So at a constant limit the org never has more than `limit`
 * live environments, under any concurrency, without reading the other shards. A create whose
 * first shard (a hash of its id) is full tries the others in turn, and is refused only when each
 * was full when tried: near the limit a create costs up to one transaction per shard, and a
 * refusal can race a release on a shard already tried (the same answer a single counter gives a
 * create that commits just before the release). The shard is stored on the environment item
 * (`quotaShard`), and its finalisation gives the unit back to that shard, in its transaction.
 *
 * A lowered limit: shares only grow with the limit (fixed shard count), so each shard holds at
 * most its share under the highest limit in force since its units were taken; the org never runs
 * more than that highest limit, and creates are refused on every shard at or over its new share
 * until the org drains. Environments recorded before the shards existed carry no `quotaShard`;
 * their unit is released on the org item's old `runningCount`, and they are not counted against
 * the shards (a deploy that adds the shards lets an org reach `limit` plus what it ran then).
 */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { BatchGetCommand } from '@aws-sdk/lib-dynamodb';
import { homeQuotaShard, orgKey, type PrimaryKey, QUOTA_SHARDS, quotaShardKey } from './keys.ts';

/** The count attribute of a shard item (and the old one of the org item). */
const COUNT = 'runningCount';

/** Shard `shard`'s share of `limit`: an even split, the first `limit mod N` shards one more. */
export const shareOf = (limit: number, shard: number): number =>
  Math.floor(limit / QUOTA_SHARDS) + (shard < limit % QUOTA_SHARDS ? 1 : 0);

/** The shards a create of `id` tries, in order: its home shard, then the next ones, skipping empty shares. */
export const shardsToTry = (id: string, limit: number): number[] => {
  const home = homeQuotaShard(id);
  return Array.from({ length: QUOTA_SHARDS }, (_, i) => (home + i) % QUOTA_SHARDS).filter(
    (shard) => shareOf(limit, shard) > 0,
  );
};

interface UpdateItem {
  Update: {
    TableName: string;
    Key: PrimaryKey;
    UpdateExpression: string;
    ConditionExpression?: string;
    ExpressionAttributeNames: Record<string, string>;
    ExpressionAttributeValues: Record<string, unknown>;
  };
}

/** A create's share of its transaction: one unit of `shard`, only while the shard is under its share. */
export const takeUnit = (tableName: string, org: string, shard: number, limit: number): UpdateItem => ({
  Update: {
    TableName: tableName,
    Key: quotaShardKey(org, shard),
    UpdateExpression: 'SET #count = if_not_exists(#count, :zero) + :one, #org = :org',
    // A missing counter is zero, below any positive share (shards with no share are never tried).
    ConditionExpression: 'attribute_not_exists(#count) OR #count < :share',
    ExpressionAttributeNames: { '#count': COUNT, '#org': 'org' },
    ExpressionAttributeValues: { ':zero': 0, ':one': 1, ':org': org, ':share': shareOf(limit, shard) },
  },
});

/**
 * A finalisation's share of its transaction: the unit back to the shard that holds it (`null`:
 * an environment recorded before the shards, whose unit is on the org item). Never conditional:
 * a finalisation that cannot commit would lose an environment; a missing counter lands on 0.
 */
export const releaseUnit = (tableName: string, org: string, shard: number | null): UpdateItem => ({
  Update: {
    TableName: tableName,
    Key: shard === null ? orgKey(org) : quotaShardKey(org, shard),
    UpdateExpression: 'SET #count = if_not_exists(#count, :one) - :one',
    ExpressionAttributeNames: { '#count': COUNT },
    ExpressionAttributeValues: { ':one': 1 },
  },
});

/** The shard an environment item holds its unit on; null for one recorded before the shards. */
export const shardOfItem = (item: Record<string, unknown>): number | null =>
  typeof item.quotaShard === 'number' ? item.quotaShard : null;

/** Live environments of `org`: the sum of its shards and of the org item's old counter (one BatchGetItem). */
export const quotaUsage = async (
  client: DynamoDBDocumentClient,
  tableName: string,
  org: string,
): Promise<number> => {
  let keys: Record<string, unknown>[] = [
    orgKey(org),
    ...Array.from({ length: QUOTA_SHARDS }, (_, shard) => quotaShardKey(org, shard)),
  ].map((key) => ({ ...key }));
  let sum = 0;
  for (let attempt = 0; keys.length > 0; attempt++) {
    if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, Math.min(1_000, 10 * 2 ** attempt)));
    const { Responses, UnprocessedKeys } = await client.send(
      new BatchGetCommand({
        RequestItems: {
          [tableName]: {
            Keys: keys,
            ConsistentRead: true,
            ProjectionExpression: '#count',
            ExpressionAttributeNames: { '#count': COUNT },
          },
        },
      }),
    );
    for (const item of Responses?.[tableName] ?? []) {
      const count = item[COUNT];
      if (typeof count === 'number') sum += count;
    }
    keys = UnprocessedKeys?.[tableName]?.Keys ?? [];
  }
  return sum;
};
