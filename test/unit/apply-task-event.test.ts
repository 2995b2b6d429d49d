import { DescribeNetworkInterfacesCommand, EC2Client } from '@aws-sdk/client-ec2';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { Ec2AddressResolver } from '#adapters/aws/ec2-address-resolver';
import type { EnvironmentRecord } from '#domain/environment';
import type { AddressResolver } from '#ports/address-resolver';
import { ecsEvent, FIXTURE_TASK_ARN, stoppedEvent, taskStatus } from '#test/support/ecs-events';
import { makeEnvironment } from '#test/support/factories';
import {
  fixedClock,
  InMemoryEnvFiles,
  InMemoryEnvironmentStore,
  RecordingLog,
  RecordingPublisher,
  RecordingQueue,
} from '#test/support/lifecycle-fakes';
import { type ApplyTaskEventDeps, applyTaskEvent, HostNotKnownError } from '#use-cases/apply-task-event';

const NOW = '2020-01-23T17:58:00.000Z';
const PUBLIC_IP = '203.0.113.7';
const QUOTA = { limit: 10 };

const ec2 = new EC2Client({ region: 'us-west-2' });
const ec2Mock = mockClient(ec2);

const TEMPLATE =
  'Log in to {{ web_url }}/login as {{ user }} (host {{ web_host }}, env {{ environment_id }}).';

interface World {
  readonly store: InMemoryEnvironmentStore;
  readonly publisher: RecordingPublisher;
  readonly envFiles: InMemoryEnvFiles;
  readonly checks: RecordingQueue;
  readonly log: RecordingLog;
  readonly deps: ApplyTaskEventDeps;
}

const world = (addresses: AddressResolver = new Ec2AddressResolver({ ec2, mode: 'public' })): World => {
  const clock = fixedClock(NOW);
  const store = new InMemoryEnvironmentStore(clock);
  const publisher = new RecordingPublisher();
  const envFiles = new InMemoryEnvFiles();
  const checks = new RecordingQueue();
  const log = new RecordingLog();
  return {
    store,
    publisher,
    envFiles,
    checks,
    log,
    deps: { store, addresses, publisher, envFiles, checks, clock, logger: log },
  };
};

/** Records `overrides` as a freshly created environment with its env file. */
const seed = async (w: World, overrides: Partial<EnvironmentRecord> = {}): Promise<EnvironmentRecord> => {
  const record = makeEnvironment({ instructionTemplate: TEMPLATE, ...overrides });
  await w.store.create(record, QUOTA);
  await w.envFiles.put(record.id, { TASKENV_EXECUTE_TOKEN: 'token' });
  return record;
};

const givePublicIp = (ip: string | undefined) =>
  ec2Mock.on(DescribeNetworkInterfacesCommand, { NetworkInterfaceIds: ['eni-abcd1234'] }).resolves({
    NetworkInterfaces: [
      { NetworkInterfaceId: 'eni-abcd1234', ...(ip ? { Association: { PublicIp: ip } } : {}) },
    ],
  });

beforeEach(() => {
  ec2Mock.reset();
});

