import type { APIGatewayProxyEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { lambdaContext } from '#local/gateway';
import { createMetaHandler } from '#shared/handlers/meta';
import { createLogger } from '#shared/observability';

const handler = createMetaHandler({
  logger: createLogger('meta-test'),
  version: '1.2.3',
  docsAssets: async () => ({ script: '', stylesheet: '' }),
  probeDatabase: async () => undefined,
});

/** A REST API proxy event as API Gateway sends it for `GET <stage>/api/v1/openapi.json`. */
const openApiEvent = (host: string, requestPath: string): APIGatewayProxyEvent =>
  ({
    resource: '/api/v1/openapi.json',
    path: '/api/v1/openapi.json',
    httpMethod: 'GET',
    headers: { Host: host, 'X-Forwarded-Proto': 'https' },
    multiValueHeaders: {},
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    pathParameters: null,
    stageVariables: null,
    body: null,
    isBase64Encoded: false,
    requestContext: { path: requestPath, requestId: 'r-1', stage: 'prod' },
  }) as unknown as APIGatewayProxyEvent;

describe('the OpenAPI document', () => {
  it('names the URL clients called, stage prefix included, as its server', async () => {
    // Act
    const reply = await handler(
      openApiEvent('abc123.execute-api.eu-west-1.amazonaws.com', '/prod/api/v1/openapi.json'),
      lambdaContext('meta'),
    );

    // Assess
    expect(reply.statusCode).toBe(200);
    const document = JSON.parse(reply.body);
    expect(document.servers).toEqual([{ url: 'https://abc123.execute-api.eu-west-1.amazonaws.com/prod' }]);
    expect(document.info.version).toBe('1.2.3');
  });

  it('has no prefix on a custom domain mapped at the root', async () => {
    // Act
    const reply = await handler(
      openApiEvent('api.example.com', '/api/v1/openapi.json'),
      lambdaContext('meta'),
    );

    // Assess
    expect(JSON.parse(reply.body).servers).toEqual([{ url: 'https://api.example.com' }]);
  });
});
