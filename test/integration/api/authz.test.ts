/**
 * The authorization matrix: who may see and use what, and what a refused caller learns.
 */
import { randomUUID } from 'node:crypto';
import { RunTaskCommand, StopTaskCommand } from '@aws-sdk/client-ecs';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { generateApiKey } from '#domain/principal';
import { createApiHarness, createAwsMocks, expectError, manifest } from '#test/support/api-harness';

const aws = createAwsMocks();
const api = createApiHarness();
beforeEach(() => aws.reset());

const environments = (org: string, ws = 'default') => `/api/v1/org/${org}/ws/${ws}/environments`;

type Seeded = Awaited<ReturnType<typeof api.seedOrg>>;
let orgA: Seeded;
let orgB: Seeded;
/** An environment of org A, in workspace `default`. */
let envA: string;
/** An environment of org B, in a workspace also named `default`. */
let envB: string;

beforeAll(async () => {
  [orgA, orgB] = await Promise.all([api.seedOrg(), api.seedOrg()]);
  for (const seeded of [orgA, orgB]) {
    const published = await api.call('POST', `/api/v1/org/${seeded.org}/tasks`, {
      key: seeded.adminKey,
      body: manifest(),
    });
    expect(published.status, published.raw).toBe(201);
  }
  const [a, b] = await Promise.all(
    [orgA, orgB].map((s) =>
      api.call('POST', environments(s.org), { key: s.adminKey, body: { task_ref: 'web-sqli' } }),
    ),
  );
  expect([a?.status, b?.status]).toEqual([201, 201]);
  envA = a?.body.id;
  envB = b?.body.id;
});

describe("another org's environments", () => {
  it.each([
    ['GET', ''],
    ['GET', '/status'],
    ['DELETE', ''],
    ['POST', '/keepalive'],
  ])(
    'answers 403 to %s …/{id}%s with a key of another org, whether the id exists or not',
    async (method, suffix) => {
      // Prepare
      const body = method === 'POST' ? { extend_seconds: 60 } : undefined;
      const call = (id: string) =>
        api.call(method, `${environments(orgA.org)}/${id}${suffix}`, {
          key: orgB.adminKey,
          ...(body === undefined ? {} : { body }),
        });

      // Act
      const existing = await call(envA);
      const missing = await call(randomUUID());

      // Assess: the same answer for both, so the 403 reveals nothing about the id.
      expectError(existing, 403, 'permission_error');
      expect(existing.body).toEqual(missing.body);
      expect(aws.ecs.commandCalls(StopTaskCommand)).toHaveLength(0);
      const read = await api.call('GET', `${environments(orgA.org)}/${envA}`, { key: orgA.adminKey });
      expect(read.body.state).toBe('building');
    },
  );

  it("answers 403 to listing and creating in another org's workspace", async () => {
    const list = await api.call('GET', environments(orgA.org), { key: orgB.adminKey });
    const create = await api.call('POST', environments(orgA.org), {
      key: orgB.adminKey,
      body: { task_ref: 'web-sqli' },
    });

    expectError(list, 403, 'permission_error');
    expectError(create, 403, 'permission_error');
    expect(aws.ecs.commandCalls(RunTaskCommand)).toHaveLength(0);
  });

  it("answers 404 for another org's environment id under the caller's own org, exactly as for an unknown id", async () => {
    // Prepare
    const unknown = randomUUID();
    const url = (id: string, suffix = '') => `${environments(orgA.org)}/${id}${suffix}`;

    // Act
    const get = await api.call('GET', url(envB), { key: orgA.adminKey });
    const status = await api.call('GET', url(envB, '/status'), { key: orgA.adminKey });
    const del = await api.call('DELETE', url(envB), { key: orgA.adminKey });
    const keepalive = await api.call('POST', url(envB, '/keepalive'), {
      key: orgA.adminKey,
      body: { extend_seconds: 60 },
    });
    const getUnknown = await api.call('GET', url(unknown), { key: orgA.adminKey });

    // Assess
    for (const reply of [get, status, del, keepalive]) {
      expectError(reply, 404, 'not_found_error');
      expect(reply.body.detail).toBe(`Environment '${envB}' not found`);
    }
    expect(getUnknown.body).toEqual({ ...get.body, detail: `Environment '${unknown}' not found` });
    // Org B's environment was left alone.
    expect(aws.ecs.commandCalls(StopTaskCommand)).toHaveLength(0);
    const own = await api.call('GET', `${environments(orgB.org)}/${envB}`, { key: orgB.adminKey });
    expect(own.status, own.raw).toBe(200);
    expect(own.body.state).toBe('building');
    expect(own.body.expires_at).toBe((await api.stores.store.get(envB))?.expiresAt);
  });
});

