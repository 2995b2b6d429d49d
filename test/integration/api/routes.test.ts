/**
 * Every route of `docs/api.md` over the local gateway: the statuses and shapes a client sees.
 */
import { createHash, randomUUID } from 'node:crypto';
import { RegisterTaskDefinitionCommand, RunTaskCommand, StopTaskCommand } from '@aws-sdk/client-ecs';
import { CreateScheduleCommand } from '@aws-sdk/client-scheduler';
import { beforeEach, describe, expect, it } from 'vitest';
import { AWS, createApiHarness, createAwsMocks, expectError, manifest } from '#test/support/api-harness';

const aws = createAwsMocks();
const api = createApiHarness();
beforeEach(() => aws.reset());

const environments = (org: string, ws = 'default') => `/api/v1/org/${org}/ws/${ws}/environments`;
const secrets = (org: string, ws = 'default') => `/api/v1/org/${org}/ws/${ws}/secrets`;
const tasks = (org: string) => `/api/v1/org/${org}/tasks`;

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

const seedWithTask = api.seedWithTask;

const secondsBetween = (from: string, to: string) => (Date.parse(to) - Date.parse(from)) / 1000;

describe('environments', () => {
  it('creates an environment in state building and shows the execute token only once', async () => {
    // Prepare
    const { org, adminKey } = await seedWithTask();

    // Act
    const created = await api.call('POST', environments(org), {
      key: adminKey,
      body: { task_ref: 'web-sqli', inputs: { user: 'bob' } },
    });
    const read = await api.call('GET', `${environments(org)}/${created.body.id}`, { key: adminKey });

    // Assess
    expect(created.status, created.raw).toBe(201);
    expect(created.body).toEqual({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      task_ref: `${org}/web-sqli@1.2.0`,
      state: 'building',
      created_at: expect.any(String),
      expires_at: expect.any(String),
      project_id: 'default',
      // The template uses {{ web_url }}, which is known only once the environment is ready.
      instruction: null,
      service_urls: null,
      execute_token: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
      task_verification: { method: 'flag', path: '/tmp/flag.txt', value: sha256('FLAG{demo}') },
      error: null,
      verification: null,
    });
    expect(secondsBetween(created.body.created_at, created.body.expires_at)).toBe(900);
    expect(read.status, read.raw).toBe(200);
    expect(read.body).toEqual({ ...created.body, execute_token: null });
  });

  it('lists newest first, filters by repeated state and by project, and pages', async () => {
    // Prepare: building (alpha), torn_down (alpha), failed (beta), created in that order.
    const { org, adminKey } = await seedWithTask();
    const create = async (projectId: string) =>
      api.call('POST', environments(org, 'lists'), {
        key: adminKey,
        body: { task_ref: 'web-sqli', project_id: projectId },
      });
    const building = await create('alpha');
    const tornDown = await create('alpha');
    aws.ecs.on(RunTaskCommand).resolves({ tasks: [], failures: [{ reason: 'RESOURCE:MEMORY' }] });
    const refused = await create('beta');
    const deleted = await api.call('DELETE', `${environments(org, 'lists')}/${tornDown.body.id}`, {
      key: adminKey,
    });
    expect([building.status, tornDown.status, refused.status, deleted.status]).toEqual([201, 201, 502, 200]);
    const list = (query: Record<string, string | string[]>) =>
      api.call('GET', environments(org, 'lists'), { key: adminKey, query });

    // Act
    const all = await list({});
    const byStates = await list({ state: ['building', 'failed'] });
    const byProject = await list({ project_id: 'alpha' });
    const page1 = await list({ limit: '2' });
    const page2 = await list({ limit: '2', page: '2' });

    // Assess
    expect(all.status, all.raw).toBe(200);
    const failedId = all.body.environments[0].id;
    expect(all.body.environments.map((e: { id: string; state: string }) => [e.id, e.state])).toEqual([
      [failedId, 'failed'],
      [tornDown.body.id, 'torn_down'],
      [building.body.id, 'building'],
    ]);
    expect(all.body.environments.every((e: { execute_token: unknown }) => e.execute_token === null)).toBe(
      true,
    );
    expect(all.body).toMatchObject({
      page: 1,
      limit: 50,
      total: 3,
      total_pages: 1,
      has_next: false,
      has_previous: false,
    });
    expect(byStates.body.environments.map((e: { id: string }) => e.id)).toEqual([failedId, building.body.id]);
    expect(byStates.body.total).toBe(2);
    expect(byProject.body.environments.map((e: { id: string }) => e.id)).toEqual([
      tornDown.body.id,
      building.body.id,
    ]);
    expect(page1.body.environments.map((e: { id: string }) => e.id)).toEqual([failedId, tornDown.body.id]);
    expect(page1.body).toMatchObject({
      page: 1,
      limit: 2,
      total: 3,
      total_pages: 2,
      has_next: true,
      has_previous: false,
    });
    expect(page2.body.environments.map((e: { id: string }) => e.id)).toEqual([building.body.id]);
    expect(page2.body).toMatchObject({
      page: 2,
      limit: 2,
      total: 3,
      total_pages: 2,
      has_next: false,
      has_previous: true,
    });
  });

  it.each(['0', '201'])('answers 422 for limit=%s', async (limit) => {
    const { org, adminKey } = await api.seedOrg();

    const reply = await api.call('GET', environments(org), { key: adminKey, query: { limit } });

    expectError(reply, 422, 'validation_error');
    expect(reply.body.errors.map((e: { loc: unknown }) => e.loc)).toEqual([['query', 'limit']]);
  });

  it('gets one environment, and answers 404 for an unknown id', async () => {
    const { org, adminKey } = await seedWithTask();
    const created = await api.call('POST', environments(org), {
      key: adminKey,
      body: { task_ref: 'web-sqli' },
    });
    const unknownId = randomUUID();

    const found = await api.call('GET', `${environments(org)}/${created.body.id}`, { key: adminKey });
    const missing = await api.call('GET', `${environments(org)}/${unknownId}`, { key: adminKey });
    const missingStatus = await api.call('GET', `${environments(org)}/${unknownId}/status`, {
      key: adminKey,
    });

    expect(found.status, found.raw).toBe(200);
    expect(found.body.id).toBe(created.body.id);
    expectError(missing, 404, 'not_found_error');
    expect(missing.body.detail).toBe(`Environment '${unknownId}' not found`);
    expectError(missingStatus, 404, 'not_found_error');
  });

  it('answers the status snapshot with exactly id, state, expires_at, error and service_urls', async () => {
    const { org, adminKey } = await seedWithTask();
    const created = await api.call('POST', environments(org), {
      key: adminKey,
      body: { task_ref: 'web-sqli' },
    });

    const status = await api.call('GET', `${environments(org)}/${created.body.id}/status`, { key: adminKey });

    expect(status.status, status.raw).toBe(200);
    expect(status.body).toStrictEqual({
      id: created.body.id,
      state: 'building',
      expires_at: created.body.expires_at,
      error: null,
      service_urls: null,
    });
  });

  it('tears down on DELETE, answers a second DELETE the same, and stops the task once', async () => {
    // Prepare
    const { org, adminKey } = await seedWithTask();
    const created = await api.call('POST', environments(org), {
      key: adminKey,
      body: { task_ref: 'web-sqli' },
    });
    const taskArn = (await api.stores.store.get(created.body.id))?.taskArn;
    const url = `${environments(org)}/${created.body.id}`;

    // Act
    const first = await api.call('DELETE', url, { key: adminKey });
    const second = await api.call('DELETE', url, { key: adminKey });
    const read = await api.call('GET', url, { key: adminKey });

    // Assess
    expect(first.status, first.raw).toBe(200);
    expect(first.body).toMatchObject({ id: created.body.id, state: 'torn_down', execute_token: null });
    expect(second.status, second.raw).toBe(200);
    expect(second.body).toEqual(first.body);
    expect(read.body.state).toBe('torn_down');
    const stops = aws.ecs.commandCalls(StopTaskCommand);
    expect(stops).toHaveLength(1);
    expect(stops[0]?.args[0].input).toEqual({
      cluster: AWS.clusterArn,
      task: taskArn,
      reason: expect.any(String),
    });
    expect(stops[0]?.args[0].input.reason).toContain('deleted');
  });

  it('extends expires_at on keepalive, caps it at the org maximum lifetime, and refuses 59 s', async () => {
    // Prepare: org maximum 1200 s; the environment starts with 600 s.
    const { org, adminKey } = await seedWithTask({ maxLifetimeSec: 1200 });
    const created = await api.call('POST', environments(org), {
      key: adminKey,
      body: { task_ref: 'web-sqli', timeout_sec: 600 },
    });
    const url = `${environments(org)}/${created.body.id}/keepalive`;

    // Act
    const extended = await api.call('POST', url, { key: adminKey, body: { extend_seconds: 300 } });
    const capped = await api.call('POST', url, { key: adminKey, body: { extend_seconds: 3600 } });
    const tooShort = await api.call('POST', url, { key: adminKey, body: { extend_seconds: 59 } });
    const read = await api.call('GET', `${environments(org)}/${created.body.id}`, { key: adminKey });

    // Assess
    expect(extended.status, extended.raw).toBe(200);
    expect(extended.body).toStrictEqual({ id: created.body.id, expires_at: expect.any(String) });
    expect(secondsBetween(created.body.created_at, extended.body.expires_at)).toBe(900);
    expect(capped.status, capped.raw).toBe(200);
    expect(secondsBetween(created.body.created_at, capped.body.expires_at)).toBe(1200);
    expect(read.body.expires_at).toBe(capped.body.expires_at);
    expectError(tooShort, 422, 'validation_error');
    expect(tooShort.body.errors.map((e: { loc: unknown }) => e.loc)).toEqual([['body', 'extend_seconds']]);
    // The scheduled stop moved with every accepted keepalive (after the one of the create).
    const schedules = aws.scheduler.commandCalls(CreateScheduleCommand).map((c) => c.args[0].input);
    expect(schedules).toHaveLength(3);
    const at = (iso: string) =>
      `at(${new Date(Math.ceil(Date.parse(iso) / 1000) * 1000).toISOString().slice(0, 19)})`;
    expect(schedules[2]?.ScheduleExpression).toBe(at(capped.body.expires_at));
  });
});

