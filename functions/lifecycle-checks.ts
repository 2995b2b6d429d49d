import { awsLifecyclePorts } from '#adapters/aws/lifecycle-ports';
import { parseConfig } from '#shared/config';
import { createLifecycleChecksHandler } from '#shared/handlers/lifecycle-checks';
import { createLogger, createMetrics } from '#shared/observability';
import { configSchema, type Ports } from '#shared/wiring/functions';

const { ports } = awsLifecyclePorts(parseConfig(configSchema('lifecycle-checks')));

export const handler = createLifecycleChecksHandler({
  deps: ports satisfies Ports<'lifecycle-checks'>,
  logger: createLogger('lifecycle-checks'),
  metrics: createMetrics('lifecycle-checks'),
});
