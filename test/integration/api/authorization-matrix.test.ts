/**
 * The authorization matrix over the whole route table (`docs/api.md`, "API keys and roles"): for
 * every route, who gets what. The expectation of each cell is derived from the route's `role`
 * and whether its path names a workspace, so a route added to the table later is covered
 * without touching this file: a caller it must refuse gets exactly the 401/403 docs/api.md gives, a
 * caller it must serve never does. Routes with a fixture below are also checked for their exact
 * success status.
 *
 * Then the same matrix with an `Idempotency-Key` another principal already used in the
 * workspace, with the same body and with another one: a refused caller gets the same 401/403
 * (never the stored 201, never a 409 that would tell it the key exists), and no reply to a
 * refused caller carries the owner's environment.
 */
import { randomUUID } from 'node:crypto';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { generateApiKey, type Role } from '#domain/principal';
import { type OperationId, type Route, routes } from '#shared/routes';
import {
  type ApiReply,
  createApiHarness,
  createAwsMocks,
  expectError,
  manifest,
} from '#test/support/api-harness';

const aws = createAwsMocks();
const api = createApiHarness();
beforeEach(() => aws.reset());

/** The workspace the matrix's routes address; `member` may use it, `memberElsewhere` may not. */
const WS = 'ws-a';
const TASK = 'web-sqli';

type Caller = 'admin' | 'member' | 'memberElsewhere' | 'otherOrg' | 'revoked' | 'anonymous';
const callers: readonly Caller[] = ['admin', 'member', 'memberElsewhere', 'otherOrg', 'revoked', 'anonymous'];

/** What docs/api.md gives `caller` on `route`: 'allowed', or the status and type of the refusal. */
const expectation = (route: Route, caller: Caller): 'allowed' | { status: 401 | 403; type: string } => {
  const unauthenticated = { status: 401, type: 'authentication_error' } as const;
  const forbidden = { status: 403, type: 'permission_error' } as const;
  if (route.role === 'public') return 'allowed';
  switch (caller) {
    case 'anonymous':
    case 'revoked':
      return unauthenticated;
    case 'otherOrg':
      return forbidden;
    case 'admin':
      return 'allowed';
    case 'member':
      return route.role === 'admin' ? forbidden : 'allowed';
    case 'memberElsewhere':
      return route.role === 'admin' || route.path.includes('{workspace}') ? forbidden : 'allowed';
  }
};

let org: string;
let keys: Record<Exclude<Caller, 'anonymous'>, string>;
/** The key that first used the shared Idempotency-Key: a member of the workspace, none of the callers. */
let ownerKey: string;
let adminKey: string;

const issueKey = async (keyOrg: string, role: Role, workspaces: string[], revoked = false) => {
  const generated = generateApiKey();
  await api.stores.access.putApiKey({
    keyHash: generated.keyHash,
    keyId: generated.keyId,
    org: keyOrg,
    role,
    workspaces,
    createdAt: new Date().toISOString(),
    revoked,
  });
  return generated;
};

interface Fixture {
  /** Makes what the call addresses (fresh for each call) and returns its path parameters. */
  readonly prepare?: () => Promise<Record<string, string>>;
  readonly body?: () => unknown;
  /** The success status of an allowed caller. */
  readonly status: number;
}

const freshEnvironment = async () => {
  const created = await api.call('POST', `/api/v1/org/${org}/ws/${WS}/environments`, {
    key: adminKey,
    body: { task_ref: TASK },
  });
  expect(created.status, created.raw).toBe(201);
  return { id: created.body.id as string };
};

const freshSecret = async () => {
  const secretId = `s-${randomUUID().slice(0, 8)}`;
  const put = await api.call('PUT', `/api/v1/org/${org}/ws/${WS}/secrets/${secretId}`, {
    key: adminKey,
    body: { value: 'matrix-value' },
  });
  expect(put.status, put.raw).toBe(200);
  return { secret_id: secretId };
};

const freshKey = async () => ({ key_id: (await issueKey(org, 'member', [WS])).keyId });

/** Known routes: what an allowed caller sends and gets. Routes without one are still in the matrix. */
const fixtures: Partial<Record<OperationId, Fixture>> = {
  createEnvironment: { body: () => ({ task_ref: TASK }), status: 201 },
  listEnvironments: { status: 200 },
  getEnvironment: { prepare: freshEnvironment, status: 200 },
  getEnvironmentStatus: { prepare: freshEnvironment, status: 200 },
  deleteEnvironment: { prepare: freshEnvironment, status: 200 },
  keepaliveEnvironment: { prepare: freshEnvironment, body: () => ({ extend_seconds: 60 }), status: 200 },
  publishTask: { body: () => manifest({ version: `1.${Math.floor(Math.random() * 1e6)}.0` }), status: 201 },
  listTasks: { status: 200 },
  getTask: { prepare: async () => ({ name: TASK }), status: 200 },
  putSecret: { prepare: freshSecret, body: () => ({ value: 'replaced' }), status: 200 },
  listSecrets: { status: 200 },
  deleteSecret: { prepare: freshSecret, status: 204 },
  createKey: { body: () => ({ name: 'matrix', role: 'member', workspaces: [WS] }), status: 201 },
  listKeys: { status: 200 },
  revokeKey: { prepare: freshKey, status: 204 },
  getOpenApi: { status: 200 },
  getDocs: { status: 200 },
  healthz: { status: 200 },
};

