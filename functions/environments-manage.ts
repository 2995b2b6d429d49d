import { ecsClient } from '#adapters/aws/clients/ecs';
import { eventBridgeClient } from '#adapters/aws/clients/eventbridge';
import { s3Client } from '#adapters/aws/clients/s3';
import { schedulerClient } from '#adapters/aws/clients/scheduler';
import { DynamoAccessStore } from '#adapters/aws/dynamodb/access-store';
import { createDocumentClient } from '#adapters/aws/dynamodb/client';
import { DynamoEnvironmentStore } from '#adapters/aws/dynamodb/environment-store';
import {
  apiConfig,
  busConfig,
  ecsConfig,
  ecsRuntime,
  envFileConfig,
  eventBus,
  s3EnvFiles,
  schedulerConfig,
  schedulerExpiry,
  tableConfig,
} from '#adapters/aws/wiring';
import { systemClock } from '#ports/clock';
import { parseConfig } from '#shared/config';
import { createEnvironmentsManageHandler } from '#shared/handlers/environments-manage';
import { createLogger, createMetrics } from '#shared/observability';
import * as z from '#shared/zod';

const config = parseConfig(
  z.object({
    ...tableConfig,
    ...apiConfig,
    ...ecsConfig,
    ...envFileConfig,
    ...schedulerConfig,
    ...busConfig,
  }),
);
// Only the stores this function uses: the task registry would bring the manifest schema along.
const documentClient = createDocumentClient();
const store = new DynamoEnvironmentStore({ client: documentClient, tableName: config.TABLE_NAME });
const access = new DynamoAccessStore({ client: documentClient, tableName: config.TABLE_NAME });

export const handler = createEnvironmentsManageHandler({
  deps: {
    store,
    access,
    runtime: ecsRuntime(ecsClient, config),
    expiry: schedulerExpiry(schedulerClient, config),
    envFiles: s3EnvFiles(s3Client, config),
    publisher: eventBus(eventBridgeClient, config),
    clock: systemClock,
  },
  logger: createLogger('environments-manage'),
  metrics: createMetrics('environments-manage'),
  ...(config.MIN_CLIENT_VERSION === undefined ? {} : { minClientVersion: config.MIN_CLIENT_VERSION }),
});
