import { describe, expect, it } from 'vitest';
import {
  decideTransition,
  ecsTaskDetailSchema,
  ecsTaskStateChangeEventSchema,
  snapshotOf,
  stopErrorMessage,
  stoppedOutcome,
  taskNetwork,
} from '#domain/ecs-event';
import {
  ecsEvent,
  FIXTURE_TASK_ARN,
  rawEcsFixture,
  stoppedEvent,
  taskStatus,
} from '#test/support/ecs-events';
import { makeEnvironment } from '#test/support/factories';

const detailOf = (overrides: Record<string, unknown>) => {
  const raw = rawEcsFixture('running-fargate');
  return ecsTaskDetailSchema.parse({ ...(raw.detail as Record<string, unknown>), ...overrides });
};

describe('ecsTaskStateChangeEventSchema', () => {
  it.each(['provisioning-fargate', 'running-fargate'] as const)('parses the real %s event', (name) => {
    // Prepare
    const raw = rawEcsFixture(name);

    // Act
    const event = ecsTaskStateChangeEventSchema.parse(raw);

    // Assess
    expect(event['detail-type']).toBe('ECS Task State Change');
    expect(event.detail.taskArn).toBe((raw.detail as { taskArn: string }).taskArn);
    expect(event.detail.startedBy).toBeUndefined();
  });

  it('keeps fields it does not know', () => {
    // Act
    const event = ecsTaskStateChangeEventSchema.parse(rawEcsFixture('running-fargate'));

    // Assess
    expect(event.detail.platformVersion).toBe('1.3.0');
    expect(event.detail.containers[0]?.imageDigest).toMatch(/^sha256:/);
  });

  it.each([
    ['epoch seconds with a fraction (DescribeTasks JSON)', 1579802278.103, '2020-01-23T17:57:58.103Z'],
    ['epoch milliseconds (Date.now())', 1579802278103, '2020-01-23T17:57:58.103Z'],
    ['an ISO string without milliseconds', '2020-01-23T17:57:58Z', '2020-01-23T17:57:58.000Z'],
    ['an ISO string with an offset', '2020-01-23T18:57:58.103+01:00', '2020-01-23T17:57:58.103Z'],
  ])('normalises a timestamp given as %s to ISO', (_label, value, iso) => {
    // Act
    const detail = detailOf({ startedAt: value, stoppedAt: value });

    // Assess
    expect(detail.startedAt).toBe(iso);
    expect(detail.stoppedAt).toBe(iso);
  });

  it('refuses a timestamp that is no time', () => {
    // Act
    const result = ecsTaskDetailSchema.safeParse({ ...detailOf({}), updatedAt: 'yesterday' });

    // Assess
    expect(result.success).toBe(false);
    expect(result.error?.issues).toEqual([
      expect.objectContaining({ code: 'custom', message: 'Not a timestamp', path: ['updatedAt'] }),
    ]);
  });

  it('accepts attachments of other types and ENIs named ElasticNetworkInterface', () => {
    // Prepare
    const attachments = [
      { id: 'sc-1', type: 'Service Connect', status: 'ATTACHED', details: [] },
      {
        id: 'eni-att',
        type: 'ElasticNetworkInterface',
        status: 'ATTACHED',
        details: [
          { name: 'networkInterfaceId', value: 'eni-0123' },
          { name: 'privateIPv4Address', value: '10.1.2.3' },
        ],
      },
    ];

    // Act
    const network = taskNetwork(detailOf({ attachments }));

    // Assess
    expect(network).toEqual({ eniId: 'eni-0123', privateIp: '10.1.2.3', bindings: [] });
  });

  it('refuses events of another type or without the fields taskenv decides by', () => {
    // Prepare
    const raw = rawEcsFixture('running-fargate');
    const detail = raw.detail as Record<string, unknown>;
    const { version: _version, ...withoutVersion } = detail;

    // Act
    const otherType = ecsTaskStateChangeEventSchema.safeParse({
      ...raw,
      'detail-type': 'ECS Container Instance State Change',
    });
    const noVersion = ecsTaskStateChangeEventSchema.safeParse({ ...raw, detail: withoutVersion });

    // Assess
    expect(otherType.success).toBe(false);
    expect(noVersion.success).toBe(false);
  });
});

