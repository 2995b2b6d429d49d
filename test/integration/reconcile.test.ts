/**
 * The reconciler against the real DynamoDB adapters (DynamoDB Local), the real ECS adapter
 * over a mocked ECSClient that behaves like a small cluster, and the real EC2 address resolver
 * (public URL mode) over a mocked EC2Client. Each scenario is a crash or a lost
 * event between the steps of a launch or a teardown; after each, the org counter must equal the
 * number of live environments.
 *
 * Tests in other files share the table, so the store given to the reconciler lists only this
 * file's orgs; everything else (reads, conditional writes, the counter) is the real store.
 */

import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, utimes } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DescribeNetworkInterfacesCommand, EC2Client } from '@aws-sdk/client-ec2';
import {
  DescribeTasksCommand,
  ECSClient,
  ListTasksCommand,
  RunTaskCommand,
  StopTaskCommand,
  type Task,
} from '@aws-sdk/client-ecs';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { DynamoAccessStore } from '#adapters/aws/dynamodb/access-store';
import { createDocumentClient } from '#adapters/aws/dynamodb/client';
import { DynamoEnvironmentStore } from '#adapters/aws/dynamodb/environment-store';
import { Ec2AddressResolver } from '#adapters/aws/ec2-address-resolver';
import { EcsRuntime } from '#adapters/aws/ecs-runtime';
import { LocalEnvFileStore } from '#adapters/local/local-env-file-store';
import { type EnvironmentRecord, isFinal } from '#domain/environment';
import type { TaskManifest } from '#domain/manifest';
import type { TaskVersionRecord } from '#domain/task-version';
import type { EnvironmentStore } from '#ports/environment-store';
import { EXPIRED_STOP_REASON, type ExpiryScheduler } from '#ports/expiry-scheduler';
import type { TaskRegistry } from '#ports/task-registry';
import { rawEcsFixture, taskStatus } from '#test/support/ecs-events';
import { makeEnvironment } from '#test/support/factories';
import {
  fixedClock,
  InMemoryEnvFiles,
  RecordingLog,
  RecordingPublisher,
  RecordingQueue,
} from '#test/support/lifecycle-fakes';
import { applyTaskEvent } from '#use-cases/apply-task-event';
import { ORPHAN_STOP_REASON, type ReconcileDeps, reconcile } from '#use-cases/reconcile';

const NOW = new Date('2026-03-01T12:00:00.000Z');
const clock = fixedClock(NOW.toISOString());
const ago = (seconds: number): string => new Date(NOW.getTime() - seconds * 1000).toISOString();
const later = (seconds: number): string => new Date(NOW.getTime() + seconds * 1000).toISOString();

const CLUSTER = 'arn:aws:ecs:us-east-1:123456789012:cluster/taskenv';
const TASK_DEFINITION = 'arn:aws:ecs:us-east-1:123456789012:task-definition/taskenv-acme-web-sqli:1';
const POLICY = { launchDeadlineSec: 600, maxLaunchAttempts: 3 };
const QUOTA = { limit: 10 };

const tableName = process.env.TABLE_NAME ?? 'missing TABLE_NAME';
const client = createDocumentClient();
const store = new DynamoEnvironmentStore({ client, tableName, clock });
const access = new DynamoAccessStore({ client, tableName });

const ecs = new ECSClient({ region: 'us-east-1' });
const ecsMock = mockClient(ecs);
const runtime = new EcsRuntime({
  ecs,
  config: {
    clusterArn: CLUSTER,
    subnets: ['subnet-aaa'],
    securityGroups: ['sg-123'],
    assignPublicIp: true,
    executionRoleArn: 'arn:aws:iam::123456789012:role/taskenv-exec',
    taskRoleArn: 'arn:aws:iam::123456789012:role/taskenv-task',
    logGroupName: '/taskenv/tasks',
    region: 'us-east-1',
  },
});
const ec2 = new EC2Client({ region: 'us-east-1' });
const ec2Mock = mockClient(ec2);
const addresses = new Ec2AddressResolver({ ec2, mode: 'public' });

const manifest: TaskManifest = {
  name: 'web-sqli',
  version: '1.2.0',
  public: false,
  instruction: 'Log in to {{ web_url }}/login as {{ user }}.',
  inputs: { user: { type: 'string', default: 'admin' } },
  services: { web: { image: 'public.ecr.aws/docker/library/nginx:1.27', ports: [80], essential: true } },
  platform: 'linux/amd64',
  resources: { cpu: 256, memory: 512 },
  timeout: {},
};