describe('tasks of other orgs', () => {
  it("answers 404 for another org's private task, exactly as for a task that does not exist", async () => {
    // Prepare
    const { org, adminKey } = await api.seedOrg();
    const owner = await api.seedOrg();
    const name = `private-${randomUUID().slice(0, 8)}`;
    const published = await api.call('POST', `/api/v1/org/${owner.org}/tasks`, {
      key: owner.adminKey,
      body: manifest({ name, public: false }),
    });
    expect(published.status, published.raw).toBe(201);
    const create = (taskRef: string) =>
      api.call('POST', environments(org), { key: adminKey, body: { task_ref: taskRef } });

    // Act
    const unprefixed = await create(name);
    const prefixed = await create(`${owner.org}/${name}@1.2.0`);
    const nonexistent = await create(`${owner.org}/no-such-task@1.2.0`);
    const read = await api.call('GET', `/api/v1/org/${org}/tasks/${name}`, { key: adminKey });

    // Assess
    expectError(unprefixed, 404, 'not_found_error');
    expect(unprefixed.body.detail).toBe(`Task '${name}' not found`);
    expectError(prefixed, 404, 'not_found_error');
    expect(prefixed.body.detail).toBe(`Task '${owner.org}/${name}@1.2.0' not found`);
    expect(nonexistent.body).toEqual({
      ...prefixed.body,
      detail: `Task '${owner.org}/no-such-task@1.2.0' not found`,
    });
    expectError(read, 404, 'not_found_error');
    expect(aws.ecs.commandCalls(RunTaskCommand)).toHaveLength(0);
  });

  it("provisions another org's public task, resolved to that org", async () => {
    // Prepare: a name no other test publishes, so the unprefixed ref is not ambiguous.
    const { org, adminKey } = await api.seedOrg();
    const owner = await api.seedOrg();
    const name = `public-${randomUUID().slice(0, 8)}`;
    const published = await api.call('POST', `/api/v1/org/${owner.org}/tasks`, {
      key: owner.adminKey,
      body: manifest({ name, version: '2.0.0', public: true }),
    });
    expect(published.status, published.raw).toBe(201);

    // Act
    const unprefixed = await api.call('POST', environments(org), { key: adminKey, body: { task_ref: name } });
    const prefixed = await api.call('POST', environments(org), {
      key: adminKey,
      body: { task_ref: `${owner.org}/${name}@2.0.0` },
    });

    // Assess
    for (const reply of [unprefixed, prefixed]) {
      expect(reply.status, reply.raw).toBe(201);
      expect(reply.body.task_ref).toBe(`${owner.org}/${name}@2.0.0`);
    }
    // The environment belongs to the caller: its quota group and tags name the caller's org.
    const launches = aws.ecs.commandCalls(RunTaskCommand).map((c) => c.args[0].input);
    expect(launches.map((i) => i.group)).toEqual([`taskenv:${org}`, `taskenv:${org}`]);
    expect(launches[0]?.taskDefinition).toContain(`taskenv-${owner.org}-${name}`);
  });
});

