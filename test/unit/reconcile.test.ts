/**
 * The reconciler's actions over in-memory ports (no DynamoDB, no ECS): each scenario is a crash
 * or a lost event, and what one run does about it, with literal expectations. The same runs
 * against the real adapters are `test/integration/reconcile.test.ts`.
 */
import { describe, expect, it } from 'vitest';
import type { EnvironmentRecord } from '#domain/environment';
import { parseManifest } from '#domain/manifest';
import { type PoolRecord, poolStartedBy, type SlotRecord } from '#domain/pool';
import { resolvedTaskRef } from '#domain/task-ref';
import type { TaskVersionRecord } from '#domain/task-version';
import type { ContainerRuntime, LaunchRequest, RuntimeTask } from '#ports/container-runtime';
import type { EnvFileListing } from '#ports/env-file-store';
import { EXPIRED_STOP_REASON, type ExpiryScheduler } from '#ports/expiry-scheduler';
import type { PoolStore, SlotChange, SlotKey } from '#ports/pool-store';
import type { TaskRegistry } from '#ports/task-registry';
import { makeEnvironment, runtimeTask } from '#test/support/factories';
import {
  fixedClock,
  InMemoryEnvFiles,
  InMemoryEnvironmentStore,
  RecordingLog,
  RecordingPublisher,
  RecordingQueue,
} from '#test/support/lifecycle-fakes';
import {
  counts,
  ORPHAN_STOP_REASON,
  type ReconcileDeps,
  type ReconcileSummary,
  reconcile,
  reconcileActions,
} from '#use-cases/reconcile';

const NOW = new Date('2026-03-01T12:00:00.000Z');
const ago = (seconds: number): string => new Date(NOW.getTime() - seconds * 1000).toISOString();
const later = (seconds: number): string => new Date(NOW.getTime() + seconds * 1000).toISOString();
const QUOTA = { limit: 10 };

/** The one task version the environments here were created from; the registry knows no other. */
const taskVersion: TaskVersionRecord = {
  ...{ org: 'acme', name: 'web-sqli', version: '1.2.0', public: false, description: null },
  manifest: parseManifest({
    name: 'web-sqli',
    version: '1.2.0',
    instruction: 'Log in to {{ web_url }}/login as {{ user }}.',
    inputs: { user: { type: 'string', default: 'admin' } },
    services: { web: { image: 'nginx', ports: [80] } },
  }),
  taskDefinitionArn: null,
  createdAt: '2026-01-01T00:00:00.000Z',
};
const notUsed = async (): Promise<never> => {
  throw new Error('not used by the reconciler');
};
const tasks: TaskRegistry = {
  publish: notUsed,
  get: async (org, name, version) =>
    resolvedTaskRef({ org, name, version }) === resolvedTaskRef(taskVersion) ? taskVersion : null,
  candidates: notUsed,
  listVisible: notUsed,
};

/** A cluster as the reconciler sees it: tasks by ARN; launches and stops recorded. */
class FakeRuntime implements ContainerRuntime {
  readonly tasks = new Map<string, RuntimeTask>();
  readonly launched: LaunchRequest[] = [];
  readonly stopped: { taskArn: string; reason: string }[] = [];

  add(task: RuntimeTask): RuntimeTask {
    this.tasks.set(task.taskArn, task);
    return task;
  }
  async register(): Promise<{ taskDefinitionArn: string | null }> {
    throw new Error('not used by the reconciler');
  }
  async launch(request: LaunchRequest): Promise<{ taskArn: string }> {
    this.launched.push(request);
    const task = this.add(
      runtimeTask({ taskArn: `arn:task/launched-${this.launched.length}`, startedBy: request.environmentId }),
    );
    return { taskArn: task.taskArn };
  }
  async stop(taskArn: string, reason: string): Promise<void> {
    this.stopped.push({ taskArn, reason });
  }
  async describe(taskArns: readonly string[]): Promise<RuntimeTask[]> {
    return taskArns.flatMap((arn) => this.tasks.get(arn) ?? []);
  }
  async findByEnvironment(environmentId: string): Promise<RuntimeTask | null> {
    return [...this.tasks.values()].find((t) => t.startedBy === environmentId) ?? null;
  }
  async listRunning(): Promise<RuntimeTask[]> {
    return [...this.tasks.values()].filter((t) => t.lastStatus !== 'STOPPED');
  }
}

