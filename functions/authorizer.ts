import { DynamoAccessStore } from '#adapters/aws/dynamodb/access-store';
import { createDocumentClient } from '#adapters/aws/dynamodb/client';
import { parseConfig } from '#shared/config';
import { createAuthorizerHandler } from '#shared/handlers/authorizer';
import { createLogger } from '#shared/observability';
import { configSchema, type Ports } from '#shared/wiring/functions';

const config = parseConfig(configSchema('authorizer'));
const ports: Ports<'authorizer'> = {
  access: new DynamoAccessStore({ client: createDocumentClient(), tableName: config.TABLE_NAME }),
};

export const handler = createAuthorizerHandler({ ...ports, logger: createLogger('authorizer') });
