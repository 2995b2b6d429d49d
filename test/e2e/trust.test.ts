/**
 * The local stack's trust boundary, end to end (`docs/security.md`): what keys of other orgs
 * and member keys can make the stack do on this host, `/_local/invoke` authentication, and the
 * keys CLI against the running stack.
 */
import { access } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { createDocumentClient } from '#adapters/aws/dynamodb/client';
import { dynamoStores } from '#adapters/aws/wiring';
import { defaultOrgLimits } from '#domain/org';
import { generateApiKey } from '#domain/principal';
import { apiRequest, runCli, stackPerFile } from '#test/support/e2e';
import { markerManifest as markerWritingManifest } from '#test/support/example-tasks';

const runningStack = stackPerFile('trust');

const CLI_TEST_TIMEOUT_MS = 60_000;

const exists = (path: string) =>
  access(path).then(
    () => true,
    () => false,
  );

/** An org besides the stack's own `local`, with an admin key, written to the stack's table. */
const seedOtherOrg = async (org: string): Promise<string> => {
  const stack = runningStack();
  const client = createDocumentClient({ endpoint: stack.dynamodbEndpoint, region: 'us-east-1' });
  const { access: store } = dynamoStores(client, { TABLE_NAME: stack.tableName });
  await store.putOrg({ org, ...defaultOrgLimits, createdAt: new Date().toISOString() });
  const generated = generateApiKey();
  await store.putApiKey({
    keyHash: generated.keyHash,
    keyId: generated.keyId,
    org,
    role: 'admin',
    workspaces: ['*'],
    createdAt: new Date().toISOString(),
    revoked: false,
  });
  return generated.key;
};

/** A key of org `local` minted through the keys API with the stack's admin key. */
const mintLocalKey = async (role: 'admin' | 'member', workspaces: string[]) => {
  const stack = runningStack();
  const minted = await apiRequest(`${stack.apiUrl}/api/v1/org/local/keys`, stack.apiKey, {
    method: 'POST',
    json: { name: `e2e-${role}`, role, workspaces },
  });
  expect(minted.status).toBe(201);
  return minted.body as { id: string; key: string };
};

/** A task whose one service writes `marker` on start (what a hostile local.command would do). */
const markerManifest = (name: string, marker: string) =>
  markerWritingManifest(name, marker, 'Writes a marker file on the host');

