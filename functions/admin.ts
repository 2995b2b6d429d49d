import { ecsClient } from '#adapters/aws/clients/ecs';
import { eventBridgeClient } from '#adapters/aws/clients/eventbridge';
import { createDocumentClient } from '#adapters/aws/dynamodb/client';
import { dynamoStores, ecsRuntime, poolNudge } from '#adapters/aws/wiring';
import { systemClock } from '#ports/clock';
import { parseConfig } from '#shared/config';
import { createAdminHandler } from '#shared/handlers/admin';
import { createLogger, createMetrics } from '#shared/observability';
import { configSchema, type Ports } from '#shared/wiring/functions';

const config = parseConfig(configSchema('admin'));
const { tasks, access, poolStore } = dynamoStores(createDocumentClient(), config);
const ports: Ports<'admin'> = {
  pools: poolStore,
  tasks,
  access,
  runtime: ecsRuntime(ecsClient, config),
  keeper: poolNudge(eventBridgeClient, config),
  clock: systemClock,
};

export const handler = createAdminHandler({
  deps: ports,
  logger: createLogger('admin'),
  metrics: createMetrics('admin'),
  ...(config.MIN_CLIENT_VERSION === undefined ? {} : { minClientVersion: config.MIN_CLIENT_VERSION }),
});