describe('tasks', () => {
  it('publishes 201, refuses a duplicate version with 409, lists, and reads latest and one version', async () => {
    // Prepare
    const { org, adminKey } = await api.seedOrg();

    // Act
    const published = await api.call('POST', tasks(org), { key: adminKey, body: manifest() });
    const duplicate = await api.call('POST', tasks(org), { key: adminKey, body: manifest() });
    const newer = await api.call('POST', tasks(org), {
      key: adminKey,
      body: manifest({ version: '1.10.0' }),
    });
    const list = await api.call('GET', tasks(org), { key: adminKey });
    const latest = await api.call('GET', `${tasks(org)}/web-sqli`, { key: adminKey });
    const exact = await api.call('GET', `${tasks(org)}/web-sqli@1.2.0`, { key: adminKey });
    const unknown = await api.call('GET', `${tasks(org)}/no-such-task`, { key: adminKey });
    const unknownVersion = await api.call('GET', `${tasks(org)}/web-sqli@9.9.9`, { key: adminKey });

    // Assess
    expect(published.status, published.raw).toBe(201);
    expect(published.body).toMatchObject({
      task_ref: `${org}/web-sqli@1.2.0`,
      org,
      name: 'web-sqli',
      version: '1.2.0',
      public: false,
      description: 'SQL injection login bypass',
    });
    // The verification answer never leaves the service.
    expect(published.raw).not.toContain('FLAG{demo}');
    expectError(duplicate, 409, 'already_exists_error');
    // Versions are immutable: the duplicate registered no task definition revision.
    expect(aws.ecs.commandCalls(RegisterTaskDefinitionCommand)).toHaveLength(2);
    expect(newer.status, newer.raw).toBe(201);
    expect(list.status, list.raw).toBe(200);
    expect(list.body.tasks.filter((t: { org: string }) => t.org === org)).toEqual([
      {
        task_ref: `${org}/web-sqli@1.10.0`,
        org,
        name: 'web-sqli',
        latest_version: '1.10.0',
        public: false,
        description: 'SQL injection login bypass',
      },
    ]);
    expect(latest.status, latest.raw).toBe(200);
    expect(latest.body.version).toBe('1.10.0');
    expect(exact.status, exact.raw).toBe(200);
    expect(exact.body.task_ref).toBe(`${org}/web-sqli@1.2.0`);
    expectError(unknown, 404, 'not_found_error');
    expectError(unknownVersion, 404, 'not_found_error');
  });
});

