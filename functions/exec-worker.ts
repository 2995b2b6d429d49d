import { ecsClient } from '#adapters/aws/clients/ecs';
import { createDocumentClient } from '#adapters/aws/dynamodb/client';
import { DynamoExecutionStore } from '#adapters/aws/dynamodb/execution-store';
import { EcsCommandRunner } from '#adapters/aws/ecs-command-runner';
import { systemClock } from '#ports/clock';
import { parseConfig } from '#shared/config';
import { createExecWorkerHandler } from '#shared/handlers/exec-worker';
import { createLogger } from '#shared/observability';
import { configSchema, type Ports } from '#shared/wiring/functions';

const config = parseConfig(configSchema('exec-worker'));
const ports: Ports<'exec-worker'> = {
  runner: new EcsCommandRunner({ ecs: ecsClient, clusterArn: config.CLUSTER_ARN }),
  executions: new DynamoExecutionStore({ client: createDocumentClient(), tableName: config.TABLE_NAME }),
  clock: systemClock,
};

export const handler = createExecWorkerHandler({ deps: ports, logger: createLogger('exec-worker') });
