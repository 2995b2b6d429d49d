import { ecsClient } from '#adapters/aws/clients/ecs';
import { eventBridgeClient } from '#adapters/aws/clients/eventbridge';
import { s3Client } from '#adapters/aws/clients/s3';
import { schedulerClient } from '#adapters/aws/clients/scheduler';
import { DynamoAccessStore } from '#adapters/aws/dynamodb/access-store';
import { createDocumentClient } from '#adapters/aws/dynamodb/client';
import { DynamoEnvironmentStore } from '#adapters/aws/dynamodb/environment-store';
import { ecsRuntime, eventBus, s3EnvFiles, schedulerExpiry } from '#adapters/aws/wiring';
import { systemClock } from '#ports/clock';
import { parseConfig } from '#shared/config';
import { createEnvironmentsManageHandler } from '#shared/handlers/environments-manage';
import { createLogger, createMetrics } from '#shared/observability';
import { configSchema, type Ports } from '#shared/wiring/functions';

const config = parseConfig(configSchema('environments-manage'));
// Only the stores this function uses: the task registry would bring the manifest schema along.
const table = { client: createDocumentClient(), tableName: config.TABLE_NAME };
const ports: Ports<'environments-manage'> = {
  store: new DynamoEnvironmentStore(table),
  access: new DynamoAccessStore(table),
  runtime: ecsRuntime(ecsClient, config),
  expiry: schedulerExpiry(schedulerClient, config),
  envFiles: s3EnvFiles(s3Client, config),
  publisher: eventBus(eventBridgeClient, config),
  clock: systemClock,
};

export const handler = createEnvironmentsManageHandler({
  deps: ports,
  logger: createLogger('environments-manage'),
  metrics: createMetrics('environments-manage'),
  ...(config.MIN_CLIENT_VERSION === undefined ? {} : { minClientVersion: config.MIN_CLIENT_VERSION }),
});
