import { ec2Client } from '#adapters/aws/clients/ec2';
import { ecsClient } from '#adapters/aws/clients/ecs';
import { eventBridgeClient } from '#adapters/aws/clients/eventbridge';
import { s3Client } from '#adapters/aws/clients/s3';
import { schedulerClient } from '#adapters/aws/clients/scheduler';
import { sqsClient } from '#adapters/aws/clients/sqs';
import { createDocumentClient } from '#adapters/aws/dynamodb/client';
import { DynamoEnvironmentStore } from '#adapters/aws/dynamodb/environment-store';
import { DynamoPoolStore } from '#adapters/aws/dynamodb/pool-store';
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
import { createReconcilerHandler } from '#shared/handlers/reconciler';
import { createLogger, createMetrics } from '#shared/observability';
import * as z from '#shared/zod';

/**
 * A launch is given up after 10 minutes or 3 attempts: Fargate places a task in well under a
 * minute, so by then the cause (a bad image, no capacity, a crashing create) will not pass.
 */
const LAUNCH_POLICY = { launchDeadlineSec: 600, maxLaunchAttempts: 3 } as const;

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
const documentClient = createDocumentClient();
const options = { client: documentClient, tableName: config.TABLE_NAME };
export const handler = createReconcilerHandler({
  deps: {
    store: new DynamoEnvironmentStore(options),
    tasks: new DynamoTaskRegistry(options),
    // Dead waiting slots are retired; pool tasks without a slot are orphans.
    pools: new DynamoPoolStore(options),
    runtime: ecsRuntime(ecsClient, config),
    // A lost RUNNING event is repaired with the URLs the event path would have published.
    addresses: addressResolver(ec2Client, config),
    envFiles: s3EnvFiles(s3Client, config),
    expiry: schedulerExpiry(schedulerClient, config),
    publisher: eventBus(eventBridgeClient, config),
    // A task found running without its RUNNING event gets its readiness check queued.
    checks: lifecycleQueue(sqsClient, config),
    clock: systemClock,
    config: LAUNCH_POLICY,
  },
  logger: createLogger('reconciler'),
  metrics: createMetrics('reconciler'),
});
