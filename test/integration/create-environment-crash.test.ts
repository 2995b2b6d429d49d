/**
 * A create that fails around its DynamoDB write, on the real stores (DynamoDB Local): the env
 * file must outlive the failure exactly when the environment was recorded, because the
 * reconciler relaunches a recorded environment from that file and cannot rebuild it (it holds
 * the secrets and the execute token). Found by the chaos run (`test/chaos`): a create that died
 * after its transaction committed deleted the file, and the relaunch then failed the environment.
 */

import { beforeEach, expect, it } from 'vitest';
import { createDocumentClient } from '#adapters/aws/dynamodb/client';
import { dynamoStores } from '#adapters/aws/wiring';
import { QuotaExceededError } from '#domain/errors';
import type { Principal } from '#domain/principal';
import type { EnvironmentStore } from '#ports/environment-store';
import { createDeps, noExpiry, publishWeb, putOrgLimit, RecordingRuntime } from '#test/support/create-path';
import { uniqueName } from '#test/support/factories';
import { CrashAfterRecordStore, Dice } from '#test/support/faults';
import {
  fixedClock,
  InMemoryEnvFiles,
  RecordingPublisher,
  RecordingQueue,
} from '#test/support/lifecycle-fakes';
import { createEnvironment } from '#use-cases/create-environment';
import { reconcile } from '#use-cases/reconcile';

const NOW = new Date();
const clock = fixedClock(NOW.toISOString());
const stores = dynamoStores(createDocumentClient(), {
  TABLE_NAME: process.env.TABLE_NAME ?? 'missing TABLE_NAME',
});

let org: string;
let principal: Principal;
let envFiles: InMemoryEnvFiles;
let runtime: RecordingRuntime;

beforeEach(async () => {
  org = uniqueName('org');
  principal = { keyId: 'test', org, role: 'admin', workspaces: ['*'] };
  envFiles = new InMemoryEnvFiles();
  runtime = new RecordingRuntime();
  await putOrgLimit(stores, org, 5, NOW);
  await publishWeb(stores, org);
});

const deps = (store: EnvironmentStore) => createDeps(stores, { store, envFiles, runtime, clock });

const create = (store: EnvironmentStore) =>
  createEnvironment({ principal, org, workspace: 'default', request: { task_ref: 'web' } }, deps(store));

it('answers with the environment whose record committed before the write failed, keeps its env file, and the reconciler launches it', async () => {
  // Prepare
  const crashing = new CrashAfterRecordStore(stores.store, 1, new Dice(1));

  // Act
  const created = await create(crashing);
  expect(runtime.launches).toEqual([]);
  const summary = await reconcile({
    store: {
      ...bind(stores.store),
      listLive: async () => (await stores.store.listLive()).filter((e) => e.org === org),
    },
    runtime,
    addresses: { hostFor: async () => null },
    envFiles,
    checks: new RecordingQueue(),
    expiry: noExpiry,
    tasks: stores.tasks,
    publisher: new RecordingPublisher(),
    clock: fixedClock(new Date(NOW.getTime() + 120_000).toISOString()),
    config: { launchDeadlineSec: 600, maxLaunchAttempts: 3, graceSec: 60 },
  });

  // Assess
  const [id = 'none'] = crashing.crashed;
  expect(crashing.crashed.size).toBe(1);
  expect(created.record.id).toBe(id);
  expect(created.record.state).toBe('building');
  expect(envFiles.deleted).toEqual([]);
  expect(envFiles.files.get(id)).toMatchObject({ TASKENV_ENVIRONMENT_ID: id });
  expect(summary.relaunched).toEqual([id]);
  expect(runtime.launches.map((l) => l.envFileRef)).toEqual([envFiles.refFor(id)]);
  expect((await stores.store.get(id))?.taskArn).toBe(`arn:aws:ecs:local:000000000000:task/taskenv/${id}`);
});

it('deletes the env file when the quota refuses the environment', async () => {
  // Prepare
  await putOrgLimit(stores, org, 0, NOW);

  // Act
  await expect(create(stores.store)).rejects.toBeInstanceOf(QuotaExceededError);

  // Assess
  expect(envFiles.deleted).toHaveLength(1);
  expect(envFiles.files.size).toBe(0);
  expect(runtime.launches).toEqual([]);
});

it('deletes the env file when the write failed before anything was recorded', async () => {
  // Prepare
  const unreachable: EnvironmentStore = {
    ...bind(stores.store),
    create: async () => {
      throw new Error('connect ECONNREFUSED');
    },
  };

  // Act
  await expect(create(unreachable)).rejects.toThrow('ECONNREFUSED');

  // Assess
  expect(envFiles.deleted).toHaveLength(1);
  expect(envFiles.files.size).toBe(0);
  expect(runtime.launches).toEqual([]);
});

/** The store's methods as plain functions, so a test can replace one of them. */
const bind = (store: EnvironmentStore): EnvironmentStore => ({
  create: (record, quota) => store.create(record, quota),
  get: (id) => store.get(id),
  list: (query) => store.list(query),
  transition: (id, change, options) => store.transition(id, change, options),
  update: (id, set, options) => store.update(id, set, options),
  recordEvent: (id, event) => store.recordEvent(id, event),
  listLive: () => store.listLive(),
});
