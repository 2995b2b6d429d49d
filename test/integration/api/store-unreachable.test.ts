/**
 * The key store cannot be reached (DynamoDB down): the deployed handlers over the real DynamoDB
 * adapters pointed at a port where nothing listens. A valid key must not be told it is wrong:
 * the authorizer's failure is a 500 envelope (API Gateway's AUTHORIZER_FAILURE), never a 401,
 * and `/healthz` says the database is unreachable with a 503.
 */
import { randomBytes } from 'node:crypto';
import { beforeAll, expect, it } from 'vitest';
import { createDocumentClient } from '#adapters/aws/dynamodb/client';
import { dynamoStores } from '#adapters/aws/wiring';
import { freePort } from '#adapters/local/free-port';
import { LocalExecuteTokens } from '#adapters/local/local-execute-tokens';
import { LoopbackAddressResolver } from '#adapters/local/loopback-address-resolver';
import { generateApiKey } from '#domain/principal';
import { composeHandlers } from '#local/compose';
import { createGateway, type Gateway } from '#local/gateway';
import { randomIds, systemClock } from '#ports/clock';
import { expectError } from '#test/support/api-harness';

let gateway: Gateway;

beforeAll(async () => {
  const down = createDocumentClient({
    endpoint: `http://127.0.0.1:${await freePort()}`,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1,
  });
  const stores = dynamoStores(down, { TABLE_NAME: 'taskenv-unreachable' });
  const unused = () => {
    throw new Error('not reached: authorization fails first');
  };
  const handlers = composeHandlers(
    {
      ...stores,
      secretValues: { put: unused, get: unused, delete: unused },
      envFiles: { put: unused, delete: unused, refFor: unused },
      checks: { send: unused },
      runtime: {
        register: unused,
        launch: unused,
        stop: unused,
        describe: unused,
        findByEnvironment: unused,
        listRunning: unused,
      },
      expiry: { schedule: unused, cancel: unused },
      publisher: { publish: unused },
      dataPlane: {
        executions: {
          start: unused,
          release: unused,
          recordRunning: unused,
          finish: unused,
          get: unused,
          recordVerification: unused,
        },
        dispatcher: { dispatch: unused },
        logs: { read: unused },
        verifiedEvents: { publishVerified: unused },
      },
      addresses: new LoopbackAddressResolver(),
      clock: systemClock,
      ids: randomIds,
      executeTokens: new LocalExecuteTokens({ key: randomBytes(32) }),
      idempotency: null,
    },
    {
      version: '0.0.0-test',
      docsAssets: async () => ({ script: '', stylesheet: '' }),
      reconcile: { launchDeadlineSec: 600, maxLaunchAttempts: 3 },
    },
  );
  gateway = createGateway({ authorizer: handlers.authorizer, handlers: handlers.http });
});

const call = async (method: string, path: string, key?: string) => {
  const response = await gateway.handle({
    method,
    path,
    headers: key === undefined ? {} : { authorization: `Bearer ${key}` },
  });
  return {
    status: response.statusCode,
    headers: response.headers,
    body: JSON.parse(response.body),
    raw: response.body,
  };
};

it('answers 500 internal_error, not 401, to a well-formed key while the key store is down', async () => {
  const replies = await Promise.all([
    call('GET', '/api/v1/org/acme/ws/default/environments', generateApiKey().key),
    call('GET', '/api/v1/org/acme/keys', generateApiKey().key),
  ]);

  for (const reply of replies) {
    expectError(reply, 500, 'internal_error');
    expect(reply.body.detail).toBe('Internal server error');
  }
});

it('still answers 401 to a malformed key, which needs no lookup', async () => {
  const reply = await call('GET', '/api/v1/org/acme/ws/default/environments', 'not-a-key');

  expectError(reply, 401, 'authentication_error');
});

it('reports DynamoDB unreachable on /healthz with a 503', async () => {
  const reply = await call('GET', '/healthz');

  expect(reply.status, reply.raw).toBe(503);
  expect(reply.body).toEqual({ status: 'unavailable', version: '0.0.0-test', dynamodb: 'unreachable' });
});