const taskVersion: TaskVersionRecord = {
  org: 'acme',
  name: 'web-sqli',
  version: '1.2.0',
  public: false,
  description: null,
  manifest,
  taskDefinitionArn: TASK_DEFINITION,
  createdAt: '2026-01-01T00:00:00.000Z',
};

/** The registry holds the one version the environments here were created from. */
const tasks: TaskRegistry = {
  publish: async () => {
    throw new Error('not used by the reconciler');
  },
  get: async (org, name, version) =>
    org === taskVersion.org && name === taskVersion.name && version === taskVersion.version
      ? taskVersion
      : null,
  candidates: async () => [],
  listVisible: async () => [],
};

/**
 * ECS as the mocked client answers it: RunTask is idempotent by client token, ListTasks filters
 * by `startedBy` and desired status, StopTask records its reason, DescribeTasks omits unknown ARNs.
 */
class FakeCluster {
  readonly tasks = new Map<string, Task>();
  #count = 0;

  add(fields: Omit<Task, 'taskArn'> & { startedBy: string }): Task & { taskArn: string } {
    const taskArn = `${CLUSTER.replace(':cluster/', ':task/')}/${(++this.#count).toString(16).padStart(32, '0')}`;
    const task = {
      clusterArn: CLUSTER,
      lastStatus: 'RUNNING',
      desiredStatus: 'RUNNING',
      group: 'taskenv:acme',
      containers: [{ name: 'web', lastStatus: 'RUNNING' }],
      ...fields,
      taskArn,
    };
    this.tasks.set(taskArn, task);
    return task;
  }

  install(): void {
    ecsMock.on(ListTasksCommand).callsFake((input: { startedBy?: string; desiredStatus?: string }) => ({
      taskArns: [...this.tasks.values()]
        .filter((t) => input.startedBy === undefined || t.startedBy === input.startedBy)
        .filter((t) => input.desiredStatus === undefined || t.desiredStatus === input.desiredStatus)
        .map((t) => t.taskArn),
    }));
    ecsMock.on(DescribeTasksCommand).callsFake((input: { tasks: string[] }) => ({
      tasks: input.tasks.flatMap((arn) => this.tasks.get(arn) ?? []),
      failures: input.tasks.filter((arn) => !this.tasks.has(arn)).map((arn) => ({ arn, reason: 'MISSING' })),
    }));
    ecsMock
      .on(RunTaskCommand)
      .callsFake((input: { clientToken: string; startedBy: string; group: string }) => {
        const existing = [...this.tasks.values()].find((t) => t.startedBy === input.clientToken);
        const task =
          existing ??
          this.add({ startedBy: input.startedBy, group: input.group, lastStatus: 'PROVISIONING' });
        return { tasks: [task], failures: [] };
      });
    ecsMock.on(StopTaskCommand).callsFake((input: { task: string; reason: string }) => {
      const task = this.tasks.get(input.task);
      if (task !== undefined) Object.assign(task, { desiredStatus: 'STOPPED', stoppedReason: input.reason });
      return { task };
    });
  }
}

class RecordingExpiry implements ExpiryScheduler {
  readonly scheduled = new Map<string, { taskArn: string; at: string }>();
  async schedule(environmentId: string, taskArn: string, at: Date): Promise<void> {
    this.scheduled.set(environmentId, { taskArn, at: at.toISOString() });
  }
  async cancel(environmentId: string): Promise<void> {
    this.scheduled.delete(environmentId);
  }
}

interface Scenario {
  readonly cluster: FakeCluster;
  readonly envFiles: InMemoryEnvFiles;
  readonly expiry: RecordingExpiry;
  readonly publisher: RecordingPublisher;
  readonly log: RecordingLog;
  readonly orgs: Set<string>;
  readonly deps: ReconcileDeps;
}

/** The real store, listing only the live environments of `orgs`. */
const scopedStore = (orgs: ReadonlySet<string>): EnvironmentStore => ({
  create: (record, quota) => store.create(record, quota),
  get: (id) => store.get(id),
  list: (query) => store.list(query),
  transition: (id, change, options) => store.transition(id, change, options),
  update: (id, set, options) => store.update(id, set, options),
  recordEvent: (id, event) => store.recordEvent(id, event),
  listLive: async () => (await store.listLive()).filter((e) => orgs.has(e.org)),
});

