import { logsClient } from '#adapters/aws/clients/cloudwatch-logs';
import { eventBridgeClient } from '#adapters/aws/clients/eventbridge';
import { kmsClient } from '#adapters/aws/clients/kms';
import { lambdaClient } from '#adapters/aws/clients/lambda';
import { CloudWatchTaskLogs } from '#adapters/aws/cloudwatch-task-logs';
import { createDocumentClient } from '#adapters/aws/dynamodb/client';
import { DynamoEnvironmentStore } from '#adapters/aws/dynamodb/environment-store';
import { DynamoExecutionStore } from '#adapters/aws/dynamodb/execution-store';
import { DynamoTaskRegistry } from '#adapters/aws/dynamodb/task-registry';
import { LambdaDispatcher } from '#adapters/aws/lambda-dispatcher';
import { eventBus, kmsExecuteTokens } from '#adapters/aws/wiring';
import { randomIds, systemClock } from '#ports/clock';
import { parseConfig } from '#shared/config';
import { createEnvironmentsExecHandler } from '#shared/handlers/environments-exec';
import { createLogger, createMetrics } from '#shared/observability';
import { configSchema, type Ports } from '#shared/wiring/functions';

const config = parseConfig(configSchema('environments-exec'));
const table = { client: createDocumentClient(), tableName: config.TABLE_NAME };
const executions = new DynamoExecutionStore(table);
const ports: Ports<'environments-exec'> = {
  store: new DynamoEnvironmentStore(table),
  tasks: new DynamoTaskRegistry(table),
  executions,
  dispatcher: new LambdaDispatcher({
    lambda: lambdaClient,
    functionName: config.EXEC_WORKER_FUNCTION_NAME,
    executions,
    clock: systemClock,
  }),
  tokens: kmsExecuteTokens(kmsClient, config),
  logs: new CloudWatchTaskLogs({ logs: logsClient, logGroupName: config.LOG_GROUP_NAME }),
  verifiedEvents: eventBus(eventBridgeClient, config),
  clock: systemClock,
  ids: randomIds,
};

/**
 * Execute, executions, verify and logs. Commands run in the exec-worker function; this one
 * records them, waits on their item up to the sync window, and reads logs.
 */
export const handler = createEnvironmentsExecHandler({
  deps: { ...ports, syncWindowMs: config.EXEC_SYNC_WINDOW_MS },
  logger: createLogger('environments-exec'),
  metrics: createMetrics('environments-exec'),
  ...(config.MIN_CLIENT_VERSION === undefined ? {} : { minClientVersion: config.MIN_CLIENT_VERSION }),
});