describe('secrets', () => {
  it('puts (200, no value), lists (never values), deletes (204) and then answers 404', async () => {
    // Prepare
    const { org, adminKey } = await api.seedOrg();
    const value = 'sk-live-route-test-4f2a9c';
    const other = 'other-plaintext-value-7781';

    // Act
    const put = await api.call('PUT', `${secrets(org)}/api-token`, { key: adminKey, body: { value } });
    const putNamed = await api.call('PUT', `${secrets(org)}/db`, {
      key: adminKey,
      body: { value: other, env_var: 'DATABASE_PASSWORD' },
    });
    const list = await api.call('GET', secrets(org), { key: adminKey });
    const removed = await api.call('DELETE', `${secrets(org)}/api-token`, { key: adminKey });
    const again = await api.call('DELETE', `${secrets(org)}/api-token`, { key: adminKey });
    const after = await api.call('GET', secrets(org), { key: adminKey });

    // Assess
    expect(put.status, put.raw).toBe(200);
    expect(put.body).toStrictEqual({
      id: 'api-token',
      env_var: 'API_TOKEN',
      preview: '****2a9c',
      created_at: expect.any(String),
      updated_at: expect.any(String),
    });
    expect(put.raw).not.toContain(value);
    expect(putNamed.status, putNamed.raw).toBe(200);
    expect(putNamed.body.env_var).toBe('DATABASE_PASSWORD');
    expect(list.status, list.raw).toBe(200);
    expect(list.body.secrets.map((s: { id: string; env_var: string }) => [s.id, s.env_var])).toEqual([
      ['api-token', 'API_TOKEN'],
      ['db', 'DATABASE_PASSWORD'],
    ]);
    for (const secret of list.body.secrets) {
      expect(Object.keys(secret).sort()).toEqual(['created_at', 'env_var', 'id', 'preview', 'updated_at']);
    }
    expect(list.raw).not.toContain(value);
    expect(list.raw).not.toContain(other);
    expect(removed.status, removed.raw).toBe(204);
    expect(removed.raw).toBe('');
    expectError(again, 404, 'not_found_error');
    expect(again.body.detail).toBe("Secret 'api-token' not found");
    expect(after.body.secrets.map((s: { id: string }) => s.id)).toEqual(['db']);
  });
});

