/**
 * Secret plaintext and execute tokens reach the sandbox's env file and nothing else: no response
 * body (the token only in its own 201 and that 201's idempotent replays), no log line at DEBUG, no DynamoDB item, no event, no
 * ECS or Scheduler request.
 */
import { RunTaskCommand } from '@aws-sdk/client-ecs';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { CreateScheduleCommand } from '@aws-sdk/client-scheduler';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, expect, it, type MockInstance, vi } from 'vitest';
import { type ApiReply, createApiHarness, createAwsMocks, manifest } from '#test/support/api-harness';

// The harness's logger reads the level when it is built: everything it can say is captured.
const previousLevel = process.env.POWERTOOLS_LOG_LEVEL;
process.env.POWERTOOLS_LOG_LEVEL = 'DEBUG';
const aws = createAwsMocks();
const api = createApiHarness();

const SECRETS = {
  'api-key': 'LEAK-CANARY-ALPHA-7f3e9b21d6',
  'db-password': 'LEAK-CANARY-BRAVO-c4d8a05519',
} as const;

const logs: string[] = [];
const replies: ApiReply[] = [];
/** The 201 bodies that carry a token (a create and its replays), by token. */
const tokenBodies = new Map<string, Set<string>>();
let org: string;
const spies: MockInstance[] = [];

const capture = (chunk: unknown): boolean => {
  logs.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8'));
  return true;
};

const call = async (...args: Parameters<typeof api.call>): Promise<ApiReply> => {
  const reply = await api.call(...args);
  replies.push(reply);
  const token = reply.body?.execute_token;
  if (typeof token === 'string') tokenBodies.set(token, (tokenBodies.get(token) ?? new Set()).add(reply.raw));
  return reply;
};

const scanAll = async (tableName: string): Promise<Record<string, unknown>[]> => {
  const items: Record<string, unknown>[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await api.documentClient.send(
      new ScanCommand({ TableName: tableName, ...(start === undefined ? {} : { ExclusiveStartKey: start }) }),
    );
    items.push(...(page.Items ?? []));
    start = page.LastEvaluatedKey;
  } while (start !== undefined);
  return items;
};

beforeAll(async () => {
  spies.push(
    vi.spyOn(process.stdout, 'write').mockImplementation(capture as typeof process.stdout.write),
    vi.spyOn(process.stderr, 'write').mockImplementation(capture as typeof process.stderr.write),
  );
  const seeded = await api.seedOrg();
  org = seeded.org;
  const key = seeded.adminKey;
  const ws = `/api/v1/org/${org}/ws/default`;
  const body = { task_ref: 'web-sqli', secret_ids: Object.keys(SECRETS), inputs: { user: 'mallory' } };

  const published = await call('POST', `/api/v1/org/${org}/tasks`, { key, body: manifest() });
  expect(published.status, published.raw).toBe(201);
  for (const [id, value] of Object.entries(SECRETS)) {
    expect((await call('PUT', `${ws}/secrets/${id}`, { key, body: { value } })).status).toBe(200);
  }
  await call('GET', `${ws}/secrets`, { key });

  // Two environments that launch, one of them through an idempotent replay.
  const plain = await call('POST', `${ws}/environments`, { key, body });
  const headers = { 'Idempotency-Key': 'leak-test-key' };
  const idempotent = await call('POST', `${ws}/environments`, { key, body, headers });
  const replay = await call('POST', `${ws}/environments`, { key, body, headers });
  expect([plain.status, idempotent.status, replay.status]).toEqual([201, 201, 201]);

  for (const id of [plain.body.id, idempotent.body.id]) {
    await call('GET', `${ws}/environments/${id}`, { key });
    await call('GET', `${ws}/environments/${id}/status`, { key });
  }
  const keepalive = await call('POST', `${ws}/environments/${idempotent.body.id}/keepalive`, {
    key,
    body: { extend_seconds: 120 },
  });
  expect(keepalive.status, keepalive.raw).toBe(200);
  expect((await call('DELETE', `${ws}/environments/${plain.body.id}`, { key })).status).toBe(200);

  // The paths that log warnings and errors: a missed expiry schedule, a refused launch, a crash.
  aws.scheduler.on(CreateScheduleCommand).rejects(new Error('Scheduler is unavailable'));
  expect((await call('POST', `${ws}/environments`, { key, body })).status).toBe(201);
  aws.ecs.on(RunTaskCommand).resolves({ tasks: [], failures: [{ reason: 'RESOURCE:CPU' }] });
  expect((await call('POST', `${ws}/environments`, { key, body })).status).toBe(502);
  aws.s3.on(PutObjectCommand).rejects(new Error('S3 is unavailable'));
  expect((await call('POST', `${ws}/environments`, { key, body })).status).toBe(500);

  await call('GET', `${ws}/environments`, { key, query: { limit: '200' } });
  for (const spy of spies) spy.mockRestore();
});

