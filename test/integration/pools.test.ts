import { beforeEach, describe, expect, it } from 'vitest';
import { createDocumentClient } from '#adapters/aws/dynamodb/client';
import { dynamoStores } from '#adapters/aws/wiring';
import { ValidationError } from '#domain/errors';
import { parseManifest } from '#domain/manifest';
import { poolStartedBy, type SlotRecord } from '#domain/pool';
import type { Principal } from '#domain/principal';
import { randomIds } from '#ports/clock';
import {
  type ContainerRuntime,
  LaunchFailedError,
  type LaunchRequest,
  type RuntimeTask,
} from '#ports/container-runtime';
import type { PoolKeeperTrigger } from '#ports/pool-store';
import type { SecretValueStore } from '#ports/secret-store';
import {
  createDeps as createPathDeps,
  noExpiry,
  noSecrets,
  publishWeb,
  putOrgLimit,
} from '#test/support/create-path';
import { stoppedEvent, taskStatus } from '#test/support/ecs-events';
import { taskVersionOf } from '#test/support/example-tasks';
import { uniqueName } from '#test/support/factories';
import {
  fixedClock,
  InMemoryEnvFiles,
  RecordingPublisher,
  RecordingQueue,
} from '#test/support/lifecycle-fakes';
import { poolsOfOrg } from '#test/support/pools';
import { applyTaskEvent } from '#use-cases/apply-task-event';
import { createEnvironment } from '#use-cases/create-environment';
import { keepPools } from '#use-cases/pool-keeper';
import { deletePool, getPool, putPool } from '#use-cases/pools';
import { reconcile } from '#use-cases/reconcile';

const stores = dynamoStores(createDocumentClient(), {
  TABLE_NAME: process.env.TABLE_NAME ?? 'missing TABLE_NAME',
});
const pools = poolsOfOrg(stores.poolStore, () => org);

/** Every launch starts a task that runs until stopped; describe reports exactly that. */
class RecordingRuntime implements ContainerRuntime {
  readonly launches: LaunchRequest[] = [];
  readonly stopped: string[] = [];
  readonly running = new Map<string, RuntimeTask>();
  /** When set, the next launch throws it. */
  failNext: Error | null = null;

  async register() {
    return { taskDefinitionArn: null };
  }
  async launch(request: LaunchRequest) {
    const failure = this.failNext;
    this.failNext = null;
    if (failure !== null) throw failure;
    this.launches.push(request);
    const taskArn = `arn:aws:ecs:local:000000000000:task/taskenv/${request.environmentId.replace('/', '-')}`;
    this.running.set(taskArn, {
      taskArn,
      startedBy: request.environmentId,
      group: `taskenv:${request.org}`,
      lastStatus: 'RUNNING',
      desiredStatus: 'RUNNING',
      stopCode: null,
      stoppedReason: null,
      containers: [],
      version: 3,
      network: { eniId: null, privateIp: '10.0.0.9', bindings: [] },
    });
    return { taskArn };
  }
  async stop(taskArn: string) {
    this.stopped.push(taskArn);
    this.running.delete(taskArn);
  }
  async describe(taskArns: readonly string[]) {
    return taskArns.flatMap((arn) => this.running.get(arn) ?? []);
  }
  async findByEnvironment() {
    return null;
  }
  async listRunning() {
    return [...this.running.values()];
  }
}

/** Secrets Manager answers every read (the pool tests that pass `secret_ids`). */
const secretValues: SecretValueStore = { ...noSecrets, get: async () => 'value' };

const NOW = new Date();
const clock = fixedClock(NOW.toISOString());
const POOL = 'web@1.0.0';
const host = { hostFor: async () => '203.0.113.7' };

let org: string;
let principal: Principal;
let runtime: RecordingRuntime;
let nudges: number;
const keeper: PoolKeeperTrigger = {
  nudge: async () => {
    nudges++;
  },
};

beforeEach(async () => {
  org = uniqueName('org');
  principal = { keyId: 'test', org, role: 'admin', workspaces: ['*'] };
  runtime = new RecordingRuntime();
  nudges = 0;
  await putOrgLimit(stores, org, 50, NOW);
  await publishWeb(stores, org, {
    instruction: 'Open {{ web_url }} as {{ user }} in {{ environment_id }}.',
    inputs: { user: { type: 'string', default: 'admin' } },
  });
});

const poolDeps = () => ({ pools, tasks: stores.tasks, access: stores.access, runtime, keeper, clock });

const createDeps = () =>
  createPathDeps(stores, { secretValues, runtime, clock, pools: { store: pools, keeper } });

