/**
 * Ready means healthy (`docs/design.md`, "Readiness") through the deployed handlers: the manifest's
 * health probe becomes the container's ECS health check; on RUNNING the environment stays
 * `provisioning` and a delayed readiness check reads DescribeTasks until the service is
 * HEALTHY (then `ready`), or fails it, naming the service, once it is UNHEALTHY past its grace
 * period. ECS, EC2, SQS and EventBridge are mocked at the SDK; DynamoDB is DynamoDB Local.
 */
import { DescribeNetworkInterfacesCommand } from '@aws-sdk/client-ec2';
import {
  DescribeTasksCommand,
  RegisterTaskDefinitionCommand,
  RunTaskCommand,
  StopTaskCommand,
  type Task,
} from '@aws-sdk/client-ecs';
import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { beforeEach, expect, it } from 'vitest';
import { lambdaContext } from '#local/gateway';
import {
  AWS,
  createApiHarness,
  createAwsMocks,
  handPlayedQueue,
  manifest,
  sentMessages as sentTo,
} from '#test/support/api-harness';
import { ecsEvent, FIXTURE_TASK_ARN, rawEcsFixture } from '#test/support/ecs-events';

const START = Date.parse('2026-06-01T10:00:00.000Z');
let now = START;
const aws = createAwsMocks();
const api = createApiHarness({ clock: { now: () => new Date(now) } });
beforeEach(() => {
  aws.reset();
  now = START;
  aws.ecs.on(RunTaskCommand).resolves({ tasks: [{ taskArn: FIXTURE_TASK_ARN }], failures: [] });
  aws.ec2.on(DescribeNetworkInterfacesCommand).resolves({
    NetworkInterfaces: [{ NetworkInterfaceId: 'eni-abcd1234', Association: { PublicIp: '203.0.113.7' } }],
  });
});

const environments = (org: string) => `/api/v1/org/${org}/ws/default/environments`;

/** A task whose web service is probed on /health, with a 30 s grace period; launched and RUNNING. */
const runningWithHealthChecks = async () => {
  const { org, adminKey } = await api.seedOrg();
  const published = await api.call('POST', `/api/v1/org/${org}/tasks`, {
    key: adminKey,
    body: manifest({
      services: {
        web: {
          image: 'public.ecr.aws/docker/library/nginx:1.27',
          ports: [80],
          health: { path: '/health', port: 80, grace_sec: 30 },
        },
      },
    }),
  });
  expect(published.status, published.raw).toBe(201);
  const created = await api.call('POST', environments(org), {
    key: adminKey,
    body: { task_ref: 'web-sqli' },
  });
  expect(created.status, created.raw).toBe(201);
  const id: string = created.body.id;
  await api.handlers.taskEvents(ecsEvent('running-fargate', id), lambdaContext('task-events'));
  return { org, adminKey, id };
};

/** What DescribeTasks reports for the running fixture task of `id`, its web container in `health`. */
const describeAs = (id: string, health: 'HEALTHY' | 'UNHEALTHY' | 'UNKNOWN') => {
  const detail = rawEcsFixture('running-fargate').detail as Task;
  aws.ecs.on(DescribeTasksCommand).resolves({
    tasks: [
      {
        ...detail,
        taskArn: FIXTURE_TASK_ARN,
        startedBy: id,
        lastStatus: 'RUNNING',
        desiredStatus: 'RUNNING',
        healthStatus: health,
        containers: [{ name: 'web', lastStatus: 'RUNNING', healthStatus: health }],
      },
    ],
  });
};

const sentMessages = () => sentTo(aws);
const queue = handPlayedQueue(aws, api, () => now);
beforeEach(queue.reset);
const deliverQueued = async () => {
  const result = await queue.deliver();
  expect(result.batchItemFailures).toEqual([]);
};

const published = () =>
  aws.eventBridge
    .commandCalls(PutEventsCommand)
    .flatMap((c) => c.args[0].input.Entries ?? [])
    .map((e) => JSON.parse(e.Detail ?? '{}'));

it('registers the probe as the container health check ECS runs', async () => {
  // Act
  await runningWithHealthChecks();

  // Assess
  const definition = aws.ecs.commandCalls(RegisterTaskDefinitionCommand)[0]?.args[0].input;
  expect(definition?.containerDefinitions?.[0]?.healthCheck).toEqual({
    command: [
      'CMD-SHELL',
      "wget -q -O /dev/null 'http://127.0.0.1:80/health' || curl -fsS -o /dev/null 'http://127.0.0.1:80/health' || exit 1",
    ],
    interval: 10,
    timeout: 5,
    retries: 3,
    startPeriod: 30,
  });
});