class RecordingExpiry implements ExpiryScheduler {
  readonly scheduled: { environmentId: string; taskArn: string; at: string }[] = [];
  async schedule(environmentId: string, taskArn: string, at: Date): Promise<void> {
    this.scheduled.push({ environmentId, taskArn, at: at.toISOString() });
  }
  async cancel(): Promise<void> {}
}

const world = (config: Partial<ReconcileDeps['config']> = {}) => {
  const clock = fixedClock(NOW.toISOString());
  const store = new InMemoryEnvironmentStore(clock);
  const runtime = new FakeRuntime();
  const envFiles = new InMemoryEnvFiles();
  const publisher = new RecordingPublisher();
  const expiry = new RecordingExpiry();
  const log = new RecordingLog();
  const deps: ReconcileDeps = {
    store,
    runtime,
    addresses: { hostFor: async (network) => network.privateIp },
    envFiles,
    expiry,
    tasks,
    publisher,
    checks: new RecordingQueue(),
    clock,
    config: { launchDeadlineSec: 600, maxLaunchAttempts: 3, ...config },
    logger: log,
  };
  const seed = async (overrides: Partial<EnvironmentRecord>): Promise<EnvironmentRecord> => {
    const record = makeEnvironment({ org: 'acme', createdAt: ago(120), expiresAt: later(600), ...overrides });
    await store.create(record, QUOTA);
    await envFiles.put(record.id, { TASKENV_EXECUTE_TOKEN: 'token' });
    return record;
  };
  return { store, runtime, envFiles, publisher, expiry, log, deps, seed };
};

/** A run that did nothing: every action list empty. */
const EMPTY = Object.fromEntries(
  [...reconcileActions, 'envFilesSwept', 'errors'].map((action) => [action, []]),
) as unknown as ReconcileSummary;

