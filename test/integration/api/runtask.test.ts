/**
 * What taskenv asks of ECS, S3 and Scheduler when it provisions, asserted request by request.
 */

import { Metrics } from '@aws-lambda-powertools/metrics';
import { ClientException, RunTaskCommand } from '@aws-sdk/client-ecs';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { CreateScheduleCommand } from '@aws-sdk/client-scheduler';
import { beforeEach, expect, it, vi } from 'vitest';
import { EXPIRED_STOP_REASON } from '#ports/expiry-scheduler';
import { AWS, createApiHarness, createAwsMocks, expectError } from '#test/support/api-harness';

const aws = createAwsMocks();
const api = createApiHarness();
beforeEach(() => aws.reset());

const environments = (org: string, ws = 'default') => `/api/v1/org/${org}/ws/${ws}/environments`;

const seedWithTask = (limits: Parameters<typeof api.seedOrg>[0] = {}) =>
  api.seedWithTask({
    ...limits,
    manifest: {
      services: {
        web: { image: 'public.ecr.aws/docker/library/nginx:1.27', ports: [80] },
        db: { image: 'public.ecr.aws/docker/library/postgres:16', ports: [], essential: false },
      },
    },
  });

const runTaskInputs = () => aws.ecs.commandCalls(RunTaskCommand).map((c) => c.args[0].input);

it('sends RunTask exactly: token, startedBy, group, tags, network and the env file', async () => {
  // Prepare
  const { org, adminKey } = await seedWithTask();
  const secretValue = 'pg-password-0xC0FFEE-runtask';
  const put = await api.call('PUT', `/api/v1/org/${org}/ws/team-a/secrets/db-password`, {
    key: adminKey,
    body: { value: secretValue },
  });
  expect(put.status, put.raw).toBe(200);

  // Act
  const created = await api.call('POST', environments(org, 'team-a'), {
    key: adminKey,
    body: { task_ref: 'web-sqli', secret_ids: ['db-password'] },
  });

  // Assess
  expect(created.status, created.raw).toBe(201);
  const { id, execute_token: token } = created.body;
  const envFileArn = `arn:aws:s3:::${AWS.bucket}/env/${id}.env`;
  const override = (name: string) => ({
    name,
    environmentFiles: [{ type: 's3', value: envFileArn }],
    environment: [{ name: 'TASKENV_ENVIRONMENT_ID', value: id }],
  });
  const inputs = runTaskInputs();
  expect(inputs).toHaveLength(1);
  expect(inputs[0]).toEqual({
    cluster: AWS.clusterArn,
    taskDefinition: `arn:aws:ecs:us-east-1:123456789012:task-definition/taskenv-${org}-web-sqli:1`,
    launchType: 'FARGATE',
    count: 1,
    clientToken: id,
    startedBy: id,
    group: `taskenv:${org}`,
    enableExecuteCommand: true,
    tags: [
      { key: 'taskenv:org', value: org },
      { key: 'taskenv:workspace', value: 'team-a' },
      { key: 'taskenv:environment-id', value: id },
    ],
    networkConfiguration: {
      awsvpcConfiguration: {
        subnets: [...AWS.subnets],
        securityGroups: [...AWS.securityGroups],
        assignPublicIp: 'ENABLED',
      },
    },
    overrides: { containerOverrides: [override('web'), override('db')] },
  });
  // The env file holds the secret and the token; ECS echoes overrides, so they hold neither.
  const puts = aws.s3.commandCalls(PutObjectCommand).map((c) => c.args[0].input);
  expect(puts).toEqual([
    {
      Bucket: AWS.bucket,
      Key: `env/${id}.env`,
      Body: `DB_PASSWORD=${secretValue}\nTASKENV_ENVIRONMENT_ID=${id}\nTASKENV_EXECUTE_TOKEN=${token}\n`,
      ContentType: 'text/plain',
      ServerSideEncryption: 'aws:kms',
      SSEKMSKeyId: AWS.kmsKeyId,
    },
  ]);
  const serialised = JSON.stringify(inputs[0]);
  expect(serialised).not.toContain(secretValue);
  expect(serialised).not.toContain(token);
});