describe('applyTaskEvent with the real ECS events', () => {
  it('moves the environment to provisioning on the PROVISIONING event and adopts its task ARN', async () => {
    // Prepare
    const w = world();
    const record = await seed(w);

    // Act
    const result = await applyTaskEvent(ecsEvent('provisioning-fargate', record.id), w.deps);

    // Assess
    expect(result.applied).toBe(true);
    const stored = await w.store.get(record.id);
    expect(stored).toMatchObject({
      state: 'provisioning',
      eventVersion: 1,
      taskArn: FIXTURE_TASK_ARN,
      serviceUrls: null,
    });
    expect(w.publisher.events).toEqual([
      expect.objectContaining({
        environment_id: record.id,
        state: 'provisioning',
        previous_state: 'building',
        time: NOW,
      }),
    ]);
  });

  it('makes it ready on the RUNNING event, with URLs at the public IP of its ENI and the instruction rendered', async () => {
    // Prepare
    const w = world();
    const record = await seed(w);
    givePublicIp(PUBLIC_IP);
    await applyTaskEvent(ecsEvent('provisioning-fargate', record.id), w.deps);

    // Act
    await applyTaskEvent(ecsEvent('running-fargate', record.id), w.deps);

    // Assess
    const stored = await w.store.get(record.id);
    expect(stored).toMatchObject({
      state: 'ready',
      eventVersion: 4,
      serviceUrls: { web: { url: `http://${PUBLIC_IP}:80`, host: PUBLIC_IP, port: 80, protocol: 'http' } },
      instruction: `Log in to http://${PUBLIC_IP}:80/login as admin (host ${PUBLIC_IP}, env ${record.id}).`,
    });
    expect(ec2Mock.commandCalls(DescribeNetworkInterfacesCommand)).toHaveLength(1);
    expect(w.publisher.events.at(-1)).toMatchObject({
      state: 'ready',
      previous_state: 'provisioning',
      service_urls: stored?.serviceUrls,
    });
  });

  it('uses the private IP of the event in private URL mode, without asking EC2', async () => {
    // Prepare
    const w = world(new Ec2AddressResolver({ ec2, mode: 'private' }));
    const record = await seed(w);

    // Act
    await applyTaskEvent(ecsEvent('running-fargate', record.id), w.deps);

    // Assess
    expect((await w.store.get(record.id))?.serviceUrls).toEqual({
      web: { url: 'http://10.0.0.139:80', host: '10.0.0.139', port: 80, protocol: 'http' },
    });
    expect(ec2Mock.calls()).toHaveLength(0);
  });

  it('throws, so the event comes again, while the ENI has no public IP yet', async () => {
    // Prepare
    const w = world();
    const record = await seed(w, { state: 'provisioning', eventVersion: 1 });
    givePublicIp(undefined);

    // Act
    const applying = applyTaskEvent(ecsEvent('running-fargate', record.id), w.deps);

    // Assess
    await expect(applying).rejects.toBeInstanceOf(HostNotKnownError);
    expect(await w.store.get(record.id)).toEqual(record);
    expect(w.publisher.events).toEqual([]);
  });

  it('keeps an instruction that needs no service variables as it was rendered at creation', async () => {
    // Prepare
    const w = world(new Ec2AddressResolver({ ec2, mode: 'private' }));
    const record = await seed(w, { instructionTemplate: null, instruction: 'Find the flag.' });

    // Act
    await applyTaskEvent(ecsEvent('running-fargate', record.id), w.deps);

    // Assess
    expect(await w.store.get(record.id)).toMatchObject({ state: 'ready', instruction: 'Find the flag.' });
  });
});

describe('applyTaskEvent when ready waits for health', () => {
  const readiness = { services: ['web'], graceSec: 30 };

  it('keeps an environment with health checks provisioning on RUNNING and queues its readiness check', async () => {
    // Prepare
    const w = world();
    const record = await seed(w, { readiness });
    givePublicIp(PUBLIC_IP);

    // Act
    const result = await applyTaskEvent(ecsEvent('running-fargate', record.id), w.deps);

    // Assess
    expect(result).toMatchObject({ applied: true, decision: { kind: 'await_health' } });
    expect(await w.store.get(record.id)).toMatchObject({
      state: 'provisioning',
      eventVersion: 4,
      serviceUrls: null,
      taskArn: FIXTURE_TASK_ARN,
    });
    expect(w.checks.sent).toEqual([
      {
        check: {
          kind: 'readiness',
          environmentId: record.id,
          taskArn: FIXTURE_TASK_ARN,
          runningAt: NOW,
          check: 1,
        },
        delaySec: 5,
      },
    ]);
    expect(ec2Mock.commandCalls(DescribeNetworkInterfacesCommand)).toHaveLength(0);
    expect(w.publisher.events.map((e) => [e.previous_state, e.state])).toEqual([
      ['building', 'provisioning'],
    ]);
  });

  it('makes it ready at once when the event already reports the task HEALTHY (the local runtimes)', async () => {
    // Prepare
    const w = world();
    const record = await seed(w, { readiness });
    givePublicIp(PUBLIC_IP);

    // Act
    await applyTaskEvent(ecsEvent('running-fargate', record.id, { healthStatus: 'HEALTHY' }), w.deps);

    // Assess
    expect(await w.store.get(record.id)).toMatchObject({ state: 'ready', eventVersion: 4 });
    expect(w.checks.sent).toEqual([]);
  });

  it('queues the readiness check again when the RUNNING event is delivered again', async () => {
    // Prepare
    const w = world();
    const record = await seed(w, { readiness });
    await applyTaskEvent(ecsEvent('running-fargate', record.id), w.deps);

    // Act
    const again = await applyTaskEvent(ecsEvent('running-fargate', record.id), w.deps);

    // Assess
    expect(again).toMatchObject({ applied: false, decision: { kind: 'ignore', reason: 'duplicate' } });
    expect(w.checks.sent.map((s) => s.check.kind)).toEqual(['readiness', 'readiness']);
  });
});