const scenario = (): Scenario => {
  const cluster = new FakeCluster();
  cluster.install();
  const envFiles = new InMemoryEnvFiles();
  const expiry = new RecordingExpiry();
  const publisher = new RecordingPublisher();
  const log = new RecordingLog();
  const orgs = new Set<string>();
  const deps: ReconcileDeps = {
    store: scopedStore(orgs),
    runtime,
    addresses,
    envFiles,
    expiry,
    tasks,
    publisher,
    checks: new RecordingQueue(),
    clock,
    config: POLICY,
    logger: log,
  };
  return { cluster, envFiles, expiry, publisher, log, orgs, deps };
};

/** Records an environment as create does: org put, env file written, record and quota unit in one go. */
const seed = async (s: Scenario, overrides: Partial<EnvironmentRecord> = {}): Promise<EnvironmentRecord> => {
  const record = makeEnvironment({
    createdAt: ago(120),
    expiresAt: later(600),
    launchAttempts: 1,
    ...overrides,
  });
  s.orgs.add(record.org);
  await access.putOrg({
    org: record.org,
    maxConcurrentEnvironments: 10,
    maxLifetimeSec: 3600,
    createdAt: ago(3600),
  });
  await s.envFiles.put(record.id, { TASKENV_EXECUTE_TOKEN: 'token' });
  await store.create(record, QUOTA);
  return record;
};

/** The invariant every scenario ends with: the org counter is the number of live environments. */
const expectCounterMatchesLive = async (s: Scenario): Promise<void> => {
  for (const org of s.orgs) {
    const live = (await store.listLive()).filter((e) => e.org === org && !isFinal(e.state));
    expect((await access.getOrg(org))?.runningCount).toBe(live.length);
  }
};

beforeEach(() => {
  ecsMock.reset();
  ec2Mock.reset();
});

