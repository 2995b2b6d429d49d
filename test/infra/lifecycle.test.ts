import { readdirSync, readFileSync } from 'node:fs';
import { Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { reconcileActions } from '#use-cases/reconcile';
import { type Synthesized, synthesize } from './synth.ts';
import {
  asArray,
  type CfnResource,
  grantsOf,
  logicalIdAt,
  resourceAt,
  resourcesOf,
  statementsOfRole,
  variablesOf,
} from './template.ts';

const FIXTURES = new URL('../fixtures/ecs-events/', import.meta.url);
const fixtures = readdirSync(FIXTURES)
  .filter((file) => file.endsWith('.json'))
  .map((file) => [file, JSON.parse(readFileSync(new URL(file, FIXTURES), 'utf8')) as EcsEvent] as const);

interface EcsEvent {
  source: string;
  'detail-type': string;
  detail: { clusterArn: string } & Record<string, unknown>;
}

/** What the sandbox cluster's `Fn::GetAtt [Cluster, Arn]` stands for in these tests. */
const OUR_CLUSTER = 'arn:aws:ecs:us-east-1:123456789012:cluster/TaskenvService-SandboxCluster';

/**
 * EventBridge's matching for the pattern subset the rule may use: an object matches when every
 * key matches; an array lists alternatives, each a literal (equal, or contained in an array
 * value) or `{prefix}`. Anything else is refused so a richer pattern cannot pass by accident.
 */
const matches = (pattern: unknown, event: unknown): boolean => {
  if (Array.isArray(pattern)) return pattern.some((alternative) => matchesLeaf(alternative, event));
  if (typeof pattern === 'object' && pattern !== null) {
    if (typeof event !== 'object' || event === null) return false;
    return Object.entries(pattern).every(
      ([key, sub]) => key in event && matches(sub, (event as Record<string, unknown>)[key]),
    );
  }
  throw new Error(`Unsupported pattern ${JSON.stringify(pattern)}`);
};

const matchesLeaf = (alternative: unknown, value: unknown): boolean => {
  if (
    typeof alternative === 'string' ||
    typeof alternative === 'number' ||
    typeof alternative === 'boolean'
  ) {
    return Array.isArray(value) ? value.includes(alternative) : value === alternative;
  }
  if (typeof alternative === 'object' && alternative !== null && 'prefix' in alternative) {
    const prefix = (alternative as { prefix: unknown }).prefix;
    return typeof value === 'string' && typeof prefix === 'string' && value.startsWith(prefix);
  }
  throw new Error(`Unsupported pattern alternative ${JSON.stringify(alternative)}`);
};

/** Replaces `{Fn::GetAtt: [clusterId, Arn]}` with {@link OUR_CLUSTER}; any other intrinsic fails the test. */
const resolveCluster = (value: unknown, clusterId: string): unknown => {
  if (Array.isArray(value)) return value.map((v) => resolveCluster(v, clusterId));
  if (typeof value === 'object' && value !== null) {
    const getAtt = (value as { 'Fn::GetAtt'?: unknown })['Fn::GetAtt'];
    if (getAtt !== undefined) {
      expect(getAtt).toEqual([clusterId, 'Arn']);
      return OUR_CLUSTER;
    }
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, resolveCluster(v, clusterId)]));
  }
  return value;
};

const onCluster = (event: EcsEvent, clusterArn: string): EcsEvent => ({
  ...event,
  detail: { ...event.detail, clusterArn },
});