describe('reconcile: launches', () => {
  it('leaves an environment younger than the grace period alone, and its task', async () => {
    const w = world();
    const young = await w.seed({ createdAt: ago(59) });
    w.runtime.add(runtimeTask({ taskArn: 'arn:task/young', startedBy: young.id }));

    expect(await reconcile(w.deps)).toEqual(EMPTY);
    expect(w.runtime.stopped).toEqual([]);
    expect(w.store.records.get(young.id)?.taskArn).toBeNull();
  });

  it('waits for the grace period the config gives', async () => {
    const w = world({ graceSec: 300 });
    await w.seed({ createdAt: ago(200) });

    expect(await reconcile(w.deps)).toEqual(EMPTY);
    expect(w.runtime.launched).toEqual([]);
  });

  it('adopts the running task of an interrupted launch and schedules its expiry', async () => {
    const w = world();
    const env = await w.seed({ state: 'provisioning' });
    w.runtime.add(runtimeTask({ taskArn: 'arn:task/a', startedBy: env.id, lastStatus: 'PROVISIONING' }));

    const summary = await reconcile(w.deps);

    expect(summary).toEqual({ ...EMPTY, adopted: [env.id] });
    expect(w.store.records.get(env.id)?.taskArn).toBe('arn:task/a');
    expect(w.expiry.scheduled).toEqual([{ environmentId: env.id, taskArn: 'arn:task/a', at: later(600) }]);
    expect(w.runtime.stopped).toEqual([]);
    expect(w.log.lines.map((l) => l.message)).toContain('Adopted the task of an interrupted launch');
  });

  it('ends an environment whose adopted task already stopped, as its STOPPED event would', async () => {
    const w = world();
    const env = await w.seed({});
    w.runtime.add(
      runtimeTask({
        taskArn: 'arn:task/s',
        startedBy: env.id,
        lastStatus: 'STOPPED',
        desiredStatus: 'STOPPED',
        stoppedReason: 'Essential container in task exited',
        containers: [{ name: 'web', exitCode: 1, reason: null }],
      }),
    );

    const summary = await reconcile(w.deps);

    expect(summary).toEqual({ ...EMPTY, adopted: [env.id], finalised: [env.id] });
    expect(w.store.records.get(env.id)?.state).toBe('failed');
    expect(w.expiry.scheduled).toEqual([]);
    // The final write is conditional on the record the run read.
    expect(w.store.transitionExpected.map((r) => r?.id)).toEqual([env.id]);
    expect(w.envFiles.files.has(env.id)).toBe(false);
    expect(w.publisher.events.map((e) => [e.environment_id, e.previous_state, e.state])).toEqual([
      [env.id, 'building', 'failed'],
    ]);
  });

  it('launches again an environment whose task never started, counting the attempt', async () => {
    const w = world();
    const env = await w.seed({ launchAttempts: 1 });

    const summary = await reconcile(w.deps);

    expect(summary).toEqual({ ...EMPTY, relaunched: [env.id] });
    expect(w.runtime.launched.map((l) => [l.environmentId, l.envFileRef])).toEqual([
      [env.id, `memory://env/${env.id}.env`],
    ]);
    expect(w.store.records.get(env.id)).toMatchObject({ launchAttempts: 2, taskArn: 'arn:task/launched-1' });
    // The relaunched task is the environment's own: the orphan pass leaves it.
    expect(w.runtime.stopped).toEqual([]);
  });

  it.each([
    [
      'past the launch deadline',
      { createdAt: ago(600), launchAttempts: 2 },
      'Launch failed: no task started within 600 s (2 attempts)',
    ],
    ['after the last attempt', { launchAttempts: 3 }, 'Launch failed: no task started after 3 attempts'],
    ['once expired', { expiresAt: ago(1) }, 'Launch failed: the environment expired before its task started'],
    [
      'when its task version is gone',
      { taskRef: 'acme/web-sqli@9.9.9' },
      'Launch failed: task acme/web-sqli@9.9.9 no longer exists',
    ],
    [
      'when its ref names no version',
      { taskRef: 'acme/web-sqli' },
      'Launch failed: task acme/web-sqli no longer exists',
    ],
  ])('gives up a launch %s, saying why', async (_when, overrides, error) => {
    const w = world();
    const env = await w.seed(overrides);

    const summary = await reconcile(w.deps);

    expect(summary).toEqual({ ...EMPTY, failed: [env.id] });
    expect(w.store.records.get(env.id)).toMatchObject({ state: 'failed', error });
    expect(w.runtime.launched).toEqual([]);
    expect(w.envFiles.files.has(env.id)).toBe(false);
    expect(w.publisher.events).toHaveLength(1);
  });

  it('leaves a queued launch retry to the retry loop until it is overdue by the grace period', async () => {
    const w = world();
    const pending = await w.seed({ launchAttempts: 3, launchRetryAt: ago(59) });
    const overdue = await w.seed({ launchAttempts: 3, launchRetryAt: ago(61) });

    const summary = await reconcile(w.deps);

    // Queued retries are bounded by the deadline alone, not by the attempt cap.
    expect(summary).toEqual({ ...EMPTY, relaunched: [overdue.id] });
    expect(w.store.records.get(pending.id)?.launchAttempts).toBe(3);
    expect(w.store.records.get(overdue.id)?.launchAttempts).toBe(4);
  });
});

describe('reconcile: adoption details', () => {
  it('schedules no expiry for an environment without one, and goes on when scheduling fails', async () => {
    const w = world();
    const forever = await w.seed({ expiresAt: null });
    const scheduled = await w.seed({});
    w.runtime.add(runtimeTask({ taskArn: 'arn:task/f', startedBy: forever.id }));
    w.runtime.add(runtimeTask({ taskArn: 'arn:task/s', startedBy: scheduled.id }));
    w.expiry.schedule = async () => {
      throw new Error('scheduler down');
    };

    const summary = await reconcile(w.deps);

    expect(summary).toEqual({
      ...EMPTY,
      adopted: [forever.id, scheduled.id],
      promoted: [forever.id, scheduled.id],
    });
    expect(w.log.lines.filter((l) => l.level === 'warn').map((l) => l.attributes)).toEqual([
      { environmentId: scheduled.id, error: 'Error: scheduler down' },
    ]);
  });
});