const keeperDeps = (at = NOW) => ({
  pools,
  tasks: stores.tasks,
  runtime,
  clock: fixedClock(at.toISOString()),
  ids: randomIds,
});

/** Keeper run, then the RUNNING event of each new pool task through the event path. */
const fill = async (size: number) => {
  await putPool({ principal, org, name: POOL, size }, poolDeps());
  const summary = await keepPools(keeperDeps());
  for (const id of summary.started) await deliverRunning(id, 2);
  return summary;
};

const slotArn = (id: string) => `arn:aws:ecs:local:000000000000:task/taskenv/pool-${id}`;

const deliverRunning = async (slotId: string, version: number) =>
  applyTaskEvent(
    taskStatus(poolStartedBy(slotId), { lastStatus: 'RUNNING', version, taskArn: slotArn(slotId) }),
    eventDeps(),
  );

const eventDeps = () => ({
  store: stores.store,
  pools,
  addresses: host,
  publisher: new RecordingPublisher(),
  envFiles: new InMemoryEnvFiles(),
  checks: new RecordingQueue(),
  clock,
});

const slots = async (): Promise<SlotRecord[]> => pools.listSlots(org, POOL);

describe('the keeper', () => {
  it('starts size pool tasks without env file or workspace, and the RUNNING events make them warm', async () => {
    // Act
    const summary = await fill(2);

    // Assess
    expect(summary.started).toHaveLength(2);
    expect(runtime.launches.map((l) => [l.environmentId, l.envFileRef, l.workspace])).toEqual(
      summary.started.map((id) => [`pool/${id}`, null, null]),
    );
    const all = await slots();
    expect(all.map((s) => s.state)).toEqual(['warm', 'warm']);
    expect(all[0]?.serviceUrls).toEqual({
      web: { url: 'http://203.0.113.7:80', host: '203.0.113.7', port: 80, protocol: 'http' },
    });
    expect((await getPool({ principal, org, name: POOL }, { pools })).warm).toBe(2);
  });

  it('retires what a shrunk pool no longer needs, stopping its task', async () => {
    // Prepare
    await fill(3);

    // Act
    await putPool({ principal, org, name: POOL, size: 1 }, poolDeps());
    const summary = await keepPools(keeperDeps());

    // Assess
    expect(summary.retired).toHaveLength(2);
    expect(runtime.stopped.sort()).toEqual(summary.retired.map(slotArn).sort());
    expect((await slots()).filter((s) => s.state === 'warm')).toHaveLength(1);
  });

  it('replaces a warm task older than an hour', async () => {
    // Prepare
    const [old = ''] = (await fill(1)).started;

    // Act
    const summary = await keepPools(keeperDeps(new Date(NOW.getTime() + 3601_000)));

    // Assess
    expect(summary.retired).toEqual([old]);
    expect(runtime.stopped).toEqual([slotArn(old)]);
    expect(summary.started).toHaveLength(1);
  });

  it('after a keeper crash between the slot and RunTask, the next run launches the same slot again', async () => {
    // Prepare
    await putPool({ principal, org, name: POOL, size: 1 }, poolDeps());
    runtime.failNext = new Error('keeper died mid-refill');
    const crashed = await keepPools(keeperDeps());
    const [slot] = await slots();

    // Act
    const summary = await keepPools(keeperDeps(new Date(NOW.getTime() + 30_000)));

    // Assess
    expect(crashed.errors).toHaveLength(1);
    expect(slot?.state).toBe('starting');
    expect(summary.relaunched).toEqual([slot?.id]);
    expect(summary.started).toEqual([]);
    expect(runtime.launches.map((l) => l.environmentId)).toEqual([`pool/${slot?.id}`]);
    expect((await slots())[0]?.taskArn).toBe(slotArn(slot?.id ?? ''));
  });

  it('retires a slot whose launch the platform refuses', async () => {
    // Prepare
    await putPool({ principal, org, name: POOL, size: 1 }, poolDeps());
    runtime.failNext = new LaunchFailedError('CannotPullContainerError');

    // Act
    const summary = await keepPools(keeperDeps());

    // Assess
    expect(summary.retired).toHaveLength(1);
    expect(await slots()).toEqual([]);
    expect(await pools.findSlot(summary.retired[0] ?? '')).toMatchObject({
      state: 'retired',
      retiredReason: 'Launch failed: CannotPullContainerError',
    });
  });
});