it('schedules the expiry at expires_at with a StopTask of the launched task', async () => {
  // Prepare
  const { org, adminKey } = await seedWithTask();

  // Act
  const created = await api.call('POST', environments(org), {
    key: adminKey,
    body: { task_ref: 'web-sqli', timeout_sec: 1234 },
  });

  // Assess
  expect(created.status, created.raw).toBe(201);
  const taskArn = (await api.stores.store.get(created.body.id))?.taskArn;
  expect(taskArn).toMatch(/^arn:aws:ecs:us-east-1:123456789012:task\/taskenv\//);
  const expiresAt = Date.parse(created.body.expires_at);
  expect(expiresAt - Date.parse(created.body.created_at)).toBe(1_234_000);
  const at = new Date(Math.ceil(expiresAt / 1000) * 1000).toISOString().slice(0, 19);
  const schedules = aws.scheduler.commandCalls(CreateScheduleCommand).map((c) => c.args[0].input);
  expect(schedules).toEqual([
    {
      Name: `taskenv-${created.body.id}`,
      GroupName: AWS.schedulerGroup,
      ScheduleExpression: `at(${at})`,
      ScheduleExpressionTimezone: 'UTC',
      FlexibleTimeWindow: { Mode: 'OFF' },
      ActionAfterCompletion: 'DELETE',
      Target: {
        Arn: 'arn:aws:scheduler:::aws-sdk:ecs:stopTask',
        RoleArn: AWS.schedulerRoleArn,
        Input: JSON.stringify({ Cluster: AWS.clusterArn, Task: taskArn, Reason: EXPIRED_STOP_REASON }),
        RetryPolicy: { MaximumRetryAttempts: 3 },
      },
    },
  ]);
});

it('answers 502 when RunTask reports failures, and the environment then reads failed with the reason', async () => {
  // Prepare
  const { org, adminKey } = await seedWithTask();
  aws.ecs.on(RunTaskCommand).resolves({
    tasks: [],
    failures: [{ arn: AWS.clusterArn, reason: 'RESOURCE:MEMORY', detail: 'no capacity in us-east-1a' }],
  });
  const counted = vi.spyOn(Metrics.prototype, 'addMetric');

  // Act
  const refused = await api.call('POST', environments(org, 'refused'), {
    key: adminKey,
    body: { task_ref: 'web-sqli' },
  });
  const list = await api.call('GET', environments(org, 'refused'), { key: adminKey });

  // Assess
  expectError(refused, 502, 'bad_gateway_error');
  expect(refused.body.detail).toContain('RESOURCE:MEMORY');
  expect(list.body.total).toBe(1);
  const id = list.body.environments[0].id;
  const read = await api.call('GET', `${environments(org, 'refused')}/${id}`, { key: adminKey });
  expect(read.status, read.raw).toBe(200);
  expect(read.body.state).toBe('failed');
  expect(read.body.error).toContain('RESOURCE:MEMORY (no capacity in us-east-1a)');
  // A refused launch schedules no expiry, and is counted for the launch-failure alarm.
  expect(aws.scheduler.commandCalls(CreateScheduleCommand)).toHaveLength(0);
  expect(counted).toHaveBeenCalledWith('launchFailed', 'Count', 1);
  counted.mockRestore();
});

it('answers 502 when ECS refuses the launch with a client exception', async () => {
  const { org, adminKey } = await seedWithTask();
  aws.ecs
    .on(RunTaskCommand)
    .rejects(new ClientException({ message: 'Task definition is inactive', $metadata: {} }));

  const refused = await api.call('POST', environments(org, 'inactive'), {
    key: adminKey,
    body: { task_ref: 'web-sqli' },
  });
  const list = await api.call('GET', environments(org, 'inactive'), { key: adminKey });

  expectError(refused, 502, 'bad_gateway_error');
  expect(refused.body.detail).toContain('Task definition is inactive');
  expect(list.body.environments.map((e: { state: string }) => e.state)).toEqual(['failed']);
});

it('releases the quota unit of a refused launch', async () => {
  // Prepare: an org that may run one environment at a time.
  const { org, adminKey } = await seedWithTask({ maxConcurrentEnvironments: 1 });
  aws.ecs.on(RunTaskCommand).resolves({ tasks: [], failures: [{ reason: 'CannotPullContainerError' }] });
  const create = () => api.call('POST', environments(org), { key: adminKey, body: { task_ref: 'web-sqli' } });
  const refused = await create();
  expectError(refused, 502, 'bad_gateway_error');
  aws.reset();

  // Act
  const accepted = await create();
  const overQuota = await create();

  // Assess
  expect(accepted.status, accepted.raw).toBe(201);
  expectError(overQuota, 429, 'rate_limit_error');
  expect(runTaskInputs()).toHaveLength(1);
});
