import { ecsClient } from '#adapters/aws/clients/ecs';
import { createDocumentClient } from '#adapters/aws/dynamodb/client';
import { DynamoTaskRegistry } from '#adapters/aws/dynamodb/task-registry';
import { ecsRuntime } from '#adapters/aws/wiring';
import { systemClock } from '#ports/clock';
import { parseConfig } from '#shared/config';
import { createTasksHandler } from '#shared/handlers/tasks';
import { createLogger, createMetrics } from '#shared/observability';
import { configSchema, type Ports } from '#shared/wiring/functions';

const config = parseConfig(configSchema('tasks'));
const ports: Ports<'tasks'> = {
  tasks: new DynamoTaskRegistry({ client: createDocumentClient(), tableName: config.TABLE_NAME }),
  runtime: ecsRuntime(ecsClient, config),
  clock: systemClock,
};

export const handler = createTasksHandler({
  deps: ports,
  logger: createLogger('tasks'),
  metrics: createMetrics('tasks'),
  ...(config.MIN_CLIENT_VERSION === undefined ? {} : { minClientVersion: config.MIN_CLIENT_VERSION }),
});