it('stays provisioning on RUNNING and queues a delayed readiness check instead of going ready', async () => {
  // Act
  const { org, adminKey, id } = await runningWithHealthChecks();

  // Assess
  const read = await api.call('GET', `${environments(org)}/${id}`, { key: adminKey });
  expect(read.body).toMatchObject({ state: 'provisioning', service_urls: null });
  expect(sentMessages()).toEqual([
    {
      QueueUrl: AWS.queueUrl,
      MessageBody: JSON.stringify({
        kind: 'readiness',
        environmentId: id,
        taskArn: FIXTURE_TASK_ARN,
        runningAt: new Date(START).toISOString(),
        check: 1,
      }),
      DelaySeconds: 5,
    },
  ]);
});

it('checks again with backoff while the health is UNKNOWN, and goes ready with its URLs once HEALTHY', async () => {
  // Prepare
  const { org, adminKey, id } = await runningWithHealthChecks();
  describeAs(id, 'UNKNOWN');

  // Act
  now += 5000;
  await deliverQueued();
  const waiting = await api.call('GET', `${environments(org)}/${id}`, { key: adminKey });
  describeAs(id, 'HEALTHY');
  now += 10_000;
  await deliverQueued();

  // Assess
  expect(waiting.body.state).toBe('provisioning');
  expect(sentMessages().map((m) => [JSON.parse(m.MessageBody ?? '{}').check, m.DelaySeconds])).toEqual([
    [1, 5],
    [2, 10],
  ]);
  expect(aws.ecs.commandCalls(DescribeTasksCommand).map((c) => c.args[0].input)).toEqual([
    { cluster: AWS.clusterArn, tasks: [FIXTURE_TASK_ARN] },
    { cluster: AWS.clusterArn, tasks: [FIXTURE_TASK_ARN] },
  ]);
  const read = await api.call('GET', `${environments(org)}/${id}`, { key: adminKey });
  expect(read.body.state).toBe('ready');
  expect(read.body.service_urls).toEqual({
    web: { url: 'http://203.0.113.7:80', host: '203.0.113.7', port: 80, protocol: 'http' },
  });
  expect(read.body.instruction).toBe('Log in to http://203.0.113.7:80/login as admin.');
  expect(published().map((d) => [d.previous_state, d.state])).toEqual([
    [null, 'building'],
    ['building', 'provisioning'],
    ['provisioning', 'ready'],
  ]);
});

it('waits out an UNHEALTHY service inside its grace period', async () => {
  // Prepare
  const { org, adminKey, id } = await runningWithHealthChecks();
  describeAs(id, 'UNHEALTHY');

  // Act
  now += 5000;
  await deliverQueued();

  // Assess
  const read = await api.call('GET', `${environments(org)}/${id}`, { key: adminKey });
  expect(read.body.state).toBe('provisioning');
  expect(aws.ecs.commandCalls(StopTaskCommand)).toHaveLength(0);
  expect(sentMessages()).toHaveLength(2);
});

it('fails the environment naming the service, and stops its task, when it is UNHEALTHY past the grace period', async () => {
  // Prepare
  const { org, adminKey, id } = await runningWithHealthChecks();
  describeAs(id, 'UNHEALTHY');

  // Act
  now += 31_000;
  await deliverQueued();

  // Assess
  const read = await api.call('GET', `${environments(org)}/${id}`, { key: adminKey });
  expect(read.body).toMatchObject({
    state: 'failed',
    service_urls: null,
    error: `Not ready: Service 'web' failed its health check past the grace period of 30 s; its logs: GET /api/v1/org/${org}/ws/default/environments/${id}/logs?service=web (CLI: taskenv env logs ${id} --service web)`,
  });
  expect(aws.ecs.commandCalls(StopTaskCommand).map((c) => c.args[0].input)).toEqual([
    { cluster: AWS.clusterArn, task: FIXTURE_TASK_ARN, reason: 'taskenv: unhealthy' },
  ]);
  expect(sentMessages()).toHaveLength(1);
  expect(published().at(-1)).toMatchObject({ previous_state: 'provisioning', state: 'failed' });
});

it('ignores a late readiness check of an environment already ended', async () => {
  // Prepare
  const { org, adminKey, id } = await runningWithHealthChecks();
  const deleted = await api.call('DELETE', `${environments(org)}/${id}`, { key: adminKey });
  expect(deleted.status, deleted.raw).toBe(200);
  describeAs(id, 'HEALTHY');

  // Act
  now += 5000;
  await deliverQueued();

  // Assess
  expect(aws.ecs.commandCalls(DescribeTasksCommand)).toHaveLength(0);
  expect((await api.stores.store.get(id))?.state).toBe('torn_down');
});
