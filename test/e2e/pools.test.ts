/**
 * Warm pools on the local stack (process runtime), over HTTP: a pool fills, a matching create
 * answers `ready` in its 201 with a working URL, the pool refills, a create with secrets
 * launches cold, and DELETE stops the waiting tasks.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { DynamoPoolStore } from '#adapters/aws/dynamodb/pool-store';
import { type PoolResponse, poolResponseSchema } from '#domain/api-schemas';
import {
  type ApiTarget,
  apiRequest,
  createEnvironment,
  parseBody,
  refusesWithin,
  serviceUrl,
  stackPerFile,
} from '#test/support/e2e';

const stack = stackPerFile('pools');
const POOL = 'hello-http@1.0.0';
const poolUrl = (target: ApiTarget, name = POOL) => `${target.apiUrl}/api/v1/org/${target.org}/pools/${name}`;

const getPool = async (target: ApiTarget): Promise<PoolResponse> => {
  const answer = await apiRequest(poolUrl(target), target.apiKey);
  expect(answer.status).toBe(200);
  return parseBody(poolResponseSchema, answer.body);
};

/** Polls the pool until `warm` is reached; fails with the last answer. */
const waitWarm = async (target: ApiTarget, warm: number, timeoutMs = 10_000): Promise<PoolResponse> => {
  const deadline = performance.now() + timeoutMs;
  let last = await getPool(target);
  while (last.warm !== warm) {
    if (performance.now() > deadline) throw new Error(`pool not ${warm} warm: ${JSON.stringify(last)}`);
    await sleep(50);
    last = await getPool(target);
  }
  return last;
};

describe('warm pools on the local stack', () => {
  it('PUT size 2 → 2 warm; a create claims one and answers ready with a working URL; the pool refills', async () => {
    // Prepare
    const target = stack();
    const put = await apiRequest(poolUrl(target), target.apiKey, { method: 'PUT', json: { size: 2 } });
    expect(put.status).toBe(200);
    await waitWarm(target, 2);

    // Act
    const started = performance.now();
    const created = await createEnvironment(target, { task_ref: 'hello-http', inputs: { name: 'pool' } });
    const requestMs = performance.now() - started;

    // Assess
    expect(created.state).toBe('ready');
    const url = serviceUrl(created, 'web');
    expect(created.instruction).toContain(`Say hello to pool.`);
    expect(created.instruction).toContain(url);
    expect(await (await fetch(url)).text()).toBe('Hello from taskenv!\n');
    expect(requestMs).toBeLessThan(1_000);
    const refilled = await waitWarm(target, 2);
    expect(refilled).toMatchObject({ task_ref: 'local/hello-http@1.0.0', size: 2, claimed_total: 1 });
    const env = await apiRequest(
      `${target.apiUrl}/api/v1/org/${target.org}/ws/${target.workspace}/environments/${created.id}`,
      target.apiKey,
      { method: 'DELETE' },
    );
    expect(env.status).toBe(200);
    expect(await refusesWithin(url, 5_000)).toBe(true);
  });

  it('a create with secret_ids launches cold, leaving the warm tasks waiting', async () => {
    // Prepare
    const target = stack();
    const secret = await apiRequest(
      `${target.apiUrl}/api/v1/org/${target.org}/ws/${target.workspace}/secrets/pool-token`,
      target.apiKey,
      { method: 'PUT', json: { value: 'not-for-pools' } },
    );
    expect(secret.status).toBe(200);
    await waitWarm(target, 2);

    // Act
    const created = await createEnvironment(target, { task_ref: 'hello-http', secret_ids: ['pool-token'] });

    // Assess
    expect(created.state).toBe('building');
    expect((await getPool(target)).warm).toBe(2);
  });

  it('DELETE pool → 204 and its waiting tasks stop', async () => {
    // Prepare
    const target = stack();
    await waitWarm(target, 2);
    const documents = DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint: stack().dynamodbEndpoint }));
    const store = new DynamoPoolStore({ client: documents, tableName: stack().tableName });
    const urls = (await store.listSlots(target.org, POOL))
      .filter((s) => s.state === 'warm')
      .map((s) => s.serviceUrls?.web?.url ?? '');
    expect(urls).toHaveLength(2);

    // Act
    const deleted = await apiRequest(poolUrl(target), target.apiKey, { method: 'DELETE' });

    // Assess
    expect(deleted.status).toBe(204);
    for (const url of urls) expect(await refusesWithin(url, 5_000)).toBe(true);
    expect((await apiRequest(poolUrl(target), target.apiKey)).status).toBe(404);
  });
});