describe('taskNetwork', () => {
  it('reads the ENI id and private IP of the real running event', () => {
    // Act
    const network = taskNetwork(ecsTaskStateChangeEventSchema.parse(rawEcsFixture('running-fargate')).detail);

    // Assess
    expect(network).toEqual({ eniId: 'eni-abcd1234', privateIp: '10.0.0.139', bindings: [] });
  });

  it('has no address yet while the ENI is only pre-created', () => {
    // Act
    const network = taskNetwork(
      ecsTaskStateChangeEventSchema.parse(rawEcsFixture('provisioning-fargate')).detail,
    );

    // Assess
    expect(network).toEqual({ eniId: null, privateIp: null, bindings: [] });
  });

  it('falls back to a container interface for the private IP and maps host port bindings', () => {
    // Prepare
    const detail = detailOf({
      attachments: [],
      containers: [
        {
          name: 'web',
          lastStatus: 'RUNNING',
          networkInterfaces: [{ privateIpv4Address: '172.17.0.2' }],
          networkBindings: [{ bindIP: '127.0.0.1', containerPort: 80, hostPort: 49153, protocol: 'tcp' }],
        },
      ],
    });

    // Act
    const network = taskNetwork(detail);

    // Assess
    expect(network).toEqual({
      eniId: null,
      privateIp: '172.17.0.2',
      bindings: [{ containerName: 'web', containerPort: 80, hostPort: 49153, bindIp: '127.0.0.1' }],
    });
  });
});

describe('stopErrorMessage', () => {
  it('names the stop code, the reason and the exit code of the container that caused the stop', () => {
    // Prepare
    const { detail } = stoppedEvent('env', 9, { exitCode: 3 });

    // Act
    const message = stopErrorMessage(detail);

    // Assess
    expect(message).toBe(
      'Task stopped (EssentialContainerExited): Essential container in task exited; container web exited with code 3',
    );
  });

  it('blames a container killed by the platform only when no other one failed', () => {
    // Act
    const message = stopErrorMessage({
      stopCode: 'EssentialContainerExited',
      stoppedReason: 'Essential container in task exited',
      containers: [
        { name: 'db', exitCode: 0 },
        { name: 'web', exitCode: 137, reason: 'OutOfMemoryError: Container killed due to memory usage' },
      ],
    });

    // Assess
    expect(message).toBe(
      'Task stopped (EssentialContainerExited): Essential container in task exited; container web exited with code 137 (OutOfMemoryError: Container killed due to memory usage)',
    );
  });

  it('names the container reason when no container ever ran', () => {
    // Act
    const message = stopErrorMessage({
      stopCode: 'TaskFailedToStart',
      stoppedReason: 'CannotPullContainerError: pull image manifest has been retried 5 time(s)',
      containers: [{ name: 'web', exitCode: null, reason: 'CannotPullContainerError: not found' }],
    });

    // Assess
    expect(message).toBe(
      'Task stopped (TaskFailedToStart): CannotPullContainerError: pull image manifest has been retried 5 time(s); container web (CannotPullContainerError: not found)',
    );
  });

  it('still says the task stopped when ECS gives no reason at all', () => {
    expect(stopErrorMessage({ containers: [] })).toBe('Task stopped');
  });
});

describe('stoppedOutcome', () => {
  it.each([
    [
      'the record says taskenv stopped it',
      { stopReason: 'expired' as const },
      'Essential container in task exited',
      'torn_down',
    ],
    ['the stop reason carries the taskenv prefix', { stopReason: null }, 'taskenv: deleted', 'torn_down'],
    [
      'nobody at taskenv asked for the stop',
      { stopReason: null },
      'Essential container in task exited',
      'failed',
    ],
  ] as const)('is %s → %s', (_label, record, stoppedReason, to) => {
    // Act
    const outcome = stoppedOutcome(
      { id: 'env-1', org: 'acme', workspace: 'default', ...record },
      { stoppedReason, containers: [] },
    );

    // Assess
    expect(outcome.to).toBe(to);
    expect(outcome.error === null).toBe(to === 'torn_down');
  });
});

