import { DynamoAccessStore } from '#adapters/aws/dynamodb/access-store';
import { createDocumentClient } from '#adapters/aws/dynamodb/client';
import { tableConfig } from '#adapters/aws/wiring';
import { parseConfig } from '#shared/config';
import { createAuthorizerHandler } from '#shared/handlers/authorizer';
import { createLogger } from '#shared/observability';
import * as z from '#shared/zod';

const config = parseConfig(z.object(tableConfig));
const access = new DynamoAccessStore({ client: createDocumentClient(), tableName: config.TABLE_NAME });

export const handler = createAuthorizerHandler({ access, logger: createLogger('authorizer') });