describe('reconcile: crash after the record, before RunTask', () => {
  it('launches the environment again with the same id as client token and its env file', async () => {
    // Prepare
    const s = scenario();
    const record = await seed(s);

    // Act
    const summary = await reconcile(s.deps);

    // Assess
    expect(summary.relaunched).toEqual([record.id]);
    const runTasks = ecsMock.commandCalls(RunTaskCommand);
    expect(runTasks).toHaveLength(1);
    expect(runTasks[0]?.args[0].input).toMatchObject({
      clientToken: record.id,
      startedBy: record.id,
      taskDefinition: TASK_DEFINITION,
      overrides: {
        containerOverrides: [
          { name: 'web', environmentFiles: [{ type: 's3', value: s.envFiles.refFor(record.id) }] },
        ],
      },
    });
    const [task] = s.cluster.tasks.values();
    const stored = await store.get(record.id);
    expect(stored).toMatchObject({ state: 'building', taskArn: task?.taskArn, launchAttempts: 2 });
    expect(s.expiry.scheduled.get(record.id)).toEqual({ taskArn: task?.taskArn, at: record.expiresAt });
    expect(ecsMock.commandCalls(StopTaskCommand)).toHaveLength(0);
    await expectCounterMatchesLive(s);
  });

  it('fails it once the launch deadline has passed', async () => {
    // Prepare
    const s = scenario();
    const record = await seed(s, { createdAt: ago(601), expiresAt: later(3000) });

    // Act
    const summary = await reconcile(s.deps);

    // Assess
    expect(summary.failed).toEqual([record.id]);
    expect(ecsMock.commandCalls(RunTaskCommand)).toHaveLength(0);
    expect(await store.get(record.id)).toMatchObject({
      state: 'failed',
      error: 'Launch failed: no task started within 600 s (1 attempts)',
    });
    expect(s.envFiles.files.has(record.id)).toBe(false);
    expect(s.publisher.events).toEqual([
      expect.objectContaining({ environment_id: record.id, state: 'failed', previous_state: 'building' }),
    ]);
    await expectCounterMatchesLive(s);
  });

  it('fails it after the last attempt', async () => {
    // Prepare
    const s = scenario();
    const record = await seed(s, { launchAttempts: 3 });

    // Act
    await reconcile(s.deps);

    // Assess
    expect(await store.get(record.id)).toMatchObject({
      state: 'failed',
      error: 'Launch failed: no task started after 3 attempts',
    });
    await expectCounterMatchesLive(s);
  });

  it('fails it with the reason when ECS refuses the relaunch for good', async () => {
    // Prepare
    const s = scenario();
    const record = await seed(s);
    ecsMock
      .on(RunTaskCommand)
      .resolves({ tasks: [], failures: [{ reason: 'RESOURCE:MEMORY', detail: 'task too large' }] });

    // Act
    const summary = await reconcile(s.deps);

    // Assess
    expect(summary.failed).toEqual([record.id]);
    expect(await store.get(record.id)).toMatchObject({
      state: 'failed',
      error: 'Launch failed: RESOURCE:MEMORY (task too large)',
    });
    await expectCounterMatchesLive(s);
  });

  it('hands a relaunch refused for now (no ENI left) back to the retry queue', async () => {
    // Prepare
    const s = scenario();
    const record = await seed(s);
    ecsMock
      .on(RunTaskCommand)
      .resolves({ tasks: [], failures: [{ reason: 'RESOURCE:ENI', detail: 'no ENI left' }] });

    // Act
    const summary = await reconcile(s.deps);

    // Assess
    expect(summary.relaunched).toEqual([record.id]);
    expect(summary.failed).toEqual([]);
    const stored = await store.get(record.id);
    expect(stored).toMatchObject({ state: 'building', taskArn: null, launchAttempts: 2 });
    expect(stored?.launchRetryAt).toBe(new Date(clock.now().getTime() + 4000).toISOString());
    expect((s.deps.checks as RecordingQueue).sent).toEqual([
      { check: { kind: 'launch', environmentId: record.id, attempt: 3 }, delaySec: 4 },
    ]);
  });

  it('leaves a launch whose queued retry is due to that retry', async () => {
    // Prepare
    const s = scenario();
    const record = await seed(s, {
      launchAttempts: 5,
      launchRetryAt: new Date(clock.now().getTime() + 30_000).toISOString(),
    });

    // Act
    const summary = await reconcile(s.deps);

    // Assess
    expect(summary).toMatchObject({ relaunched: [], failed: [], adopted: [] });
    expect(ecsMock.commandCalls(RunTaskCommand)).toHaveLength(0);
    expect(await store.get(record.id)).toMatchObject({ state: 'building', launchAttempts: 5 });
  });

  it('leaves a launch that may still be in progress alone', async () => {
    // Prepare
    const s = scenario();
    const record = await seed(s, { createdAt: ago(10) });

    // Act
    const summary = await reconcile(s.deps);

    // Assess
    expect(summary).toMatchObject({ relaunched: [], failed: [], adopted: [] });
    expect(await store.get(record.id)).toMatchObject({ state: 'building', taskArn: null, launchAttempts: 1 });
    await expectCounterMatchesLive(s);
  });
});

describe('reconcile: env files no live environment reads', () => {
  it('deletes, past the grace period, the env file of an environment never recorded, and keeps the rest', async () => {
    // Prepare: a create that died after writing its file, one in flight, and a live environment.
    const s = scenario();
    const root = await mkdtemp(join(tmpdir(), 'taskenv-sweep-'));
    const files = new LocalEnvFileStore({ dir: join(root, 'env') });
    const [neverRecorded, inFlight] = [randomUUID(), randomUUID()];
    const live = await seed(s, { createdAt: ago(10) });
    for (const [id, ageSec] of [
      [neverRecorded, 3600],
      [inFlight, 60],
      [live.id, 3600],
    ] as const) {
      await files.put(id, { TASKENV_EXECUTE_TOKEN: 'token' });
      const written = new Date(NOW.getTime() - ageSec * 1000);
      await utimes(files.refFor(id), written, written);
    }

    // Act
    const summary = await reconcile({ ...s.deps, envFiles: files, strayEnvFiles: files });

    // Assess
    expect(summary.envFilesSwept).toEqual([neverRecorded]);
    expect((await files.writtenBefore(NOW)).sort()).toEqual([inFlight, live.id].sort());
    await rm(root, { recursive: true, force: true });
  });
});

