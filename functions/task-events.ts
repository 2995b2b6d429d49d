import { ec2Client } from '#adapters/aws/clients/ec2';
import { eventBridgeClient } from '#adapters/aws/clients/eventbridge';
import { s3Client } from '#adapters/aws/clients/s3';
import { sqsClient } from '#adapters/aws/clients/sqs';
import { createDocumentClient } from '#adapters/aws/dynamodb/client';
import { DynamoEnvironmentStore } from '#adapters/aws/dynamodb/environment-store';
import { DynamoPoolStore } from '#adapters/aws/dynamodb/pool-store';
import { addressResolver, eventBus, lifecycleQueue, s3EnvFiles } from '#adapters/aws/wiring';
import { systemClock } from '#ports/clock';
import { parseConfig } from '#shared/config';
import { createTaskEventsHandler } from '#shared/handlers/task-events';
import { createLogger, createMetrics } from '#shared/observability';
import { configSchema, type Ports } from '#shared/wiring/functions';

const config = parseConfig(configSchema('task-events'));
const table = { client: createDocumentClient(), tableName: config.TABLE_NAME };
const ports: Ports<'task-events'> = {
  store: new DynamoEnvironmentStore(table),
  pools: new DynamoPoolStore(table),
  addresses: addressResolver(ec2Client, config),
  publisher: eventBus(eventBridgeClient, config),
  envFiles: s3EnvFiles(s3Client, config),
  // The readiness check of a running task whose health ECS has not reported yet.
  checks: lifecycleQueue(sqsClient, config),
  clock: systemClock,
};

export const handler = createTaskEventsHandler({
  deps: ports,
  logger: createLogger('task-events'),
  metrics: createMetrics('task-events'),
});