const invoke = async (fn: string, key: string, event: unknown) => {
  const response = await fetch(`${runningStack().apiUrl}/_local/invoke/${fn}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify(event),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
};

describe('the process runtime and keys of other orgs', () => {
  let acmeKey: string;
  beforeAll(async () => {
    acmeKey = await seedOtherOrg('acme');
  });

  it("never spawns the local.command of another org's task, and fails its environment saying why", async () => {
    // Prepare
    const stack = runningStack();
    const marker = join(stack.dataDir, 'acme-was-here');
    const published = await apiRequest(`${stack.apiUrl}/api/v1/org/acme/tasks`, acmeKey, {
      method: 'POST',
      json: markerManifest('marker', marker),
    });
    expect(published.status).toBe(201);

    // Act
    const created = await apiRequest(`${stack.apiUrl}/api/v1/org/acme/ws/default/environments`, acmeKey, {
      method: 'POST',
      json: { task_ref: 'marker' },
    });
    const listed = await apiRequest(`${stack.apiUrl}/api/v1/org/acme/ws/default/environments`, acmeKey);

    // Assess
    expect(created.status).toBe(502);
    const detail = (created.body as { detail: string }).detail;
    expect(detail).toContain("published by an admin key of org 'local'");
    expect(detail).toContain('--runtime docker');
    const [env] = (listed.body as { environments: { state: string; error: string }[] }).environments;
    expect(env?.state).toBe('failed');
    expect(env?.error).toContain('--runtime docker');
    await new Promise((r) => setTimeout(r, 1_000));
    expect(await exists(marker)).toBe(false);
  });

  it("runs the stack admin's own task of the same shape", async () => {
    // Prepare
    const stack = runningStack();
    const marker = join(stack.dataDir, 'local-admin-was-here');
    const published = await apiRequest(`${stack.apiUrl}/api/v1/org/local/tasks`, stack.apiKey, {
      method: 'POST',
      json: markerManifest('marker', marker),
    });
    expect(published.status).toBe(201);

    // Act
    const created = await apiRequest(
      `${stack.apiUrl}/api/v1/org/local/ws/default/environments`,
      stack.apiKey,
      {
        method: 'POST',
        json: { task_ref: 'marker' },
      },
    );

    // Assess
    expect(created.status).toBe(201);
    await vi.waitFor(async () => expect(await exists(marker)).toBe(true), { timeout: 10_000, interval: 50 });
  });

  it('refuses a member key of the stack org that tries to publish a task', async () => {
    const stack = runningStack();
    const member = await mintLocalKey('member', ['default']);

    const published = await apiRequest(`${stack.apiUrl}/api/v1/org/local/tasks`, member.key, {
      method: 'POST',
      json: markerManifest('member-marker', join(stack.dataDir, 'member-was-here')),
    });

    expect(published.status).toBe(403);
    expect(published.body).toMatchObject({ type: 'permission_error' });
  });
});

describe('/_local/invoke', () => {
  const readEvent = {
    resource: '/api/v1/org/{org}/ws/{workspace}/environments',
    path: '/api/v1/org/local/ws/default/environments',
    httpMethod: 'GET',
    headers: {},
    pathParameters: { org: 'local', workspace: 'default' },
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    body: null,
    isBase64Encoded: false,
    // A forged principal: the stack's own org, as an admin.
    requestContext: {
      requestId: 'forged',
      authorizer: { keyId: 'forged', org: 'local', role: 'admin', workspaces: '["*"]' },
    },
  };

  it('answers 401 to a revoked key and 403 to a member key', async () => {
    // Prepare
    const stack = runningStack();
    const revoked = await mintLocalKey('admin', ['*']);
    const revoke = await apiRequest(`${stack.apiUrl}/api/v1/org/local/keys/${revoked.id}`, stack.apiKey, {
      method: 'DELETE',
    });
    expect(revoke.status).toBe(204);
    const member = await mintLocalKey('member', ['*']);

    // Act
    const asRevoked = await invoke('reconciler', revoked.key, {});
    const asMember = await invoke('reconciler', member.key, {});

    // Assess
    expect(asRevoked).toEqual({
      status: 401,
      body: { code: 401, detail: 'Authentication failed', type: 'authentication_error' },
    });
    expect(asMember.status).toBe(403);
    expect(asMember.body).toMatchObject({ code: 403, type: 'permission_error' });
  });

  it("runs an HTTP function as the caller, never as the org the event claims, and keeps other orgs' admins off the system functions", async () => {
    // Prepare
    const acmeKey = await seedOtherOrg('acme-invoke');

    // Act
    const forged = await invoke('environments-read', acmeKey, readEvent);
    const reconciler = await invoke('reconciler', acmeKey, {});
    const asStackAdmin = await invoke('environments-read', runningStack().apiKey, readEvent);

    // Assess
    expect(forged.status).toBe(200);
    expect((forged.body.result as { statusCode: number }).statusCode).toBe(403);
    expect(reconciler.status).toBe(403);
    expect((asStackAdmin.body.result as { statusCode: number }).statusCode).toBe(200);
  });
});

describe('taskenv key against the local stack', () => {
  it(
    'creates a member key printed once, lists it without the key, revokes it, and the key then fails',
    async () => {
      // Prepare
      const stack = runningStack();

      // Act
      const created = await runCli(
        ['key', 'create', 'ci', '--role', 'member', '--workspace', 'default', '--json'],
        stack,
      );
      const minted = JSON.parse(created.stdout) as { id: string; key: string; role: string };
      const before = await apiRequest(`${stack.apiUrl}/api/v1/org/local/ws/default/environments`, minted.key);
      const list = await runCli(['key', 'list', '--json'], stack);
      const revoke = await runCli(['key', 'revoke', minted.id], stack);
      const after = await apiRequest(`${stack.apiUrl}/api/v1/org/local/ws/default/environments`, minted.key);

      // Assess
      expect(created.code, created.stderr).toBe(0);
      expect(minted.role).toBe('member');
      expect(before.status).toBe(200);
      expect(list.code, list.stderr).toBe(0);
      const { keys } = JSON.parse(list.stdout) as { keys: { id: string }[] };
      expect(keys.map((k) => k.id)).toContain(minted.id);
      expect(list.stdout).not.toContain(minted.key);
      expect(revoke.code, revoke.stderr).toBe(0);
      expect(revoke.stdout).toBe(`revoked key ${minted.id}\n`);
      expect(after.status).toBe(401);
    },
    CLI_TEST_TIMEOUT_MS,
  );
});
