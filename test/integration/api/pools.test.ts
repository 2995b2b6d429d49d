/**
 * The pool routes through the deployed chain (gateway, authorizer, admin handler) on DynamoDB
 * Local, with the AWS SDK mocked at its boundary: who may change and read pools, what a
 * malformed or over-limit request gets, and the keeper nudge each change publishes.
 */
import { RunTaskCommand } from '@aws-sdk/client-ecs';
import { PutEventsCommand as PutEvents } from '@aws-sdk/client-eventbridge';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createApiHarness, createAwsMocks, expectError, manifest } from '#test/support/api-harness';

const aws = createAwsMocks();
const api = createApiHarness();
beforeEach(() => aws.reset());

type Seeded = Awaited<ReturnType<typeof api.seedOrg>>;
let org: Seeded;
let other: Seeded;
const pools = (o: string) => `/api/v1/org/${o}/pools`;
const POOL = 'web-sqli@1.2.0';

beforeAll(async () => {
  [org, other] = await Promise.all([api.seedOrg(), api.seedOrg()]);
  const published = await api.call('POST', `/api/v1/org/${org.org}/tasks`, {
    key: org.adminKey,
    body: manifest(),
  });
  expect(published.status, published.raw).toBe(201);
});

describe('pool routes', () => {
  it('PUT by an admin answers the PoolResponse and nudges the keeper on the bus', async () => {
    // Act
    const reply = await api.call('PUT', `${pools(org.org)}/${POOL}`, {
      key: org.adminKey,
      body: { size: 2 },
    });

    // Assess
    expect(reply.status, reply.raw).toBe(200);
    expect(reply.body).toEqual({
      task_ref: `${org.org}/${POOL}`,
      size: 2,
      warm: 0,
      starting: 0,
      claimed_total: 0,
      updated_at: expect.any(String),
    });
    const nudges = aws.eventBridge.commandCalls(PutEvents).map((c) => c.args[0].input.Entries?.[0]);
    expect(nudges).toEqual([
      {
        EventBusName: expect.any(String),
        Source: 'taskenv',
        DetailType: 'Pool Keeper Nudge',
        Detail: JSON.stringify({ org: org.org, pool: POOL }),
        Resources: [],
      },
    ]);
  });

  it('lets a member list and read pools but answers 403 to its PUT and DELETE', async () => {
    // Prepare
    await api.call('PUT', `${pools(org.org)}/${POOL}`, { key: org.adminKey, body: { size: 1 } });

    // Act
    const list = await api.call('GET', pools(org.org), { key: org.memberKey });
    const get = await api.call('GET', `${pools(org.org)}/${POOL}`, { key: org.memberKey });
    const put = await api.call('PUT', `${pools(org.org)}/${POOL}`, { key: org.memberKey, body: { size: 3 } });
    const del = await api.call('DELETE', `${pools(org.org)}/${POOL}`, { key: org.memberKey });

    // Assess
    expect(list.status).toBe(200);
    expect(list.body.pools.map((p: { task_ref: string }) => p.task_ref)).toEqual([`${org.org}/${POOL}`]);
    expect(get.body.size).toBe(1);
    expectError(put, 403, 'permission_error');
    expectError(del, 403, 'permission_error');
  });

  it('answers 403 to a key of another org, whether the pool exists or not', async () => {
    for (const name of [POOL, 'nothing@1.0.0']) {
      expectError(
        await api.call('GET', `${pools(org.org)}/${name}`, { key: other.adminKey }),
        403,
        'permission_error',
      );
    }
  });

  it.each([
    ['a name without version', 'web-sqli', { size: 1 }],
    ['a size over 100', POOL, { size: 101 }],
    ['a negative size', POOL, { size: -1 }],
    ['an unknown field', POOL, { size: 1, warm: 3 }],
    ["more than the org's max_pool_tasks (10)", POOL, { size: 11 }],
  ])('answers 422 to %s', async (_label, name, body) => {
    expectError(
      await api.call('PUT', `${pools(org.org)}/${name}`, { key: org.adminKey, body }),
      422,
      'validation_error',
    );
  });

  it('answers 404 for an unknown task or pool', async () => {
    expectError(
      await api.call('PUT', `${pools(org.org)}/nothing@1.0.0`, { key: org.adminKey, body: { size: 1 } }),
      404,
      'not_found_error',
    );
    expectError(
      await api.call('GET', `${pools(org.org)}/nothing@1.0.0`, { key: org.adminKey }),
      404,
      'not_found_error',
    );
  });

  it('a create of the pooled version with nothing warm launches cold, as today', async () => {
    // Prepare
    await api.call('PUT', `${pools(org.org)}/${POOL}`, { key: org.adminKey, body: { size: 1 } });

    // Act
    const created = await api.call('POST', `/api/v1/org/${org.org}/ws/default/environments`, {
      key: org.adminKey,
      body: { task_ref: 'web-sqli' },
    });

    // Assess
    expect(created.status, created.raw).toBe(201);
    expect(created.body.state).toBe('building');
    expect(aws.ecs.commandCalls(RunTaskCommand).map((c) => c.args[0].input.startedBy)).toEqual([
      created.body.id,
    ]);
  });

  it('DELETE answers 204 and the pool is gone', async () => {
    // Prepare
    await api.call('PUT', `${pools(org.org)}/${POOL}`, { key: org.adminKey, body: { size: 1 } });

    // Act
    const deleted = await api.call('DELETE', `${pools(org.org)}/${POOL}`, { key: org.adminKey });

    // Assess
    expect(deleted.status, deleted.raw).toBe(204);
    expectError(
      await api.call('GET', `${pools(org.org)}/${POOL}`, { key: org.adminKey }),
      404,
      'not_found_error',
    );
  });
});
