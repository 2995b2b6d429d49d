import { readFile } from 'node:fs/promises';
import { createMetaHandler } from '#shared/handlers/meta';
import { createLogger } from '#shared/observability';

// The bundler copies swagger-ui's two assets next to this entry (see infra ServiceFunction).
const asset = (file: string) => readFile(new URL(`./docs/${file}`, import.meta.url), 'utf8');

export const handler = createMetaHandler({
  logger: createLogger('meta'),
  version: process.env.TASKENV_VERSION ?? '0.0.0',
  docsAssets: async () => ({
    script: await asset('swagger-ui-bundle.js'),
    stylesheet: await asset('swagger-ui.css'),
  }),
});
