/**
 * Secrets a sandbox cannot take (issue 11): values with control characters, names that steer
 * execution, names that collide. Each is a 422 at PUT or at create, never a 500, and no answer
 * or record ever carries the value.
 */

import { RunTaskCommand } from '@aws-sdk/client-ecs';
import { PutObjectCommand, type PutObjectCommandInput } from '@aws-sdk/client-s3';
import { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { beforeEach, describe, expect, it } from 'vitest';
import { createApiHarness, createAwsMocks, expectError } from '#test/support/api-harness';

const aws = createAwsMocks();
const api = createApiHarness();
beforeEach(() => aws.reset());

const secretsPath = (org: string) => `/api/v1/org/${org}/ws/default/secrets`;
const environments = (org: string) => `/api/v1/org/${org}/ws/default/environments`;

const seedWithTask = (fields: Record<string, unknown> = {}) => api.seedWithTask({ manifest: fields });

describe('PUT secret', () => {
  it.each([
    ['a CR/LF', 'line-one\r\nline-two'],
    ['an LF', 'line-one\nline-two'],
    ['a NUL byte', 'sk-live-\u0000-4242'],
    ['a tab', 'sk\tlive'],
    ['a DEL', 'sk\u007flive'],
  ])('refuses a value with %s with a 422 at body.value that does not echo it', async (_, value) => {
    // Prepare
    const { org, adminKey } = await api.seedOrg();

    // Act
    const reply = await api.call('PUT', `${secretsPath(org)}/api-token`, { key: adminKey, body: { value } });

    // Assess
    expectError(reply, 422, 'validation_error');
    expect(reply.body.errors.map((e: { loc: unknown }) => e.loc)).toEqual([['body', 'value']]);
    expect(reply.raw).not.toContain(value.slice(3, 8));
    const list = await api.call('GET', secretsPath(org), { key: adminKey });
    expect(list.body.secrets).toEqual([]);
  });

  it.each([
    'PATH',
    'HOME',
    'LD_PRELOAD',
    'LD_LIBRARY_PATH',
    'NODE_OPTIONS',
    'PYTHONPATH',
    'PYTHONSTARTUP',
    'BASH_ENV',
    'ENV',
    'GLIBC_TUNABLES',
    'JAVA_TOOL_OPTIONS',
    'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI',
    'TASKENV_EXECUTE_TOKEN',
  ])('refuses env_var %s with a 422 at body.env_var', async (envVar) => {
    const { org, adminKey } = await api.seedOrg();

    const reply = await api.call('PUT', `${secretsPath(org)}/token`, {
      key: adminKey,
      body: { value: 'sk-1234567890', env_var: envVar },
    });

    expectError(reply, 422, 'validation_error');
    expect(reply.body.errors[0].loc).toEqual(['body', 'env_var']);
    expect(reply.body.errors[0].msg).toContain(
      envVar.startsWith('TASKENV_') ? 'TASKENV_' : envVar.slice(0, 2),
    );
  });

  it('refuses an id whose default env_var steers execution (path → PATH), at path.secret_id', async () => {
    const { org, adminKey } = await api.seedOrg();

    const reply = await api.call('PUT', `${secretsPath(org)}/path`, { key: adminKey, body: { value: 'x' } });

    expectError(reply, 422, 'validation_error');
    expect(reply.body.errors[0].loc).toEqual(['path', 'secret_id']);
    expect(reply.body.errors[0].msg).toContain("'PATH'");
  });

  it('still takes an ordinary name such as DB_PASSWORD or NODE_ENV', async () => {
    const { org, adminKey } = await api.seedOrg();

    const a = await api.call('PUT', `${secretsPath(org)}/db`, {
      key: adminKey,
      body: { value: 'p4ss-w0rd', env_var: 'DB_PASSWORD' },
    });
    const b = await api.call('PUT', `${secretsPath(org)}/node-env`, { key: adminKey, body: { value: 'x' } });

    expect([a.status, b.status]).toEqual([200, 200]);
    expect(b.body.env_var).toBe('NODE_ENV');
  });
});

describe('create with secrets', () => {
  it('refuses two secrets with the same env_var with a 422 naming both, before anything is launched', async () => {
    // Prepare
    const { org, adminKey } = await seedWithTask();
    for (const id of ['first', 'second']) {
      const put = await api.call('PUT', `${secretsPath(org)}/${id}`, {
        key: adminKey,
        body: { value: `value-of-${id}`, env_var: 'API_TOKEN' },
      });
      expect(put.status, put.raw).toBe(200);
    }

    // Act
    const reply = await api.call('POST', environments(org), {
      key: adminKey,
      body: { task_ref: 'web-sqli', secret_ids: ['first', 'second'] },
    });

    // Assess
    expectError(reply, 422, 'validation_error');
    expect(reply.body.errors).toEqual([
      {
        loc: ['body', 'secret_ids', 1],
        msg: "Secrets 'first' and 'second' both set API_TOKEN",
        type: 'env_var_collision',
      },
    ]);
    expect(aws.ecs.commandCalls(RunTaskCommand)).toHaveLength(0);
    expect(aws.s3.commandCalls(PutObjectCommand)).toHaveLength(0);
    const list = await api.call('GET', environments(org), { key: adminKey });
    expect(list.body.total).toBe(0);
  });

  it('refuses a secret whose env_var the manifest sets itself (ECS would let the manifest win)', async () => {
    const { org, adminKey } = await seedWithTask({
      services: {
        web: { image: 'nginx:1.27', ports: [80], env: { MODE: 'demo' } },
      },
    });
    await api.call('PUT', `${secretsPath(org)}/mode`, { key: adminKey, body: { value: 'prod' } });

    const reply = await api.call('POST', environments(org), {
      key: adminKey,
      body: { task_ref: 'web-sqli', secret_ids: ['mode'] },
    });

    expectError(reply, 422, 'validation_error');
    expect(reply.body.errors).toEqual([
      {
        loc: ['body', 'secret_ids', 0],
        msg: "Secret 'mode' sets MODE, which the task's manifest sets itself",
        type: 'env_var_collision',
      },
    ]);
    expect(aws.ecs.commandCalls(RunTaskCommand)).toHaveLength(0);
  });

  it('answers 422, not 500, for a value stored before the one-line rule, and never shows it', async () => {
    // Prepare: a secret PUT while multi-line and NUL values were still accepted.
    const { org, adminKey } = await seedWithTask();
    const put = await api.call('PUT', `${secretsPath(org)}/legacy`, { key: adminKey, body: { value: 'ok' } });
    expect(put.status, put.raw).toBe(200);
    const stored = 'sk-legacy\u0000\nSECOND=line';
    aws.secretsManager.on(GetSecretValueCommand).resolves({ SecretString: stored });

    // Act
    const reply = await api.call('POST', environments(org), {
      key: adminKey,
      body: { task_ref: 'web-sqli', secret_ids: ['legacy'] },
    });

    // Assess
    expectError(reply, 422, 'validation_error');
    expect(reply.body.errors[0].loc).toEqual(['body', 'secret_ids', 0]);
    expect(reply.body.errors[0].msg).toContain("Secret 'legacy'");
    expect(reply.raw).not.toContain('sk-legacy');
    expect(reply.raw).not.toContain('SECOND');
    const envFiles = aws.s3
      .commandCalls(PutObjectCommand)
      .map((c) => c.args[0].input as PutObjectCommandInput);
    expect(envFiles).toEqual([]);
  });
});

describe('?state=', () => {
  it('dedupes repeated states', async () => {
    const { org, adminKey } = await seedWithTask();
    const created = await api.call('POST', environments(org), {
      key: adminKey,
      body: { task_ref: 'web-sqli' },
    });
    expect(created.status, created.raw).toBe(201);

    const reply = await api.call('GET', environments(org), {
      key: adminKey,
      query: { state: Array.from({ length: 150 }, (_, i) => (i % 2 === 0 ? 'building' : 'ready')) },
    });

    expect(reply.status, reply.raw).toBe(200);
    expect(reply.body.environments.map((e: { id: string }) => e.id)).toEqual([created.body.id]);
  });

  it('answers 422 for more distinct values than there are states', async () => {
    const { org, adminKey } = await api.seedOrg();
    const states = ['building', 'provisioning', 'ready', 'paused', 'torn_down', 'failed'];

    const reply = await api.call('GET', environments(org), {
      key: adminKey,
      query: { state: [...states, ...Array.from({ length: 120 }, (_, i) => `state-${i}`)] },
    });

    expectError(reply, 422, 'validation_error');
    expect(reply.body.errors[0].loc.slice(0, 2)).toEqual(['query', 'state']);
  });
});
