/**
 * Launch retries (`docs/design.md`, "Launch retries") through the deployed handlers: a refusal ECS
 * calls transient is retried from the delay queue with the same client token and a growing
 * delay, until the launch deadline; a permanent one is a 502 at once. The requests to ECS and
 * SQS are asserted exactly; DynamoDB is DynamoDB Local.
 */

import { RunTaskCommand } from '@aws-sdk/client-ecs';
import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { CreateScheduleCommand } from '@aws-sdk/client-scheduler';
import type { SQSEvent } from 'aws-lambda';
import { beforeEach, expect, it } from 'vitest';
import { lambdaContext } from '#local/gateway';
import {
  AWS,
  createApiHarness,
  createAwsMocks,
  expectError,
  handPlayedQueue,
  lifecycleCheckRecord,
  sentMessages as sentTo,
} from '#test/support/api-harness';

let now = Date.parse('2026-06-01T10:00:00.000Z');
const aws = createAwsMocks();
const api = createApiHarness({ clock: { now: () => new Date(now) } });
beforeEach(() => {
  aws.reset();
  now = Date.parse('2026-06-01T10:00:00.000Z');
});

const CAPACITY =
  'Capacity is unavailable at this time. Please try again later or in a different availability zone';
const refuseForCapacity = () =>
  aws.ecs.on(RunTaskCommand).resolves({ tasks: [], failures: [{ arn: AWS.clusterArn, reason: CAPACITY }] });

const environments = (org: string) => `/api/v1/org/${org}/ws/default/environments`;

const seedWithTask = () => api.seedWithTask();

const sentMessages = () => sentTo(aws);
const queue = handPlayedQueue(aws, api, () => now);
beforeEach(queue.reset);
const deliverQueued = queue.deliver;

it('keeps a launch refused for capacity building and queues its retry with the same client token', async () => {
  // Prepare
  const { org, adminKey } = await seedWithTask();
  refuseForCapacity();

  // Act
  const created = await api.call('POST', environments(org), {
    key: adminKey,
    body: { task_ref: 'web-sqli' },
  });

  // Assess
  expect(created.status, created.raw).toBe(201);
  expect(created.body).toMatchObject({ state: 'building', error: null });
  const { id } = created.body;
  expect(sentMessages()).toEqual([
    {
      QueueUrl: AWS.queueUrl,
      MessageBody: JSON.stringify({ kind: 'launch', environmentId: id, attempt: 2 }),
      DelaySeconds: 2,
    },
  ]);
  expect(await api.stores.store.get(id)).toMatchObject({
    state: 'building',
    launchAttempts: 1,
    launchRetryAt: new Date(now + 2000).toISOString(),
  });
  expect(aws.scheduler.commandCalls(CreateScheduleCommand)).toHaveLength(0);
});

it('retries with backoff until the deadline, then fails the environment naming the capacity refusal', async () => {
  // Prepare
  const { org, adminKey } = await seedWithTask();
  refuseForCapacity();
  const created = await api.call('POST', environments(org), {
    key: adminKey,
    body: { task_ref: 'web-sqli' },
  });
  const { id } = created.body;

  // Act: the retries come due (2 s, then 4 s later), then one arrives past the 600 s deadline.
  now += 2000;
  const second = await deliverQueued();
  now += 4000;
  const third = await deliverQueued();
  now = Date.parse(created.body.created_at) + 600_000;
  const fourth = await deliverQueued();

  // Assess
  expect([second, third, fourth].map((r) => r.batchItemFailures)).toEqual([[], [], []]);
  const runTasks = aws.ecs.commandCalls(RunTaskCommand).map((c) => c.args[0].input);
  expect(runTasks).toHaveLength(4);
  expect(new Set(runTasks.map((r) => r.clientToken))).toEqual(new Set([id]));
  expect(sentMessages().map((m) => [JSON.parse(m.MessageBody ?? '{}').attempt, m.DelaySeconds])).toEqual([
    [2, 2],
    [3, 4],
    [4, 8],
  ]);
  const read = await api.call('GET', `${environments(org)}/${id}`, { key: adminKey });
  expect(read.body.state).toBe('failed');
  expect(read.body.error).toBe(`Launch failed: ${CAPACITY} (still refused after 4 attempts over 600 s)`);
  expect(await api.stores.store.get(id)).toMatchObject({ launchAttempts: 4, launchRetryAt: null });
  const published = aws.eventBridge
    .commandCalls(PutEventsCommand)
    .flatMap((c) => c.args[0].input.Entries ?? [])
    .map((e) => JSON.parse(e.Detail ?? '{}'));
  expect(published.map((d) => [d.previous_state, d.state])).toEqual([
    [null, 'building'],
    ['building', 'failed'],
  ]);
});

it('records the task and schedules the expiry once a retry is accepted', async () => {
  // Prepare
  const { org, adminKey } = await seedWithTask();
  refuseForCapacity();
  const created = await api.call('POST', environments(org), {
    key: adminKey,
    body: { task_ref: 'web-sqli' },
  });
  const taskArn = `arn:aws:ecs:us-east-1:123456789012:task/taskenv/${'b'.repeat(32)}`;
  aws.ecs.on(RunTaskCommand).resolves({ tasks: [{ taskArn, lastStatus: 'PROVISIONING' }], failures: [] });

  // Act
  now += 2000;
  const result = await deliverQueued();

  // Assess
  expect(result.batchItemFailures).toEqual([]);
  expect(await api.stores.store.get(created.body.id)).toMatchObject({
    state: 'building',
    taskArn,
    launchAttempts: 2,
    launchRetryAt: null,
  });
  expect(aws.scheduler.commandCalls(CreateScheduleCommand).map((c) => c.args[0].input.Name)).toEqual([
    `taskenv-${created.body.id}`,
  ]);
  expect(sentMessages()).toHaveLength(1);
});

it('does nothing for a retry of an environment deleted meanwhile', async () => {
  // Prepare
  const { org, adminKey } = await seedWithTask();
  refuseForCapacity();
  const created = await api.call('POST', environments(org), {
    key: adminKey,
    body: { task_ref: 'web-sqli' },
  });
  const deleted = await api.call('DELETE', `${environments(org)}/${created.body.id}`, { key: adminKey });
  expect(deleted.status, deleted.raw).toBe(200);

  // Act
  now += 2000;
  const result = await deliverQueued();

  // Assess
  expect(result.batchItemFailures).toEqual([]);
  expect(aws.ecs.commandCalls(RunTaskCommand)).toHaveLength(1);
  expect(await api.stores.store.get(created.body.id)).toMatchObject({ state: 'torn_down' });
});

it('answers 502 at once for a permanent refusal, and queues nothing', async () => {
  // Prepare
  const { org, adminKey } = await seedWithTask();
  aws.ecs.on(RunTaskCommand).resolves({ tasks: [], failures: [{ reason: 'CannotPullContainerError' }] });

  // Act
  const refused = await api.call('POST', environments(org), {
    key: adminKey,
    body: { task_ref: 'web-sqli' },
  });

  // Assess
  expectError(refused, 502, 'bad_gateway_error');
  expect(sentMessages()).toEqual([]);
});

it('reports a malformed queue message as a batch item failure, leaving the others alone', async () => {
  // Prepare
  const event: SQSEvent = { Records: [lifecycleCheckRecord('bad', '{"kind":"launch"}', 0)] };

  // Act
  const result = await api.handlers.lifecycleChecks(event, lambdaContext('lifecycle-checks'));

  // Assess
  expect(result).toEqual({ batchItemFailures: [{ itemIdentifier: 'bad' }] });
});
