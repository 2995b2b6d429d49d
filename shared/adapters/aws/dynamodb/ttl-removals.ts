import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { environmentStateSchema } from '#domain/environment';
import * as z from '#shared/zod';
import { cancellationCodes, retryOnConflict } from './client.ts';
import { counterUpdates } from './environment-listing.ts';
import { removalMarkerKey } from './keys.ts';

/** A marker outlives any redelivery of its stream record (streams keep records 24 hours). */
const MARKER_RETENTION_SEC = 2 * 24 * 3600;

/** The part of a DynamoDB stream record this reads (the Lambda event's shape). */
export interface StreamRecord {
  readonly eventName?: string | undefined;
  readonly dynamodb?: { readonly OldImage?: Record<string, unknown> | undefined } | undefined;
}

const removedEnvironment = z.object({
  pk: z.string().check(z.startsWith('ENV#')),
  sk: z.literal('ENV'),
  id: z.string(),
  org: z.string(),
  workspace: z.string(),
  projectId: z.string(),
  state: environmentStateSchema,
});

/**
 * Counts environments that left the table (only TTL deletes environment items) out of the list
 * counters: -1 on the state they were in, on their workspace's and project's counter. Each
 * removal is counted in one transaction with a marker put only if absent, so a stream record
 * delivered twice is counted once. Answers how many removals it counted.
 */
export const countRemovals = async (
  records: readonly StreamRecord[],
  deps: { readonly client: DynamoDBDocumentClient; readonly tableName: string; readonly now: Date },
): Promise<number> => {
  let counted = 0;
  for (const record of records) {
    if (record.eventName !== 'REMOVE' || record.dynamodb?.OldImage === undefined) continue;
    const parsed = removedEnvironment.safeParse(
      unmarshall(record.dynamodb.OldImage as Record<string, AttributeValue>),
    );
    if (!parsed.success) continue;
    const env = parsed.data;
    try {
      await retryOnConflict(() =>
        deps.client.send(
          new TransactWriteCommand({
            TransactItems: [
              {
                Put: {
                  TableName: deps.tableName,
                  Item: {
                    ...removalMarkerKey(env.id),
                    ttl: Math.floor(deps.now.getTime() / 1000) + MARKER_RETENTION_SEC,
                  },
                  ConditionExpression: 'attribute_not_exists(pk)',
                },
              },
              ...counterUpdates(deps.tableName, env, { from: env.state }),
            ],
          }),
        ),
      );
      counted++;
    } catch (error) {
      if (cancellationCodes(error)?.[0] !== 'ConditionalCheckFailed') throw error;
    }
  }
  return counted;
};
