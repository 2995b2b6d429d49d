/**
 * One environment per Idempotency-Key, also across a crash (`docs/api.md`, "Idempotency-Key"): the
 * deployed create handler with Powertools' idempotency on DynamoDB Local. The first request is
 * killed right after its record commits (its store call never returns, as a Lambda that dies
 * there; its in-progress idempotency record expires with its invocation), then the client
 * retries with the same key: the retry finds the recorded environment by its derived id and
 * answers it with the same execute token, and only the reconciler launches it, once.
 */
import { DescribeTasksCommand, ListTasksCommand, RunTaskCommand } from '@aws-sdk/client-ecs';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { beforeEach, expect, it, vi } from 'vitest';
import type { EnvironmentRecord } from '#domain/environment';
import { environmentIdForKey } from '#domain/environment-id';
import { createGateway, lambdaContext } from '#local/gateway';
import type { EnvironmentStore } from '#ports/environment-store';
import { createApiHarness, createAwsMocks, manifest } from '#test/support/api-harness';

const aws = createAwsMocks();
beforeEach(() => {
  aws.reset();
  // The reconciler's orphan and stuck-launch checks: no task runs yet.
  aws.ecs.on(ListTasksCommand).resolves({ taskArns: [] });
  aws.ecs.on(DescribeTasksCommand).resolves({ tasks: [], failures: [] });
});

/** Orgs whose first create dies after its record; the reconciler below sees only the test's org. */
let dying: { org: string; died: boolean } = { org: '', died: false };

const api = createApiHarness({
  decorate: (adapters) => ({ ...adapters, store: crashingAfterRecord(adapters.store) }),
  // Relaunch at once: the crashed create is not a launch still in flight.
  reconcile: { launchDeadlineSec: 600, maxLaunchAttempts: 3, graceSec: 0 },
});

function crashingAfterRecord(store: EnvironmentStore): EnvironmentStore {
  return {
    create: async (record: EnvironmentRecord, quota) => {
      await store.create(record, quota);
      if (record.org === dying.org && !dying.died) {
        dying.died = true;
        // The process is gone: nothing after the commit ever runs.
        return new Promise<never>(() => undefined);
      }
    },
    get: (id) => store.get(id),
    list: (query) => store.list(query),
    transition: (id, change, options) => store.transition(id, change, options),
    update: (id, set, options) => store.update(id, set, options),
    recordEvent: (id, event) => store.recordEvent(id, event),
    // Other test files share the table: reconcile this test's org only.
    listLive: async () => (await store.listLive()).filter((e) => e.org === dying.org),
  };
}

/**
 * The request that dies runs with a 300 ms budget, so its in-progress idempotency record expires
 * quickly (as a dead Lambda's does at its timeout); the retries get the usual 30 s.
 */
let budgetMs = 30_000;
const gateway = createGateway({
  authorizer: api.handlers.authorizer,
  handlers: {
    ...api.handlers.http,
    'environments-create': (event: APIGatewayProxyEvent) =>
      api.handlers.http['environments-create'](event, lambdaContext('environments-create', budgetMs)),
  },
});

const post = async (org: string, key: string, idempotencyKey: string, body: unknown) => {
  const response = await gateway.handle({
    method: 'POST',
    path: `/api/v1/org/${org}/ws/default/environments`,
    headers: {
      authorization: `Bearer ${key}`,
      'content-type': 'application/json',
      'idempotency-key': idempotencyKey,
    },
    body: JSON.stringify(body),
  });
  return { status: response.statusCode, headers: response.headers, body: JSON.parse(response.body) };
};

it('answers a retry after a crash with the recorded environment and its token, and launches it once', async () => {
  // Prepare
  const { org, adminKey } = await api.seedOrg();
  const published = await api.call('POST', `/api/v1/org/${org}/tasks`, { key: adminKey, body: manifest() });
  expect(published.status).toBe(201);
  dying = { org, died: false };
  const key = 'retry-after-crash';
  const body = { task_ref: 'web-sqli', inputs: { user: 'carol' } };
  const id = environmentIdForKey(org, 'default', key);

  // Act: the first request dies after its record committed.
  budgetMs = 300;
  void post(org, adminKey, key, body);
  await vi.waitFor(() => expect(dying.died).toBe(true), { timeout: 5_000 });
  budgetMs = 30_000;
  expect(await api.stores.store.get(id)).not.toBeNull();
  await new Promise((r) => setTimeout(r, 400));
  const retry = await post(org, adminKey, key, body);
  const summary = await api.handlers.reconciler({}, lambdaContext('reconciler', 60_000));
  const again = await post(org, adminKey, key, body);

  // Assess: the one environment, its token, one launch (the reconciler's).
  expect(retry.status, JSON.stringify(retry.body)).toBe(201);
  expect(retry.body.id).toBe(id);
  expect(retry.body.state).toBe('building');
  // The sandbox's env file, written once by the first request, holds the token the retry answered.
  const envFiles = aws.s3.commandCalls(PutObjectCommand).map((c) => String(c.args[0].input.Body));
  expect(envFiles).toHaveLength(1);
  expect(envFiles[0]).toContain(`TASKENV_EXECUTE_TOKEN=${retry.body.execute_token}`);
  expect(again.status).toBe(201);
  expect(again.body).toEqual(retry.body);
  expect(summary.relaunched).toBe(1);
  const launches = aws.ecs.commandCalls(RunTaskCommand).map((c) => c.args[0].input);
  expect(launches).toHaveLength(1);
  expect(launches[0]).toMatchObject({ clientToken: id, startedBy: id });
  const list = await api.call('GET', `/api/v1/org/${org}/ws/default/environments`, { key: adminKey });
  expect(list.body.total).toBe(1);
  expect(list.body.environments[0].id).toBe(id);
});

it('answers 201 with the environment when the record committed but the write then failed', async () => {
  // Prepare: a store whose create commits and then throws (a timeout after the commit).
  const { org, adminKey } = await api.seedOrg();
  await api.call('POST', `/api/v1/org/${org}/tasks`, { key: adminKey, body: manifest() });
  const failing = createApiHarness({
    decorate: (adapters) => ({
      ...adapters,
      store: {
        ...crashingAfterRecord(adapters.store),
        create: async (record, quota) => {
          await adapters.store.create(record, quota);
          throw new Error('socket hang up after the commit');
        },
      },
    }),
  });

  // Act
  const created = await failing.call('POST', `/api/v1/org/${org}/ws/default/environments`, {
    key: adminKey,
    body: { task_ref: 'web-sqli' },
  });

  // Assess
  expect(created.status, created.raw).toBe(201);
  expect(created.body.state).toBe('building');
  expect(await api.stores.store.get(created.body.id)).toMatchObject({ id: created.body.id, org });
  // The launch is the reconciler's: the request did not go on after a write it could not confirm.
  expect(aws.ecs.commandCalls(RunTaskCommand)).toHaveLength(0);
});
