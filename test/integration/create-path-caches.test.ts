import { beforeEach, describe, expect, it } from 'vitest';
import { createDocumentClient } from '#adapters/aws/dynamodb/client';
import { dynamoStores } from '#adapters/aws/wiring';
import { CachedOrgLimits } from '#adapters/cache/cached-org-limits';
import { CachedTaskRegistry } from '#adapters/cache/cached-task-registry';
import { QuotaExceededError, TaskNotFoundError } from '#domain/errors';
import { parseManifest } from '#domain/manifest';
import type { Principal } from '#domain/principal';
import type { AccessStore } from '#ports/access-store';
import type { Clock } from '#ports/clock';
import type { TaskRegistry } from '#ports/task-registry';
import { createDeps, publishWeb, putOrgLimit, RecordingRuntime } from '#test/support/create-path';
import { taskVersionOf } from '#test/support/example-tasks';
import { uniqueName } from '#test/support/factories';
import { type CreateEnvironmentDeps, createEnvironment } from '#use-cases/create-environment';

const TTL_MS = 5_000;
const stores = dynamoStores(createDocumentClient(), {
  TABLE_NAME: process.env.TABLE_NAME ?? 'missing TABLE_NAME',
});

/** Counts the reads that reach the real registry and access store. */
const reads = { candidates: 0, versions: 0, orgs: 0 };
const countedTasks: TaskRegistry = {
  publish: (record) => stores.tasks.publish(record),
  get: (...args) => {
    reads.versions++;
    return stores.tasks.get(...args);
  },
  candidates: (...args) => {
    reads.candidates++;
    return stores.tasks.candidates(...args);
  },
  listVisible: (org) => stores.tasks.listVisible(org),
};
const countedAccess: AccessStore = {
  getApiKey: (hash) => stores.access.getApiKey(hash),
  putApiKey: (record) => stores.access.putApiKey(record),
  listApiKeys: (org) => stores.access.listApiKeys(org),
  revokeApiKey: (hash) => stores.access.revokeApiKey(hash),
  ping: () => stores.access.ping(),
  putOrg: (record) => stores.access.putOrg(record),
  getOrg: (org) => {
    reads.orgs++;
    return stores.access.getOrg(org);
  },
};

let nowMs: number;
const clock: Clock = { now: () => new Date(nowMs) };
let org: string;
let principal: Principal;
let deps: CreateEnvironmentDeps;

const publish = (version: string) => publishWeb(stores, org, { version });

const putLimit = (maxConcurrentEnvironments: number) =>
  putOrgLimit(stores, org, maxConcurrentEnvironments, new Date(nowMs));

const create = (taskRef = 'web') =>
  createEnvironment({ principal, org, workspace: 'default', request: { task_ref: taskRef } }, deps);

beforeEach(async () => {
  nowMs = Date.now();
  reads.candidates = 0;
  reads.versions = 0;
  reads.orgs = 0;
  org = uniqueName('org');
  principal = { keyId: 'test', org, role: 'admin', workspaces: ['*'] };
  // One warm function: its caches live as long as the test.
  deps = createDeps(stores, {
    tasks: new CachedTaskRegistry(countedTasks, { ttlMs: TTL_MS, clock }),
    access: new CachedOrgLimits(countedAccess, { ttlMs: TTL_MS, clock }),
    runtime: new RecordingRuntime(),
    clock,
  });
  await putLimit(5);
  await publish('1.0.0');
});

describe('create-path caches', () => {
  it('resolve the task and read the org once for creates within the TTL, concurrent ones included', async () => {
    await Promise.all([create(), create(), create()]);
    nowMs += TTL_MS - 1;
    await create();

    expect(reads).toEqual({ candidates: 1, versions: 1, orgs: 1 });
  });

  it('resolve a version published meanwhile once the TTL has passed, not before', async () => {
    const first = await create();
    await publish('1.1.0');

    nowMs += TTL_MS - 1;
    const within = await create();
    nowMs += 1;
    const after = await create();

    expect(first.record.taskRef).toBe(`${org}/web@1.0.0`);
    expect(within.record.taskRef).toBe(`${org}/web@1.0.0`);
    expect(after.record.taskRef).toBe(`${org}/web@1.1.0`);
  });

  it('never keep a miss: a task published after a 404 resolves at once', async () => {
    await expect(create('other')).rejects.toBeInstanceOf(TaskNotFoundError);
    await stores.tasks.publish(
      taskVersionOf(
        parseManifest({
          name: 'other',
          version: '0.1.0',
          instruction: 'Open {{ web_url }}.',
          services: { web: { image: 'public.ecr.aws/docker/library/nginx:1.27', ports: [80] } },
        }),
        org,
      ),
    );

    await expect(create('other')).resolves.toMatchObject({ record: { taskRef: `${org}/other@0.1.0` } });
  });

  it('apply a lowered quota within the TTL; the store still enforces the limit each create is given', async () => {
    // Prepare: 2 live under a limit of 5, then the limit goes down to 2.
    await create();
    await create();
    await putLimit(2);

    // Act
    nowMs += TTL_MS - 1;
    const stale = await create();
    nowMs += 1;
    const refused = create();

    // Assess
    expect(stale.record.state).toBe('building');
    await expect(refused).rejects.toBeInstanceOf(QuotaExceededError);
    expect((await stores.access.getOrg(org))?.runningCount).toBe(3);
  });
});
