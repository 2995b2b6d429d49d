import { secretsManagerClient } from '#adapters/aws/clients/secrets-manager';
import { createDocumentClient } from '#adapters/aws/dynamodb/client';
import { DynamoSecretMetadataStore } from '#adapters/aws/dynamodb/secret-metadata-store';
import { secretValues } from '#adapters/aws/wiring';
import { systemClock } from '#ports/clock';
import { parseConfig } from '#shared/config';
import { createSecretsHandler } from '#shared/handlers/secrets';
import { createLogger, createMetrics } from '#shared/observability';
import { configSchema, type Ports } from '#shared/wiring/functions';

const config = parseConfig(configSchema('secrets'));
const ports: Ports<'secrets'> = {
  metadata: new DynamoSecretMetadataStore({ client: createDocumentClient(), tableName: config.TABLE_NAME }),
  values: secretValues(secretsManagerClient, config),
  clock: systemClock,
};

export const handler = createSecretsHandler({
  deps: ports,
  logger: createLogger('secrets'),
  metrics: createMetrics('secrets'),
  ...(config.MIN_CLIENT_VERSION === undefined ? {} : { minClientVersion: config.MIN_CLIENT_VERSION }),
});