describe('gateway and public routes', () => {
  it.each([
    ['GET', '/api/v1/nothing-here'],
    ['GET', '/'],
    ['PATCH', '/api/v1/org/some-org/ws/default/environments'],
  ])('answers %s %s with the 404 envelope', async (method, path) => {
    const { adminKey } = await api.seedOrg();

    const reply = await api.call(method, path, { key: adminKey });

    expectError(reply, 404, 'not_found_error');
  });

  it('serves /healthz without auth', async () => {
    const reply = await api.call('GET', '/healthz');

    expect(reply.status, reply.raw).toBe(200);
    expect(reply.body).toEqual({ status: 'ok', version: '0.0.0-test', dynamodb: 'ok' });
  });

  it('serves the OpenAPI document without auth', async () => {
    const reply = await api.call('GET', '/api/v1/openapi.json');

    expect(reply.status, reply.raw).toBe(200);
    expect(reply.body.openapi).toMatch(/^3\./);
    expect(Object.keys(reply.body.paths)).toContain('/api/v1/org/{org}/ws/{workspace}/environments');
  });
});

describe("the seed's curl example", () => {
  const literalBody =
    '{"inputs":{},"project_id":"example","secret_ids":["example"],"task_ref":"example","timeout_sec":1}';

  it('answers 404 for the unknown task, then 201 once the task and the secret exist', async () => {
    // Prepare
    const { org, adminKey } = await api.seedOrg();
    const url = environments(org, 'example');
    const send = () =>
      api.call('POST', url, {
        key: adminKey,
        rawBody: literalBody,
        headers: { 'Content-Type': 'application/json' },
      });

    // Act
    const before = await send();
    const published = await api.call('POST', tasks(org), {
      key: adminKey,
      body: manifest({ name: 'example', version: '1.0.0' }),
    });
    const secret = await api.call('PUT', `${secrets(org, 'example')}/example`, {
      key: adminKey,
      body: { value: 'example-secret-value' },
    });
    const after = await send();

    // Assess
    expectError(before, 404, 'not_found_error');
    expect(before.body.detail).toBe("Task 'example' not found");
    expect(published.status, published.raw).toBe(201);
    expect(secret.status, secret.raw).toBe(200);
    expect(after.status, after.raw).toBe(201);
    expect(after.body).toMatchObject({
      task_ref: `${org}/example@1.0.0`,
      state: 'building',
      project_id: 'example',
      execute_token: expect.any(String),
    });
    // timeout_sec 1 is honoured as it is (it is below every cap).
    expect(secondsBetween(after.body.created_at, after.body.expires_at)).toBe(1);
    expect(aws.ecs.commandCalls(RunTaskCommand)).toHaveLength(1);
  });
});
