/**
 * The list counters when finished environments leave by TTL, through the stream consumer's own
 * entry (`functions/list-counters.ts`) with records shaped as DynamoDB Streams delivers a TTL
 * deletion (`OLD_IMAGE` view, `userIdentity` of the TTL service), mixed with records it must not
 * count: inserts, modifications, removals of items that are not environments, redeliveries.
 */
import { DeleteCommand } from '@aws-sdk/lib-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { createDocumentClient } from '#adapters/aws/dynamodb/client';
import { DynamoEnvironmentStore } from '#adapters/aws/dynamodb/environment-store';
import { environmentKey } from '#adapters/aws/dynamodb/keys';
import { type EnvironmentRecord, type EnvironmentState, environmentStates } from '#domain/environment';
import { makeEnvironment, uniqueName } from '#test/support/factories';
import { listCountersAndFullRead } from '#test/support/list-counters';
import { handler } from '../../functions/list-counters.ts';

const tableName = process.env.TABLE_NAME ?? 'missing TABLE_NAME';
const client = createDocumentClient();
const store = new DynamoEnvironmentStore({ client, tableName });
const STREAM_ARN = `arn:aws:dynamodb:us-east-1:123456789012:table/${tableName}/stream/2026-01-01T00:00:00.000`;

let sequence = 100_000_000;

/** A stream record as Lambda receives it, `OLD_IMAGE` view. */
const streamRecord = (
  eventName: 'INSERT' | 'MODIFY' | 'REMOVE',
  oldImage: Record<string, unknown> | undefined,
  keys: { pk: string; sk: string },
  ttl: boolean,
): DynamoDBRecord => {
  sequence += 1;
  return {
    eventID: `${sequence}`,
    eventName,
    eventVersion: '1.1',
    eventSource: 'aws:dynamodb',
    awsRegion: 'us-east-1',
    dynamodb: {
      ApproximateCreationDateTime: Math.floor(Date.now() / 1000),
      Keys: marshall(keys) as NonNullable<DynamoDBRecord['dynamodb']>['Keys'],
      ...(oldImage === undefined
        ? {}
        : { OldImage: marshall(oldImage) as NonNullable<DynamoDBRecord['dynamodb']>['OldImage'] }),
      SequenceNumber: `${sequence}`,
      SizeBytes: 512,
      StreamViewType: 'OLD_IMAGE',
    },
    ...(ttl ? { userIdentity: { type: 'Service', principalId: 'dynamodb.amazonaws.com' } } : {}),
    eventSourceARN: STREAM_ARN,
  };
};

/** What TTL does to an expired item: delete it; the stream then carries its old image. */
const expire = async (id: string): Promise<DynamoDBRecord> => {
  const { Attributes } = await client.send(
    new DeleteCommand({ TableName: tableName, Key: environmentKey(id), ReturnValues: 'ALL_OLD' }),
  );
  return streamRecord('REMOVE', Attributes, environmentKey(id), true);
};

const totalOf = async (
  org: string,
  workspace: string,
  filter: { states?: EnvironmentState[]; projectId?: string },
) => (await store.list({ org, workspace, page: 1, limit: 50, ...filter })).total;

describe('list counters when finished environments leave by TTL', () => {
  it('equal a full read after the TTL removals of a stream batch, redelivered, among other records', async () => {
    // Prepare: 30 environments over 3 projects; 20 finish (torn_down, failed), 10 stay live.
    const org = uniqueName('org');
    const workspace = uniqueName('ws');
    const records: EnvironmentRecord[] = Array.from({ length: 30 }, (_, i) =>
      makeEnvironment({ org, workspace, projectId: ['a', 'b', 'c'][i % 3] ?? 'a' }),
    );
    await Promise.all(records.map((r) => store.create(r, { limit: 100 })));
    await Promise.all(
      records
        .slice(0, 20)
        .map((r, i) => store.transition(r.id, { to: i % 2 === 0 ? 'torn_down' : 'failed' })),
    );
    await Promise.all(records.slice(20, 25).map((r) => store.transition(r.id, { to: 'provisioning' })));
    const before = await listCountersAndFullRead(client, tableName, org, workspace);
    expect(before.counters).toEqual(before.fullRead);

    // Act: TTL removes 15 of the finished ones; the stream delivers them in two batches, the
    // second redelivering part of the first, among records that are not TTL removals.
    const removed = await Promise.all(records.slice(0, 15).map((r) => expire(r.id)));
    const live = records[24] as EnvironmentRecord;
    const others: DynamoDBRecord[] = [
      streamRecord('INSERT', undefined, environmentKey(live.id), false),
      streamRecord('MODIFY', { ...environmentKey(live.id), id: live.id }, environmentKey(live.id), false),
      // A removal marker or an idempotency record expiring: not an environment.
      streamRecord('REMOVE', { pk: 'GONE#x', sk: 'GONE', ttl: 1 }, { pk: 'GONE#x', sk: 'GONE' }, true),
    ];
    const batch = (recordsOf: DynamoDBRecord[]): DynamoDBStreamEvent => ({ Records: recordsOf });
    await handler(batch([...removed.slice(0, 10), ...others]));
    await handler(batch([...removed.slice(5), removed[0] as DynamoDBRecord]));

    // Assess: the counters equal a full read, for the workspace and each project, state by state.
    const after = await listCountersAndFullRead(client, tableName, org, workspace);
    expect(after.counters).toEqual(after.fullRead);
    expect(after.fullRead.workspace).toEqual({ torn_down: 2, failed: 3, provisioning: 5, building: 5 });
    // And so does every filter's `total`.
    for (const projectId of [undefined, 'a', 'b', 'c']) {
      const stateSets: (EnvironmentState[] | undefined)[] = [
        undefined,
        ['torn_down', 'failed'],
        ...environmentStates.map((s): EnvironmentState[] => [s]),
      ];
      for (const states of stateSets) {
        const scope = after.fullRead[projectId === undefined ? 'workspace' : `project:${projectId}`] ?? {};
        let expected = 0;
        for (const state of states ?? environmentStates) expected += scope[state] ?? 0;
        const filter = {
          ...(states === undefined ? {} : { states }),
          ...(projectId === undefined ? {} : { projectId }),
        };
        expect(await totalOf(org, workspace, filter)).toBe(expected);
      }
    }
  }, 120_000);
});
