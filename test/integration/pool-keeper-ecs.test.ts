/**
 * The pool keeper's ECS calls at the SDK boundary (ECS has no emulator): the keeper over the
 * real ECS adapter with a mocked client, and the real pool store on DynamoDB Local. Pool tasks
 * carry no env file, no overrides and no workspace; a shrink stops exactly the surplus.
 */
import { ECSClient, RunTaskCommand, StopTaskCommand } from '@aws-sdk/client-ecs';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, expect, it } from 'vitest';
import { createDocumentClient } from '#adapters/aws/dynamodb/client';
import { EcsRuntime } from '#adapters/aws/ecs-runtime';
import { dynamoStores } from '#adapters/aws/wiring';
import { parseManifest } from '#domain/manifest';
import { randomIds } from '#ports/clock';
import { uniqueName } from '#test/support/factories';
import { fixedClock } from '#test/support/lifecycle-fakes';
import { poolsOfOrg } from '#test/support/pools';
import { keepPools } from '#use-cases/pool-keeper';

const ecs = new ECSClient({ region: 'eu-west-1' });
const ecsMock = mockClient(ecs);
const CLUSTER = 'arn:aws:ecs:eu-west-1:123456789012:cluster/taskenv';
const TASK_DEFINITION = 'arn:aws:ecs:eu-west-1:123456789012:task-definition/taskenv-acme-web:1';
const runtime = new EcsRuntime({
  ecs,
  config: {
    clusterArn: CLUSTER,
    subnets: ['subnet-aaa'],
    securityGroups: ['sg-123'],
    assignPublicIp: true,
    executionRoleArn: 'arn:aws:iam::123456789012:role/exec',
    taskRoleArn: 'arn:aws:iam::123456789012:role/task',
    logGroupName: '/taskenv/tasks',
    region: 'eu-west-1',
  },
});
const stores = dynamoStores(createDocumentClient(), {
  TABLE_NAME: process.env.TABLE_NAME ?? 'missing TABLE_NAME',
});
const NOW = new Date();
let org: string;

const deps = () => ({
  pools: poolsOfOrg(stores.poolStore, () => org),
  tasks: stores.tasks,
  runtime,
  clock: fixedClock(NOW.toISOString()),
  ids: randomIds,
});

beforeEach(async () => {
  ecsMock.reset();
  org = uniqueName('org');
  const manifest = parseManifest({
    name: 'web',
    version: '1.0.0',
    instruction: 'Open {{ web_url }}.',
    services: { web: { image: 'public.ecr.aws/docker/library/nginx:1.27', ports: [80] } },
  });
  await stores.tasks.publish({
    org,
    name: 'web',
    version: '1.0.0',
    public: false,
    description: null,
    manifest,
    taskDefinitionArn: TASK_DEFINITION,
    createdAt: NOW.toISOString(),
  });
  let n = 0;
  ecsMock.on(RunTaskCommand).callsFake(() => ({
    tasks: [{ taskArn: `arn:aws:ecs:eu-west-1:123456789012:task/taskenv/${String(++n).padStart(32, '0')}` }],
    failures: [],
  }));
  ecsMock.on(StopTaskCommand).resolves({});
});

it('starts each pool task with RunTask: pool/<slot> as startedBy and token, org and task tags, no overrides', async () => {
  // Prepare
  await stores.poolStore.putPool({ org, name: 'web@1.0.0', taskRef: `${org}/web@1.0.0`, size: 2 }, NOW);

  // Act
  const summary = await keepPools(deps());

  // Assess
  const calls = ecsMock.commandCalls(RunTaskCommand).map((c) => c.args[0].input);
  expect(calls).toEqual(
    summary.started.map((id) => ({
      cluster: CLUSTER,
      taskDefinition: TASK_DEFINITION,
      launchType: 'FARGATE',
      count: 1,
      clientToken: `pool/${id}`,
      startedBy: `pool/${id}`,
      group: `taskenv:${org}`,
      // A claimed environment runs commands like any other (ECS Exec).
      enableExecuteCommand: true,
      tags: [
        { key: 'taskenv:org', value: org },
        { key: 'taskenv:task', value: `${org}/web@1.0.0` },
        { key: 'taskenv:pool-slot', value: `pool/${id}` },
      ],
      networkConfiguration: {
        awsvpcConfiguration: {
          subnets: ['subnet-aaa'],
          securityGroups: ['sg-123'],
          assignPublicIp: 'ENABLED',
        },
      },
    })),
  );
  expect(calls).toHaveLength(2);
  // ECS allows at most 36 characters of [A-Za-z0-9_/-] in startedBy.
  for (const call of calls) expect(call.startedBy).toMatch(/^[A-Za-z0-9_/-]{1,36}$/);
});

it('stops the surplus task of a shrunk pool with StopTask and its reason, and nothing else', async () => {
  // Prepare
  await stores.poolStore.putPool({ org, name: 'web@1.0.0', taskRef: `${org}/web@1.0.0`, size: 2 }, NOW);
  await keepPools(deps());
  await stores.poolStore.putPool({ org, name: 'web@1.0.0', taskRef: `${org}/web@1.0.0`, size: 1 }, NOW);

  // Act
  const summary = await keepPools(deps());

  // Assess
  const retired = await stores.poolStore.findSlot(summary.retired[0] ?? '');
  expect(ecsMock.commandCalls(StopTaskCommand).map((c) => c.args[0].input)).toEqual([
    { cluster: CLUSTER, task: retired?.taskArn, reason: 'taskenv: pool slot retired' },
  ]);
  expect(ecsMock.commandCalls(RunTaskCommand)).toHaveLength(2);
});