describe('a create of a pooled version', () => {
  it('claims a warm task: ready in its answer, URLs and the rendered instruction, lifetime from the claim', async () => {
    // Prepare
    await fill(1);
    const [slot] = await slots();
    const launchesBefore = runtime.launches.length;

    // Act
    const { record } = await createEnvironment(
      { principal, org, workspace: 'default', request: { task_ref: 'web', inputs: { user: 'eve' } } },
      createDeps(),
    );

    // Assess
    expect(record).toMatchObject({
      state: 'ready',
      taskArn: slot?.taskArn,
      serviceUrls: slot?.serviceUrls,
      instruction: `Open http://203.0.113.7:80 as eve in ${record.id}.`,
      expiresAt: new Date(NOW.getTime() + 900_000).toISOString(),
    });
    expect(runtime.launches.length).toBe(launchesBefore);
    expect(await stores.store.get(record.id)).toEqual(record);
    expect(await slots()).toEqual([]);
    expect(await pools.findSlot(slot?.id ?? '')).toMatchObject({
      state: 'claimed',
      environmentId: record.id,
    });
    expect(nudges).toBeGreaterThan(0);
  });

  it('with secret_ids launches cold and leaves the warm task waiting', async () => {
    // Prepare
    await fill(1);
    await stores.secretMetadata.put({
      org,
      workspace: 'default',
      id: 'token',
      envVar: 'TOKEN',
      preview: 'va…',
      valueRef: 'ref',
      createdAt: NOW.toISOString(),
      updatedAt: NOW.toISOString(),
    });

    // Act
    const { record } = await createEnvironment(
      { principal, org, workspace: 'default', request: { task_ref: 'web', secret_ids: ['token'] } },
      createDeps(),
    );

    // Assess
    expect(record.state).toBe('building');
    expect(runtime.launches.at(-1)).toMatchObject({ environmentId: record.id, workspace: 'default' });
    expect((await slots())[0]?.state).toBe('warm');
  });

  // 20 claims racing for 5 slots retry their cancelled transactions: on a loaded CI machine
  // this took longer than the suite's 20 s default once, hence its own limit.
  it('20 concurrent creates against 5 warm: exactly 5 claims, 15 cold launches, no slot twice, exact counters', async () => {
    // Prepare
    const { started } = await fill(5);
    const launchesBefore = runtime.launches.length;
    const deps = createDeps();

    // Act
    const created = await Promise.all(
      Array.from({ length: 20 }, () =>
        createEnvironment({ principal, org, workspace: 'default', request: { task_ref: 'web' } }, deps),
      ),
    );

    // Assess
    const ready = created.filter((c) => c.record.state === 'ready');
    const cold = created.filter((c) => c.record.state === 'building');
    expect(ready).toHaveLength(5);
    expect(cold).toHaveLength(15);
    expect(runtime.launches.length - launchesBefore).toBe(15);
    const claimed = await Promise.all(started.map((id) => pools.findSlot(id)));
    expect(claimed.map((s) => s?.state)).toEqual(['claimed', 'claimed', 'claimed', 'claimed', 'claimed']);
    expect(claimed).toHaveLength(5);
    expect(new Set(claimed.map((s) => s?.environmentId))).toEqual(new Set(ready.map((c) => c.record.id)));
    expect(new Set(ready.map((c) => c.record.taskArn)).size).toBe(5);
    expect((await stores.access.getOrg(org))?.runningCount).toBe(20);
    expect((await pools.getPool(org, POOL))?.claimedTotal).toBe(5);
    // The list counts the claimed environments as ready, the cold ones as building.
    const listed = (states: ('ready' | 'building')[]) =>
      stores.store.list({ org, workspace: 'default', states, page: 1, limit: 50 });
    expect((await listed(['ready'])).total).toBe(5);
    expect((await listed(['building'])).total).toBe(15);
    expect((await listed(['ready'])).items.map((r) => r.id).sort()).toEqual(
      ready.map((c) => c.record.id).sort(),
    );
  }, 60_000);
});