describe('reconcile: live environments', () => {
  it('keeps the stop reason an expired environment already has, and stops its task', async () => {
    const w = world();
    const env = await w.seed({
      state: 'ready',
      taskArn: 'arn:task/d',
      expiresAt: ago(1),
      stopReason: 'deleted',
    });
    w.runtime.add(runtimeTask({ taskArn: 'arn:task/d', startedBy: env.id }));

    expect(await reconcile(w.deps)).toEqual({ ...EMPTY, expired: [env.id] });
    expect(w.store.records.get(env.id)?.stopReason).toBe('deleted');
    expect(w.store.writes).toBe(0);
  });

  it('does not count as promoted a task state older than the one recorded', async () => {
    const w = world();
    const env = await w.seed({ state: 'provisioning', taskArn: 'arn:task/o', eventVersion: 5 });
    w.runtime.add(runtimeTask({ taskArn: 'arn:task/o', startedBy: env.id, version: 4 }));

    expect(await reconcile(w.deps)).toEqual(EMPTY);
    expect(w.store.records.get(env.id)?.state).toBe('provisioning');
  });

  it('ends an environment whose task the platform forgot', async () => {
    const w = world();
    const env = await w.seed({ state: 'ready', taskArn: 'arn:task/gone' });

    const summary = await reconcile(w.deps);

    expect(summary).toEqual({ ...EMPTY, finalised: [env.id] });
    expect(w.store.records.get(env.id)).toMatchObject({
      state: 'failed',
      error: expect.stringContaining('the task is no longer known to the container platform'),
    });
    expect(w.envFiles.deleted).toEqual([env.id]);
  });

  it('tears down an environment whose task taskenv stopped', async () => {
    const w = world();
    const env = await w.seed({ state: 'ready', taskArn: 'arn:task/t' });
    w.runtime.add(
      runtimeTask({
        taskArn: 'arn:task/t',
        startedBy: env.id,
        lastStatus: 'STOPPED',
        desiredStatus: 'STOPPED',
        stoppedReason: 'taskenv: deleted',
      }),
    );

    expect(await reconcile(w.deps)).toEqual({ ...EMPTY, finalised: [env.id] });
    expect(w.store.records.get(env.id)).toMatchObject({ state: 'torn_down', error: null });
  });

  it('records the expiry and stops the task of an environment past expires_at', async () => {
    const w = world();
    const env = await w.seed({ state: 'ready', taskArn: 'arn:task/e', expiresAt: ago(1) });
    w.runtime.add(runtimeTask({ taskArn: 'arn:task/e', startedBy: env.id }));

    const summary = await reconcile(w.deps);

    expect(summary).toEqual({ ...EMPTY, expired: [env.id] });
    expect(w.store.records.get(env.id)).toMatchObject({ state: 'ready', stopReason: 'expired' });
    expect(w.runtime.stopped).toEqual([{ taskArn: 'arn:task/e', reason: EXPIRED_STOP_REASON }]);
  });

  it('makes ready a provisioning environment whose task runs, with its URLs and instruction', async () => {
    const w = world();
    const env = await w.seed({ state: 'provisioning', taskArn: 'arn:task/p', eventVersion: 2 });
    w.runtime.add(runtimeTask({ taskArn: 'arn:task/p', startedBy: env.id, version: 4 }));

    const summary = await reconcile(w.deps);

    expect(summary).toEqual({ ...EMPTY, promoted: [env.id] });
    expect(w.store.records.get(env.id)).toMatchObject({
      state: 'ready',
      eventVersion: 4,
      instruction: 'Log in to http://10.0.0.5:80/login as admin.',
      serviceUrls: { web: { url: 'http://10.0.0.5:80', host: '10.0.0.5', port: 80, protocol: 'http' } },
    });
  });

  it('leaves a running task without a version or network facts to its events', async () => {
    const w = world();
    const a = await w.seed({ state: 'provisioning', taskArn: 'arn:task/nv' });
    const b = await w.seed({ state: 'provisioning', taskArn: 'arn:task/nn' });
    w.runtime.add(runtimeTask({ taskArn: 'arn:task/nv', startedBy: a.id, version: null }));
    w.runtime.add(runtimeTask({ taskArn: 'arn:task/nn', startedBy: b.id, network: null }));

    expect(await reconcile(w.deps)).toEqual(EMPTY);
    expect(w.store.records.get(a.id)?.state).toBe('provisioning');
    expect(w.store.records.get(b.id)?.state).toBe('provisioning');
  });

  it('counts and logs a failed action, and goes on with the others', async () => {
    const w = world();
    const broken = await w.seed({ state: 'ready', taskArn: 'arn:task/b', expiresAt: ago(1) });
    const gone = await w.seed({ state: 'ready', taskArn: 'arn:task/gone' });
    w.runtime.add(runtimeTask({ taskArn: 'arn:task/b', startedBy: broken.id }));
    w.runtime.stop = async () => {
      throw new Error('ECS is down');
    };

    const summary = await reconcile(w.deps);

    expect(summary).toEqual({
      ...EMPTY,
      finalised: [gone.id],
      errors: [{ subject: broken.id, message: 'Error: ECS is down' }],
    });
    expect(counts(summary)).toEqual({
      relaunched: 0,
      adopted: 0,
      failed: 0,
      finalised: 1,
      expired: 0,
      promoted: 0,
      orphansStopped: 0,
      slotsRetired: 0,
      errors: 1,
    });
    expect(w.log.lines.filter((l) => l.level === 'error')).toEqual([
      {
        level: 'error',
        message: 'Reconciliation action failed; the next run retries it',
        attributes: { subject: broken.id, error: 'Error: ECS is down' },
      },
    ]);
  });
});

