/**
 * The org quota spread over its shards (`org-quota.ts`), on DynamoDB Local: exact under
 * concurrent creates and finalisations, each unit given back to the shard that holds it, and the
 * shards together no hot single item.
 */
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { createDocumentClient } from '#adapters/aws/dynamodb/client';
import { environmentItem } from '#adapters/aws/dynamodb/environment-item';
import { DynamoEnvironmentStore } from '#adapters/aws/dynamodb/environment-store';
import { homeQuotaShard, orgKey, QUOTA_SHARDS, quotaShardKey } from '#adapters/aws/dynamodb/keys';
import { quotaUsage, shareOf } from '#adapters/aws/dynamodb/org-quota';
import { QuotaExceededError } from '#domain/errors';
import { makeEnvironment, uniqueName } from '#test/support/factories';

const tableName = process.env.TABLE_NAME ?? 'missing TABLE_NAME';
const client = createDocumentClient();
const store = new DynamoEnvironmentStore({ client, tableName });

const rawItem = async (key: { pk: string; sk: string }): Promise<Record<string, unknown> | undefined> =>
  (await client.send(new GetCommand({ TableName: tableName, Key: key, ConsistentRead: true }))).Item;

/** Every shard's count, shard 0 first (a missing item counts 0). */
const shardCounts = async (org: string): Promise<number[]> =>
  Promise.all(
    Array.from({ length: QUOTA_SHARDS }, async (_, shard) => {
      const count = (await rawItem(quotaShardKey(org, shard)))?.runningCount;
      return typeof count === 'number' ? count : 0;
    }),
  );

/** An environment of `org` whose first shard to try is `shard`. */
const environmentHomedOn = (org: string, shard: number) => {
  for (;;) {
    const record = makeEnvironment({ org });
    if (homeQuotaShard(record.id) === shard) return record;
  }
};

/** Generous: DynamoDB Local on a shared, loaded machine. */
const DEADLINE_MS = 120_000;

describe('org quota over shards', () => {
  it(
    'splits every limit into shares that add up to it exactly',
    () => {
      for (const limit of [0, 1, 3, 7, 8, 9, 13, 50, 1_000, 1_001]) {
        const shares = Array.from({ length: QUOTA_SHARDS }, (_, shard) => shareOf(limit, shard));
        expect(shares.reduce((a, b) => a + b, 0)).toBe(limit);
        expect(Math.max(...shares) - Math.min(...shares)).toBeLessThanOrEqual(1);
      }
    },
    DEADLINE_MS,
  );

  it.each([1, 3, 13, 50])(
    'lets exactly %i of 80 concurrent creates through, never more',
    async (limit) => {
      // Prepare
      const org = uniqueName('org');
      const records = Array.from({ length: 80 }, () => makeEnvironment({ org }));

      // Act
      const results = await Promise.allSettled(records.map((r) => store.create(r, { limit })));

      // Assess
      const refused = results.flatMap((r) => (r.status === 'rejected' ? [r.reason] : []));
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(Math.min(limit, 80));
      for (const reason of refused) expect(reason).toBeInstanceOf(QuotaExceededError);
      expect(await quotaUsage(client, tableName, org)).toBe(limit);
      const counts = await shardCounts(org);
      counts.forEach((count, shard) => {
        expect(count).toBe(shareOf(limit, shard));
      });
      const stored = await Promise.all(records.map((r) => store.get(r.id)));
      expect(stored.filter((r) => r !== null)).toHaveLength(limit);
    },
    DEADLINE_MS,
  );

  it(
    'stays within the limit while environments finish and new ones start, and ends at zero',
    async () => {
      // Prepare: a limit of 10, 120 creates in 6 waves; each wave also finishes what came before.
      const org = uniqueName('org');
      const limit = 10;
      const admitted: string[] = [];
      let finished = 0;

      // Act
      for (let wave = 0; wave < 6; wave++) {
        const toFinish = admitted.splice(0, admitted.length);
        const creates = Array.from({ length: 20 }, () => makeEnvironment({ org }));
        const [created] = await Promise.all([
          Promise.allSettled(creates.map((r) => store.create(r, { limit }).then(() => r.id))),
          Promise.all(
            toFinish.map(async (id) => {
              const ended = await store.transition(id, { to: wave % 2 === 0 ? 'torn_down' : 'failed' });
              if (ended !== null) finished++;
            }),
          ),
        ]);
        for (const result of created) if (result.status === 'fulfilled') admitted.push(result.value);
        // Assess (within the run): never more live than the limit.
        const usage = await quotaUsage(client, tableName, org);
        expect(usage).toBe(admitted.length);
        expect(usage).toBeLessThanOrEqual(limit);
        const counts = await shardCounts(org);
        counts.forEach((count, shard) => {
          expect(count).toBeLessThanOrEqual(shareOf(limit, shard));
        });
      }
      await Promise.all(admitted.map((id) => store.transition(id, { to: 'torn_down' })));

      // Assess: every unit came back, to its own shard (none below zero, none left over).
      expect(finished).toBeGreaterThan(0);
      expect(await shardCounts(org)).toEqual(Array.from({ length: QUOTA_SHARDS }, () => 0));
      expect(await quotaUsage(client, tableName, org)).toBe(0);
    },
    DEADLINE_MS,
  );

  it(
    'takes a unit from another shard when the first is full, and gives it back there',
    async () => {
      // Prepare: under a limit of 1 only shard 0 has a share; this environment tries shard 5 first.
      const org = uniqueName('org');
      const record = environmentHomedOn(org, 5);

      // Act
      await store.create(record, { limit: 1 });
      const ended = await store.transition(record.id, { to: 'torn_down' }, { expected: record });

      // Assess
      expect((await rawItem({ pk: `ENV#${record.id}`, sk: 'ENV' }))?.quotaShard).toBe(0);
      expect(ended?.state).toBe('torn_down');
      expect(await shardCounts(org)).toEqual(Array.from({ length: QUOTA_SHARDS }, () => 0));
      await expect(store.create(makeEnvironment({ org }), { limit: 1 })).resolves.toBeUndefined();
    },
    DEADLINE_MS,
  );

  it(
    'writes each create to the shard of its id, spreading an org over every shard',
    async () => {
      const org = uniqueName('org');
      const records = Array.from({ length: QUOTA_SHARDS }, (_, shard) => environmentHomedOn(org, shard));

      await Promise.all(records.map((r) => store.create(r, { limit: 1_000 })));

      expect(await shardCounts(org)).toEqual(Array.from({ length: QUOTA_SHARDS }, () => 1));
      expect(await rawItem(orgKey(org))).toBeUndefined();
    },
    DEADLINE_MS,
  );

  it(
    'releases an environment recorded before the shards on the org item it took its unit from',
    async () => {
      // Prepare: an item as the single counter left it (no quotaShard; the unit on the org item).
      const org = uniqueName('org');
      const record = makeEnvironment({ org });
      await client.send(new PutCommand({ TableName: tableName, Item: environmentItem(record) }));
      await client.send(new PutCommand({ TableName: tableName, Item: { ...orgKey(org), runningCount: 1 } }));
      expect(await quotaUsage(client, tableName, org)).toBe(1);

      // Act
      const ended = await store.transition(record.id, { to: 'failed' }, { expected: record });

      // Assess
      expect(ended?.state).toBe('failed');
      expect((await rawItem(orgKey(org)))?.runningCount).toBe(0);
      expect(await shardCounts(org)).toEqual(Array.from({ length: QUOTA_SHARDS }, () => 0));
    },
    DEADLINE_MS,
  );
});
