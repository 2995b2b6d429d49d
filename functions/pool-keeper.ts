import { ecsClient } from '#adapters/aws/clients/ecs';
import { createDocumentClient } from '#adapters/aws/dynamodb/client';
import { DynamoPoolStore } from '#adapters/aws/dynamodb/pool-store';
import { DynamoTaskRegistry } from '#adapters/aws/dynamodb/task-registry';
import { ecsConfig, ecsRuntime, tableConfig } from '#adapters/aws/wiring';
import { randomIds, systemClock } from '#ports/clock';
import { parseConfig } from '#shared/config';
import { createPoolKeeperHandler } from '#shared/handlers/pool-keeper';
import { createLogger, createMetrics } from '#shared/observability';
import * as z from '#shared/zod';

const config = parseConfig(z.object({ ...tableConfig, ...ecsConfig }));
const options = { client: createDocumentClient(), tableName: config.TABLE_NAME };

export const handler = createPoolKeeperHandler({
  deps: {
    pools: new DynamoPoolStore(options),
    tasks: new DynamoTaskRegistry(options),
    runtime: ecsRuntime(ecsClient, config),
    clock: systemClock,
    ids: randomIds,
  },
  logger: createLogger('pool-keeper'),
  metrics: createMetrics('pool-keeper'),
});