/** A concrete path for `route`: the matrix's org and workspace, fixture values, placeholders for the rest. */
const pathOf = (route: Route, params: Record<string, string>): string =>
  route.path.replace(/\{([a-z_]+)\}/g, (_, name: string) => {
    const value = { org, workspace: WS, id: randomUUID(), ...params }[name] ?? `unknown-${name}`;
    return encodeURIComponent(value);
  });

const send = async (route: Route, caller: Caller, headers: Record<string, string> = {}) => {
  const fixture = fixtures[route.operationId as OperationId];
  const params = (await fixture?.prepare?.()) ?? {};
  const body = fixture?.body?.() ?? (route.method === 'POST' || route.method === 'PUT' ? {} : undefined);
  return api.call(route.method, pathOf(route, params), {
    ...(caller === 'anonymous' ? {} : { key: keys[caller] }),
    ...(body === undefined ? {} : { body }),
    headers,
  });
};

const assessRefusal = (reply: ApiReply, refusal: { status: number; type: string }) => {
  expectError(reply, refusal.status, refusal.type);
  if (refusal.status === 401) expect(reply.body.detail).toBe('Authentication failed');
};

const assessAllowed = (route: Route, reply: ApiReply) => {
  const fixture = fixtures[route.operationId as OperationId];
  if (fixture !== undefined) {
    expect(reply.status, reply.raw).toBe(fixture.status);
    return;
  }
  // A route without a fixture: whatever its own answer, it is not an authorization refusal.
  expect(reply.status, reply.raw).not.toBe(403);
  if (reply.status === 401) expect(reply.body.detail).not.toBe('Authentication failed');
};

const cells = routes.flatMap((route) => callers.map((caller) => [route.operationId, caller, route] as const));

beforeAll(async () => {
  // Each allowed call on an environment route makes a fresh environment: room for all of them.
  const seeded = await api.seedOrg({ maxConcurrentEnvironments: 1000 });
  org = seeded.org;
  adminKey = seeded.adminKey;
  const other = await api.seedOrg();
  keys = {
    admin: seeded.adminKey,
    member: seeded.memberKey,
    memberElsewhere: (await issueKey(org, 'member', ['ws-b'])).key,
    otherOrg: other.adminKey,
    revoked: (await issueKey(org, 'admin', ['*'], true)).key,
  };
  ownerKey = (await issueKey(org, 'member', [WS])).key;
  const published = await api.call('POST', `/api/v1/org/${org}/tasks`, { key: adminKey, body: manifest() });
  expect(published.status, published.raw).toBe(201);
});

describe('every route, every caller', () => {
  it('covers every route of the table', () => {
    expect(new Set(cells.map(([op]) => op))).toEqual(new Set(routes.map((r) => r.operationId)));
  });

  it.each(cells)('%s as %s', async (_, caller, route) => {
    // Act
    const reply = await send(route, caller);

    // Assess
    const expected = expectation(route, caller);
    if (expected === 'allowed') assessAllowed(route, reply);
    else assessRefusal(reply, expected);
  });
});

describe('every route, every caller, with an Idempotency-Key another principal already used', () => {
  const idempotencyKey = `matrix-${randomUUID()}`;
  const ownerBody = { task_ref: TASK, project_id: 'owner' };
  let owned: ApiReply;

  beforeAll(async () => {
    owned = await api.call('POST', `/api/v1/org/${org}/ws/${WS}/environments`, {
      key: ownerKey,
      body: ownerBody,
      headers: { 'Idempotency-Key': idempotencyKey },
    });
    expect(owned.status, owned.raw).toBe(201);
  });

  /** `route` as `caller` with the owner's Idempotency-Key; a create sends `createBody`. */
  const sendWithKey = (route: Route, caller: Caller, createBody: Record<string, unknown>) =>
    route.operationId === 'createEnvironment'
      ? api.call('POST', `/api/v1/org/${org}/ws/${WS}/environments`, {
          ...(caller === 'anonymous' ? {} : { key: keys[caller] }),
          body: createBody,
          headers: { 'Idempotency-Key': idempotencyKey },
        })
      : send(route, caller, { 'Idempotency-Key': idempotencyKey });

  const leaksNothing = (reply: ApiReply) => {
    expect(reply.raw).not.toContain(owned.body.id);
    expect(reply.raw).not.toContain(owned.body.execute_token);
  };

  it.each(cells)('%s as %s, same body as the owner', async (operationId, caller, route) => {
    // Act
    const reply = await sendWithKey(route, caller, ownerBody);

    // Assess
    const expected = expectation(route, caller);
    if (expected !== 'allowed') {
      assessRefusal(reply, expected);
      leaksNothing(reply);
    } else if (operationId === 'createEnvironment') {
      // The key is scoped to the workspace (docs/api.md), and this caller may create there: the replay.
      expect(reply.status, reply.raw).toBe(201);
      expect(reply.body).toEqual(owned.body);
    } else {
      assessAllowed(route, reply);
    }
  });

  it.each(cells)('%s as %s, another body', async (operationId, caller, route) => {
    // Act
    const reply = await sendWithKey(route, caller, { task_ref: TASK, project_id: 'someone-else' });

    // Assess
    const expected = expectation(route, caller);
    if (expected !== 'allowed') {
      assessRefusal(reply, expected);
      leaksNothing(reply);
    } else if (operationId === 'createEnvironment') {
      expectError(reply, 409, 'already_exists_error');
      leaksNothing(reply);
    } else {
      assessAllowed(route, reply);
    }
  });
});
