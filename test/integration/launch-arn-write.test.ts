/**
 * After RunTask, the launch records the task ARN and schedules the expiry at once (no round trip
 * of their own on the create path), on the real store (DynamoDB Local): a keepalive that came
 * before the ARN still gets its schedule, and a DELETE meanwhile still ends the launch.
 */
import { describe, expect, it } from 'vitest';
import { createDocumentClient } from '#adapters/aws/dynamodb/client';
import { DynamoEnvironmentStore } from '#adapters/aws/dynamodb/environment-store';
import type { ContainerRuntime } from '#ports/container-runtime';
import type { ExpiryScheduler } from '#ports/expiry-scheduler';
import { exampleTask } from '#test/support/example-tasks';
import { makeEnvironment } from '#test/support/factories';
import {
  fixedClock,
  InMemoryEnvFiles,
  RecordingPublisher,
  RecordingQueue,
} from '#test/support/lifecycle-fakes';
import { launchEnvironment } from '#use-cases/launch-environment';

const store = new DynamoEnvironmentStore({
  client: createDocumentClient(),
  tableName: process.env.TABLE_NAME ?? 'missing TABLE_NAME',
});
const task = exampleTask('hello-http');
const arnOf = (id: string) => `arn:aws:ecs:local:000000000000:task/taskenv/${id}`;

/** A runtime whose launch first runs `during` (what happens while RunTask is in flight). */
const runtimeWith = (during: (id: string) => Promise<void> = async () => undefined): ContainerRuntime => ({
  register: async () => ({ taskDefinitionArn: null }),
  launch: async (request) => {
    await during(request.environmentId);
    return { taskArn: arnOf(request.environmentId) };
  },
  stop: async () => undefined,
  describe: async () => [],
  findByEnvironment: async () => null,
  listRunning: async () => [],
});

/** Records the schedules. */
const recordingExpiry = () => {
  const calls: { id: string; taskArn: string; at: string }[] = [];
  const expiry: ExpiryScheduler = {
    schedule: async (id, taskArn, at) => {
      calls.push({ id, taskArn, at: at.toISOString() });
    },
    cancel: async () => undefined,
  };
  return { expiry, calls };
};

const deps = (runtime: ContainerRuntime, expiry: ExpiryScheduler) => ({
  store,
  runtime,
  envFiles: new InMemoryEnvFiles(),
  expiry,
  publisher: new RecordingPublisher(),
  checks: new RecordingQueue(),
  clock: fixedClock(new Date().toISOString()),
});

describe('a launched task', () => {
  it('has its ARN recorded and its expiry scheduled together, the schedule not waiting for the write', async () => {
    const record = makeEnvironment();
    await store.create(record, { limit: 5 });
    const { expiry, calls } = recordingExpiry();
    // The ARN write waits (up to a deadline) for the schedule to be sent: sequential steps
    // would leave it waiting the whole deadline and see no schedule.
    let scheduleSent = () => {};
    const sent = new Promise<void>((resolve) => {
      scheduleSent = resolve;
    });
    let sentBeforeWrite = false;
    const gatedStore = Object.assign(Object.create(store) as DynamoEnvironmentStore, {
      update: async (...args: Parameters<DynamoEnvironmentStore['update']>) => {
        sentBeforeWrite = await Promise.race([
          sent.then(() => true),
          new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 3_000)),
        ]);
        return store.update(...args);
      },
    });
    const signalling: ExpiryScheduler = {
      schedule: async (...args) => {
        scheduleSent();
        await expiry.schedule(...args);
      },
      cancel: async () => undefined,
    };

    const launch = await launchEnvironment(record, task, 1, {
      ...deps(runtimeWith(), signalling),
      store: gatedStore,
    });

    expect(launch).toMatchObject({ kind: 'launched', record: { taskArn: arnOf(record.id) } });
    expect(sentBeforeWrite).toBe(true);
    expect((await store.get(record.id))?.taskArn).toBe(arnOf(record.id));
    expect(calls.map((c) => [c.id, c.taskArn, c.at])).toEqual([
      [record.id, arnOf(record.id), record.expiresAt],
    ]);
  });

  it('moves the schedule to an expiry a keepalive set while RunTask was in flight', async () => {
    const record = makeEnvironment();
    await store.create(record, { limit: 5 });
    const later = new Date(Date.parse(record.expiresAt ?? '') + 600_000).toISOString();
    const { expiry, calls } = recordingExpiry();
    // A keepalive before the ARN exists changes the record only (it has no task to schedule).
    const keepalive = async (id: string) => {
      await store.update(id, { expiresAt: later });
    };

    const launch = await launchEnvironment(record, task, 1, deps(runtimeWith(keepalive), expiry));

    expect(launch).toMatchObject({ kind: 'launched', record: { expiresAt: later } });
    expect(calls.map((c) => c.at)).toEqual([record.expiresAt, later]);
  });

  it('ends when the environment was deleted while RunTask was in flight, its task still under a schedule', async () => {
    const record = makeEnvironment();
    await store.create(record, { limit: 5 });
    const { expiry, calls } = recordingExpiry();
    const teardown = async (id: string) => {
      await store.transition(id, { to: 'torn_down' });
    };

    const launch = await launchEnvironment(record, task, 1, deps(runtimeWith(teardown), expiry));

    expect(launch).toEqual({ kind: 'ended' });
    expect((await store.get(record.id))?.state).toBe('torn_down');
    expect(calls.map((c) => c.taskArn)).toEqual([arnOf(record.id)]);
  });
});
