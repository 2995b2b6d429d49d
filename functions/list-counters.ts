import type { DynamoDBStreamEvent } from 'aws-lambda';
import { createDocumentClient } from '#adapters/aws/dynamodb/client';
import { countRemovals } from '#adapters/aws/dynamodb/ttl-removals';
import { parseConfig } from '#shared/config';
import { configSchema } from '#shared/wiring/functions';

const config = parseConfig(configSchema('list-counters'));
const client = createDocumentClient();

/**
 * The table stream's consumer: keeps the list counters exact as TTL removes finished
 * environments. A failure throws, so the event source mapping bisects the batch and retries.
 */
export const handler = async (event: DynamoDBStreamEvent): Promise<{ counted: number }> => ({
  counted: await countRemovals(event.Records, { client, tableName: config.TABLE_NAME, now: new Date() }),
});
