import { ecsClient } from '#adapters/aws/clients/ecs';
import { createDocumentClient } from '#adapters/aws/dynamodb/client';
import { DynamoPoolStore } from '#adapters/aws/dynamodb/pool-store';
import { DynamoTaskRegistry } from '#adapters/aws/dynamodb/task-registry';
import { ecsRuntime } from '#adapters/aws/wiring';
import { randomIds, systemClock } from '#ports/clock';
import { parseConfig } from '#shared/config';
import { createPoolKeeperHandler } from '#shared/handlers/pool-keeper';
import { createLogger, createMetrics } from '#shared/observability';
import { configSchema, type Ports } from '#shared/wiring/functions';

const config = parseConfig(configSchema('pool-keeper'));
const table = { client: createDocumentClient(), tableName: config.TABLE_NAME };
const ports: Ports<'pool-keeper'> = {
  pools: new DynamoPoolStore(table),
  tasks: new DynamoTaskRegistry(table),
  runtime: ecsRuntime(ecsClient, config),
  clock: systemClock,
  ids: randomIds,
};

export const handler = createPoolKeeperHandler({
  deps: ports,
  logger: createLogger('pool-keeper'),
  metrics: createMetrics('pool-keeper'),
});
