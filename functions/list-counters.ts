import type { DynamoDBStreamEvent } from 'aws-lambda';
import { createDocumentClient } from '#adapters/aws/dynamodb/client';
import { countRemovals } from '#adapters/aws/dynamodb/ttl-removals';

const client = createDocumentClient();
const tableName = process.env.TABLE_NAME ?? '';

/** The table stream's consumer: keeps the list counters exact as TTL removes finished environments. */
export const handler = async (event: DynamoDBStreamEvent): Promise<void> => {
  await countRemovals(event.Records, { client, tableName, now: new Date() });
};
