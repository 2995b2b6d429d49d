import { ec2Client } from '#adapters/aws/clients/ec2';
import { ecsClient } from '#adapters/aws/clients/ecs';
import { eventBridgeClient } from '#adapters/aws/clients/eventbridge';
import { s3Client } from '#adapters/aws/clients/s3';
import { schedulerClient } from '#adapters/aws/clients/scheduler';
import { sqsClient } from '#adapters/aws/clients/sqs';
import { createDocumentClient } from '#adapters/aws/dynamodb/client';
import { DynamoEnvironmentStore } from '#adapters/aws/dynamodb/environment-store';
import { DynamoTaskRegistry } from '#adapters/aws/dynamodb/task-registry';
import {
  addressResolver,
  busConfig,
  ecsConfig,
  ecsRuntime,
  envFileConfig,
  eventBus,
  lifecycleQueue,
  lifecycleQueueConfig,
  s3EnvFiles,
  schedulerConfig,
  schedulerExpiry,
  tableConfig,
  urlModeConfig,
} from '#adapters/aws/wiring';
import { systemClock } from '#ports/clock';
import { parseConfig } from '#shared/config';
import { createLifecycleChecksHandler } from '#shared/handlers/lifecycle-checks';
import { createLogger, createMetrics } from '#shared/observability';
import * as z from '#shared/zod';

const config = parseConfig(
  z.object({
    ...tableConfig,
    ...busConfig,
    ...ecsConfig,
    ...urlModeConfig,
    ...envFileConfig,
    ...schedulerConfig,
    ...lifecycleQueueConfig,
  }),
);
const options = { client: createDocumentClient(), tableName: config.TABLE_NAME };
export const handler = createLifecycleChecksHandler({
  deps: {
    store: new DynamoEnvironmentStore(options),
    tasks: new DynamoTaskRegistry(options),
    runtime: ecsRuntime(ecsClient, config),
    addresses: addressResolver(ec2Client, config),
    envFiles: s3EnvFiles(s3Client, config),
    expiry: schedulerExpiry(schedulerClient, config),
    publisher: eventBus(eventBridgeClient, config),
    checks: lifecycleQueue(sqsClient, config),
    clock: systemClock,
  },
  logger: createLogger('lifecycle-checks'),
  metrics: createMetrics('lifecycle-checks'),
});
