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
  dynamoStores,
  ecsRuntime,
  eventBus,
  kmsExecuteTokens,
  lifecycleQueue,
  poolNudge,
  s3EnvFiles,
  schedulerExpiry,
  secretValues,
} from '#adapters/aws/wiring';
import { randomIds, systemClock } from '#ports/clock';
import { parseConfig } from '#shared/config';
import { createEnvironmentsCreateHandler } from '#shared/handlers/environments-create';
import { createLogger, createMetrics } from '#shared/observability';
import { configSchema, type Ports } from '#shared/wiring/functions';

const config = parseConfig(configSchema('environments-create'));
const { store, tasks, access, secretMetadata, poolStore } = dynamoStores(createDocumentClient(), config);
const ports: Ports<'environments-create'> = {
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
  executeTokens: kmsExecuteTokens(kmsClient, config),
  pools: { store: poolStore, keeper: poolNudge(eventBridgeClient, config) },
};

export const handler = createEnvironmentsCreateHandler({
  deps: ports,
  logger: createLogger('environments-create'),
  metrics: createMetrics('environments-create'),
  idempotency: new DynamoDBPersistenceLayer({ tableName: config.IDEMPOTENCY_TABLE_NAME }),
  ...(config.MIN_CLIENT_VERSION === undefined ? {} : { minClientVersion: config.MIN_CLIENT_VERSION }),
});
