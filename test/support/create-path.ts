/**
 * The create use case on the real stores (DynamoDB Local), for the integration tests that call
 * `createEnvironment` directly: an org with its limits, the `web` task, and the use case's
 * dependencies with recording doubles for what has no emulator (ECS, Scheduler, Secrets
 * Manager, S3, SQS, EventBridge).
 */
import { randomBytes } from 'node:crypto';
import type { dynamoStores } from '#adapters/aws/wiring';
import { LocalExecuteTokens } from '#adapters/local/local-execute-tokens';
import { parseManifest, type TaskManifestInput } from '#domain/manifest';
import { randomIds } from '#ports/clock';
import type { ContainerRuntime, LaunchRequest } from '#ports/container-runtime';
import type { ExpiryScheduler } from '#ports/expiry-scheduler';
import type { SecretValueStore } from '#ports/secret-store';
import type { CreateEnvironmentDeps } from '#use-cases/create-environment';
import { taskVersionOf } from './example-tasks.ts';
import { InMemoryEnvFiles, RecordingPublisher, RecordingQueue } from './lifecycle-fakes.ts';

export type Stores = ReturnType<typeof dynamoStores>;

export const noExpiry: ExpiryScheduler = { schedule: async () => undefined, cancel: async () => undefined };

/** For tests whose environments reference no secret: any read or write is a test bug. */
export const noSecrets: SecretValueStore = {
  put: async () => {
    throw new Error('no secrets in these tests');
  },
  get: async () => {
    throw new Error('no secrets in these tests');
  },
  delete: async () => undefined,
};

/** Records launches; every launch starts a task named after its environment. */
export class RecordingRuntime implements ContainerRuntime {
  readonly launches: LaunchRequest[] = [];
  async register() {
    return { taskDefinitionArn: null };
  }
  async launch(request: LaunchRequest) {
    this.launches.push(request);
    return { taskArn: `arn:aws:ecs:local:000000000000:task/taskenv/${request.environmentId}` };
  }
  async stop() {}
  async describe() {
    return [];
  }
  async findByEnvironment() {
    return null;
  }
  async listRunning() {
    return [];
  }
}

/** Writes `org` with at most `maxConcurrentEnvironments` live environments and a 1-hour lifetime. */
export const putOrgLimit = (
  stores: Stores,
  org: string,
  maxConcurrentEnvironments: number,
  createdAt: Date,
) =>
  stores.access.putOrg({
    org,
    maxConcurrentEnvironments,
    maxLifetimeSec: 3600,
    createdAt: createdAt.toISOString(),
  });

/** Publishes `web` (one nginx service on port 80) in `org`; `fields` overrides the manifest's. */
export const publishWeb = (stores: Stores, org: string, fields: Partial<TaskManifestInput> = {}) =>
  stores.tasks.publish(
    taskVersionOf(
      parseManifest({
        name: 'web',
        version: '1.0.0',
        instruction: 'Open {{ web_url }}.',
        services: { web: { image: 'public.ecr.aws/docker/library/nginx:1.27', ports: [80] } },
        ...fields,
      }),
      org,
    ),
  );

/** The create use case's dependencies: the real stores, recording doubles for the rest, then `parts`. */
export const createDeps = (
  stores: Stores,
  parts: Pick<CreateEnvironmentDeps, 'runtime' | 'clock'> & Partial<CreateEnvironmentDeps>,
): CreateEnvironmentDeps => ({
  ...stores,
  secretValues: noSecrets,
  envFiles: new InMemoryEnvFiles(),
  expiry: noExpiry,
  publisher: new RecordingPublisher(),
  checks: new RecordingQueue(),
  ids: randomIds,
  executeTokens: new LocalExecuteTokens({ key: randomBytes(32) }),
  ...parts,
});
