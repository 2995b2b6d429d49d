import { DynamoPoolStore } from '#adapters/aws/dynamodb/pool-store';
import { awsLifecyclePorts } from '#adapters/aws/lifecycle-ports';
import { parseConfig } from '#shared/config';
import { createReconcilerHandler } from '#shared/handlers/reconciler';
import { createLogger, createMetrics } from '#shared/observability';
import { configSchema, type Ports } from '#shared/wiring/functions';

/**
 * A launch is given up after 10 minutes or 3 attempts: Fargate places a task in well under a
 * minute, so by then the cause (a bad image, no capacity, a crashing create) will not pass.
 */
const LAUNCH_POLICY = { launchDeadlineSec: 600, maxLaunchAttempts: 3 } as const;

const config = parseConfig(configSchema('reconciler'));
const { table, ports } = awsLifecyclePorts(config);

export const handler = createReconcilerHandler({
  deps: {
    ...({ ...ports, pools: new DynamoPoolStore(table) } satisfies Ports<'reconciler'>),
    config: LAUNCH_POLICY,
  },
  logger: createLogger('reconciler'),
  metrics: createMetrics('reconciler'),
});