describe('lifecycle', () => {
  let app: Synthesized;
  let pattern: unknown;
  beforeAll(() => {
    app = synthesize();
    const rule = resourceAt(app.serviceTemplate, 'TaskenvService/Lifecycle/TaskStateRule/Resource');
    const clusterId = logicalIdAt(app.serviceTemplate, 'TaskenvService/SandboxCluster/Cluster/Resource');
    pattern = resolveCluster(rule.Properties?.EventPattern, clusterId);
  });

  it('has real ECS events to test against', () => {
    expect(fixtures.length).toBeGreaterThanOrEqual(2);
  });

  it.each(fixtures)('routes %s of our cluster to task-events', (_, event) => {
    expect(matches(pattern, onCluster(event, OUR_CLUSTER))).toBe(true);
  });

  it.each(fixtures)('ignores %s as it was captured, on another cluster', (_, event) => {
    expect(event.detail.clusterArn).not.toBe(OUR_CLUSTER);
    expect(matches(pattern, event)).toBe(false);
  });

  it.each(fixtures)('ignores %s of a cluster whose ARN only starts like ours', (_, event) => {
    expect(matches(pattern, onCluster(event, `${OUR_CLUSTER}-other`))).toBe(false);
  });

  it('ignores other ECS event types and other sources', () => {
    const [[, event] = ['', undefined]] = fixtures;
    if (event === undefined) throw new Error('no fixture');
    const ours = onCluster(event, OUR_CLUSTER);
    expect(matches(pattern, { ...ours, 'detail-type': 'ECS Container Instance State Change' })).toBe(false);
    expect(matches(pattern, { ...ours, source: 'taskenv' })).toBe(false);
  });

  it('retries task events and parks the failures in an encrypted, TLS-only DLQ', () => {
    // Arrange
    const functionId = logicalIdAt(app.serviceTemplate, 'TaskenvService/task-events/Function/Resource');
    const queueId = logicalIdAt(
      app.serviceTemplate,
      'TaskenvService/Lifecycle/TaskEventsDeadLetterQueue/Resource',
    );
    const queue = { 'Fn::GetAtt': [queueId, 'Arn'] };

    // Assess: the rule's delivery retries and DLQ, then Lambda's own retries and on-failure queue.
    app.serviceTemplate.hasResourceProperties('AWS::Events::Rule', {
      Targets: [
        Match.objectLike({
          Arn: { 'Fn::GetAtt': [functionId, 'Arn'] },
          DeadLetterConfig: { Arn: queue },
          RetryPolicy: { MaximumRetryAttempts: 185, MaximumEventAgeInSeconds: 21600 },
        }),
      ],
    });
    app.serviceTemplate.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      FunctionName: { Ref: functionId },
      MaximumRetryAttempts: 2,
      DestinationConfig: { OnFailure: { Destination: queue } },
    });
    app.serviceTemplate.hasResourceProperties('AWS::SQS::Queue', { SqsManagedSseEnabled: true });
    app.serviceTemplate.hasResourceProperties('AWS::SQS::QueuePolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          Match.objectLike({
            Effect: 'Allow',
            Principal: { Service: 'events.amazonaws.com' },
            Action: 'sqs:SendMessage',
          }),
        ]),
      },
    });
  });

  it('runs the reconciler every 5 minutes, without retrying a failed run on top of the next', () => {
    const functionId = logicalIdAt(app.serviceTemplate, 'TaskenvService/reconciler/Function/Resource');
    app.serviceTemplate.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'rate(5 minutes)',
      Target: Match.objectLike({
        Arn: { 'Fn::GetAtt': [functionId, 'Arn'] },
        RetryPolicy: Match.objectLike({ MaximumRetryAttempts: 0 }),
      }),
    });
    // Not in the expiry group, whose schedules the functions may delete.
    const [[, schedule] = []] = resourcesOf(app.serviceTemplate, 'AWS::Scheduler::Schedule');
    expect(schedule?.Properties?.GroupName).toBeUndefined();
  });

  it('lets the expiry schedules only stop tasks of our cluster, assumed only by our schedule group', () => {
    // Arrange
    const roleId = logicalIdAt(app.serviceTemplate, 'TaskenvService/Lifecycle/ExpiryRole/Resource');
    const role = app.serviceTemplate.toJSON().Resources[roleId] as CfnResource;
    const groupId = logicalIdAt(app.serviceTemplate, 'TaskenvService/Lifecycle/ExpiryGroup/Resource');
    const clusterId = logicalIdAt(app.serviceTemplate, 'TaskenvService/SandboxCluster/Cluster/Resource');
    const statements = statementsOfRole(app.serviceTemplate, roleId);

    // Assess
    expect(grantsOf(statements)).toEqual(['ecs:StopTask on cluster-tasks']);
    expect(statements[0]?.Condition).toEqual({
      ArnEquals: { 'ecs:cluster': { 'Fn::GetAtt': [clusterId, 'Arn'] } },
    });
    expect(role.Properties?.ManagedPolicyArns).toBeUndefined();
    expect(role.Properties?.AssumeRolePolicyDocument).toEqual({
      Version: '2012-10-17',
      Statement: [
        {
          Action: 'sts:AssumeRole',
          Effect: 'Allow',
          Principal: { Service: 'scheduler.amazonaws.com' },
          Condition: {
            StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
            ArnEquals: { 'aws:SourceArn': { 'Fn::GetAtt': [groupId, 'Arn'] } },
          },
        },
      ],
    });
  });

  it('lets the functions manage schedules of the expiry group only', () => {
    const group = resourceAt(app.serviceTemplate, 'TaskenvService/Lifecycle/ExpiryGroup/Resource');
    const groupName = String(group.Properties?.Name);
    const fn = resourceAt(app.serviceTemplate, 'TaskenvService/environments-create/Function/Resource');
    const variables = variablesOf(fn);
    expect(variables.SCHEDULER_GROUP).toBe(groupName);
    const roleId = logicalIdAt(app.serviceTemplate, 'TaskenvService/environments-create/Role/Resource');
    const schedules = statementsOfRole(app.serviceTemplate, roleId).find((s) =>
      [s.Action].flat().includes('scheduler:CreateSchedule'),
    );
    expect(JSON.stringify(schedules?.Resource)).toContain(`:schedule/${groupName}/taskenv-*`);
  });

  it('feeds launch retries and readiness checks from an encrypted, TLS-only delay queue with a DLQ', () => {
    // Arrange
    const queueId = logicalIdAt(app.serviceTemplate, 'TaskenvService/Lifecycle/ChecksQueue/Resource');
    const dlqId = logicalIdAt(app.serviceTemplate, 'TaskenvService/Lifecycle/ChecksDeadLetterQueue/Resource');
    const functionId = logicalIdAt(app.serviceTemplate, 'TaskenvService/lifecycle-checks/Function/Resource');
    const queue = resourceAt(app.serviceTemplate, 'TaskenvService/Lifecycle/ChecksQueue/Resource');
    const dlq = resourceAt(app.serviceTemplate, 'TaskenvService/Lifecycle/ChecksDeadLetterQueue/Resource');

    // Assess: the checks queue and its DLQ
    expect(queue.Properties).toEqual({
      SqsManagedSseEnabled: true,
      VisibilityTimeout: 180,
      MessageRetentionPeriod: 86400,
      RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': [dlqId, 'Arn'] }, maxReceiveCount: 5 },
    });
    expect(dlq.Properties).toEqual({ SqsManagedSseEnabled: true, MessageRetentionPeriod: 1209600 });
    for (const id of [queueId, dlqId]) {
      app.serviceTemplate.hasResourceProperties('AWS::SQS::QueuePolicy', {
        Queues: [{ Ref: id }],
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          ]),
        },
      });
    }
    // …consumed by lifecycle-checks, failures reported per message
    const mappings = resourcesOf(app.serviceTemplate, 'AWS::Lambda::EventSourceMapping');
    const [mapping, ...others] = mappings.filter(
      ([, m]) => JSON.stringify(m.Properties?.FunctionName) === JSON.stringify({ Ref: functionId }),
    );
    expect(others).toEqual([]);
    // The only other mapping is the table stream's (test/infra/list-counters.test.ts).
    expect(mappings).toHaveLength(2);
    expect(mapping?.[1].Properties).toEqual({
      FunctionName: { Ref: functionId },
      EventSourceArn: { 'Fn::GetAtt': [queueId, 'Arn'] },
      BatchSize: 10,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
    // …created after the policy that lets the poller read the queue (CloudFormation checks it)
    const policyId = logicalIdAt(
      app.serviceTemplate,
      'TaskenvService/Lifecycle/ChecksConsumePolicy/Resource',
    );
    expect(asArray(mapping?.[1].DependsOn as string | string[] | undefined)).toContain(policyId);
  });

  it('gives lifecycle-checks a 30 s timeout and every sender the queue URL', () => {
    const fn = resourceAt(app.serviceTemplate, 'TaskenvService/lifecycle-checks/Function/Resource');
    const queueId = logicalIdAt(app.serviceTemplate, 'TaskenvService/Lifecycle/ChecksQueue/Resource');
    expect(fn.Properties?.Timeout).toBe(30);
    for (const name of ['environments-create', 'task-events', 'reconciler', 'lifecycle-checks']) {
      const sender = resourceAt(app.serviceTemplate, `TaskenvService/${name}/Function/Resource`);
      expect(variablesOf(sender).LIFECYCLE_QUEUE_URL).toEqual({ Ref: queueId });
    }
  });

  it('gives integrations their own event bus', () => {
    app.serviceTemplate.resourceCountIs('AWS::Events::EventBus', 1);
    const busId = logicalIdAt(app.serviceTemplate, 'TaskenvService/Lifecycle/Bus/Resource');
    const fn = resourceAt(app.serviceTemplate, 'TaskenvService/task-events/Function/Resource');
    const variables = variablesOf(fn);
    expect(variables.EVENT_BUS_NAME).toEqual({ Ref: busId });
  });
});