describe('events and repairs', () => {
  it("after a claim, the task's events move the environment like any other", async () => {
    // Prepare
    await fill(1);
    const [slot] = await slots();
    const { record } = await createEnvironment(
      { principal, org, workspace: 'default', request: { task_ref: 'web' } },
      createDeps(),
    );

    // Act
    const event = stoppedEvent(poolStartedBy(slot?.id ?? ''), 9, { exitCode: 3 });
    event.detail = { ...event.detail, taskArn: slotArn(slot?.id ?? '') };
    const result = await applyTaskEvent(event, eventDeps());

    // Assess
    expect(result.environmentId).toBe(record.id);
    expect(result.record).toMatchObject({ state: 'failed', serviceUrls: null, eventVersion: 9 });
    expect((await stores.access.getOrg(org))?.runningCount).toBe(0);
  });

  it('a warm task that dies is retired by its STOPPED event, and a redelivery changes nothing', async () => {
    // Prepare
    await fill(1);
    const [slot] = await slots();
    const event = stoppedEvent(poolStartedBy(slot?.id ?? ''), 5);
    event.detail = { ...event.detail, taskArn: slotArn(slot?.id ?? '') };

    // Act
    const first = await applyTaskEvent(event, eventDeps());
    const again = await applyTaskEvent(event, eventDeps());

    // Assess
    expect([first.applied, again.applied]).toEqual([true, false]);
    expect(await slots()).toEqual([]);
    expect((await pools.findSlot(slot?.id ?? ''))?.state).toBe('retired');
  });

  it('the reconciler retires a warm slot whose task vanished, and stops a pool task with no slot', async () => {
    // Prepare
    await fill(1);
    const [slot] = await slots();
    runtime.running.delete(slot?.taskArn ?? '');
    await runtime.launch({
      environmentId: poolStartedBy('f'.repeat(30)),
      org,
      workspace: null,
      task: (await stores.tasks.get(org, 'web', '1.0.0')) ?? expect.unreachable(),
      envFileRef: null,
    });

    // Act
    const summary = await reconcile({
      store: Object.assign(bind(stores.store), { listLive: async () => [] }),
      runtime,
      pools,
      addresses: host,
      envFiles: new InMemoryEnvFiles(),
      checks: new RecordingQueue(),
      expiry: noExpiry,
      tasks: stores.tasks,
      publisher: new RecordingPublisher(),
      clock: fixedClock(new Date(NOW.getTime() + 120_000).toISOString()),
      config: { launchDeadlineSec: 600, maxLaunchAttempts: 3, graceSec: 60 },
    });

    // Assess
    expect(summary.slotsRetired).toEqual([slot?.id]);
    expect(summary.orphansStopped).toEqual([slotArn('f'.repeat(30))]);
  });
});

describe('the pool routes', () => {
  it("refuses a size beyond the org's max_pool_tasks, counting its other pools", async () => {
    // Prepare
    await stores.tasks.publish(
      taskVersionOf(
        parseManifest({
          name: 'other',
          version: '2.0.0',
          instruction: 'x',
          services: { web: { image: 'public.ecr.aws/docker/library/nginx:1.27', ports: [80] } },
        }),
        org,
      ),
    );
    await putPool({ principal, org, name: 'other@2.0.0', size: 8 }, poolDeps());

    // Act
    const refused = putPool({ principal, org, name: POOL, size: 3 }, poolDeps());

    // Assess
    await expect(refused).rejects.toBeInstanceOf(ValidationError);
    await expect(putPool({ principal, org, name: POOL, size: 2 }, poolDeps())).resolves.toMatchObject({
      pool: { size: 2 },
    });
  });

  it('lets a member read pools but not change them', async () => {
    // Prepare
    const member: Principal = { ...principal, role: 'member' };
    await putPool({ principal, org, name: POOL, size: 1 }, poolDeps());

    // Act
    const change = putPool({ principal: member, org, name: POOL, size: 2 }, poolDeps());

    // Assess
    await expect(change).rejects.toMatchObject({ status: 403 });
    await expect(getPool({ principal: member, org, name: POOL }, { pools })).resolves.toMatchObject({
      pool: { size: 1 },
    });
  });

  it('DELETE stops the waiting tasks and removes the pool', async () => {
    // Prepare
    const { started } = await fill(2);
    const waiting = (await slots()).map((s) => s.taskArn);

    // Act
    await deletePool({ principal, org, name: POOL }, poolDeps());

    // Assess
    expect(runtime.stopped.sort()).toEqual(waiting.sort());
    expect(await pools.getPool(org, POOL)).toBeNull();
    expect(await slots()).toEqual([]);
    for (const id of started) expect((await pools.findSlot(id))?.state).toBe('retired');
  });
});

/** The store's methods bound to it, so a test can override one and keep the rest. */
function bind<T extends object>(target: T): T {
  const out: Record<string, unknown> = {};
  let proto: object | null = target;
  while (proto !== null && proto !== Object.prototype) {
    for (const key of Object.getOwnPropertyNames(proto)) {
      const value = (target as Record<string, unknown>)[key];
      if (key !== 'constructor' && typeof value === 'function' && !(key in out)) {
        out[key] = (value as (...a: unknown[]) => unknown).bind(target);
      }
    }
    proto = Object.getPrototypeOf(proto);
  }
  return out as T;
}
