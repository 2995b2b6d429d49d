import type { CreateTableCommandInput } from '@aws-sdk/client-dynamodb';
import { environmentSummaryFields } from '#domain/environment';

/**
 * The one table definition: DynamoDB Local tests, the local stack and the CDK stack all build
 * the table from this, so their key schemas cannot drift.
 *
 * Index use (single-table design, attributes overloaded per item type):
 * - gsi1: environments of a workspace, newest first (`WS#<org>#<ws>`, `<created_at>#<id>`);
 *   task versions of an org (`TASKS#<org>`, `<name>#<padded version>`); API keys of an org.
 * - gsi6: gsi1's keys, projecting only an environment's summary (`environmentSummaryFields`,
 *   ~0.5 KB of a ~1.3 KB item): page 1 of a workspace's list is one `Query` of it
 *   (docs/architecture.md "Listing in O(page)"). An index of its own rather than a new
 *   projection of gsi1, because CloudFormation can add one index to a live table per update
 *   (DynamoDB fills it from the items already there) but cannot change an index's projection.
 *   Task versions and keys carry gsi1's keys too, so they have (small) copies here; nothing
 *   reads them.
 * - gsi2: public versions of one task name (`PUBLIC#<name>`, `<org>#V#<padded version>`).
 * - gsi3: live environments, sharded by the first hex digit of the id (`LIVE#<digit>`,
 *   `<expires_at>#<id>`), for the reconciler; public task versions of every org
 *   (`PUBLIC_TASKS`, `<name>#<org>#<padded version>`), for listing. Sparse: an item leaves the
 *   index when the attribute is removed (an environment on reaching a final state).
 * - gsi4 / gsi5: the listing of environments, keys only (lean: a page is then read from the
 *   table by key): by workspace and state (`WS#<org>#<ws>#S#<state>`), by workspace, project and
 *   state (`WSP#<org>#<ws>#<project>#S#<state>`), both sorted `<created_at>#<id>`.
 *
 * The table has a stream (old images): its consumer counts removals by TTL (`list-counters.ts`).
 */
export const tableDefinition = {
  partitionKey: 'pk',
  sortKey: 'sk',
  ttlAttribute: 'ttl',
  streamView: 'OLD_IMAGE',
  globalIndexes: [
    { indexName: 'gsi1', partitionKey: 'gsi1pk', sortKey: 'gsi1sk', projection: 'ALL' },
    { indexName: 'gsi2', partitionKey: 'gsi2pk', sortKey: 'gsi2sk', projection: 'ALL' },
    { indexName: 'gsi3', partitionKey: 'gsi3pk', sortKey: 'gsi3sk', projection: 'ALL' },
    { indexName: 'gsi4', partitionKey: 'gsi4pk', sortKey: 'gsi4sk', projection: 'KEYS_ONLY' },
    { indexName: 'gsi5', partitionKey: 'gsi5pk', sortKey: 'gsi5sk', projection: 'KEYS_ONLY' },
    {
      indexName: 'gsi6',
      partitionKey: 'gsi1pk',
      sortKey: 'gsi1sk',
      projection: 'INCLUDE',
      nonKeyAttributes: environmentSummaryFields,
    },
  ],
} as const;

/** CreateTable input for DynamoDB Local (and any non-CDK setup). */
export const createTableInput = (tableName: string): CreateTableCommandInput => {
  // gsi6 shares gsi1's key attributes; each is defined once.
  const keyNames = new Set<string>([
    tableDefinition.partitionKey,
    tableDefinition.sortKey,
    ...tableDefinition.globalIndexes.flatMap((i) => [i.partitionKey, i.sortKey]),
  ]);
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [...keyNames].map((name) => ({ AttributeName: name, AttributeType: 'S' })),
    KeySchema: [
      { AttributeName: tableDefinition.partitionKey, KeyType: 'HASH' },
      { AttributeName: tableDefinition.sortKey, KeyType: 'RANGE' },
    ],
    GlobalSecondaryIndexes: tableDefinition.globalIndexes.map((i) => ({
      IndexName: i.indexName,
      KeySchema: [
        { AttributeName: i.partitionKey, KeyType: 'HASH' },
        { AttributeName: i.sortKey, KeyType: 'RANGE' },
      ],
      Projection:
        'nonKeyAttributes' in i
          ? { ProjectionType: i.projection, NonKeyAttributes: [...i.nonKeyAttributes] }
          : { ProjectionType: i.projection },
    })),
    StreamSpecification: { StreamEnabled: true, StreamViewType: tableDefinition.streamView },
  };
};

/** Powertools idempotency table: its own schema (`id` hash key, `expiration` TTL). */
export const idempotencyTableDefinition = {
  partitionKey: 'id',
  ttlAttribute: 'expiration',
} as const;

export const createIdempotencyTableInput = (tableName: string): CreateTableCommandInput => ({
  TableName: tableName,
  BillingMode: 'PAY_PER_REQUEST',
  AttributeDefinitions: [{ AttributeName: idempotencyTableDefinition.partitionKey, AttributeType: 'S' }],
  KeySchema: [{ AttributeName: idempotencyTableDefinition.partitionKey, KeyType: 'HASH' }],
});
