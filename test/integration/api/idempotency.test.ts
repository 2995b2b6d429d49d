/**
 * `Idempotency-Key` on POST environments: one environment and one launch per key and body.
 */
import { randomUUID } from 'node:crypto';
import { RunTaskCommand } from '@aws-sdk/client-ecs';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { beforeEach, expect, it } from 'vitest';
import { createApiHarness, createAwsMocks, expectError } from '#test/support/api-harness';

const aws = createAwsMocks();
const api = createApiHarness();
beforeEach(() => aws.reset());

const environments = (org: string) => `/api/v1/org/${org}/ws/default/environments`;

const seedWithTask = () => api.seedWithTask();

it('replays the first response for the same key and body, execute token included, without a second launch', async () => {
  // Prepare
  const { org, adminKey } = await seedWithTask();
  const key = randomUUID();
  const send = () =>
    api.call('POST', environments(org), {
      key: adminKey,
      body: { task_ref: 'web-sqli', inputs: { user: 'carol' } },
      headers: { 'Idempotency-Key': key },
    });

  // Act
  const first = await send();
  const second = await send();

  // Assess
  expect(first.status, first.raw).toBe(201);
  expect(first.body.execute_token).toEqual(expect.any(String));
  expect(first.headers['idempotent-replayed']).toBeUndefined();
  expect(second.status, second.raw).toBe(201);
  expect(second.headers['idempotent-replayed']).toBe('true');
  expect(second.body).toEqual(first.body);
  // The token is derived, not stored: it is the one the sandbox was given, and no record holds it.
  const envFile = aws.s3.commandCalls(PutObjectCommand)[0]?.args[0].input.Body;
  expect(String(envFile)).toContain(`TASKENV_EXECUTE_TOKEN=${first.body.execute_token}`);
  expect(JSON.stringify(await api.stores.store.get(first.body.id))).not.toContain(first.body.execute_token);
  expect(aws.ecs.commandCalls(RunTaskCommand)).toHaveLength(1);
  const list = await api.call('GET', environments(org), { key: adminKey });
  expect(list.body.total).toBe(1);
});

it('answers 409 already_exists_error for the same key with another body', async () => {
  // Prepare
  const { org, adminKey } = await seedWithTask();
  const key = randomUUID();
  const first = await api.call('POST', environments(org), {
    key: adminKey,
    body: { task_ref: 'web-sqli', project_id: 'one' },
    headers: { 'Idempotency-Key': key },
  });
  expect(first.status, first.raw).toBe(201);

  // Act
  const other = await api.call('POST', environments(org), {
    key: adminKey,
    body: { task_ref: 'web-sqli', project_id: 'two' },
    headers: { 'Idempotency-Key': key },
  });

  // Assess
  expectError(other, 409, 'already_exists_error');
  expect(aws.ecs.commandCalls(RunTaskCommand)).toHaveLength(1);
});

it('gives 25 concurrent identical requests one environment and one launch', async () => {
  // Prepare
  const { org, adminKey } = await seedWithTask();
  const key = randomUUID();

  // Act
  const replies = await Promise.all(
    Array.from({ length: 25 }, () =>
      api.call('POST', environments(org), {
        key: adminKey,
        body: { task_ref: 'web-sqli' },
        headers: { 'Idempotency-Key': key },
      }),
    ),
  );

  // Assess
  expect(replies.map((r) => r.status)).toEqual(Array(25).fill(201));
  expect(new Set(replies.map((r) => r.body.id)).size).toBe(1);
  // Every reply, the first 201 and each replay, carries the one token of that environment.
  expect(new Set(replies.map((r) => r.body.execute_token))).toEqual(
    new Set([replies[0]?.body.execute_token]),
  );
  expect(replies[0]?.body.execute_token).toEqual(expect.any(String));
  expect(replies.filter((r) => r.headers['idempotent-replayed'] === undefined)).toHaveLength(1);
  expect(aws.ecs.commandCalls(RunTaskCommand)).toHaveLength(1);
  const list = await api.call('GET', environments(org), { key: adminKey });
  expect(list.body.total).toBe(1);
});

it('keeps keys of different workspaces apart', async () => {
  const { org, adminKey } = await seedWithTask();
  const key = randomUUID();
  const send = (ws: string) =>
    api.call('POST', `/api/v1/org/${org}/ws/${ws}/environments`, {
      key: adminKey,
      body: { task_ref: 'web-sqli' },
      headers: { 'Idempotency-Key': key },
    });

  const one = await send('ws-one');
  const two = await send('ws-two');

  expect([one.status, two.status]).toEqual([201, 201]);
  expect(one.body.id).not.toBe(two.body.id);
  expect(aws.ecs.commandCalls(RunTaskCommand)).toHaveLength(2);
});

it('answers 422 for a key of 256 characters and accepts one of 255', async () => {
  const { org, adminKey } = await seedWithTask();
  const send = (key: string) =>
    api.call('POST', environments(org), {
      key: adminKey,
      body: { task_ref: 'web-sqli' },
      headers: { 'Idempotency-Key': key },
    });

  const tooLong = await send('k'.repeat(256));
  const longest = await send(`${randomUUID()}${'k'.repeat(219)}`);

  expectError(tooLong, 422, 'validation_error');
  expect(tooLong.body.errors.map((e: { loc: unknown }) => e.loc)).toEqual([['header', 'idempotency-key']]);
  expect(longest.status, longest.raw).toBe(201);
  expect(aws.ecs.commandCalls(RunTaskCommand)).toHaveLength(1);
});

it('answers a retry of a create the platform refused with the same 502, and launches nothing new', async () => {
  // Prepare
  const { org, adminKey } = await seedWithTask();
  aws.ecs.on(RunTaskCommand).resolves({ tasks: [], failures: [{ reason: 'CannotPullContainerError' }] });
  const key = randomUUID();
  const send = () =>
    api.call('POST', environments(org), {
      key: adminKey,
      body: { task_ref: 'web-sqli' },
      headers: { 'Idempotency-Key': key },
    });

  // Act
  const first = await send();
  const retry = await send();

  // Assess
  expectError(first, 502, 'bad_gateway_error');
  expect(retry.body).toEqual(first.body);
  expect(aws.ecs.commandCalls(RunTaskCommand)).toHaveLength(1);
  const list = await api.call('GET', environments(org), { key: adminKey });
  expect(list.body.total).toBe(1);
  expect(list.body.environments[0].state).toBe('failed');
});
