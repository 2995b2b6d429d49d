import { Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { POOL_KEEPER_NUDGE } from '#adapters/aws/eventbridge-pool-nudge';
import { type Synthesized, synthesize } from './synth.ts';
import { logicalIdAt, resourceAt } from './template.ts';

describe('pool keeping', () => {
  let app: Synthesized;
  let keeperId: string;
  beforeAll(() => {
    app = synthesize();
    keeperId = logicalIdAt(app.serviceTemplate, 'TaskenvService/pool-keeper/Function/Resource');
  });

  it('runs the keeper every minute, outside the expiry group, without retries', () => {
    app.serviceTemplate.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'rate(1 minute)',
      GroupName: Match.absent(),
      Target: Match.objectLike({
        Arn: { 'Fn::GetAtt': [keeperId, 'Arn'] },
        RetryPolicy: Match.objectLike({ MaximumRetryAttempts: 0 }),
      }),
    });
  });

  it('runs one keeper at a time (reserved concurrency 1)', () => {
    expect(
      resourceAt(app.serviceTemplate, 'TaskenvService/pool-keeper/Function/Resource').Properties,
    ).toMatchObject({
      ReservedConcurrentExecutions: 1,
    });
  });

  it('invokes the keeper asynchronously for each nudge on the taskenv bus', () => {
    const busId = logicalIdAt(app.serviceTemplate, 'TaskenvService/Lifecycle/Bus/Resource');
    const rule = resourceAt(app.serviceTemplate, 'TaskenvService/PoolKeeping/NudgeRule/Resource');
    expect(rule.Properties).toMatchObject({
      EventBusName: { Ref: busId },
      EventPattern: { source: ['taskenv'], 'detail-type': [POOL_KEEPER_NUDGE] },
      Targets: [expect.objectContaining({ Arn: { 'Fn::GetAtt': [keeperId, 'Arn'] } })],
    });
  });
});
