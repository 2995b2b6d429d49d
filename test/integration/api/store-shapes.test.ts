/**
 * JSON that passes a schema but would break DynamoDB or ECS (issue 11): each is a 422 at publish
 * or create, located at the offending key, never a 500 and never silently dropped.
 */
import { RegisterTaskDefinitionCommand } from '@aws-sdk/client-ecs';
import { beforeEach, describe, expect, it } from 'vitest';
import { createApiHarness, createAwsMocks, expectError, manifest } from '#test/support/api-harness';

const aws = createAwsMocks();
const api = createApiHarness();
beforeEach(() => aws.reset());

const tasks = (org: string) => `/api/v1/org/${org}/tasks`;
const environments = (org: string) => `/api/v1/org/${org}/ws/default/environments`;
const locs = (reply: { body: { errors: { loc: unknown }[] } }) => reply.body.errors.map((e) => e.loc);

/** Publishes raw JSON text, so keys like `__proto__` arrive as own properties, as from any client. */
const publishRaw = async (rawBody: string) => {
  const { org, adminKey } = await api.seedOrg();
  const reply = await api.call('POST', tasks(org), {
    key: adminKey,
    rawBody,
    headers: { 'Content-Type': 'application/json' },
  });
  return { reply, org, adminKey };
};

const nested = (depth: number): unknown => (depth === 0 ? 'x' : { level: nested(depth - 1) });

describe('publish', () => {
  it.each(['__proto__', 'constructor', 'prototype', ''])(
    'refuses the key %j in inputs, services and verification',
    async (key) => {
      const body = JSON.stringify(manifest({ verification: { method: 'flag', value: 'x' } }))
        .replace('"inputs":{', `"inputs":{${JSON.stringify(key)}:{"type":"string"},`)
        .replace('"services":{', `"services":{${JSON.stringify(key)}:{"image":"x"},`)
        .replace('"verification":{', `"verification":{${JSON.stringify(key)}:{"a":1},`);

      const { reply } = await publishRaw(body);

      expectError(reply, 422, 'validation_error');
      expect(locs(reply)).toEqual(
        expect.arrayContaining([
          ['body', 'inputs', key],
          ['body', 'services', key],
          ['body', 'verification', key],
        ]),
      );
      expect(aws.ecs.commandCalls(RegisterTaskDefinitionCommand)).toHaveLength(0);
    },
  );

  it('refuses a version part above 999999 (the sort key has six digits per part)', async () => {
    const { reply } = await publishRaw(JSON.stringify(manifest({ version: '1.0.1000000' })));

    expectError(reply, 422, 'validation_error');
    expect(locs(reply)).toEqual([['body', 'version']]);
  });

  it('refuses numbers beyond 2^53 wherever they are', async () => {
    const body = JSON.stringify(
      manifest({
        inputs: { level: { type: 'integer', maximum: 1e300 } },
        verification: { method: 'flag', limit: 2 ** 60 },
      }),
    );

    const { reply } = await publishRaw(body);

    expectError(reply, 422, 'validation_error');
    expect(locs(reply)).toEqual(
      expect.arrayContaining([
        ['body', 'inputs', 'level', 'maximum'],
        ['body', 'verification', 'limit'],
      ]),
    );
  });

  it("refuses nesting past DynamoDB's 32 levels and takes it just below", async () => {
    const deep = await publishRaw(
      JSON.stringify(manifest({ verification: { method: 'flag', deep: nested(32) } })),
    );
    const fine = await publishRaw(
      JSON.stringify(manifest({ verification: { method: 'flag', deep: nested(25) } })),
    );

    expectError(deep.reply, 422, 'validation_error');
    expect(deep.reply.body.errors[0].type).toBe('too_deep');
    expect(fine.reply.status, fine.reply.raw).toBe(201);
  });

  it('refuses more than 16 ports in a service', async () => {
    const ports = Array.from({ length: 17 }, (_, i) => 8000 + i);
    const { reply } = await publishRaw(
      JSON.stringify(manifest({ services: { web: { image: 'x', ports } } })),
    );

    expectError(reply, 422, 'validation_error');
    expect(locs(reply)).toEqual([['body', 'services', 'web', 'ports']]);
  });

  it('refuses the same container port in two services (one network namespace under awsvpc)', async () => {
    const services = { web: { image: 'x', ports: [8080] }, api: { image: 'y', ports: [9000, 8080] } };
    const { reply } = await publishRaw(JSON.stringify(manifest({ services })));

    expectError(reply, 422, 'validation_error');
    expect(reply.body.errors).toEqual([
      {
        loc: ['body', 'services', 'api', 'ports', 1],
        msg: "Port 8080 is also exposed by service 'web'; the services of a task share one network",
        type: 'custom',
      },
    ]);
    expect(aws.ecs.commandCalls(RegisterTaskDefinitionCommand)).toHaveLength(0);
  });
});

describe('create', () => {
  const seedWithTask = () => api.seedWithTask();

  it.each(['__proto__', 'constructor', 'prototype'])(
    'refuses inputs {%j: …} with a 422 at the key',
    async (key) => {
      const { org, adminKey } = await seedWithTask();

      const reply = await api.call('POST', environments(org), {
        key: adminKey,
        rawBody: `{"task_ref":"web-sqli","inputs":{${JSON.stringify(key)}:{"user":"x"}}}`,
        headers: { 'Content-Type': 'application/json' },
      });

      expectError(reply, 422, 'validation_error');
      expect(locs(reply)).toEqual([['body', 'inputs', key]]);
    },
  );

  it('refuses an integer input beyond 2^53 (DynamoDB cannot store 1e300)', async () => {
    const { org, adminKey } = await api.seedOrg();
    const published = await api.call('POST', tasks(org), {
      key: adminKey,
      body: manifest({ inputs: { count: { type: 'integer' } }, instruction: 'Go to {{ web_url }}.' }),
    });
    expect(published.status, published.raw).toBe(201);

    const reply = await api.call('POST', environments(org), {
      key: adminKey,
      rawBody: '{"task_ref":"web-sqli","inputs":{"count":1e300}}',
      headers: { 'Content-Type': 'application/json' },
    });

    expectError(reply, 422, 'validation_error');
    expect(locs(reply)).toEqual([['body', 'inputs', 'count']]);
  });

  it('refuses inputs whose record could not be stored once the instruction renders at ready', async () => {
    // Prepare: the instruction prints `user` next to `web_url`, so it renders at ready, into the
    // same record as the inputs and the template.
    const { org, adminKey } = await seedWithTask();

    // Act
    const big = await api.call('POST', environments(org), {
      key: adminKey,
      body: { task_ref: 'web-sqli', inputs: { user: 'u'.repeat(200 * 1024) } },
    });
    const fine = await api.call('POST', environments(org), {
      key: adminKey,
      body: { task_ref: 'web-sqli', inputs: { user: 'u'.repeat(10 * 1024) } },
    });

    // Assess
    expectError(big, 422, 'validation_error');
    expect(big.body.errors[0]).toMatchObject({ loc: ['body', 'inputs'], type: 'too_big' });
    expect(fine.status, fine.raw).toBe(201);
    const list = await api.call('GET', environments(org), { key: adminKey });
    expect(list.body.total).toBe(1);
  });
});