describe('reconcile: orphans', () => {
  it('stops a running task no live environment owns, and one whose environment runs another', async () => {
    const w = world();
    const env = await w.seed({ state: 'ready', taskArn: 'arn:task/own' });
    const ended = await w.seed({ state: 'ready' });
    await w.store.transition(ended.id, { to: 'torn_down' });
    w.runtime.add(runtimeTask({ taskArn: 'arn:task/own', startedBy: env.id }));
    w.runtime.add(runtimeTask({ taskArn: 'arn:task/second', startedBy: env.id }));
    w.runtime.add(runtimeTask({ taskArn: 'arn:task/unknown', startedBy: 'no-such-environment' }));
    w.runtime.add(runtimeTask({ taskArn: 'arn:task/final', startedBy: ended.id }));
    w.runtime.add(runtimeTask({ taskArn: 'arn:task/nobody', startedBy: null }));
    w.runtime.add(runtimeTask({ taskArn: 'arn:task/stopping', startedBy: null, desiredStatus: 'STOPPED' }));

    const summary = await reconcile(w.deps);

    const orphans = ['arn:task/second', 'arn:task/unknown', 'arn:task/final', 'arn:task/nobody'];
    expect(summary).toEqual({ ...EMPTY, orphansStopped: orphans });
    expect(w.runtime.stopped).toEqual(orphans.map((taskArn) => ({ taskArn, reason: ORPHAN_STOP_REASON })));
    expect(ORPHAN_STOP_REASON).toBe('taskenv: orphan');
  });

  it('never stops the task of a young building environment whose ARN is not saved yet', async () => {
    const w = world();
    const young = await w.seed({ createdAt: ago(5), taskArn: null });
    w.runtime.add(runtimeTask({ taskArn: 'arn:task/unsaved', startedBy: young.id }));

    expect(await reconcile(w.deps)).toEqual(EMPTY);
    expect(w.runtime.stopped).toEqual([]);
  });

  it('reads an owner missing from the live list before stopping its task', async () => {
    const w = world();
    const env = await w.seed({ state: 'ready', taskArn: 'arn:task/late' });
    w.runtime.add(runtimeTask({ taskArn: 'arn:task/late', startedBy: env.id }));
    // The index has not caught up with the record yet.
    w.store.listLive = async () => [];

    expect(await reconcile(w.deps)).toEqual(EMPTY);
    expect(w.runtime.stopped).toEqual([]);
  });
});

