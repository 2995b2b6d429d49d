import { createDocumentClient } from '#adapters/aws/dynamodb/client';
import { DynamoEnvironmentStore } from '#adapters/aws/dynamodb/environment-store';
import { apiConfig, tableConfig } from '#adapters/aws/wiring';
import { parseConfig } from '#shared/config';
import { createEnvironmentsReadHandler } from '#shared/handlers/environments-read';
import { createLogger, createMetrics } from '#shared/observability';
import * as z from '#shared/zod';

const config = parseConfig(z.object({ ...tableConfig, ...apiConfig }));

export const handler = createEnvironmentsReadHandler({
  store: new DynamoEnvironmentStore({ client: createDocumentClient(), tableName: config.TABLE_NAME }),
  logger: createLogger('environments-read'),
  metrics: createMetrics('environments-read'),
  ...(config.MIN_CLIENT_VERSION === undefined ? {} : { minClientVersion: config.MIN_CLIENT_VERSION }),
});
