import { ec2Client } from '#adapters/aws/clients/ec2';
import { eventBridgeClient } from '#adapters/aws/clients/eventbridge';
import { s3Client } from '#adapters/aws/clients/s3';
import { sqsClient } from '#adapters/aws/clients/sqs';
import { createDocumentClient } from '#adapters/aws/dynamodb/client';
import { DynamoEnvironmentStore } from '#adapters/aws/dynamodb/environment-store';
import { DynamoPoolStore } from '#adapters/aws/dynamodb/pool-store';
import {
  addressResolver,
  busConfig,
  envFileConfig,
  eventBus,
  lifecycleQueue,
  lifecycleQueueConfig,
  s3EnvFiles,
  tableConfig,
  urlModeConfig,
} from '#adapters/aws/wiring';
import { systemClock } from '#ports/clock';
import { parseConfig } from '#shared/config';
import { createTaskEventsHandler } from '#shared/handlers/task-events';
import { createLogger, createMetrics } from '#shared/observability';
import * as z from '#shared/zod';

const config = parseConfig(
  z.object({ ...tableConfig, ...busConfig, ...urlModeConfig, ...envFileConfig, ...lifecycleQueueConfig }),
);

const options = { client: createDocumentClient(), tableName: config.TABLE_NAME };

export const handler = createTaskEventsHandler({
  deps: {
    // Environments, and the slots of pool tasks: the event path touches nothing else in the table.
    store: new DynamoEnvironmentStore(options),
    pools: new DynamoPoolStore(options),
    addresses: addressResolver(ec2Client, config),
    publisher: eventBus(eventBridgeClient, config),
    envFiles: s3EnvFiles(s3Client, config),
    // The readiness check of a running task whose health ECS has not reported yet.
    checks: lifecycleQueue(sqsClient, config),
    clock: systemClock,
  },
  logger: createLogger('task-events'),
  metrics: createMetrics('task-events'),
});
