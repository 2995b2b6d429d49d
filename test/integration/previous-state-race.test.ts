/**
 * Two transitions of one environment racing on DynamoDB Local: the integration event of the
 * one that lands second reports the state it really replaced, not the one its caller had read.
 */
import { expect, it } from 'vitest';
import { DynamoAccessStore } from '#adapters/aws/dynamodb/access-store';
import { createDocumentClient } from '#adapters/aws/dynamodb/client';
import { DynamoEnvironmentStore } from '#adapters/aws/dynamodb/environment-store';
import type { EnvironmentRecord } from '#domain/environment';
import type { Principal } from '#domain/principal';
import type { ContainerRuntime } from '#ports/container-runtime';
import type { EnvironmentStore } from '#ports/environment-store';
import { ecsEvent, FIXTURE_TASK_ARN, stoppedEvent } from '#test/support/ecs-events';
import { makeEnvironment, recordWithOrg } from '#test/support/factories';
import {
  fixedClock,
  InMemoryEnvFiles,
  RecordingPublisher,
  RecordingQueue,
} from '#test/support/lifecycle-fakes';
import { applyTaskEvent } from '#use-cases/apply-task-event';
import { teardownEnvironment } from '#use-cases/environments';

const client = createDocumentClient();
const tableName = process.env.TABLE_NAME ?? 'taskenv-test';
const clock = fixedClock('2020-01-23T18:00:00.000Z');
const store = new DynamoEnvironmentStore({ client, tableName, clock });
const access = new DynamoAccessStore({ client, tableName });

const eventDeps = (publisher: RecordingPublisher) => ({
  store,
  addresses: { hostFor: async () => '203.0.113.7' },
  publisher,
  envFiles: new InMemoryEnvFiles(),
  checks: new RecordingQueue(),
  clock,
});

const provisioning = async (): Promise<EnvironmentRecord> => {
  const record = makeEnvironment({ state: 'provisioning', eventVersion: 1, taskArn: FIXTURE_TASK_ARN });
  return recordWithOrg({ access, store }, record);
};

/** The store, with `before` run once right before the first transition reaches DynamoDB. */
const interleaved = (before: () => Promise<void>): EnvironmentStore => {
  let pending: (() => Promise<void>) | null = before;
  return {
    create: (record, quota) => store.create(record, quota),
    get: (id) => store.get(id),
    list: (query) => store.list(query),
    update: (id, set, options) => store.update(id, set, options),
    recordEvent: (id, event) => store.recordEvent(id, event),
    listLive: () => store.listLive(),
    transition: async (id, change, options) => {
      const run = pending;
      pending = null;
      if (run !== null) await run();
      return store.transition(id, change, options);
    },
  };
};

const noRuntime: ContainerRuntime = {
  register: async () => ({ taskDefinitionArn: null }),
  launch: async () => ({ taskArn: FIXTURE_TASK_ARN }),
  stop: async () => undefined,
  describe: async () => [],
  findByEnvironment: async () => null,
  listRunning: async () => [],
};

it('DELETE that read provisioning while RUNNING made it ready publishes ready → torn_down', async () => {
  // Prepare
  const record = await provisioning();
  const publisher = new RecordingPublisher();
  const principal: Principal = { keyId: 'k', org: record.org, role: 'admin', workspaces: ['*'] };

  // Act: DELETE reads `provisioning`; RUNNING lands before its write does.
  const torn = await teardownEnvironment(
    { principal, org: record.org, workspace: record.workspace, id: record.id },
    {
      store: interleaved(async () => {
        await applyTaskEvent(ecsEvent('running-fargate', record.id), eventDeps(publisher));
      }),
      runtime: noRuntime,
      expiry: { schedule: async () => undefined, cancel: async () => undefined },
      envFiles: new InMemoryEnvFiles(),
      publisher,
      clock,
    },
  );

  // Assess
  expect(torn.state).toBe('torn_down');
  expect(publisher.events.map((e) => [e.previous_state, e.state])).toEqual([
    ['provisioning', 'ready'],
    ['ready', 'torn_down'],
  ]);
});

it('a STOPPED event that read provisioning while RUNNING made it ready publishes ready → failed', async () => {
  // Prepare
  const record = await provisioning();
  const publisher = new RecordingPublisher();
  const racing = interleaved(async () => {
    await applyTaskEvent(ecsEvent('running-fargate', record.id), eventDeps(publisher));
  });

  // Act
  await applyTaskEvent(stoppedEvent(record.id, 9), { ...eventDeps(publisher), store: racing });

  // Assess
  expect(await store.get(record.id)).toMatchObject({ state: 'failed', previousState: 'ready' });
  expect(publisher.events.map((e) => [e.previous_state, e.state])).toEqual([
    ['provisioning', 'ready'],
    ['ready', 'failed'],
  ]);
});
