import { ArnFormat, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as lambdaLib from 'aws-cdk-lib/aws-lambda';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { scheduleFunction } from './function-schedule.ts';
import type { ExpiryBinding } from './grants/index.ts';
import { acknowledgeWildcard } from './nag.ts';

/** The cluster whose task state changes drive the environments. */
export interface LifecycleCluster {
  readonly clusterArn: string;
  readonly clusterName: string;
}

export interface LifecycleProps {
  readonly cluster: LifecycleCluster;
  /** Consumes "ECS Task State Change" events of the cluster. */
  readonly taskEvents: lambda.IFunction;
  /** Repairs what events and crashes left behind. */
  readonly reconciler: lambda.IFunction;
  /** Consumes the lifecycle queue: launch retries and readiness checks. */
  readonly lifecycleChecks: lambda.IFunction;
  /**
   * The consumer's timeout; the queue's visibility timeout is six times it, as Lambda advises for
   * SQS event sources.
   * @default Duration.seconds(30)
   */
  readonly lifecycleChecksTimeout?: Duration;
  /**
   * How often the reconciler runs.
   * @default Duration.minutes(5)
   */
  readonly reconcileEvery?: Duration;
  /**
   * How long a task event may wait for a successful delivery before it goes to the DLQ.
   * @default Duration.hours(6)
   */
  readonly maxEventAge?: Duration;
}

/**
 * What moves environments through their states once they are launched: the EventBridge rule
 * that feeds the cluster's task state changes to `task-events` (retried, then parked in an
 * encrypted DLQ), the reconciler on a schedule, the Scheduler group of the per-environment
 * expiry schedules with the role they run as (allowed only to stop our cluster's tasks), and
 * the taskenv event bus integrations subscribe to.
 */
export class Lifecycle extends Construct implements ExpiryBinding {
  /** Where "Environment State Change" events are published (source `taskenv`). */
  readonly bus: events.EventBus;
  readonly taskStateRule: events.Rule;
  /** Task events that failed every delivery and retry. */
  readonly deadLetterQueue: sqs.Queue;
  readonly expiryGroup: scheduler.ScheduleGroup;
  /** Assumed by Scheduler to stop an expired environment's task. */
  readonly expiryRole: iam.Role;
  readonly reconcilerSchedule: scheduler.Schedule;
  /** Assumed by Scheduler to invoke the reconciler. */
  readonly reconcilerScheduleRole: iam.Role;

  /**
   * The delay queue of launch retries and readiness checks (`docs/design.md`, "Launch retries",
   * "Readiness"): each message carries its own delay (up to 900 s), so nothing waits in a Lambda.
   */
  readonly checksQueue: sqs.Queue;
  /** Checks that failed every delivery. */
  readonly checksDeadLetterQueue: sqs.Queue;
  readonly checksEventSource: lambdaLib.EventSourceMapping;

  readonly groupName: string;
  readonly role: iam.IRole;
  readonly clusterArn: string;

  constructor(scope: Construct, id: string, props: LifecycleProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const maxEventAge = props.maxEventAge ?? Duration.hours(6);

    this.bus = new events.EventBus(this, 'Bus', {
      description: 'taskenv: Environment State Change events',
    });

    this.deadLetterQueue = new sqs.Queue(this, 'TaskEventsDeadLetterQueue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    Validations.of(this.deadLetterQueue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason: 'This queue is the dead-letter queue of the task-events rule and function.',
    });

    this.taskStateRule = new events.Rule(this, 'TaskStateRule', {
      description: 'taskenv: ECS task state changes of the sandbox cluster',
      eventPattern: {
        source: ['aws.ecs'],
        detailType: ['ECS Task State Change'],
        detail: { clusterArn: [props.cluster.clusterArn] },
      },
      targets: [
        new targets.LambdaFunction(props.taskEvents, {
          // EventBridge's own retries cover failed deliveries (throttling, service errors).
          deadLetterQueue: this.deadLetterQueue,
          retryAttempts: 185,
          maxEventAge,
        }),
      ],
    });
    // The function runs asynchronously: a thrown error (stale read, DynamoDB or EC2 failure) is
    // retried by Lambda and then lands, with its error, in the same queue.
    props.taskEvents.configureAsyncInvoke({
      retryAttempts: 2,
      maxEventAge,
      onFailure: new QueueDestination(this.deadLetterQueue),
    });

    this.expiryGroup = new scheduler.ScheduleGroup(this, 'ExpiryGroup', {
      // Schedules are transient; deleting the group deletes what is left of them.
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const tasks = stack.formatArn({
      service: 'ecs',
      resource: 'task',
      resourceName: `${props.cluster.clusterName}/*`,
      arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
    });
    this.expiryRole = new iam.Role(this, 'ExpiryRole', {
      description: 'taskenv expiry schedules: stop the expired task on the sandbox cluster',
      assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com', {
        conditions: {
          StringEquals: { 'aws:SourceAccount': stack.account },
          ArnEquals: { 'aws:SourceArn': this.expiryGroup.scheduleGroupArn },
        },
      }),
      inlinePolicies: {
        stopTask: new iam.PolicyDocument({
          statements: [
            new iam.PolicyStatement({
              actions: ['ecs:StopTask'],
              resources: [tasks],
              conditions: { ArnEquals: { 'ecs:cluster': props.cluster.clusterArn } },
            }),
          ],
        }),
      },
    });
    acknowledgeWildcard(
      this.expiryRole,
      tasks,
      'Any task of our own cluster (task ids are random), also held to it by the ecs:cluster condition.',
    );

    const reconcilerSchedule = scheduleFunction(this, {
      target: props.reconciler,
      label: 'reconciler',
      every: props.reconcileEvery ?? Duration.minutes(5),
      ids: { role: 'ReconcilerScheduleRole', schedule: 'ReconcilerSchedule' },
    });
    this.reconcilerScheduleRole = reconcilerSchedule.role;
    this.reconcilerSchedule = reconcilerSchedule.schedule;
    props.reconciler.configureAsyncInvoke({ retryAttempts: 0 });

    this.checksDeadLetterQueue = new sqs.Queue(this, 'ChecksDeadLetterQueue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    Validations.of(this.checksDeadLetterQueue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason: 'This queue is the dead-letter queue of the lifecycle checks queue.',
    });
    const consumerTimeout = props.lifecycleChecksTimeout ?? Duration.seconds(30);
    this.checksQueue = new sqs.Queue(this, 'ChecksQueue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      visibilityTimeout: Duration.seconds(consumerTimeout.toSeconds() * 6),
      // A check is worth something for minutes (launch deadline, grace period), not days.
      retentionPeriod: Duration.days(1),
      deadLetterQueue: { queue: this.checksDeadLetterQueue, maxReceiveCount: 5 },
    });
    // What the Lambda poller calls, and nothing more (the library's grant adds
    // ChangeMessageVisibility and GetQueueUrl, which it does not use).
    const consume = new iam.Policy(this, 'ChecksConsumePolicy', {
      statements: [
        new iam.PolicyStatement({
          actions: ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes'],
          resources: [this.checksQueue.queueArn],
        }),
      ],
    });
    if (props.lifecycleChecks.role === undefined) {
      throw new Error('The lifecycle-checks function needs a role to consume its queue');
    }
    consume.attachToRole(props.lifecycleChecks.role);
    this.checksEventSource = new lambdaLib.EventSourceMapping(this, 'ChecksEventSource', {
      target: props.lifecycleChecks,
      eventSourceArn: this.checksQueue.queueArn,
      batchSize: 10,
      reportBatchItemFailures: true,
    });
    // CloudFormation checks the role's rights when it creates the mapping.
    this.checksEventSource.node.addDependency(consume);

    this.groupName = this.expiryGroup.scheduleGroupName;
    this.role = this.expiryRole;
    this.clusterArn = props.cluster.clusterArn;
  }
}

/**
 * An on-failure destination that grants only sqs:SendMessage, all Lambda uses (the library's
 * SqsDestination also grants GetQueueUrl and GetQueueAttributes).
 */
class QueueDestination implements lambda.IDestination {
  readonly #queue: sqs.IQueue;

  constructor(queue: sqs.IQueue) {
    this.#queue = queue;
  }

  bind(_scope: Construct, fn: lambda.IFunction): lambda.DestinationConfig {
    fn.addToRolePolicy(
      new iam.PolicyStatement({ actions: ['sqs:SendMessage'], resources: [this.#queue.queueArn] }),
    );
    return { destination: this.#queue.queueArn };
  }
}
