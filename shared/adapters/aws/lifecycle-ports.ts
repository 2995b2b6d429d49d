/**
 * The AWS ports of the two functions that move launched environments along, the reconciler and
 * the lifecycle-checks consumer: their declarations share the bindings and these ports
 * (`lifecyclePorts` in `shared/wiring/functions.ts`), so they are built in one place.
 */
import { systemClock } from '#ports/clock';
import type {
  busConfig,
  ConfigOutput,
  ecsConfig,
  envFileConfig,
  lifecycleQueueConfig,
  schedulerConfig,
  tableConfig,
  urlModeConfig,
} from '#shared/wiring/config';
import { ec2Client } from './clients/ec2.ts';
import { ecsClient } from './clients/ecs.ts';
import { eventBridgeClient } from './clients/eventbridge.ts';
import { s3Client } from './clients/s3.ts';
import { schedulerClient } from './clients/scheduler.ts';
import { sqsClient } from './clients/sqs.ts';
import { createDocumentClient } from './dynamodb/client.ts';
import { DynamoEnvironmentStore } from './dynamodb/environment-store.ts';
import { DynamoTaskRegistry } from './dynamodb/task-registry.ts';
import {
  addressResolver,
  ecsRuntime,
  eventBus,
  lifecycleQueue,
  s3EnvFiles,
  schedulerExpiry,
} from './wiring.ts';

type LifecycleConfig = ConfigOutput<
  typeof tableConfig &
    typeof busConfig &
    typeof ecsConfig &
    typeof urlModeConfig &
    typeof envFileConfig &
    typeof schedulerConfig &
    typeof lifecycleQueueConfig
>;

/** The table options (for further stores) and the shared lifecycle ports. */
export const awsLifecyclePorts = (config: LifecycleConfig) => {
  const table = { client: createDocumentClient(), tableName: config.TABLE_NAME };
  return {
    table,
    ports: {
      store: new DynamoEnvironmentStore(table),
      tasks: new DynamoTaskRegistry(table),
      runtime: ecsRuntime(ecsClient, config),
      // A lost RUNNING event is repaired with the URLs the event path would have published.
      addresses: addressResolver(ec2Client, config),
      envFiles: s3EnvFiles(s3Client, config),
      expiry: schedulerExpiry(schedulerClient, config),
      publisher: eventBus(eventBridgeClient, config),
      // A task found running without its RUNNING event gets its readiness check queued.
      checks: lifecycleQueue(sqsClient, config),
      clock: systemClock,
    },
  };
};