describe('reconcile: RunTask succeeded, the task ARN was not saved', () => {
  it('never stops the running task of a young building environment whose ARN is not saved yet', async () => {
    // Prepare
    const s = scenario();
    const record = await seed(s, { createdAt: ago(10) });
    const task = s.cluster.add({ startedBy: record.id, lastStatus: 'RUNNING' });

    // Act
    const summary = await reconcile(s.deps);

    // Assess
    expect(summary.orphansStopped).toEqual([]);
    expect(ecsMock.commandCalls(StopTaskCommand)).toHaveLength(0);
    expect(s.cluster.tasks.get(task.taskArn)?.desiredStatus).toBe('RUNNING');
    expect(await store.get(record.id)).toMatchObject({ state: 'building', taskArn: null });
    await expectCounterMatchesLive(s);
  });

  it('adopts the task found by startedBy instead of launching another', async () => {
    // Prepare
    const s = scenario();
    const record = await seed(s);
    const task = s.cluster.add({ startedBy: record.id, lastStatus: 'PENDING' });

    // Act
    const summary = await reconcile(s.deps);

    // Assess
    expect(summary.adopted).toEqual([record.id]);
    expect(summary.orphansStopped).toEqual([]);
    expect(ecsMock.commandCalls(RunTaskCommand)).toHaveLength(0);
    expect(ecsMock.commandCalls(StopTaskCommand)).toHaveLength(0);
    expect(await store.get(record.id)).toMatchObject({ state: 'building', taskArn: task.taskArn });
    expect(s.expiry.scheduled.get(record.id)?.taskArn).toBe(task.taskArn);
    expect(s.log.lines.map((l) => l.message)).toContain('Adopted the task of an interrupted launch');
    await expectCounterMatchesLive(s);
  });

  it('adopts and ends it at once when that task has stopped already', async () => {
    // Prepare
    const s = scenario();
    const record = await seed(s);
    s.cluster.add({
      startedBy: record.id,
      lastStatus: 'STOPPED',
      desiredStatus: 'STOPPED',
      stopCode: 'TaskFailedToStart',
      stoppedReason: 'CannotPullContainerError: not found',
      containers: [{ name: 'web', lastStatus: 'STOPPED', reason: 'CannotPullContainerError: not found' }],
    });

    // Act
    const summary = await reconcile(s.deps);

    // Assess
    expect(summary).toMatchObject({ adopted: [record.id], finalised: [record.id] });
    expect(await store.get(record.id)).toMatchObject({
      state: 'failed',
      error:
        'Task stopped (TaskFailedToStart): CannotPullContainerError: not found; container web (CannotPullContainerError: not found)',
    });
    await expectCounterMatchesLive(s);
  });
});

describe('reconcile: a lost STOPPED event', () => {
  const urls = { web: { url: 'http://203.0.113.7:80', host: '203.0.113.7', port: 80, protocol: 'http' } };

  it('fails the environment the way the event would have', async () => {
    // Prepare
    const s = scenario();
    const record = await seed(s, { state: 'ready' });
    const task = s.cluster.add({
      startedBy: record.id,
      lastStatus: 'STOPPED',
      desiredStatus: 'STOPPED',
      stopCode: 'EssentialContainerExited',
      stoppedReason: 'Essential container in task exited',
      containers: [{ name: 'web', lastStatus: 'STOPPED', exitCode: 2 }],
    });
    await store.update(record.id, {
      taskArn: task.taskArn,
      serviceUrls: urls,
      instruction: 'Log in to http://203.0.113.7:80/login.',
    });

    // Act
    const summary = await reconcile(s.deps);

    // Assess
    expect(summary.finalised).toEqual([record.id]);
    expect(await store.get(record.id)).toMatchObject({
      state: 'failed',
      serviceUrls: null,
      instruction: null,
      error: `Task stopped (EssentialContainerExited): Essential container in task exited; container web exited with code 2; its logs: GET /api/v1/org/${record.org}/ws/${record.workspace}/environments/${record.id}/logs?service=web (CLI: taskenv env logs ${record.id} --service web)`,
    });
    expect(s.envFiles.files.has(record.id)).toBe(false);
    expect(s.publisher.events).toEqual([
      expect.objectContaining({ environment_id: record.id, state: 'failed', previous_state: 'ready' }),
    ]);
    await expectCounterMatchesLive(s);
  });

  it('tears down an environment taskenv had stopped', async () => {
    // Prepare
    const s = scenario();
    const record = await seed(s, { state: 'ready', expiresAt: ago(30), stopReason: 'expired' });
    const task = s.cluster.add({
      startedBy: record.id,
      lastStatus: 'STOPPED',
      desiredStatus: 'STOPPED',
      stopCode: 'UserInitiated',
      stoppedReason: EXPIRED_STOP_REASON,
    });
    await store.update(record.id, { taskArn: task.taskArn });

    // Act
    await reconcile(s.deps);

    // Assess
    expect(await store.get(record.id)).toMatchObject({ state: 'torn_down', error: null });
    expect(ecsMock.commandCalls(StopTaskCommand)).toHaveLength(0);
    await expectCounterMatchesLive(s);
  });

  it('fails an environment whose task ECS no longer knows', async () => {
    // Prepare
    const s = scenario();
    const record = await seed(s, {
      state: 'provisioning',
      taskArn: `${CLUSTER.replace(':cluster/', ':task/')}/${'f'.repeat(32)}`,
    });

    // Act
    const summary = await reconcile(s.deps);

    // Assess
    expect(summary.finalised).toEqual([record.id]);
    expect(await store.get(record.id)).toMatchObject({
      state: 'failed',
      // No container to name: the logs of the first service.
      error: `Task stopped: the task is no longer known to the container platform; its logs: GET /api/v1/org/${record.org}/ws/${record.workspace}/environments/${record.id}/logs (CLI: taskenv env logs ${record.id})`,
    });
    await expectCounterMatchesLive(s);
  });
});