describe('reconcile: stray env files', () => {
  const listing = (ids: Record<string, string>, seen: Date[]): EnvFileListing => ({
    writtenBefore: async (before) => {
      seen.push(before);
      return Object.entries(ids)
        .filter(([, writtenAt]) => Date.parse(writtenAt) < before.getTime())
        .map(([id]) => id);
    },
  });

  it('deletes the old env files of environments never recorded or final, and only those', async () => {
    const w = world();
    const live = await w.seed({ state: 'ready', taskArn: 'arn:task/l' });
    w.runtime.add(runtimeTask({ taskArn: 'arn:task/l', startedBy: live.id }));
    const final = await w.seed({ state: 'ready', taskArn: 'arn:task/f' });
    w.runtime.add(runtimeTask({ taskArn: 'arn:task/f', startedBy: final.id }));
    await w.store.transition(final.id, { to: 'torn_down' });
    const seen: Date[] = [];
    const files = { [live.id]: ago(3600), [final.id]: ago(3600), stray: ago(601), young: ago(599) };

    const summary = await reconcile({ ...w.deps, strayEnvFiles: listing(files, seen) });

    expect(summary.envFilesSwept).toEqual([final.id, 'stray']);
    expect(w.envFiles.deleted).toEqual([final.id, 'stray']);
    expect(seen).toEqual([new Date(ago(600))]);
  });

  it('keeps an env file whose environment the live list missed but whose record is live', async () => {
    const w = world({ strayEnvFileGraceSec: 60 });
    const env = await w.seed({ state: 'ready', taskArn: 'arn:task/x' });
    w.runtime.add(runtimeTask({ taskArn: 'arn:task/x', startedBy: env.id }));
    w.store.listLive = async () => [];
    const seen: Date[] = [];

    const summary = await reconcile({ ...w.deps, strayEnvFiles: listing({ [env.id]: ago(3600) }, seen) });

    expect(summary.envFilesSwept).toEqual([]);
    expect(seen).toEqual([new Date(ago(60))]);
  });
});

/** The slots and pools the reconciler reads, and the two writes it makes (a move, a version bump). */
class InMemoryPools implements PoolStore {
  readonly pools = new Map<string, PoolRecord>();
  readonly slots = new Map<string, SlotRecord>();

  addPool(name: string): void {
    const at = ago(3600);
    const pool = { org: 'acme', name, taskRef: 'acme/web-sqli@1.2.0', size: 1, claimedTotal: 0 };
    this.pools.set(name, { ...pool, createdAt: at, updatedAt: at });
  }
  addSlot(overrides: Partial<SlotRecord> & { id: string }): SlotRecord {
    const slot: SlotRecord = {
      org: 'acme',
      pool: 'web-sqli@1.2.0',
      taskRef: 'acme/web-sqli@1.2.0',
      state: 'warm',
      taskArn: null,
      eventVersion: 1,
      endpoints: [{ key: 'web', service: 'web', port: 80 }],
      serviceUrls: null,
      environmentId: null,
      createdAt: ago(120),
      updatedAt: ago(120),
      retiredReason: null,
      ...overrides,
    };
    this.slots.set(slot.id, slot);
    return slot;
  }
  async putPool(): Promise<PoolRecord> {
    throw new Error('not used by the reconciler');
  }
  async getPool(_org: string, name: string): Promise<PoolRecord | null> {
    return this.pools.get(name) ?? null;
  }
  async listPools(): Promise<PoolRecord[]> {
    throw new Error('not used by the reconciler');
  }
  async listAllPools(): Promise<PoolRecord[]> {
    return [...this.pools.values()];
  }
  async deletePool(): Promise<void> {
    throw new Error('not used by the reconciler');
  }
  async createSlot(): Promise<void> {
    throw new Error('not used by the reconciler');
  }
  async listSlots(_org: string, pool: string): Promise<SlotRecord[]> {
    return [...this.slots.values()].filter((s) => s.pool === pool);
  }
  async findSlot(id: string): Promise<SlotRecord | null> {
    return this.slots.get(id) ?? null;
  }
  async moveSlot(key: SlotKey, change: SlotChange): Promise<SlotRecord | null> {
    const slot = this.slots.get(key.id);
    if (slot === undefined || !change.from.includes(slot.state)) return null;
    const next = {
      ...slot,
      ...change.set,
      state: change.to,
      ...(change.eventVersion === undefined ? {} : { eventVersion: change.eventVersion }),
    };
    this.slots.set(key.id, next);
    return next;
  }
  async updateSlot(): Promise<SlotRecord | null> {
    throw new Error('not used by these scenarios');
  }
  async claim(): Promise<'claimed' | 'taken'> {
    throw new Error('not used by the reconciler');
  }
}

