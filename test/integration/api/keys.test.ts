/**
 * The keys API (`docs/api.md`, "API keys and roles"): an admin mints, lists and revokes the org's
 * keys; a key is shown once and stored as its SHA-256; a member key does what a member may.
 */
import { RunTaskCommand } from '@aws-sdk/client-ecs';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { beforeEach, describe, expect, it } from 'vitest';
import { hashApiKey } from '#domain/principal';
import { createApiHarness, createAwsMocks, expectError, manifest } from '#test/support/api-harness';

const aws = createAwsMocks();
const api = createApiHarness();
beforeEach(() => aws.reset());

const keysOf = (org: string) => `/api/v1/org/${org}/keys`;
const environments = (org: string, ws: string) => `/api/v1/org/${org}/ws/${ws}/environments`;

const seedWithTask = () => api.seedWithTask();

describe('POST keys', () => {
  it('mints a key shown once, stored only as its SHA-256, listed without the key', async () => {
    // Prepare
    const { org, adminKey } = await api.seedOrg();

    // Act
    const created = await api.call('POST', keysOf(org), {
      key: adminKey,
      body: { name: 'ci', role: 'member', workspaces: ['ws1'] },
    });
    const list = await api.call('GET', keysOf(org), { key: adminKey });

    // Assess
    expect(created.status, created.raw).toBe(201);
    expect(created.body).toEqual({
      id: expect.stringMatching(/^[a-z0-9]{12}$/),
      key: expect.stringMatching(/^tk_[a-z0-9]{12}_[A-Za-z0-9_-]{43}$/),
      name: 'ci',
      role: 'member',
      workspaces: ['ws1'],
      created_at: expect.any(String),
    });
    expect(created.body.key).toContain(created.body.id);
    const { key: _shownOnce, ...shown } = created.body;
    expect(list.status, list.raw).toBe(200);
    expect(list.body.keys).toContainEqual(shown);
    expect(list.raw).not.toContain(created.body.key);
    expect(list.raw).not.toContain(hashApiKey(created.body.key));
    const { Item } = await api.documentClient.send(
      new GetCommand({
        TableName: api.tableName,
        Key: { pk: `KEY#${hashApiKey(created.body.key)}`, sk: 'KEY' },
      }),
    );
    expect(JSON.stringify(Item)).not.toContain(created.body.key);
    expect(Item).toMatchObject({ org, role: 'member', workspaces: ['ws1'], revoked: false });
  });

  it('answers 422 for an admin key limited to workspaces, an unknown role and a bad workspace', async () => {
    const { org, adminKey } = await api.seedOrg();
    const send = (body: unknown) => api.call('POST', keysOf(org), { key: adminKey, body });

    const limitedAdmin = await send({ name: 'x', role: 'admin', workspaces: ['ws1'] });
    const badRole = await send({ name: 'x', role: 'owner', workspaces: ['*'] });
    const badWorkspace = await send({ name: 'x', role: 'member', workspaces: ['Not A Slug'] });
    const starAndMore = await send({ name: 'x', role: 'member', workspaces: ['*', 'ws1'] });

    for (const reply of [limitedAdmin, badRole, badWorkspace, starAndMore]) {
      expectError(reply, 422, 'validation_error');
    }
    expect(limitedAdmin.body.errors[0].loc).toEqual(['body', 'workspaces']);
    expect(badRole.body.errors[0].loc).toEqual(['body', 'role']);
  });
});

describe('a member key', () => {
  it('creates and lists in its workspace, and gets 403 for another workspace, publishing and minting keys', async () => {
    // Prepare: the member key comes from the keys API itself.
    const { org, adminKey } = await seedWithTask();
    const minted = await api.call('POST', keysOf(org), {
      key: adminKey,
      body: { name: 'member', role: 'member', workspaces: ['ws1'] },
    });
    const key = minted.body.key as string;

    // Act
    const create = await api.call('POST', environments(org, 'ws1'), { key, body: { task_ref: 'web-sqli' } });
    const list = await api.call('GET', environments(org, 'ws1'), { key });
    const elsewhere = await api.call('POST', environments(org, 'ws2'), {
      key,
      body: { task_ref: 'web-sqli' },
    });
    const publish = await api.call('POST', `/api/v1/org/${org}/tasks`, {
      key,
      body: manifest({ name: 'hello-http', version: '9.9.9' }),
    });
    const mint = await api.call('POST', keysOf(org), {
      key,
      body: { name: 'escalate', role: 'admin', workspaces: ['*'] },
    });
    const listKeys = await api.call('GET', keysOf(org), { key });
    const readTasks = await api.call('GET', `/api/v1/org/${org}/tasks`, { key });

    // Assess
    expect(create.status, create.raw).toBe(201);
    expect(list.status, list.raw).toBe(200);
    expect(list.body.total).toBe(1);
    expect(readTasks.status, readTasks.raw).toBe(200);
    for (const reply of [elsewhere, publish, mint, listKeys]) expectError(reply, 403, 'permission_error');
    expect(publish.body.detail).toBe('This operation needs an admin API key');
    expect(aws.ecs.commandCalls(RunTaskCommand)).toHaveLength(1);
    const task = await api.call('GET', `/api/v1/org/${org}/tasks/hello-http`, { key: adminKey });
    expectError(task, 404, 'not_found_error');
  });
});

describe('DELETE keys/{key_id}', () => {
  it('revokes a key: the next request with it is a 401, and it leaves the list', async () => {
    // Prepare
    const { org, adminKey } = await api.seedOrg();
    const minted = await api.call('POST', keysOf(org), {
      key: adminKey,
      body: { name: 'short-lived', role: 'admin', workspaces: ['*'] },
    });
    const before = await api.call('GET', keysOf(org), { key: minted.body.key });
    expect(before.status, before.raw).toBe(200);

    // Act
    const revoked = await api.call('DELETE', `${keysOf(org)}/${minted.body.id}`, { key: adminKey });
    const after = await api.call('GET', keysOf(org), { key: minted.body.key });
    const again = await api.call('DELETE', `${keysOf(org)}/${minted.body.id}`, { key: adminKey });
    const list = await api.call('GET', keysOf(org), { key: adminKey });

    // Assess
    expect(revoked.status, revoked.raw).toBe(204);
    expect(revoked.raw).toBe('');
    expectError(after, 401, 'authentication_error');
    expect(after.body.detail).toBe('Authentication failed');
    expect(again.status, again.raw).toBe(204);
    expect(list.body.keys.map((k: { id: string }) => k.id)).not.toContain(minted.body.id);
  });

  it("answers 404 for a key id the org does not hold, another org's key included, and leaves that key working", async () => {
    // Prepare
    const { org, adminKey } = await api.seedOrg();
    const other = await api.seedOrg();
    const othersKey = await api.call('POST', keysOf(other.org), {
      key: other.adminKey,
      body: { name: 'theirs', role: 'admin', workspaces: ['*'] },
    });

    // Act
    const unknown = await api.call('DELETE', `${keysOf(org)}/aaaaaaaaaaaa`, { key: adminKey });
    const foreign = await api.call('DELETE', `${keysOf(org)}/${othersKey.body.id}`, { key: adminKey });
    const stillWorks = await api.call('GET', keysOf(other.org), { key: othersKey.body.key });

    // Assess
    expectError(unknown, 404, 'not_found_error');
    expectError(foreign, 404, 'not_found_error');
    expect(foreign.body.detail).toBe(`API key '${othersKey.body.id}' not found`);
    expect(stillWorks.status, stillWorks.raw).toBe(200);
  });
});
