/**
 * Quotas, size and shape limits, client version and lifetime clamps: each answered with its
 * own 4xx envelope, never a 500.
 */
import { RunTaskCommand } from '@aws-sdk/client-ecs';
import { beforeEach, describe, expect, it } from 'vitest';
import { createApiHarness, createAwsMocks, expectError, MIN_CLIENT_VERSION } from '#test/support/api-harness';

const aws = createAwsMocks();
const api = createApiHarness();
beforeEach(() => aws.reset());

const environments = (org: string) => `/api/v1/org/${org}/ws/default/environments`;
const json = { 'Content-Type': 'application/json' };

const seedWithTask = api.seedWithTask;

describe('quota', () => {
  it('answers 429 rate_limit_error with Retry-After once the org runs its limit', async () => {
    // Prepare
    const { org, adminKey } = await seedWithTask({ maxConcurrentEnvironments: 2 });
    const create = () =>
      api.call('POST', environments(org), { key: adminKey, body: { task_ref: 'web-sqli' } });
    const first = await create();
    const second = await create();

    // Act
    const third = await create();

    // Assess
    expect([first.status, second.status]).toEqual([201, 201]);
    expectError(third, 429, 'rate_limit_error');
    expect(third.headers['retry-after']).toMatch(/^[1-9]\d*$/);
    expect(aws.ecs.commandCalls(RunTaskCommand)).toHaveLength(2);
    const list = await api.call('GET', environments(org), { key: adminKey });
    expect(list.body.total).toBe(2);
  });

  it('frees a unit when an environment is deleted', async () => {
    const { org, adminKey } = await seedWithTask({ maxConcurrentEnvironments: 1 });
    const create = () =>
      api.call('POST', environments(org), { key: adminKey, body: { task_ref: 'web-sqli' } });
    const first = await create();
    expectError(await create(), 429, 'rate_limit_error');

    await api.call('DELETE', `${environments(org)}/${first.body.id}`, { key: adminKey });
    const again = await create();

    expect(again.status, again.raw).toBe(201);
  });
});

describe('request bodies', () => {
  it('answers 400 invalid_request_error for a body over 256 KiB', async () => {
    const { org, adminKey } = await seedWithTask();
    const rawBody = JSON.stringify({ task_ref: 'web-sqli', inputs: { user: 'x'.repeat(256 * 1024) } });

    const create = await api.call('POST', environments(org), { key: adminKey, rawBody, headers: json });
    const secret = await api.call('PUT', `/api/v1/org/${org}/ws/default/secrets/big`, {
      key: adminKey,
      rawBody: JSON.stringify({ value: 'y'.repeat(257 * 1024) }),
      headers: json,
    });

    for (const reply of [create, secret]) {
      expectError(reply, 400, 'invalid_request_error');
      expect(reply.body.detail).toBe('Request body is larger than 256 KiB');
    }
    expect(aws.ecs.commandCalls(RunTaskCommand)).toHaveLength(0);
  });

  it('answers 400 for malformed JSON', async () => {
    const { org, adminKey } = await seedWithTask();

    const reply = await api.call('POST', environments(org), {
      key: adminKey,
      rawBody: '{"task_ref": "web-sqli",',
      headers: json,
    });

    expectError(reply, 400, 'invalid_request_error');
    expect(reply.body.detail).toBe('Request body is not valid JSON');
  });

  it('answers 400 for a content type other than JSON', async () => {
    const { org, adminKey } = await seedWithTask();

    const reply = await api.call('POST', environments(org), {
      key: adminKey,
      rawBody: JSON.stringify({ task_ref: 'web-sqli' }),
      headers: { 'Content-Type': 'text/plain' },
    });

    expectError(reply, 400, 'invalid_request_error');
    expect(reply.body.detail).toBe('Content-Type must be application/json');
  });

  it('answers 422 locating an unknown body field', async () => {
    const { org, adminKey } = await seedWithTask();

    const reply = await api.call('POST', environments(org), {
      key: adminKey,
      body: { task_ref: 'web-sqli', colour: 'blue' },
    });

    expectError(reply, 422, 'validation_error');
    expect(reply.body.detail).toBe('Request validation failed');
    expect(reply.body.errors).toEqual([
      { loc: ['body', 'colour'], msg: 'Unknown field', type: 'unrecognized_keys' },
    ]);
  });

  it('answers 422 Expected integer for timeout_sec "abc"', async () => {
    const { org, adminKey } = await seedWithTask();

    const reply = await api.call('POST', environments(org), {
      key: adminKey,
      body: { task_ref: 'web-sqli', timeout_sec: 'abc' },
    });

    expectError(reply, 422, 'validation_error');
    expect(reply.body.errors).toEqual([
      { loc: ['body', 'timeout_sec'], msg: 'Expected integer', type: 'invalid_type' },
    ]);
  });

  it('answers 422 locating an input the task does not declare', async () => {
    const { org, adminKey } = await seedWithTask();

    const reply = await api.call('POST', environments(org), {
      key: adminKey,
      body: { task_ref: 'web-sqli', inputs: { x: 1 } },
    });

    expectError(reply, 422, 'validation_error');
    expect(reply.body.errors).toEqual([
      {
        loc: ['body', 'inputs', 'x'],
        msg: 'Unknown input: the task does not declare it',
        type: 'unknown_input',
      },
    ]);
    expect(aws.ecs.commandCalls(RunTaskCommand)).toHaveLength(0);
  });
});