describe('reconcile: orphan tasks', () => {
  it('stops running taskenv tasks that no live environment owns, and only those', async () => {
    // Prepare
    const s = scenario();
    const live = await seed(s, { state: 'ready' });
    const liveTask = s.cluster.add({ startedBy: live.id });
    await store.update(live.id, { taskArn: liveTask.taskArn });
    const torn = await seed(s, { state: 'ready' });
    const tornTask = s.cluster.add({ startedBy: torn.id });
    await store.transition(torn.id, {
      to: 'torn_down',
      set: { stopReason: 'deleted', taskArn: tornTask.taskArn },
    });
    const unknownTask = s.cluster.add({ startedBy: crypto.randomUUID() });
    const secondTaskOfLive = s.cluster.add({ startedBy: live.id });

    // Act
    const summary = await reconcile(s.deps);

    // Assess
    const stopped = ecsMock.commandCalls(StopTaskCommand).map((c) => c.args[0].input);
    expect(stopped).toEqual(
      expect.arrayContaining(
        [tornTask, unknownTask, secondTaskOfLive].map((t) =>
          expect.objectContaining({ task: t.taskArn, reason: ORPHAN_STOP_REASON }),
        ),
      ),
    );
    expect(stopped).toHaveLength(3);
    expect(summary.orphansStopped.sort()).toEqual(
      [tornTask, unknownTask, secondTaskOfLive].map((t) => t.taskArn).sort(),
    );
    expect(await store.get(live.id)).toMatchObject({ state: 'ready', taskArn: liveTask.taskArn });
    await expectCounterMatchesLive(s);
  });
});

describe('reconcile: expired environments', () => {
  it('stops the task of an environment past its expiry, which its STOPPED event then tears down', async () => {
    // Prepare
    const s = scenario();
    const record = await seed(s, { state: 'ready', expiresAt: ago(5) });
    const task = s.cluster.add({ startedBy: record.id });
    await store.update(record.id, { taskArn: task.taskArn });

    // Act
    const summary = await reconcile(s.deps);

    // Assess
    expect(summary.expired).toEqual([record.id]);
    expect(ecsMock.commandCalls(StopTaskCommand)[0]?.args[0].input).toMatchObject({
      task: task.taskArn,
      reason: EXPIRED_STOP_REASON,
    });
    expect(await store.get(record.id)).toMatchObject({ state: 'ready', stopReason: 'expired' });
    await expectCounterMatchesLive(s);

    // Act: the STOPPED event arrives, with a stop code that alone would read as a failure.
    await applyTaskEvent(
      taskStatus(record.id, {
        taskArn: task.taskArn,
        lastStatus: 'STOPPED',
        desiredStatus: 'STOPPED',
        version: 7,
        stopCode: 'EssentialContainerExited',
        stoppedReason: 'Essential container in task exited',
        containers: [{ name: 'web', exitCode: 143 }],
      }),
      {
        store,
        addresses: { hostFor: async () => null },
        publisher: s.publisher,
        envFiles: s.envFiles,
        checks: s.deps.checks,
        clock,
      },
    );

    // Assess
    expect(await store.get(record.id)).toMatchObject({ state: 'torn_down', error: null });
    await expectCounterMatchesLive(s);
  });
});

