/** DynamoDB: the main table (per access level) and the Powertools idempotency table. */
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import { COUNTERS_PREFIX, REMOVAL_MARKER_PREFIX } from '#adapters/aws/dynamodb/keys';
import type { idempotencyTableConfig, tableConfig } from '#shared/wiring/config';
import type { Bindings, TableAccess } from '#shared/wiring/functions';
import type { GrantTarget, GrantVariables } from './target.ts';

/** A table as the grants need it (what `dynamodb.ITable` offers, by name and ARN). */
export type TableRef = Pick<dynamodb.ITable, 'tableArn' | 'tableName'>;

const ITEM_ACTIONS: Readonly<Record<TableAccess, readonly string[]>> = {
  lookup: ['dynamodb:GetItem'],
  // BatchGetItem: a listing page's items, by key.
  read: ['dynamodb:GetItem', 'dynamodb:BatchGetItem'],
  readWrite: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'],
  keyValue: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'],
  // The removal marker (Put) and the counters (Update), in one transaction.
  removalCounts: ['dynamodb:PutItem', 'dynamodb:UpdateItem'],
};

/** Grants `binding.access` to `table` and names it in `TABLE_NAME`. */
export const grantTable = (
  fn: GrantTarget,
  table: TableRef,
  binding: NonNullable<Bindings['table']>,
): GrantVariables<typeof tableConfig> => {
  const actions = [
    ...ITEM_ACTIONS[binding.access],
    ...(binding.delete === true ? ['dynamodb:DeleteItem'] : []),
  ];
  fn.addToPolicy(
    new iam.PolicyStatement({
      actions: [...new Set(actions)],
      resources: [table.tableArn],
      // Only the counter items and the markers: the partition key is the item's kind.
      ...(binding.access === 'removalCounts'
        ? {
            conditions: {
              'ForAllValues:StringLike': {
                'dynamodb:LeadingKeys': [`${COUNTERS_PREFIX}*`, `${REMOVAL_MARKER_PREFIX}*`],
              },
            },
          }
        : {}),
    }),
  );
  if (binding.access === 'read' || binding.access === 'readWrite') {
    fn.addToPolicy(
      new iam.PolicyStatement({
        actions: ['dynamodb:Query'],
        resources: [table.tableArn, `${table.tableArn}/index/*`],
      }),
      'Query on the global secondary indexes of our own table.',
    );
  }
  return { TABLE_NAME: table.tableName };
};

/** Key-value access to the idempotency table, named in `IDEMPOTENCY_TABLE_NAME`. */
export const grantIdempotencyTable = (
  fn: GrantTarget,
  table: TableRef,
): GrantVariables<typeof idempotencyTableConfig> => {
  fn.addToPolicy(
    new iam.PolicyStatement({ actions: [...ITEM_ACTIONS.keyValue], resources: [table.tableArn] }),
  );
  return { IDEMPOTENCY_TABLE_NAME: table.tableName };
};