const slotId = (n: number): string => n.toString(16).padStart(30, '0');

describe('reconcile: warm pools', () => {
  const poolWorld = () => {
    const w = world();
    const pools = new InMemoryPools();
    pools.addPool('web-sqli@1.2.0');
    return { ...w, pools, deps: { ...w.deps, pools } };
  };

  it('retires waiting slots whose task stopped, is stopping or vanished; leaves young and unlaunched ones', async () => {
    const w = poolWorld();
    w.pools.addSlot({ id: slotId(1), taskArn: 'arn:task/gone', serviceUrls: {} });
    w.pools.addSlot({ id: slotId(2), taskArn: 'arn:task/stopped', state: 'starting' });
    w.pools.addSlot({ id: slotId(3), taskArn: 'arn:task/stopping' });
    w.pools.addSlot({ id: slotId(4), taskArn: 'arn:task/young-gone', createdAt: ago(59) });
    w.pools.addSlot({ id: slotId(5), taskArn: null });
    w.pools.addSlot({ id: slotId(6), taskArn: 'arn:task/claimed-gone', state: 'claimed' });
    w.runtime.add(
      runtimeTask({ taskArn: 'arn:task/stopped', lastStatus: 'STOPPED', desiredStatus: 'STOPPED' }),
    );
    w.runtime.add(
      runtimeTask({
        taskArn: 'arn:task/stopping',
        startedBy: poolStartedBy(slotId(3)),
        desiredStatus: 'STOPPED',
      }),
    );

    const summary = await reconcile(w.deps);

    expect(summary).toEqual({ ...EMPTY, slotsRetired: [slotId(1), slotId(2), slotId(3)] });
    expect(w.pools.slots.get(slotId(1))).toMatchObject({
      state: 'retired',
      serviceUrls: null,
      retiredReason: 'its task stopped (found by the reconciler)',
    });
    expect([slotId(4), slotId(5), slotId(6)].map((id) => w.pools.slots.get(id)?.state)).toEqual([
      'warm',
      'warm',
      'claimed',
    ]);
  });

  it('makes warm a starting slot whose task runs, with its URLs', async () => {
    const w = poolWorld();
    const id = slotId(7);
    w.pools.addSlot({ id, state: 'starting', taskArn: 'arn:task/w' });
    w.runtime.add(runtimeTask({ taskArn: 'arn:task/w', startedBy: poolStartedBy(id), version: 5 }));

    expect(await reconcile(w.deps)).toEqual(EMPTY);
    expect(w.pools.slots.get(id)).toMatchObject({
      state: 'warm',
      eventVersion: 5,
      serviceUrls: { web: { url: 'http://10.0.0.5:80', host: '10.0.0.5', port: 80, protocol: 'http' } },
    });
  });

  it('keeps pool tasks a waiting slot or a live claim holds, and stops the others', async () => {
    const w = poolWorld();
    const claimer = await w.seed({ state: 'ready', taskArn: 'arn:task/claimed' });
    const ended = await w.seed({ state: 'ready', taskArn: null });
    await w.store.transition(ended.id, { to: 'torn_down' });
    w.pools.addSlot({ id: slotId(10), taskArn: 'arn:task/waiting', createdAt: ago(5) });
    w.pools.addSlot({ id: slotId(11), taskArn: null, state: 'starting', createdAt: ago(5) });
    w.pools.addSlot({ id: slotId(12), taskArn: 'arn:task/other', createdAt: ago(5) });
    w.pools.addSlot({
      id: slotId(13),
      state: 'claimed',
      environmentId: claimer.id,
      taskArn: 'arn:task/claimed',
    });
    w.pools.addSlot({ id: slotId(14), state: 'claimed', environmentId: ended.id, taskArn: 'arn:task/ended' });
    w.pools.addSlot({ id: slotId(15), state: 'retired', taskArn: 'arn:task/retired' });
    w.pools.addSlot({
      id: slotId(16),
      pool: 'deleted@1.0.0',
      taskArn: 'arn:task/deleted',
      createdAt: ago(5),
    });
    const pool = (arn: string, id: string) =>
      w.runtime.add(runtimeTask({ taskArn: arn, startedBy: poolStartedBy(id) }));
    pool('arn:task/waiting', slotId(10));
    pool('arn:task/unrecorded', slotId(11));
    pool('arn:task/second', slotId(12));
    pool('arn:task/claimed', slotId(13));
    pool('arn:task/ended', slotId(14));
    pool('arn:task/retired', slotId(15));
    pool('arn:task/deleted', slotId(16));
    pool('arn:task/no-slot', slotId(99));
    w.runtime.add(runtimeTask({ taskArn: 'arn:task/not-a-slot', startedBy: 'pool/xyz' }));

    const summary = await reconcile(w.deps);

    const orphans = [
      'arn:task/second',
      'arn:task/ended',
      'arn:task/retired',
      'arn:task/deleted',
      'arn:task/no-slot',
      'arn:task/not-a-slot',
    ];
    expect(summary).toEqual({ ...EMPTY, orphansStopped: orphans });
    expect(w.runtime.stopped.map((s) => s.reason)).toEqual(orphans.map(() => ORPHAN_STOP_REASON));
  });

  it('leaves a waiting slot whose task runs, exactly at the grace period or older', async () => {
    const w = poolWorld();
    const warm = slotId(20);
    const atGrace = slotId(21);
    w.pools.addSlot({ id: warm, taskArn: 'arn:task/runs', eventVersion: 3 });
    w.pools.addSlot({ id: atGrace, taskArn: 'arn:task/gone-at-grace', createdAt: ago(60) });
    w.runtime.add(runtimeTask({ taskArn: 'arn:task/runs', startedBy: poolStartedBy(warm), version: 3 }));

    expect(await reconcile(w.deps)).toEqual({ ...EMPTY, slotsRetired: [atGrace] });
    expect(w.pools.slots.get(warm)).toMatchObject({ state: 'warm', eventVersion: 3 });
  });

  it('keeps a claimed pool task whose environment has no task recorded yet', async () => {
    const w = poolWorld();
    const claimer = await w.seed({ createdAt: ago(5), taskArn: null });
    const id = slotId(30);
    w.pools.addSlot({ id, state: 'claimed', environmentId: claimer.id, taskArn: 'arn:task/c' });
    w.runtime.add(runtimeTask({ taskArn: 'arn:task/c', startedBy: poolStartedBy(id) }));

    expect(await reconcile(w.deps)).toEqual(EMPTY);
  });

  it('stops a pool task when no pools are configured', async () => {
    const w = world();
    w.runtime.add(runtimeTask({ taskArn: 'arn:task/p', startedBy: poolStartedBy(slotId(40)) }));

    expect(await reconcile(w.deps)).toEqual({ ...EMPTY, orphansStopped: ['arn:task/p'] });
  });

  it('counts a failed slot pass as one error and goes on with the orphans', async () => {
    const w = poolWorld();
    w.pools.listAllPools = async () => {
      throw new Error('table unreachable');
    };
    w.runtime.add(runtimeTask({ taskArn: 'arn:task/nobody' }));

    expect(await reconcile(w.deps)).toEqual({
      ...EMPTY,
      orphansStopped: ['arn:task/nobody'],
      errors: [{ subject: 'pool slots', message: 'Error: table unreachable' }],
    });
  });
});
