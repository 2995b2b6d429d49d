import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import type { Context } from 'aws-lambda';
import { describe, expect, it, vi } from 'vitest';
import type { ContainerRuntime } from '#ports/container-runtime';
import type { TaskRegistry } from '#ports/task-registry';
import { createReconcilerHandler, ReconcileIncompleteError } from '#shared/handlers/reconciler';
import { createTaskEventsHandler } from '#shared/handlers/task-events';
import { FIXTURE_TASK_ARN, rawEcsFixture } from '#test/support/ecs-events';
import { makeEnvironment, runtimeTask } from '#test/support/factories';
import {
  fixedClock,
  InMemoryEnvFiles,
  InMemoryEnvironmentStore,
  RecordingPublisher,
  RecordingQueue,
} from '#test/support/lifecycle-fakes';

const context = {
  functionName: 'taskenv-test',
  functionVersion: '$LATEST',
  invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:taskenv-test',
  memoryLimitInMB: '256',
  awsRequestId: 'c6af9ac6-7b61-11e6-9a41-93e812345678',
  logGroupName: '/aws/lambda/taskenv-test',
  logStreamName: '2026/03/01/[$LATEST]abc',
  callbackWaitsForEmptyEventLoop: true,
  getRemainingTimeInMillis: () => 30_000,
  done: () => undefined,
  fail: () => undefined,
  succeed: () => undefined,
} satisfies Context;

const clock = fixedClock('2026-03-01T12:00:00.000Z');

/** Powertools metrics whose flushes are counted instead of printed. */
const quietMetrics = () => {
  const metrics = new Metrics({ namespace: 'taskenv', serviceName: 'test' });
  const added = vi.spyOn(metrics, 'addMetric');
  const published = vi.spyOn(metrics, 'publishStoredMetrics').mockImplementation(() => metrics);
  return { metrics, added, published };
};

const logger = () => new Logger({ serviceName: 'test', logLevel: 'SILENT' });

describe('task-events handler', () => {
  const setup = async () => {
    const store = new InMemoryEnvironmentStore(clock);
    const record = makeEnvironment({ instructionTemplate: null, instruction: 'Find the flag.' });
    await store.create(record, { limit: 5 });
    const { metrics, added } = quietMetrics();
    const handler = createTaskEventsHandler({
      deps: {
        store,
        addresses: { hostFor: async (network) => network.privateIp },
        publisher: new RecordingPublisher(),
        envFiles: new InMemoryEnvFiles(),
        checks: new RecordingQueue(),
        clock,
      },
      logger: logger(),
      metrics,
    });
    const raw = rawEcsFixture('running-fargate');
    const event = {
      ...raw,
      detail: { ...(raw.detail as object), startedBy: record.id, taskArn: FIXTURE_TASK_ARN },
    };
    return { store, record, handler, event, added };
  };

  it('parses the raw EventBridge event and applies it', async () => {
    // Prepare
    const { store, record, handler, event, added } = await setup();

    // Act
    await handler(event, context);

    // Assess
    expect(await store.get(record.id)).toMatchObject({ state: 'ready', eventVersion: 4 });
    expect(added).toHaveBeenCalledWith('taskEventApplied', 'Count', 1);
  });

  it('counts a task that stopped on its own, for the launch-failure alarm', async () => {
    // Prepare
    const { store, record, handler, event, added } = await setup();
    const stopped = {
      ...event,
      detail: {
        ...event.detail,
        lastStatus: 'STOPPED',
        desiredStatus: 'STOPPED',
        stopCode: 'EssentialContainerExited',
        stoppedReason: 'Essential container in task exited',
        version: 6,
      },
    };

    // Act
    await handler(stopped, context);

    // Assess
    expect(await store.get(record.id)).toMatchObject({ state: 'failed' });
    expect(added).toHaveBeenCalledWith('environmentFailed', 'Count', 1);
  });

  it('fails the invocation on a malformed event, so it is retried and then dead-lettered', async () => {
    // Prepare
    const { handler, event } = await setup();

    // Act
    const invocation = handler({ ...event, detail: { ...event.detail, version: 'four' } }, context);

    // Assess
    await expect(invocation).rejects.toThrow();
  });

  it('fails the invocation when a port fails', async () => {
    // Prepare
    const { store, handler, event } = await setup();
    vi.spyOn(store, 'transition').mockRejectedValue(new Error('ProvisionedThroughputExceededException'));

    // Act
    const invocation = handler(event, context);

    // Assess
    await expect(invocation).rejects.toThrow('ProvisionedThroughputExceededException');
  });
});

describe('reconciler handler', () => {
  const unusedRegistry: TaskRegistry = {
    publish: async () => undefined,
    get: async () => null,
    candidates: async () => [],
    listVisible: async () => [],
  };

  const runtime = (overrides: Partial<ContainerRuntime> = {}): ContainerRuntime => ({
    register: async () => ({ taskDefinitionArn: null }),
    launch: async () => ({ taskArn: 'unused' }),
    stop: async () => undefined,
    describe: async () => [],
    findByEnvironment: async () => null,
    listRunning: async () => [],
    ...overrides,
  });

  const handlerWith = (ecs: ContainerRuntime) => {
    const { metrics, added, published } = quietMetrics();
    const handler = createReconcilerHandler({
      deps: {
        store: new InMemoryEnvironmentStore(clock),
        runtime: ecs,
        addresses: { hostFor: async () => null },
        envFiles: new InMemoryEnvFiles(),
        expiry: { schedule: async () => undefined, cancel: async () => undefined },
        tasks: unusedRegistry,
        publisher: new RecordingPublisher(),
        checks: new RecordingQueue(),
        clock,
        config: { launchDeadlineSec: 600, maxLaunchAttempts: 3 },
      },
      logger: logger(),
      metrics,
    });
    return { handler, added, published };
  };

  const orphan = runtimeTask({
    taskArn: 'arn:aws:ecs:us-east-1:123456789012:task/taskenv/0123',
    containers: [],
    network: { eniId: 'eni-0123', privateIp: '10.0.0.7', bindings: [] },
  });

  it('emits one count per action kind, zeros included', async () => {
    // Prepare
    const { handler, added, published } = handlerWith(runtime({ listRunning: async () => [orphan] }));

    // Act
    const result = await handler({}, context);

    // Assess
    expect(result).toEqual({
      relaunched: 0,
      adopted: 0,
      failed: 0,
      finalised: 0,
      expired: 0,
      promoted: 0,
      orphansStopped: 1,
      slotsRetired: 0,
      errors: 0,
    });
    expect(added.mock.calls.map(([name, , value]) => [name, value])).toEqual(
      Object.entries(result).map(([kind, count]) => [`reconcile.${kind}`, count]),
    );
    expect(published).toHaveBeenCalled();
  });

  it('reports the run failed when an action failed, after the metrics are out', async () => {
    // Prepare
    const { handler, added, published } = handlerWith(
      runtime({
        listRunning: async () => [orphan],
        stop: async () => {
          throw new Error('AccessDeniedException');
        },
      }),
    );

    // Act
    const invocation = handler({}, context);

    // Assess
    await expect(invocation).rejects.toBeInstanceOf(ReconcileIncompleteError);
    expect(added).toHaveBeenCalledWith('reconcile.errors', 'Count', 1);
    expect(published).toHaveBeenCalled();
  });
});