describe('secrets across workspaces', () => {
  it('answers 404 naming a secret id that exists only in another workspace, and launches nothing', async () => {
    // Prepare
    const { org, adminKey } = await api.seedOrg();
    await api.call('POST', `/api/v1/org/${org}/tasks`, { key: adminKey, body: manifest() });
    const put = await api.call('PUT', `/api/v1/org/${org}/ws/ws-other/secrets/db-pass`, {
      key: adminKey,
      body: { value: 'lives-in-ws-other-only' },
    });
    expect(put.status, put.raw).toBe(200);

    // Act
    const created = await api.call('POST', environments(org, 'ws-main'), {
      key: adminKey,
      body: { task_ref: 'web-sqli', secret_ids: ['db-pass'] },
    });

    // Assess
    expectError(created, 404, 'not_found_error');
    expect(created.body.detail).toBe("Secret 'db-pass' not found");
    expect(aws.ecs.commandCalls(RunTaskCommand)).toHaveLength(0);
    expect(aws.s3.commandCalls(PutObjectCommand)).toHaveLength(0);
    const list = await api.call('GET', environments(org, 'ws-main'), { key: adminKey });
    expect(list.body.total).toBe(0);
  });
});

describe('workspace-limited keys', () => {
  it('lets a key limited to ws-a use ws-a and answers 403 permission_error for ws-b', async () => {
    // Prepare
    const { org, adminKey, memberKey } = await api.seedOrg();
    await api.call('POST', `/api/v1/org/${org}/tasks`, { key: adminKey, body: manifest() });

    // Act
    const allowed = await api.call('POST', environments(org, 'ws-a'), {
      key: memberKey,
      body: { task_ref: 'web-sqli' },
    });
    const create = await api.call('POST', environments(org, 'ws-b'), {
      key: memberKey,
      body: { task_ref: 'web-sqli' },
    });
    const list = await api.call('GET', environments(org, 'ws-b'), { key: memberKey });
    const secret = await api.call('PUT', `/api/v1/org/${org}/ws/ws-b/secrets/token`, {
      key: memberKey,
      body: { value: 'not-allowed-here' },
    });
    const secrets = await api.call('GET', `/api/v1/org/${org}/ws/ws-b/secrets`, { key: memberKey });

    // Assess
    expect(allowed.status, allowed.raw).toBe(201);
    for (const reply of [create, list, secret, secrets]) {
      expectError(reply, 403, 'permission_error');
    }
    expect(aws.ecs.commandCalls(RunTaskCommand)).toHaveLength(1);
  });
});

describe('authentication', () => {
  it.each([
    ['no Authorization header', () => ({})],
    ['a garbage bearer token', () => ({ key: 'garbage' })],
    ['a non-bearer scheme', () => ({ headers: { Authorization: 'Basic dXNlcjpwYXNz' } })],
    ['a well-formed key that was never issued', () => ({ key: generateApiKey().key })],
  ])('answers 401 authentication_error for %s', async (_, options) => {
    const { org } = await api.seedOrg();

    const replies = await Promise.all([
      api.call('GET', environments(org), options()),
      api.call('POST', environments(org), { ...options(), body: { task_ref: 'web-sqli' } }),
      api.call('GET', `/api/v1/org/${org}/tasks`, options()),
    ]);

    for (const reply of replies) {
      expectError(reply, 401, 'authentication_error');
      expect(reply.body.detail).toBe('Authentication failed');
    }
  });

  it('answers 401 once a key is revoked', async () => {
    // Prepare
    const { org, adminKey, adminKeyHash } = await api.seedOrg();
    const before = await api.call('GET', environments(org), { key: adminKey });
    expect(before.status, before.raw).toBe(200);

    // Act
    await api.stores.access.revokeApiKey(adminKeyHash);
    const after = await api.call('GET', environments(org), { key: adminKey });

    // Assess
    expectError(after, 401, 'authentication_error');
    expect(after.body.detail).toBe('Authentication failed');
  });
});