describe('client version', () => {
  it(`answers 426 below the minimum ${MIN_CLIENT_VERSION} and lets 1.2.0 through`, async () => {
    // Prepare
    const { org, adminKey } = await seedWithTask();
    const create = (version: string) =>
      api.call('POST', environments(org), {
        key: adminKey,
        body: { task_ref: 'web-sqli' },
        headers: { 'X-Taskenv-Client-Version': version },
      });

    // Act
    const old = await create('0.9.0');
    const oldRead = await api.call('GET', environments(org), {
      key: adminKey,
      headers: { 'X-Taskenv-Client-Version': '0.9.0' },
    });
    const current = await create('1.2.0');

    // Assess
    for (const reply of [old, oldRead]) {
      expectError(reply, 426, 'upgrade_required_error');
      expect(reply.body.detail).toContain(MIN_CLIENT_VERSION);
    }
    expect(current.status, current.raw).toBe(201);
    expect(aws.ecs.commandCalls(RunTaskCommand)).toHaveLength(1);
  });

  it.each([
    [MIN_CLIENT_VERSION, 200],
    ['1.0', 200],
    ['1.0.1', 200],
    ['0.99.99', 426],
  ])('answers a client at version %s with %i (the minimum is 1.0.0)', async (version, status) => {
    // Prepare
    const { org, adminKey } = await seedWithTask();

    // Act
    const reply = await api.call('GET', environments(org), {
      key: adminKey,
      headers: { 'X-Taskenv-Client-Version': version },
    });

    // Assess
    if (status === 426) expectError(reply, 426, 'upgrade_required_error');
    else expect(reply.status, reply.raw).toBe(200);
  });
});

describe('lifetime', () => {
  it.each([
    ['the org maximum when it is below the task maximum', 1800, 1800],
    ['the task maximum when it is below the org maximum', 7200, 3600],
  ])('clamps timeout_sec 999999 to %s', async (_, orgMaxSec, expectedSec) => {
    // Prepare (the task allows at most 3600 s)
    const { org, adminKey } = await seedWithTask({ maxLifetimeSec: orgMaxSec });

    // Act
    const created = await api.call('POST', environments(org), {
      key: adminKey,
      body: { task_ref: 'web-sqli', timeout_sec: 999_999 },
    });

    // Assess
    expect(created.status, created.raw).toBe(201);
    const lifetimeMs = Date.parse(created.body.expires_at) - Date.parse(created.body.created_at);
    expect(lifetimeMs).toBe(expectedSec * 1000);
  });
});