describe('stoppedOutcome: where the logs are', () => {
  const env = { id: 'env-7', org: 'acme', workspace: 'default', stopReason: null };
  const pointer = (query: string, option: string) =>
    `; its logs: GET /api/v1/org/acme/ws/default/environments/env-7/logs${query} (CLI: taskenv env logs env-7${option})`;

  it.each([
    [
      'a crash',
      { name: 'web', exitCode: 139 },
      'Task stopped (EssentialContainerExited): Essential container in task exited; container web exited with code 139',
      pointer('?service=web', ' --service web'),
    ],
    [
      'an exit at start',
      { name: 'api', exitCode: 3 },
      'Task stopped (EssentialContainerExited): Essential container in task exited; container api exited with code 3',
      pointer('?service=api', ' --service api'),
    ],
    [
      'an out-of-memory kill',
      { name: 'web', exitCode: 137, reason: 'OutOfMemoryError: Container killed due to memory usage' },
      'Task stopped (EssentialContainerExited): Essential container in task exited; container web exited with code 137 (OutOfMemoryError: Container killed due to memory usage)',
      pointer('?service=web', ' --service web'),
    ],
    [
      'an image that was never pulled (it wrote nothing)',
      { name: 'web', reason: 'CannotPullContainerError: not found' },
      'Task stopped (EssentialContainerExited): Essential container in task exited; container web (CannotPullContainerError: not found)',
      '',
    ],
  ] as const)('names the service to read after %s', (_label, container, message, logs) => {
    // Act
    const outcome = stoppedOutcome(env, {
      stopCode: 'EssentialContainerExited',
      stoppedReason: 'Essential container in task exited',
      // A crash or an exit is told from the sidecar the platform then stopped (143).
      containers:
        'exitCode' in container && container.exitCode !== 137
          ? [{ name: 'sidecar', exitCode: 143 }, container]
          : [container],
    });

    // Assess
    expect(outcome).toEqual({ to: 'failed', error: `${message}${logs}` });
  });

  it('points to the first service when the stop names no container', () => {
    expect(stoppedOutcome(env, { stoppedReason: 'gone', containers: [] }).error).toBe(
      `Task stopped: gone${pointer('', '')}`,
    );
  });
});

