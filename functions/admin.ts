import { DynamoAccessStore } from '#adapters/aws/dynamodb/access-store';
import { createDocumentClient } from '#adapters/aws/dynamodb/client';
import { apiConfig, tableConfig } from '#adapters/aws/wiring';
import { systemClock } from '#ports/clock';
import { parseConfig } from '#shared/config';
import { createAdminHandler } from '#shared/handlers/admin';
import { createLogger, createMetrics } from '#shared/observability';
import * as z from '#shared/zod';

const config = parseConfig(z.object({ ...tableConfig, ...apiConfig }));

export const handler = createAdminHandler({
  deps: {
    access: new DynamoAccessStore({ client: createDocumentClient(), tableName: config.TABLE_NAME }),
    clock: systemClock,
  },
  logger: createLogger('admin'),
  metrics: createMetrics('admin'),
  ...(config.MIN_CLIENT_VERSION === undefined ? {} : { minClientVersion: config.MIN_CLIENT_VERSION }),
});