describe('applyTaskEvent on STOPPED', () => {
  const readyUrls = { web: { url: `http://${PUBLIC_IP}:80`, host: PUBLIC_IP, port: 80, protocol: 'http' } };

  it('fails an environment whose task stopped on its own, naming stop code and exit code', async () => {
    // Prepare
    const w = world();
    const record = await seed(w, {
      state: 'ready',
      eventVersion: 4,
      taskArn: FIXTURE_TASK_ARN,
      serviceUrls: readyUrls,
      instruction: 'Log in to http://203.0.113.7:80/login as admin.',
    });

    // Act
    await applyTaskEvent(stoppedEvent(record.id, 6, { exitCode: 3 }), w.deps);

    // Assess
    const stored = await w.store.get(record.id);
    expect(stored).toMatchObject({
      state: 'failed',
      eventVersion: 6,
      serviceUrls: null,
      instruction: null,
      error: `Task stopped (EssentialContainerExited): Essential container in task exited; container web exited with code 3; its logs: GET /api/v1/org/${record.org}/ws/${record.workspace}/environments/${record.id}/logs?service=web (CLI: taskenv env logs ${record.id} --service web)`,
    });
    expect(w.envFiles.files.has(record.id)).toBe(false);
    expect(w.store.runningCount.get(record.org)).toBe(0);
    // The store is handed the record the event was decided on, so it need not read it again.
    expect(w.store.transitionExpected).toEqual([record]);
    expect(w.publisher.events).toEqual([
      expect.objectContaining({
        state: 'failed',
        previous_state: 'ready',
        service_urls: null,
        error: stored?.error,
      }),
    ]);
  });

  it('leaves an environment torn down by DELETE torn down when the STOPPED event follows', async () => {
    // Prepare
    const w = world();
    const record = await seed(w, {
      state: 'ready',
      eventVersion: 4,
      taskArn: FIXTURE_TASK_ARN,
      serviceUrls: readyUrls,
    });
    const torn = await w.store.transition(record.id, {
      to: 'torn_down',
      set: { stopReason: 'deleted', serviceUrls: null },
    });

    // Act
    const result = await applyTaskEvent(
      stoppedEvent(record.id, 7, {
        stopCode: 'UserInitiated',
        stoppedReason: 'taskenv: deleted',
        exitCode: 143,
      }),
      w.deps,
    );

    // Assess
    expect(result.applied).toBe(false);
    expect(await w.store.get(record.id)).toEqual(torn);
    expect(torn).toMatchObject({ state: 'torn_down', error: null });
    expect(w.store.runningCount.get(record.org)).toBe(0);
    // The task is gone now, so its env file goes too; DELETE announced the change already.
    expect(w.envFiles.files.has(record.id)).toBe(false);
    expect(w.publisher.events).toEqual([]);
  });

  it('tears down an environment taskenv stopped at its expiry', async () => {
    // Prepare
    const w = world();
    const record = await seed(w, {
      state: 'ready',
      eventVersion: 4,
      taskArn: FIXTURE_TASK_ARN,
      stopReason: 'expired',
    });

    // Act
    await applyTaskEvent(
      stoppedEvent(record.id, 6, { stopCode: 'UserInitiated', stoppedReason: 'taskenv: expired' }),
      w.deps,
    );

    // Assess
    expect(await w.store.get(record.id)).toMatchObject({ state: 'torn_down', error: null });
  });
});