describe('decideTransition', () => {
  const readyUrls = {
    web: { url: 'http://203.0.113.7:80', host: '203.0.113.7', port: 80, protocol: 'http' },
  };

  it('moves a building environment to provisioning on the real PROVISIONING event', () => {
    // Prepare
    const record = makeEnvironment();

    // Act
    const decision = decideTransition(record, snapshotOf(ecsEvent('provisioning-fargate', record.id).detail));

    // Assess
    expect(decision).toEqual({ kind: 'provisioning' });
  });

  it('asks for the URLs of the task network on the real RUNNING event', () => {
    // Prepare
    const record = makeEnvironment({ state: 'provisioning', eventVersion: 1, taskArn: FIXTURE_TASK_ARN });

    // Act
    const decision = decideTransition(record, snapshotOf(ecsEvent('running-fargate', record.id).detail));

    // Assess
    expect(decision).toEqual({
      kind: 'ready',
      network: { eniId: 'eni-abcd1234', privateIp: '10.0.0.139', bindings: [] },
    });
  });

  it('waits for health on RUNNING when the environment has health checks and the task is not HEALTHY yet', () => {
    // Prepare
    const readiness = { services: ['web'], graceSec: 30 };
    const record = makeEnvironment({
      state: 'provisioning',
      eventVersion: 1,
      taskArn: FIXTURE_TASK_ARN,
      readiness,
    });
    const running = ecsEvent('running-fargate', record.id).detail;

    // Act
    const unknown = decideTransition(record, snapshotOf({ ...running, healthStatus: 'UNKNOWN' }));
    const unreported = decideTransition(record, snapshotOf(running));
    const healthy = decideTransition(record, snapshotOf({ ...running, healthStatus: 'HEALTHY' }));

    // Assess
    expect(unknown).toEqual({ kind: 'await_health' });
    expect(unreported).toEqual({ kind: 'await_health' });
    expect(healthy).toMatchObject({ kind: 'ready' });
  });

  it('promotes on HEALTHY at the version RUNNING already recorded (ECS counts no version for health)', () => {
    // Prepare
    const readiness = { services: ['web'], graceSec: 30 };
    const record = makeEnvironment({
      state: 'provisioning',
      eventVersion: 4,
      taskArn: FIXTURE_TASK_ARN,
      readiness,
    });
    const running = ecsEvent('running-fargate', record.id).detail;

    // Act
    const healthy = decideTransition(record, snapshotOf({ ...running, healthStatus: 'HEALTHY' }));
    const stillUnknown = decideTransition(record, snapshotOf({ ...running, healthStatus: 'UNKNOWN' }));
    const withoutHealthChecks = decideTransition(
      { ...record, readiness: null },
      snapshotOf({ ...running, healthStatus: 'HEALTHY' }),
    );

    // Assess
    expect(healthy).toMatchObject({ kind: 'ready' });
    expect(stillUnknown).toEqual({ kind: 'ignore', reason: 'duplicate' });
    expect(withoutHealthChecks).toEqual({ kind: 'ignore', reason: 'duplicate' });
  });

  it.each([
    ['PENDING', 'RUNNING'],
    ['ACTIVATING', 'RUNNING'],
  ])('moves a building environment to provisioning on %s', (lastStatus, desiredStatus) => {
    const record = makeEnvironment();
    expect(
      decideTransition(
        record,
        snapshotOf(taskStatus(record.id, { lastStatus, desiredStatus, version: 2 }).detail),
      ),
    ).toEqual({
      kind: 'provisioning',
    });
  });

  it.each([
    ['RUNNING', 'STOPPED'],
    ['DEACTIVATING', 'STOPPED'],
    ['STOPPING', 'STOPPED'],
    ['DEPROVISIONING', 'STOPPED'],
  ])(
    'keeps a ready environment and its URLs on %s (desired %s): only STOPPED ends them',
    (lastStatus, desiredStatus) => {
      // Prepare
      const record = makeEnvironment({
        state: 'ready',
        eventVersion: 4,
        taskArn: FIXTURE_TASK_ARN,
        serviceUrls: readyUrls,
      });

      // Act
      const decision = decideTransition(
        record,
        snapshotOf(taskStatus(record.id, { lastStatus, desiredStatus, version: 5 }).detail),
      );

      // Assess: `ready` is never shown without its URLs; the final state clears both at once.
      expect(decision).toEqual({ kind: 'version_only' });
    },
  );

  it('only records the version of an event that changes nothing visible', () => {
    // Prepare
    const record = makeEnvironment({ state: 'provisioning', eventVersion: 1 });

    // Act
    const decision = decideTransition(
      record,
      snapshotOf(taskStatus(record.id, { lastStatus: 'PENDING', version: 2 }).detail),
    );

    // Assess
    expect(decision).toEqual({ kind: 'version_only' });
  });

  it('fails an environment whose task stopped on its own, with the stop error', () => {
    // Prepare
    const record = makeEnvironment({ state: 'ready', eventVersion: 4, serviceUrls: readyUrls });

    // Act
    const decision = decideTransition(record, snapshotOf(stoppedEvent(record.id, 6, { exitCode: 3 }).detail));

    // Assess
    expect(decision).toEqual({
      kind: 'final',
      to: 'failed',
      error: `Task stopped (EssentialContainerExited): Essential container in task exited; container web exited with code 3; its logs: GET /api/v1/org/${record.org}/ws/${record.workspace}/environments/${record.id}/logs?service=web (CLI: taskenv env logs ${record.id} --service web)`,
    });
  });

  it('tears down an environment whose task taskenv stopped', () => {
    // Prepare
    const record = makeEnvironment({ state: 'ready', eventVersion: 4, stopReason: 'expired' });

    // Act
    const decision = decideTransition(
      record,
      snapshotOf(
        stoppedEvent(record.id, 6, { stopCode: 'UserInitiated', stoppedReason: 'taskenv: expired' }).detail,
      ),
    );

    // Assess
    expect(decision).toEqual({ kind: 'final', to: 'torn_down', error: null });
  });

  const otherTask = 'arn:aws:ecs:us-west-2:111122223333:task/FargateCluster/0ther';
  it.each([
    ['with no startedBy', { startedBy: undefined }, {}, 'not_ours'],
    ['of another environment', { startedBy: '5e3f1a52-0000-4000-8000-000000000000' }, {}, 'not_ours'],
    ['of another task of this environment', {}, { taskArn: otherTask }, 'other_task'],
    ['with the version already applied', { version: 4 }, { eventVersion: 4 }, 'duplicate'],
    ['with an older version', { version: 3 }, { eventVersion: 4 }, 'stale'],
    ['for a final environment', { version: 9 }, { eventVersion: 4, state: 'torn_down' as const }, 'final'],
  ])('ignores an event %s', (_label, detailOverrides, recordOverrides, reason) => {
    // Prepare
    const record = makeEnvironment({ taskArn: FIXTURE_TASK_ARN, ...recordOverrides });
    const { detail } = ecsEvent('running-fargate', record.id, detailOverrides);

    // Act
    const decision = decideTransition(record, snapshotOf(detail));

    // Assess
    expect(decision).toEqual({ kind: 'ignore', reason });
  });
});
