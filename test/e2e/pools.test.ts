/**
 * Warm pools on the local stack, over HTTP, on both local runtimes: a pool fills, a matching
 * create answers `ready` in its 201 with a working URL and the rendered instruction, the pool
 * refills, a create with secrets launches cold, and DELETE stops the waiting tasks.
 */
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoPoolStore } from '#adapters/aws/dynamodb/pool-store';
import { type PoolResponse, poolResponseSchema } from '#domain/api-schemas';
import { type LocalStack, startLocalStack } from '#local/stack';
import { buildBusyboxImage, dockerEngine, removeTestImages } from '#test/support/docker';
import {
  type ApiTarget,
  apiRequest,
  createEnvironment,
  makeTempDir,
  parseBody,
  refusesWithin,
  serviceUrl,
  stackPerFile,
} from '#test/support/e2e';

const poolUrl = (target: ApiTarget, name: string) =>
  `${target.apiUrl}/api/v1/org/${target.org}/pools/${name}`;

/** The same acceptance on a stack of either runtime; `pool` is the pooled `name@version`. */
const poolSuite = (stack: () => LocalStack, pool: string, task: string, greeting: string) => {
  const getPool = async (target: ApiTarget): Promise<PoolResponse> => {
    const answer = await apiRequest(poolUrl(target, pool), target.apiKey);
    expect(answer.status).toBe(200);
    return parseBody(poolResponseSchema, answer.body);
  };

  /** Polls the pool until `warm` is reached; fails with the last answer. */
  const waitWarm = async (target: ApiTarget, warm: number, timeoutMs = 15_000): Promise<PoolResponse> => {
    const deadline = performance.now() + timeoutMs;
    let last = await getPool(target);
    while (last.warm !== warm) {
      if (performance.now() > deadline) throw new Error(`pool not ${warm} warm: ${JSON.stringify(last)}`);
      await sleep(50);
      last = await getPool(target);
    }
    return last;
  };

  it('PUT size 2 → 2 warm; a create claims one and answers ready with a working URL; the pool refills', async () => {
    // Prepare
    const target = stack();
    const put = await apiRequest(poolUrl(target, pool), target.apiKey, { method: 'PUT', json: { size: 2 } });
    expect(put.status, JSON.stringify(put.body)).toBe(200);
    await waitWarm(target, 2);

    // Act
    const started = performance.now();
    const created = await createEnvironment(target, { task_ref: task, inputs: { name: 'pool' } });
    const requestMs = performance.now() - started;

    // Assess
    expect(created.state).toBe('ready');
    const url = serviceUrl(created, 'web');
    expect(created.instruction).toContain('Say hello to pool.');
    expect(created.instruction).toContain(url);
    expect(await (await fetch(url)).text()).toBe(greeting);
    expect(requestMs).toBeLessThan(1_000);
    const refilled = await waitWarm(target, 2);
    expect(refilled).toMatchObject({ task_ref: `local/${pool}`, size: 2, claimed_total: 1 });
    const env = await apiRequest(
      `${target.apiUrl}/api/v1/org/${target.org}/ws/${target.workspace}/environments/${created.id}`,
      target.apiKey,
      { method: 'DELETE' },
    );
    expect(env.status).toBe(200);
    expect(await refusesWithin(url, 10_000)).toBe(true);
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
    const created = await createEnvironment(target, { task_ref: task, secret_ids: ['pool-token'] });

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
    const urls = (await store.listSlots(target.org, pool))
      .filter((s) => s.state === 'warm')
      .map((s) => s.serviceUrls?.web?.url ?? '');
    expect(urls).toHaveLength(2);

    // Act
    const deleted = await apiRequest(poolUrl(target, pool), target.apiKey, { method: 'DELETE' });

    // Assess
    expect(deleted.status).toBe(204);
    for (const url of urls) expect(await refusesWithin(url, 10_000)).toBe(true);
    expect((await apiRequest(poolUrl(target, pool), target.apiKey)).status).toBe(404);
  });
};

describe('warm pools on the local stack, process runtime', () => {
  poolSuite(stackPerFile('pools'), 'hello-http@1.0.0', 'hello-http', 'Hello from taskenv!\n');
});

const engine = await dockerEngine('test/e2e/pools.test.ts');

describe.runIf(engine)('warm pools on the local stack, Docker runtime', () => {
  const run = randomBytes(4).toString('hex');
  const image = `taskenv-test/pool-web:${run}`;
  const greeting = 'Hello from a pooled container!\n';
  let dataDir: Awaited<ReturnType<typeof makeTempDir>> | undefined;
  let running: LocalStack | undefined;

  beforeAll(async () => {
    await buildBusyboxImage(image, { '/www/index.html': greeting });
    dataDir = await makeTempDir('pools-docker');
    running = await startLocalStack({
      dataDir: dataDir.path,
      port: 0,
      runtime: 'docker',
      log: () => undefined,
    });
    const published = await apiRequest(`${running.apiUrl}/api/v1/org/${running.org}/tasks`, running.apiKey, {
      method: 'POST',
      json: {
        name: 'pool-web',
        version: '1.0.0',
        instruction: 'Say hello to {{ name }}. Fetch {{ web_url }}/index.html.',
        inputs: { name: { type: 'string', default: 'world' } },
        services: {
          web: { image, ports: [8080], command: ['sh', '-c', 'exec httpd -f -p 8080 -h /www'] },
        },
      },
    });
    expect(published.status, JSON.stringify(published.body)).toBe(201);
  }, 120_000);

  afterAll(async () => {
    await running?.stop();
    await dataDir?.remove();
    await removeTestImages([image]);
  });

  poolSuite(
    () => {
      if (running === undefined) throw new Error('the Docker stack has not started');
      return running;
    },
    'pool-web@1.0.0',
    'pool-web',
    greeting,
  );
});
