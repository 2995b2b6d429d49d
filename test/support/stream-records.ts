/**
 * A DynamoDB stream record of a TTL removal (`REMOVE` by the DynamoDB service, the old image
 * only), as the table's event source mapping hands it to list-counters: for the bundle tests and
 * the benchmark's first invocation of that function.
 */
import { randomUUID } from 'node:crypto';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';

export const ttlRemovalRecord = (input: {
  readonly keys: Record<string, AttributeValue>;
  readonly oldImage: Record<string, AttributeValue> | undefined;
  readonly streamArn: string;
}) => ({
  eventID: randomUUID(),
  eventName: 'REMOVE',
  eventVersion: '1.1',
  eventSource: 'aws:dynamodb',
  awsRegion: 'us-east-1',
  userIdentity: { type: 'Service', principalId: 'dynamodb.amazonaws.com' },
  dynamodb: {
    ApproximateCreationDateTime: Math.floor(Date.now() / 1000),
    Keys: input.keys,
    OldImage: input.oldImage,
    SequenceNumber: '1',
    SizeBytes: 200,
    StreamViewType: 'OLD_IMAGE',
  },
  eventSourceARN: input.streamArn,
});
