import { ecsClient } from '#adapters/aws/clients/ecs';
import { createDocumentClient } from '#adapters/aws/dynamodb/client';
import { DynamoExecutionStore } from '#adapters/aws/dynamodb/execution-store';
import { EcsCommandRunner } from '#adapters/aws/ecs-command-runner';
import { tableConfig } from '#adapters/aws/wiring';
import { systemClock } from '#ports/clock';
import { parseConfig } from '#shared/config';
import { createExecWorkerHandler } from '#shared/handlers/exec-worker';
import { createLogger } from '#shared/observability';
import * as z from '#shared/zod';

const config = parseConfig(z.object({ ...tableConfig, CLUSTER_ARN: z.string().check(z.minLength(1)) }));

export const handler = createExecWorkerHandler({
  deps: {
    runner: new EcsCommandRunner({ ecs: ecsClient, clusterArn: config.CLUSTER_ARN }),
    executions: new DynamoExecutionStore({ client: createDocumentClient(), tableName: config.TABLE_NAME }),
    clock: systemClock,
  },
  logger: createLogger('exec-worker'),
});