describe('applyTaskEvent delivery', () => {
  it('never shows a ready environment without URLs: they stay while the task stops, and go with the state', async () => {
    // Prepare
    const w = world();
    const record = await seed(w, { state: 'ready', eventVersion: 4, taskArn: FIXTURE_TASK_ARN });
    const serviceUrls = {
      web: { url: 'http://203.0.113.7:80', host: '203.0.113.7', port: 80, protocol: 'http' },
    };
    await w.store.update(record.id, { serviceUrls });

    // Act
    await applyTaskEvent(
      taskStatus(record.id, { lastStatus: 'RUNNING', desiredStatus: 'STOPPED', version: 5 }),
      w.deps,
    );

    const stopping = await w.store.get(record.id);
    await applyTaskEvent(stoppedEvent(record.id, 6), w.deps);

    // Assess
    expect(stopping).toMatchObject({ state: 'ready', serviceUrls, eventVersion: 5 });
    expect(await w.store.get(record.id)).toMatchObject({
      state: 'failed',
      serviceUrls: null,
      eventVersion: 6,
    });
    expect(w.publisher.events.map((e) => [e.previous_state, e.state, e.service_urls])).toEqual([
      ['ready', 'failed', null],
    ]);
  });

  it('changes nothing for an event older than the last one applied', async () => {
    // Prepare
    const w = world();
    const record = await seed(w);
    await applyTaskEvent(stoppedEvent(record.id, 6), w.deps);
    const stopped = await w.store.get(record.id);

    // Act
    const result = await applyTaskEvent(ecsEvent('running-fargate', record.id), w.deps);

    // Assess
    expect(result).toMatchObject({ applied: false, decision: { kind: 'ignore', reason: 'final' } });
    expect(await w.store.get(record.id)).toEqual(stopped);
    expect(w.publisher.events).toHaveLength(1);
  });

  it('announces the state again when a delivery whose publish failed is repeated', async () => {
    // Prepare
    const w = world(new Ec2AddressResolver({ ec2, mode: 'private' }));
    const record = await seed(w);
    const event = ecsEvent('running-fargate', record.id);
    w.publisher.failNext = true;
    await expect(applyTaskEvent(event, w.deps)).rejects.toThrow(/EventBridge rejected/);
    const writes = w.store.writes;

    // Act
    const redelivery = await applyTaskEvent(event, w.deps);

    // Assess
    expect(redelivery).toMatchObject({ applied: false, decision: { kind: 'ignore', reason: 'duplicate' } });
    expect(w.store.writes).toBe(writes);
    expect(w.publisher.events).toEqual([
      expect.objectContaining({ environment_id: record.id, state: 'ready', previous_state: null }),
    ]);
  });

  it('ignores, and logs, events of tasks taskenv did not start', async () => {
    // Prepare
    const w = world();
    const foreign = ecsEvent('running-fargate', 'unused', { startedBy: undefined });
    const unknown = ecsEvent('running-fargate', crypto.randomUUID());

    // Act
    const results = [await applyTaskEvent(foreign, w.deps), await applyTaskEvent(unknown, w.deps)];

    // Assess
    for (const result of results) {
      expect(result).toMatchObject({
        applied: false,
        decision: { kind: 'ignore', reason: 'unknown_environment' },
      });
    }
    expect(w.store.writes).toBe(0);
    expect(w.log.lines.filter((l) => l.message === 'Ignoring a task taskenv did not start')).toHaveLength(2);
  });

  it('fails the environment when the instruction cannot be rendered with the service variables', async () => {
    // Prepare
    const w = world(new Ec2AddressResolver({ ec2, mode: 'private' }));
    const record = await seed(w, { instructionTemplate: 'Open {{ web_url }} as {{ missing_input }}.' });

    // Act
    await applyTaskEvent(ecsEvent('running-fargate', record.id), w.deps);

    // Assess
    const stored = await w.store.get(record.id);
    expect(stored?.state).toBe('failed');
    // The cause, not the envelope's generic 'Request validation failed'.
    expect(stored?.error).toBe(
      "The instruction could not be rendered: The instruction uses 'missing_input' but no value was given for it",
    );
  });
});
