import {
  ConflictException,
  CreateScheduleCommand,
  DeleteScheduleCommand,
  ResourceNotFoundException,
  SchedulerClient,
  UpdateScheduleCommand,
  ValidationException,
} from '@aws-sdk/client-scheduler';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { SchedulerExpiry } from '#adapters/aws/scheduler-expiry';

const scheduler = new SchedulerClient({ region: 'eu-west-1' });
const schedulerMock = mockClient(scheduler);

const ENV_ID = '0f8fad5b-d9cb-469f-a165-70867728950e';
const CLUSTER = 'arn:aws:ecs:eu-west-1:123456789012:cluster/taskenv';
const TASK_ARN = 'arn:aws:ecs:eu-west-1:123456789012:task/taskenv/0123456789abcdef0123456789abcdef';
const ROLE = 'arn:aws:iam::123456789012:role/taskenv-expiry';

const expiry = new SchedulerExpiry({ scheduler, groupName: 'taskenv', roleArn: ROLE, clusterArn: CLUSTER });

const expectedInput = (expression: string) => ({
  Name: `taskenv-${ENV_ID}`,
  GroupName: 'taskenv',
  ScheduleExpression: expression,
  ScheduleExpressionTimezone: 'UTC',
  FlexibleTimeWindow: { Mode: 'OFF' },
  ActionAfterCompletion: 'DELETE',
  Target: {
    Arn: 'arn:aws:scheduler:::aws-sdk:ecs:stopTask',
    RoleArn: ROLE,
    Input: JSON.stringify({ Cluster: CLUSTER, Task: TASK_ARN, Reason: 'taskenv: expired' }),
    RetryPolicy: { MaximumRetryAttempts: 3 },
  },
});

beforeEach(() => {
  schedulerMock.reset();
});

describe('SchedulerExpiry.schedule', () => {
  it('creates a self-deleting one-time schedule that stops the task with the expiry reason', async () => {
    // Prepare
    schedulerMock.on(CreateScheduleCommand).resolves({ ScheduleArn: 'arn:schedule' });

    // Act
    await expiry.schedule(ENV_ID, TASK_ARN, new Date('2026-03-04T05:06:07.000Z'));

    // Assess
    expect(schedulerMock.commandCalls(CreateScheduleCommand)[0]?.args[0].input).toEqual(
      expectedInput('at(2026-03-04T05:06:07)'),
    );
    expect(schedulerMock.commandCalls(UpdateScheduleCommand)).toHaveLength(0);
  });

  it('rounds a fractional second up, so the task never stops before expires_at', async () => {
    // Prepare
    schedulerMock.on(CreateScheduleCommand).resolves({});

    // Act
    await expiry.schedule(ENV_ID, TASK_ARN, new Date('2026-12-31T23:59:59.250Z'));

    // Assess
    expect(schedulerMock.commandCalls(CreateScheduleCommand)[0]?.args[0].input.ScheduleExpression).toBe(
      'at(2027-01-01T00:00:00)',
    );
  });

  it('moves an existing schedule (keepalive) with the same fields', async () => {
    // Prepare
    schedulerMock.on(CreateScheduleCommand).rejects(
      new ConflictException({
        message: 'Schedule already exists.',
        Message: 'Schedule already exists.',
        $metadata: {},
      }),
    );
    schedulerMock.on(UpdateScheduleCommand).resolves({ ScheduleArn: 'arn:schedule' });

    // Act
    await expiry.schedule(ENV_ID, TASK_ARN, new Date('2026-03-04T06:00:00.000Z'));

    // Assess
    expect(schedulerMock.commandCalls(UpdateScheduleCommand)[0]?.args[0].input).toEqual(
      expectedInput('at(2026-03-04T06:00:00)'),
    );
  });

  it('surfaces any other error', async () => {
    // Prepare
    schedulerMock
      .on(CreateScheduleCommand)
      .rejects(
        new ValidationException({ message: 'Invalid RoleArn', Message: 'Invalid RoleArn', $metadata: {} }),
      );

    // Act
    const result = expiry.schedule(ENV_ID, TASK_ARN, new Date('2026-03-04T06:00:00.000Z'));

    // Assess
    await expect(result).rejects.toBeInstanceOf(ValidationException);
    expect(schedulerMock.commandCalls(UpdateScheduleCommand)).toHaveLength(0);
  });
});

describe('SchedulerExpiry.cancel', () => {
  it("deletes the environment's schedule", async () => {
    // Prepare
    schedulerMock.on(DeleteScheduleCommand).resolves({});

    // Act
    await expiry.cancel(ENV_ID);

    // Assess
    expect(schedulerMock.commandCalls(DeleteScheduleCommand)[0]?.args[0].input).toEqual({
      Name: `taskenv-${ENV_ID}`,
      GroupName: 'taskenv',
    });
  });

  it('ignores a schedule that already fired or never existed', async () => {
    // Prepare
    schedulerMock.on(DeleteScheduleCommand).rejects(
      new ResourceNotFoundException({
        message: 'Schedule not found.',
        Message: 'Schedule not found.',
        $metadata: {},
      }),
    );

    // Act
    const result = expiry.cancel(ENV_ID);

    // Assess
    await expect(result).resolves.toBeUndefined();
  });

  it('surfaces any other error', async () => {
    // Prepare
    schedulerMock
      .on(DeleteScheduleCommand)
      .rejects(
        new ValidationException({ message: 'Invalid group', Message: 'Invalid group', $metadata: {} }),
      );

    // Act
    const result = expiry.cancel(ENV_ID);

    // Assess
    await expect(result).rejects.toBeInstanceOf(ValidationException);
  });
});