describe('observability', () => {
  let app: Synthesized;
  beforeAll(() => {
    app = synthesize({ alarmTopicArn: 'arn:aws:sns:us-east-1:123456789012:taskenv-ops' });
  });

  it('alarms on the 5xx rate, both DLQs, reconciler repairs and errors, and launch failures', () => {
    const descriptions = resourcesOf(app.serviceTemplate, 'AWS::CloudWatch::Alarm').map(([, alarm]) =>
      String(alarm.Properties?.AlarmDescription),
    );
    expect(descriptions).toHaveLength(6);
    for (const topic of [
      '5xx',
      'events failed every retry and wait in the DLQ',
      'readiness checks failed every delivery',
      'repairing',
      'reconciler runs',
      'failing to launch',
    ]) {
      expect(
        descriptions.some((d) => d.includes(topic)),
        topic,
      ).toBe(true);
    }
    for (const [, alarm] of resourcesOf(app.serviceTemplate, 'AWS::CloudWatch::Alarm')) {
      expect(alarm.Properties?.AlarmActions).toEqual(['arn:aws:sns:us-east-1:123456789012:taskenv-ops']);
      expect(alarm.Properties?.OKActions).toEqual(['arn:aws:sns:us-east-1:123456789012:taskenv-ops']);
    }
  });

  it('alarms on the share of 5xx answers, not their count', () => {
    app.serviceTemplate.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/ApiGateway',
      MetricName: '5XXError',
      Statistic: 'Average',
      Threshold: 0.05,
    });
  });

  it('sums every reconciler repair kind the handler emits', () => {
    app.serviceTemplate.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmDescription: Match.stringLikeRegexp('repairing'),
      Metrics: Match.arrayWith(
        reconcileActions.map((action) =>
          Match.objectLike({
            MetricStat: Match.objectLike({
              Metric: {
                Namespace: 'taskenv',
                MetricName: `reconcile.${action}`,
                Dimensions: [{ Name: 'service', Value: 'reconciler' }],
              },
            }),
          }),
        ),
      ),
    });
  });

  it('counts launch failures from the metrics the handlers emit, not from log text', () => {
    // Prepare
    const alarms = app.serviceTemplate.findResources('AWS::CloudWatch::Alarm');
    const launch = Object.values(alarms).find((a) =>
      JSON.stringify(a).includes('environments keep failing to launch'),
    );

    // Assess
    expect(launch).toBeDefined();
    const metrics = JSON.stringify(launch);
    for (const [service, name] of [
      ['environments-create', 'launchFailed'],
      ['task-events', 'environmentFailed'],
      ['reconciler', 'reconcile.failed'],
      ['lifecycle-checks', 'launchRetry.failed'],
      ['lifecycle-checks', 'readinessCheck.failed'],
    ]) {
      expect(metrics).toContain(`"MetricName":"${name}"`);
      expect(metrics).toContain(`"Value":"${service}"`);
    }
    app.serviceTemplate.resourceCountIs('AWS::Logs::MetricFilter', 0);
  });
});