describe('reconcile: a lost RUNNING event', () => {
  /** What DescribeTasks reports of a running Fargate task: the attachments and containers of its RUNNING event. */
  const runningFargate = (): Pick<Task, 'attachments' | 'containers'> => {
    const { attachments, containers } = rawEcsFixture('running-fargate').detail as Task;
    return { attachments, containers };
  };
  /** The version of the RUNNING event that was lost (PROVISIONING and PENDING were applied). */
  const version = 3;
  const publicIp = '203.0.113.7';
  const urls = { web: { url: `http://${publicIp}:80`, host: publicIp, port: 80, protocol: 'http' } };

  it('makes the environment ready with the URLs of its task, and the late event changes nothing', async () => {
    // Prepare
    const s = scenario();
    const record = await seed(s, { state: 'provisioning' });
    const task = s.cluster.add({ startedBy: record.id, version, ...runningFargate() });
    await store.update(record.id, { taskArn: task.taskArn }, { eventVersion: 2 });
    ec2Mock.on(DescribeNetworkInterfacesCommand, { NetworkInterfaceIds: ['eni-abcd1234'] }).resolves({
      NetworkInterfaces: [{ NetworkInterfaceId: 'eni-abcd1234', Association: { PublicIp: publicIp } }],
    });

    // Act
    const summary = await reconcile(s.deps);

    // Assess
    expect(summary).toMatchObject({ promoted: [record.id], finalised: [], orphansStopped: [], errors: [] });
    const ready = await store.get(record.id);
    expect(ready).toMatchObject({
      state: 'ready',
      taskArn: task.taskArn,
      eventVersion: version,
      serviceUrls: urls,
      instruction: `Log in to http://${publicIp}:80/login as admin.`,
      error: null,
    });
    expect(s.publisher.events).toEqual([
      expect.objectContaining({ environment_id: record.id, state: 'ready', previous_state: 'provisioning' }),
    ]);
    expect(ecsMock.commandCalls(StopTaskCommand)).toHaveLength(0);
    await expectCounterMatchesLive(s);

    // Act: the RUNNING event arrives after all, and the reconciler runs again.
    const late = await applyTaskEvent(
      taskStatus(record.id, {
        taskArn: task.taskArn,
        lastStatus: 'RUNNING',
        desiredStatus: 'RUNNING',
        version,
      }),
      { store, addresses, publisher: s.publisher, envFiles: s.envFiles, checks: s.deps.checks, clock },
    );
    const again = await reconcile(s.deps);

    // Assess
    expect(late).toMatchObject({ applied: false, decision: { kind: 'ignore', reason: 'duplicate' } });
    expect(again.promoted).toEqual([]);
    expect(await store.get(record.id)).toEqual(ready);
    expect(s.envFiles.files.has(record.id)).toBe(true);
    await expectCounterMatchesLive(s);
  });

  it('leaves a running task whose version or public IP is not known yet to a later run', async () => {
    // Prepare
    const s = scenario();
    const withoutVersion = await seed(s, { state: 'provisioning' });
    const unversioned = s.cluster.add({ startedBy: withoutVersion.id, ...runningFargate() });
    await store.update(withoutVersion.id, { taskArn: unversioned.taskArn });
    const withoutIp = await seed(s, { state: 'building' });
    const noIp = s.cluster.add({ startedBy: withoutIp.id, version, ...runningFargate() });
    await store.update(withoutIp.id, { taskArn: noIp.taskArn });
    ec2Mock
      .on(DescribeNetworkInterfacesCommand)
      .resolves({ NetworkInterfaces: [{ NetworkInterfaceId: 'eni-abcd1234' }] });

    // Act
    const summary = await reconcile(s.deps);

    // Assess
    expect(summary.promoted).toEqual([]);
    expect(summary.errors.map((e) => e.subject)).toEqual([withoutIp.id]);
    expect(await store.get(withoutVersion.id)).toMatchObject({ state: 'provisioning', serviceUrls: null });
    expect(await store.get(withoutIp.id)).toMatchObject({ state: 'building', serviceUrls: null });
    expect(ecsMock.commandCalls(StopTaskCommand)).toHaveLength(0);
    await expectCounterMatchesLive(s);
  });
});
