import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import { ecsClient } from '#adapters/aws/clients/ecs';
import { eventBridgeClient } from '#adapters/aws/clients/eventbridge';
import { kmsClient } from '#adapters/aws/clients/kms';
import { s3Client } from '#adapters/aws/clients/s3';
import { schedulerClient } from '#adapters/aws/clients/scheduler';
import { secretsManagerClient } from '#adapters/aws/clients/secrets-manager';
import { sqsClient } from '#adapters/aws/clients/sqs';
import { createDocumentClient } from '#adapters/aws/dynamodb/client';
import {
  apiConfig,
  busConfig,
  dynamoStores,
  ecsConfig,
  ecsRuntime,
  envFileConfig,
  eventBus,
  executeTokenConfig,
  kmsExecuteTokens,
  lifecycleQueue,
  lifecycleQueueConfig,
  poolNudge,
  s3EnvFiles,
  schedulerConfig,
  schedulerExpiry,
  secretsConfig,
  secretValues,
  tableConfig,
} from '#adapters/aws/wiring';
import { CachedOrgLimits } from '#adapters/cache/cached-org-limits';
import { CachedTaskRegistry } from '#adapters/cache/cached-task-registry';
import { CREATE_CACHE_TTL_MS } from '#adapters/cache/ttl-cache';
import { randomIds, systemClock } from '#ports/clock';
import { parseConfig } from '#shared/config';
import { createEnvironmentsCreateHandler } from '#shared/handlers/environments-create';
import { createLogger, createMetrics } from '#shared/observability';
import * as z from '#shared/zod';

const config = parseConfig(
  z.object({
    ...tableConfig,
    ...apiConfig,
    ...ecsConfig,
    ...envFileConfig,
    ...schedulerConfig,
    ...secretsConfig,
    ...busConfig,
    ...executeTokenConfig,
    ...lifecycleQueueConfig,
    IDEMPOTENCY_TABLE_NAME: z.string().check(z.minLength(1)),
  }),
);
const documentClient = createDocumentClient();
const stores = dynamoStores(documentClient, config);
const { store, secretMetadata, poolStore } = stores;
// What a create reads about its task and org is kept a few seconds per warm function
// (`docs/limits.md`, "Create-path caches").
const cacheOptions = { ttlMs: CREATE_CACHE_TTL_MS, clock: systemClock };
const tasks = new CachedTaskRegistry(stores.tasks, cacheOptions);
const access = new CachedOrgLimits(stores.access, cacheOptions);

export const handler = createEnvironmentsCreateHandler({
  deps: {
    store,
    tasks,
    access,
    secretMetadata,
    secretValues: secretValues(secretsManagerClient, config),
    envFiles: s3EnvFiles(s3Client, config),
    runtime: ecsRuntime(ecsClient, config),
    expiry: schedulerExpiry(schedulerClient, config),
    publisher: eventBus(eventBridgeClient, config),
    checks: lifecycleQueue(sqsClient, config),
    clock: systemClock,
    ids: randomIds,
    pools: { store: poolStore, keeper: poolNudge(eventBridgeClient, config) },
    executeTokens: kmsExecuteTokens(kmsClient, config),
  },
  logger: createLogger('environments-create'),
  metrics: createMetrics('environments-create'),
  idempotency: new DynamoDBPersistenceLayer({ tableName: config.IDEMPOTENCY_TABLE_NAME }),
  ...(config.MIN_CLIENT_VERSION === undefined ? {} : { minClientVersion: config.MIN_CLIENT_VERSION }),
});
