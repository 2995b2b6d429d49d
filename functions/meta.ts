import { readFile } from 'node:fs/promises';
import { DynamoAccessStore } from '#adapters/aws/dynamodb/access-store';
import { createDocumentClient } from '#adapters/aws/dynamodb/client';
import { tableConfig } from '#adapters/aws/wiring';
import { parseConfig } from '#shared/config';
import { createMetaHandler } from '#shared/handlers/meta';
import { createLogger } from '#shared/observability';
import * as z from '#shared/zod';

const config = parseConfig(z.object(tableConfig));
const access = new DynamoAccessStore({ client: createDocumentClient(), tableName: config.TABLE_NAME });

// The bundler copies swagger-ui's two assets next to this entry (see infra ServiceFunction).
const asset = (file: string) => readFile(new URL(`./docs/${file}`, import.meta.url), 'utf8');

export const handler = createMetaHandler({
  logger: createLogger('meta'),
  version: process.env.TASKENV_VERSION ?? '0.0.0',
  docsAssets: async () => ({
    script: await asset('swagger-ui-bundle.js'),
    stylesheet: await asset('swagger-ui.css'),
  }),
  probeDatabase: () => access.ping(),
});
