import { createDocumentClient } from '#adapters/aws/dynamodb/client';
import { DynamoEnvironmentStore } from '#adapters/aws/dynamodb/environment-store';
import { parseConfig } from '#shared/config';
import { createEnvironmentsReadHandler } from '#shared/handlers/environments-read';
import { createLogger, createMetrics } from '#shared/observability';
import { configSchema, type Ports } from '#shared/wiring/functions';

const config = parseConfig(configSchema('environments-read'));
const ports: Ports<'environments-read'> = {
  store: new DynamoEnvironmentStore({ client: createDocumentClient(), tableName: config.TABLE_NAME }),
};

export const handler = createEnvironmentsReadHandler({
  ...ports,
  logger: createLogger('environments-read'),
  metrics: createMetrics('environments-read'),
  ...(config.MIN_CLIENT_VERSION === undefined ? {} : { minClientVersion: config.MIN_CLIENT_VERSION }),
});
