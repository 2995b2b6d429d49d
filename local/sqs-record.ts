/**
 * One SQS message as the Lambda event source mapping hands it to a consumer: the local stack's
 * lifecycle queue delivers its checks in this shape, and the benchmark and the bundle tests
 * invoke lifecycle-checks with it.
 */
import type { SQSRecord } from 'aws-lambda';

export const sqsRecord = (input: {
  readonly messageId: string;
  readonly body: unknown;
  /** Who sent it (`SenderId`), also the receipt handle's prefix. */
  readonly sender: string;
  readonly queueArn: string;
  readonly region: string;
}): SQSRecord => ({
  messageId: input.messageId,
  receiptHandle: `${input.sender}-${input.messageId}`,
  body: JSON.stringify(input.body),
  attributes: {
    ApproximateReceiveCount: '1',
    SentTimestamp: String(Date.now()),
    SenderId: input.sender,
    ApproximateFirstReceiveTimestamp: String(Date.now()),
  },
  messageAttributes: {},
  md5OfBody: '',
  eventSource: 'aws:sqs',
  eventSourceARN: input.queueArn,
  awsRegion: input.region,
});
