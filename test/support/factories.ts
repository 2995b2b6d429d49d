import { randomUUID } from 'node:crypto';
import type { EnvironmentResponse } from '#domain/api-schemas';
import type { EnvironmentRecord, EnvironmentSummary } from '#domain/environment';
import type { AccessStore } from '#ports/access-store';
import type { RuntimeTask } from '#ports/container-runtime';
import type { EnvironmentStore } from '#ports/environment-store';

/** A name no other test (or parallel test process) uses, so tests can share one table. */
export const uniqueName = (prefix: string): string => `${prefix}-${randomUUID().slice(0, 8)}`;

/**
 * A valid, freshly created environment (`building`, no events yet) in a fresh org and workspace;
 * pass `overrides` for whatever the test is about.
 */
export const makeEnvironment = (overrides: Partial<EnvironmentRecord> = {}): EnvironmentRecord => {
  const createdAt = overrides.createdAt ?? new Date().toISOString();
  return {
    id: randomUUID(),
    org: uniqueName('org'),
    workspace: uniqueName('ws'),
    projectId: 'default',
    taskRef: 'acme/web-sqli@1.2.0',
    state: 'building',
    eventVersion: 0,
    taskArn: null,
    createdAt,
    updatedAt: createdAt,
    expiresAt: new Date(Date.parse(createdAt) + 900_000).toISOString(),
    timeoutSec: 900,
    inputs: { user: 'admin', level: 3 },
    secretIds: [],
    endpoints: [{ key: 'web', service: 'web', port: 80 }],
    instructionTemplate: 'Log in to {{ web_url }}/login as {{ user }}.',
    instruction: null,
    serviceUrls: null,
    taskVerification: { method: 'flag', path: '/tmp/flag.txt' },
    error: null,
    stopReason: null,
    launchAttempts: 0,
    launchRetryAt: null,
    readiness: null,
    previousState: null,
    ...overrides,
  };
};

/** What a list returns of `record`: the summary's fields, as the store reads them back. */
export const summaryOf = (record: EnvironmentRecord): EnvironmentSummary => ({
  id: record.id,
  taskRef: record.taskRef,
  state: record.state,
  createdAt: record.createdAt,
  expiresAt: record.expiresAt,
  projectId: record.projectId,
  instruction: record.instruction,
  serviceUrls: record.serviceUrls,
  taskVerification: record.taskVerification,
  error: record.error,
  // Absent until the first verify, in the record and in its summary.
  ...(record.verification === undefined || record.verification === null
    ? {}
    : { verification: record.verification }),
});

/**
 * An environment as the API answers it (`docs/api.md`): just created, `building`, nothing
 * resolved yet; pass `overrides` for the id, the times and whatever the test is about.
 */
export const environmentResponse = (overrides: Partial<EnvironmentResponse> = {}): EnvironmentResponse => ({
  id: randomUUID(),
  task_ref: 'local/hello-http@1.0.0',
  state: 'building',
  created_at: '2026-01-01T00:00:00.000Z',
  expires_at: '2026-01-01T00:15:00.000Z',
  project_id: 'default',
  instruction: null,
  service_urls: null,
  execute_token: null,
  task_verification: null,
  error: null,
  verification: null,
  ...overrides,
});

/**
 * Records `record` the way create does: its org (room for 5 environments, a 1-hour lifetime)
 * first, then the environment, taking one unit of the org's quota.
 */
export const recordWithOrg = async (
  stores: { readonly access: Pick<AccessStore, 'putOrg'>; readonly store: Pick<EnvironmentStore, 'create'> },
  record: EnvironmentRecord,
): Promise<EnvironmentRecord> => {
  await stores.access.putOrg({
    org: record.org,
    maxConcurrentEnvironments: 5,
    maxLifetimeSec: 3600,
    createdAt: record.createdAt,
  });
  await stores.store.create(record, { limit: 5 });
  return record;
};

/** A task as a container runtime lists it: running, one `web` container, version 3. */
export const runtimeTask = (overrides: Partial<RuntimeTask> & { taskArn: string }): RuntimeTask => ({
  startedBy: null,
  group: 'taskenv:acme',
  lastStatus: 'RUNNING',
  desiredStatus: 'RUNNING',
  stopCode: null,
  stoppedReason: null,
  containers: [{ name: 'web', exitCode: null, reason: null }],
  version: 3,
  network: { eniId: 'eni-1', privateIp: '10.0.0.5', bindings: [] },
  ...overrides,
});
