import { ecsClient } from '#adapters/aws/clients/ecs';
import { eventBridgeClient } from '#adapters/aws/clients/eventbridge';
import { createDocumentClient } from '#adapters/aws/dynamodb/client';
import {
  apiConfig,
  busConfig,
  dynamoStores,
  ecsConfig,
  ecsRuntime,
  poolNudge,
  tableConfig,
} from '#adapters/aws/wiring';
import { systemClock } from '#ports/clock';
import { parseConfig } from '#shared/config';
import { createAdminHandler } from '#shared/handlers/admin';
import { createLogger, createMetrics } from '#shared/observability';
import * as z from '#shared/zod';

const config = parseConfig(z.object({ ...tableConfig, ...apiConfig, ...ecsConfig, ...busConfig }));
const { tasks, access, poolStore } = dynamoStores(createDocumentClient(), config);

export const handler = createAdminHandler({
  deps: {
    pools: poolStore,
    tasks,
    access,
    // DELETE of a pool stops its waiting tasks.
    runtime: ecsRuntime(ecsClient, config),
    keeper: poolNudge(eventBridgeClient, config),
    clock: systemClock,
  },
  logger: createLogger('admin'),
  metrics: createMetrics('admin'),
  ...(config.MIN_CLIENT_VERSION === undefined ? {} : { minClientVersion: config.MIN_CLIENT_VERSION }),
});