afterAll(() => {
  for (const spy of spies) spy.mockRestore();
  if (previousLevel === undefined) delete process.env.POWERTOOLS_LOG_LEVEL;
  else process.env.POWERTOOLS_LOG_LEVEL = previousLevel;
});

const secretValues = Object.values(SECRETS);
const tokens = () => [...tokenBodies.keys()];

it('captured what it checks: tokens, log lines at every level, env files', () => {
  // Two creates that launched and one whose schedule failed handed out a token each (the replay
  // answered its create's again).
  expect(tokens()).toHaveLength(3);
  const levels = new Set(logs.flatMap((line) => /"level":"(\w+)"/.exec(line)?.[1] ?? []));
  expect([...levels].sort()).toEqual(expect.arrayContaining(['ERROR', 'INFO', 'WARN']));
  expect(logs.some((line) => line.includes('Environment created'))).toBe(true);
  // The env files are where the values and the tokens do go.
  const envFiles = aws.s3.commandCalls(PutObjectCommand).map((c) => String(c.args[0].input.Body));
  for (const value of secretValues) expect(envFiles.every((file) => file.includes(value))).toBe(true);
  for (const token of tokens()) expect(envFiles.some((file) => file.includes(token))).toBe(true);
});

it('shows no secret value in any response, and each token only in its own 201 and its replay', () => {
  for (const reply of replies) {
    for (const value of secretValues) expect(reply.raw).not.toContain(value);
    for (const token of tokens()) {
      if (!tokenBodies.get(token)?.has(reply.raw)) expect(reply.raw).not.toContain(token);
    }
  }
  // The replay answered the token of the create it replays, and no other environment's.
  const [, idempotentToken] = tokens();
  expect(replies.filter((r) => r.body?.execute_token === idempotentToken)).toHaveLength(2);
});

it('logs no secret value and no token', () => {
  const text = logs.join('');
  for (const needle of [...secretValues, ...tokens()]) expect(text).not.toContain(needle);
});

it('stores no secret value and no token in any DynamoDB item of the org', async () => {
  // Prepare
  const idempotencyTable = process.env.IDEMPOTENCY_TABLE_NAME ?? 'taskenv-test-idempotency';
  const ofOrg = (items: Record<string, unknown>[]) =>
    items.map((item) => JSON.stringify(item)).filter((item) => item.includes(org));

  // Act
  const items = ofOrg(await scanAll(api.tableName));
  const idempotencyRecords = ofOrg(await scanAll(idempotencyTable));

  // Assess: four environments were recorded (the crashed create never was), two secrets, and
  // the one idempotency record holding the stored response.
  expect(items.filter((item) => item.includes('"pk":"ENV#'))).toHaveLength(4);
  expect(items.filter((item) => item.includes('"sk":"SECRET#'))).toHaveLength(2);
  expect(idempotencyRecords).toHaveLength(1);
  for (const item of [...items, ...idempotencyRecords]) {
    for (const needle of [...secretValues, ...tokens()]) expect(item).not.toContain(needle);
  }
});

it('sends no secret value and no token in events, ECS or Scheduler requests', () => {
  const requests = [...aws.eventBridge.calls(), ...aws.ecs.calls(), ...aws.scheduler.calls()].map((c) =>
    JSON.stringify((c.args[0] as { input: unknown }).input),
  );
  expect(aws.ecs.commandCalls(RunTaskCommand)).toHaveLength(4);
  expect(requests.some((r) => r.includes('Environment State Change'))).toBe(true);
  for (const request of requests) {
    for (const needle of [...secretValues, ...tokens()]) expect(request).not.toContain(needle);
  }
});
