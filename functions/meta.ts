import { readFile } from 'node:fs/promises';
import { DynamoAccessStore } from '#adapters/aws/dynamodb/access-store';
import { createDocumentClient } from '#adapters/aws/dynamodb/client';
import { parseConfig } from '#shared/config';
import { createMetaHandler } from '#shared/handlers/meta';
import { createLogger } from '#shared/observability';
import { configSchema, type Ports } from '#shared/wiring/functions';

const config = parseConfig(configSchema('meta'));
const { access }: Ports<'meta'> = {
  access: new DynamoAccessStore({ client: createDocumentClient(), tableName: config.TABLE_NAME }),
};

// The bundler copies swagger-ui's two assets next to this entry (see infra ServiceFunction).
const asset = (file: string) => readFile(new URL(`./docs/${file}`, import.meta.url), 'utf8');

export const handler = createMetaHandler({
  logger: createLogger('meta'),
  version: config.TASKENV_VERSION,
  docsAssets: async () => ({
    script: await asset('swagger-ui-bundle.js'),
    stylesheet: await asset('swagger-ui.css'),
  }),
  probeDatabase: () => access.ping(),
});
