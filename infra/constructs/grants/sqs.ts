/** SQS: sending to the lifecycle queue (launch retries, readiness checks). */
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type { lifecycleQueueConfig } from '#shared/wiring/config';
import type { GrantTarget, GrantVariables } from './target.ts';

/** A queue as the grants need it. */
export type QueueRef = Pick<sqs.IQueue, 'queueArn' | 'queueUrl'>;

export const grantLifecycleQueue = (
  fn: GrantTarget,
  queue: QueueRef,
): GrantVariables<typeof lifecycleQueueConfig> => {
  fn.addToPolicy(new iam.PolicyStatement({ actions: ['sqs:SendMessage'], resources: [queue.queueArn] }));
  return { LIFECYCLE_QUEUE_URL: queue.queueUrl };
};
