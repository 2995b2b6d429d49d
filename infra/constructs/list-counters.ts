import { Duration, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { acknowledgeWildcard } from './nag.ts';

export interface ListCountersProps {
  /** The `list-counters` function: counts TTL removals of environments out of the list counters. */
  readonly consumer: lambda.IFunction;
  /** The table, and its stream (old images). */
  readonly table: { readonly tableArn: string; readonly tableStreamArn: string };
}

/**
 * The table stream → `list-counters` mapping that keeps the list counters exact when TTL removes
 * finished environments (issue 17, `docs/architecture.md`, "List counters"). Only TTL removals
 * of environment items reach the function: the filter matches `REMOVE` records whose
 * `userIdentity` is the TTL service (type `Service`, principal `dynamodb.amazonaws.com`) and
 * whose old image is an environment (`pk` `ENV#…`, `sk` `ENV`). A failing batch is split in two
 * until the bad record is alone, retried, then recorded in an encrypted queue.
 */
export class ListCounters extends Construct {
  readonly eventSource: lambda.EventSourceMapping;
  /** Records of batches that failed every retry (the stream position moves on without them). */
  readonly deadLetterQueue: sqs.Queue;

  constructor(scope: Construct, id: string, props: ListCountersProps) {
    super(scope, id);
    const role = props.consumer.role;
    if (role === undefined) throw new Error('The list-counters function needs a role to read the stream');

    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetterQueue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    Validations.of(this.deadLetterQueue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason: 'This queue is the on-failure destination of the list-counters stream mapping.',
    });

    // What the Lambda poller calls on the stream and the failure queue, and nothing more.
    const streams = `${props.table.tableArn}/stream/*`;
    const consume = new iam.Policy(this, 'ConsumePolicy', {
      statements: [
        new iam.PolicyStatement({
          actions: ['dynamodb:DescribeStream', 'dynamodb:GetRecords', 'dynamodb:GetShardIterator'],
          resources: [props.table.tableStreamArn],
        }),
        new iam.PolicyStatement({ actions: ['dynamodb:ListStreams'], resources: [streams] }),
        new iam.PolicyStatement({ actions: ['sqs:SendMessage'], resources: [this.deadLetterQueue.queueArn] }),
      ],
    });
    consume.attachToRole(role);
    acknowledgeWildcard(
      consume,
      streams,
      'ListStreams on the streams of our own table (the stream label is a timestamp).',
    );

    this.eventSource = new lambda.EventSourceMapping(this, 'StreamEventSource', {
      target: props.consumer,
      eventSourceArn: props.table.tableStreamArn,
      startingPosition: lambda.StartingPosition.TRIM_HORIZON,
      batchSize: 100,
      maxBatchingWindow: Duration.seconds(5),
      bisectBatchOnError: true,
      retryAttempts: 10,
      // The stream keeps records 24 hours; a record older than that is gone anyway.
      maxRecordAge: Duration.hours(24),
      reportBatchItemFailures: false,
      onFailure: new QueueOnFailure(this.deadLetterQueue),
      filters: [
        lambda.FilterCriteria.filter({
          eventName: lambda.FilterRule.isEqual('REMOVE'),
          userIdentity: {
            type: lambda.FilterRule.isEqual('Service'),
            principalId: lambda.FilterRule.isEqual('dynamodb.amazonaws.com'),
          },
          dynamodb: {
            OldImage: {
              pk: { S: lambda.FilterRule.beginsWith('ENV#') },
              sk: { S: lambda.FilterRule.isEqual('ENV') },
            },
          },
        }),
      ],
    });
    // CloudFormation checks the role's rights when it creates the mapping.
    this.eventSource.node.addDependency(consume);
  }
}

/** The on-failure destination, granted above (the library's SqsDlq also grants GetQueueUrl and GetQueueAttributes). */
class QueueOnFailure implements lambda.IEventSourceDlq {
  readonly #queue: sqs.IQueue;

  constructor(queue: sqs.IQueue) {
    this.#queue = queue;
  }

  bind(): lambda.DlqDestinationConfig {
    return { destination: this.#queue.queueArn };
  }
}
