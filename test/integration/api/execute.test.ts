/**
 * The data plane through the deployed handler chain on DynamoDB Local: execute (token, state,
 * service, sync window, 202 + polling, the 8-execution bound, DELETE ending executions),
 * executions of 1 MiB, verify (answer, flag file, script; the flag nowhere) and logs. Commands
 * run in an in-test CommandRunner (the port), so these assert what taskenv does around them.
 */
import { DescribeNetworkInterfacesCommand } from '@aws-sdk/client-ec2';
import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { GetCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { beforeEach, expect, it } from 'vitest';
import { executionSlotsKey } from '#adapters/aws/dynamodb/keys';
import { lambdaContext } from '#local/gateway';
import {
  type CommandRunner,
  type ExecOptions,
  type ExecResult,
  MAX_EXEC_OUTPUT_BYTES,
} from '#ports/container-runtime';
import { createApiHarness, createAwsMocks, expectError, manifest } from '#test/support/api-harness';
import { ecsEvent, stoppedEvent } from '#test/support/ecs-events';

const aws = createAwsMocks();
const api = createApiHarness();
beforeEach(() => {
  aws.reset();
  api.commands.runner = null;
  api.commands.logs = null;
});

const FLAG = 'FLAG{never-leaks-4f1c}';

interface Call {
  readonly taskArn: string;
  readonly service: string;
  readonly command: string;
  readonly options: ExecOptions;
}

/** A CommandRunner answering with `answer`, recording what it was asked. */
const runner = (answer: (call: Call) => Promise<Partial<ExecResult>> | Partial<ExecResult>) => {
  const calls: Call[] = [];
  const instance: CommandRunner = {
    exec: async (taskArn, service, command, options) => {
      const call = { taskArn, service, command, options };
      calls.push(call);
      const result = await answer(call);
      return { exitCode: 0, output: '', truncated: false, timedOut: false, durationMs: 1, ...result };
    },
  };
  api.commands.runner = instance;
  return calls;
};

/** Waits for the command's timeout or its abort, as a long command does. */
const untilAborted = (call: Call): Promise<Partial<ExecResult>> =>
  new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => resolve({ exitCode: 124, timedOut: true }),
      call.options.timeoutSec * 1000,
    );
    call.options.signal?.addEventListener('abort', () => {
      clearTimeout(timer);
      reject(new Error('aborted'));
    });
  });

const readyEnvironment = async (overrides: Record<string, unknown> = {}) => {
  const { org, adminKey } = await api.seedOrg();
  const published = await api.call('POST', `/api/v1/org/${org}/tasks`, {
    key: adminKey,
    body: manifest({
      services: {
        web: { image: 'public.ecr.aws/docker/library/nginx:1.27', ports: [80] },
        db: { image: 'public.ecr.aws/docker/library/redis:7', essential: false },
      },
      ...overrides,
    }),
  });
  expect(published.status, published.raw).toBe(201);
  const base = `/api/v1/org/${org}/ws/default/environments`;
  const created = await api.call('POST', base, { key: adminKey, body: { task_ref: 'web-sqli' } });
  expect(created.status, created.raw).toBe(201);
  const id: string = created.body.id;
  const token: string = created.body.execute_token;
  const taskArn = (await api.stores.store.get(id))?.taskArn ?? null;
  aws.ec2
    .on(DescribeNetworkInterfacesCommand)
    .resolves({ NetworkInterfaces: [{ Association: { PublicIp: '203.0.113.7' } }] });
  await api.handlers.taskEvents(ecsEvent('running-fargate', id, { taskArn }), lambdaContext('task-events'));
  const env = `${base}/${id}`;
  const execute = (body: unknown, headers: Record<string, string> = { 'X-Environment-Token': token }) =>
    api.call('POST', `${env}/execute`, { key: adminKey, body, headers });
  return { org, adminKey, base, env, id, token, taskArn, execute };
};

it('runs a command in the first service and answers its exit code and interleaved output', async () => {
  // Prepare
  const { execute, taskArn } = await readyEnvironment();
  const calls = runner(() => ({ exitCode: 3, output: 'out\nerr\n', durationMs: 12 }));

  // Act
  const reply = await execute({
    command: 'echo out; echo err >&2; exit 3',
    env: { MODE: 'x' },
    workdir: '/srv',
  });

  // Assess
  expect(reply.status, reply.raw).toBe(200);
  expect(reply.body).toEqual({
    id: expect.any(String),
    exit_code: 3,
    output: 'out\nerr\n',
    truncated: false,
    timed_out: false,
    duration_ms: 12,
  });
  expect(calls).toHaveLength(1);
  expect(calls[0]).toMatchObject({
    taskArn,
    service: 'web',
    command: 'echo out; echo err >&2; exit 3',
    options: { timeoutSec: 30, env: { MODE: 'x' }, workdir: '/srv' },
  });
});

it("refuses a missing or wrong token and another environment's (401), an unknown service (422) and a non-ready environment (409)", async () => {
  // Prepare
  const { execute, token, adminKey, base, org } = await readyEnvironment();
  const calls = runner(() => ({}));
  const building = await api.call('POST', base, { key: adminKey, body: { task_ref: 'web-sqli' } });

  // Act
  const none = await execute({ command: 'true' }, {});
  const wrong = await execute({ command: 'true' }, { 'X-Environment-Token': `${token.slice(0, -2)}xx` });
  const unknown = await execute({ command: 'true', service: 'nope' });
  const othersToken = await execute(
    { command: 'true' },
    { 'X-Environment-Token': building.body.execute_token },
  );
  const early = await api.call('POST', `${base}/${building.body.id}/execute`, {
    key: adminKey,
    body: { command: 'true' },
    headers: { 'X-Environment-Token': building.body.execute_token },
  });

  // Assess
  expectError(none, 401, 'authentication_error');
  expectError(wrong, 401, 'authentication_error');
  expectError(othersToken, 401, 'authentication_error');
  expectError(unknown, 422, 'validation_error');
  expect(unknown.body.errors[0].loc).toEqual(['body', 'service']);
  expectError(early, 409, 'conflict_error');
  expect(early.body.detail).toContain('building');
  expect(calls).toHaveLength(0);
  expect(org).toBeTruthy();
});

it('answers 202 with a Location past the sync window; polling it gives the exit code and output', async () => {
  // Prepare: the harness waits 1 s.
  const { execute, env, adminKey } = await readyEnvironment();
  runner(() => new Promise((resolve) => setTimeout(() => resolve({ exitCode: 7, output: 'late\n' }), 1_500)));

  // Act
  const accepted = await execute({ command: 'sleep 1.5; echo late; exit 7', service: 'db' });
  const location: string = accepted.headers.location ?? '';
  const running = await api.call('GET', location, { key: adminKey });
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  const done = await api.call('GET', location, { key: adminKey });

  // Assess
  expect(accepted.status, accepted.raw).toBe(202);
  expect(accepted.body).toEqual({ id: expect.any(String), state: 'running', started_at: expect.any(String) });
  expect(location).toBe(`${env}/executions/${accepted.body.id}`);
  expect(running.body).toMatchObject({ state: 'running', exit_code: null, output: null, finished_at: null });
  expect(done.status, done.raw).toBe(200);
  expect(done.body).toMatchObject({
    id: accepted.body.id,
    state: 'completed',
    exit_code: 7,
    output: 'late\n',
    truncated: false,
    timed_out: false,
  });
});

it('runs at most 8 executions at once: the 9th is a 429 with Retry-After; a finished one frees its slot', async () => {
  // Prepare
  const { execute, env, adminKey } = await readyEnvironment();
  runner(untilAborted);

  // Act
  const first = await Promise.all(
    Array.from({ length: 8 }, () => execute({ command: 'sleep 30', timeout_sec: 3 })),
  );
  const ninth = await execute({ command: 'sleep 30', timeout_sec: 3 });
  await new Promise((resolve) => setTimeout(resolve, 3_500));
  runner(() => ({ output: 'room again\n' }));
  const afterwards = await execute({ command: 'echo room again' });

  // Assess
  expect(first.map((r) => r.status)).toEqual(Array(8).fill(202));
  expectError(ninth, 429, 'rate_limit_error');
  expect(ninth.headers['retry-after']).toBeDefined();
  expect(afterwards.status, afterwards.raw).toBe(200);
  expect(afterwards.body).toMatchObject({ exit_code: 0, output: 'room again\n' });
  const one = await api.call('GET', `${env}/executions/${first[0]?.body.id}`, { key: adminKey });
  expect(one.body).toMatchObject({ state: 'completed', exit_code: 124, timed_out: true });
}, 15_000);

it('runs a command only once its slot is held, and never when the slot is refused', async () => {
  // Prepare
  const { execute, id } = await readyEnvironment();
  const slotEntries = async (): Promise<string[]> => {
    const { Item } = await api.documentClient.send(
      new GetCommand({ TableName: api.tableName, Key: executionSlotsKey(id), ConsistentRead: true }),
    );
    return Item?.running instanceof Set ? [...(Item.running as Set<string>)] : [];
  };
  let seenAtRun: string[] = [];
  const calls = runner(async (call) => {
    if (call.command === 'quick') {
      seenAtRun = await slotEntries();
      return { output: 'ran\n' };
    }
    return untilAborted(call);
  });

  // Act
  const quick = await execute({ command: 'quick' });
  const holding = await Promise.all(
    Array.from({ length: 8 }, () => execute({ command: 'hold', timeout_sec: 3 })),
  );
  const refused = await execute({ command: 'refused' });

  // Assess
  expect(quick.status, quick.raw).toBe(200);
  expect(seenAtRun.some((entry) => entry.endsWith(`|${quick.body.id}`))).toBe(true);
  expect(holding.map((r) => r.status)).toEqual(Array(8).fill(202));
  expectError(refused, 429, 'rate_limit_error');
  expect(calls.map((c) => c.command)).not.toContain('refused');
  expect(calls.filter((c) => c.command === 'hold')).toHaveLength(8);
}, 15_000);

it('keeps the result of a command answered at once readable by its id', async () => {
  // Prepare
  const { execute, env, adminKey } = await readyEnvironment();
  runner(() => ({ exitCode: 5, output: 'quick\n' }));

  // Act
  const answered = await execute({ command: 'echo quick; exit 5' });
  const read = await api.call('GET', `${env}/executions/${answered.body.id}`, { key: adminKey });

  // Assess
  expect(answered.status, answered.raw).toBe(200);
  expect(read.status, read.raw).toBe(200);
  expect(read.body).toMatchObject({
    id: answered.body.id,
    state: 'completed',
    exit_code: 5,
    output: 'quick\n',
    truncated: false,
    timed_out: false,
    duration_ms: answered.body.duration_ms,
  });
});

it('gives the slot of a refused execute back: 9 refusals leave room for 8 executions', async () => {
  // Prepare
  const { execute } = await readyEnvironment();
  const calls = runner(untilAborted);

  // Act
  const refused = await Promise.all(
    Array.from({ length: 9 }, () => execute({ command: 'sleep 30', timeout_sec: 3, service: 'nope' })),
  );
  const accepted = await Promise.all(
    Array.from({ length: 8 }, () => execute({ command: 'sleep 30', timeout_sec: 3 })),
  );

  // Assess
  for (const response of refused) expectError(response, 422, 'validation_error');
  expect(accepted.map((r) => r.status)).toEqual(Array(8).fill(202));
  expect(calls).toHaveLength(8);
});

it('keeps and returns exactly 1 MiB of output (stored in pieces) with truncated', async () => {
  // Prepare: what a runner keeps of 3 MB, multi-byte characters included.
  const kept = 'é'.repeat(MAX_EXEC_OUTPUT_BYTES / 2);
  const { execute, env, adminKey } = await readyEnvironment();
  runner(() => ({ output: kept, truncated: true }));

  // Act
  const reply = await execute({ command: 'head -c 3000000 /dev/zero | tr "\\0" x' });
  const polled = await api.call('GET', `${env}/executions/${reply.body.id}`, { key: adminKey });

  // Assess
  expect(reply.status, reply.raw).toBe(200);
  expect(Buffer.byteLength(reply.body.output, 'utf8')).toBe(MAX_EXEC_OUTPUT_BYTES);
  expect(reply.body.truncated).toBe(true);
  expect(polled.body.output).toBe(kept);
  expect(polled.body.truncated).toBe(true);
});

it('ends the running executions of an environment on DELETE; execute afterwards is a 409', async () => {
  // Prepare
  const { execute, env, adminKey } = await readyEnvironment();
  const calls = runner(untilAborted);
  const accepted = await execute({ command: 'sleep 300', timeout_sec: 300 });
  expect(accepted.status, accepted.raw).toBe(202);

  // Act
  await api.call('DELETE', env, { key: adminKey });
  await new Promise((resolve) => setTimeout(resolve, 200));
  const ended = await api.call('GET', `${env}/executions/${accepted.body.id}`, { key: adminKey });
  const after = await execute({ command: 'true' });

  // Assess
  expect(calls[0]?.options.signal?.aborted).toBe(true);
  expect(ended.body).toMatchObject({ state: 'completed', exit_code: 137, timed_out: false });
  expectError(after, 409, 'conflict_error');
});

it('verifies an answer by digest, trimmed; records the latest result; a wrong one fails', async () => {
  // Prepare
  const { env, adminKey, id } = await readyEnvironment({
    verification: { method: 'flag', value: FLAG },
  });

  // Act
  const right = await api.call('POST', `${env}/verify`, { key: adminKey, body: { answer: `  ${FLAG}\n` } });
  const afterRight = await api.call('GET', env, { key: adminKey });
  const wrong = await api.call('POST', `${env}/verify`, { key: adminKey, body: { answer: 'FLAG{guess}' } });
  const afterWrong = await api.call('GET', env, { key: adminKey });
  const missing = await api.call('POST', `${env}/verify`, { key: adminKey, body: {} });

  // Assess
  expect(right.status, right.raw).toBe(200);
  expect(right.body).toEqual({
    passed: true,
    method: 'flag',
    verified_at: expect.any(String),
    exit_code: null,
    output: null,
  });
  expect(afterRight.body.verification).toEqual({ passed: true, verified_at: right.body.verified_at });
  expect(wrong.body.passed).toBe(false);
  expect(afterWrong.body.verification).toEqual({ passed: false, verified_at: wrong.body.verified_at });
  expectError(missing, 422, 'validation_error');
  const events = aws.eventBridge
    .commandCalls(PutEventsCommand)
    .flatMap((c) => c.args[0].input.Entries ?? [])
    .filter((e) => e.DetailType === 'Environment Verified');
  expect(events.map((e) => JSON.parse(e.Detail ?? '{}'))).toEqual([
    expect.objectContaining({ environment_id: id, passed: true, method: 'flag' }),
    expect.objectContaining({ environment_id: id, passed: false, method: 'flag' }),
  ]);
  await expectFlagNowhere([right, wrong, afterRight]);
});

it('verifies a flag file read by an execution that keeps only its digest', async () => {
  // Prepare
  const { env, adminKey } = await readyEnvironment({
    verification: { method: 'flag', path: "/tmp/it's the flag", value: FLAG },
  });
  let content = 'not yet';
  const calls = runner(() => ({ output: `${content}\n` }));

  // Act
  const before = await api.call('POST', `${env}/verify`, { key: adminKey });
  content = FLAG;
  const after = await api.call('POST', `${env}/verify`, { key: adminKey });

  // Assess
  expect(before.body.passed).toBe(false);
  expect(after.status, after.raw).toBe(200);
  expect(after.body).toMatchObject({ passed: true, method: 'flag', exit_code: null, output: null });
  expect(calls[1]).toMatchObject({ service: 'web', command: `cat -- '/tmp/it'\\''s the flag'` });
  await expectFlagNowhere([before, after]);
});

it('verifies a script task by its exit code, with its timeout and service', async () => {
  // Prepare
  const { env, adminKey } = await readyEnvironment({
    verification: { method: 'script', script: 'test -f /srv/solved', timeout: 5, service: 'db' },
  });
  let exitCode = 1;
  const calls = runner(() => ({ exitCode, output: 'checked\n' }));

  // Act
  const failing = await api.call('POST', `${env}/verify`, { key: adminKey });
  exitCode = 0;
  const passing = await api.call('POST', `${env}/verify`, { key: adminKey });

  // Assess
  expect(failing.body).toMatchObject({ passed: false, method: 'script', exit_code: 1, output: 'checked\n' });
  expect(passing.body).toMatchObject({ passed: true, method: 'script', exit_code: 0 });
  expect(calls[0]).toMatchObject({
    service: 'db',
    command: 'test -f /srv/solved',
    options: { timeoutSec: 5 },
  });
});

it('answers 422 for a task without verification', async () => {
  const { env, adminKey } = await readyEnvironment({ verification: undefined });
  expectError(await api.call('POST', `${env}/verify`, { key: adminKey }), 422, 'validation_error');
});

it("points a failed environment's error to the logs of the service that crashed; the pointer reads them", async () => {
  // Prepare: `db` crashes (web is stopped by the platform after it, 137).
  const { env, adminKey, id, taskArn, org } = await readyEnvironment();
  const reads: string[] = [];
  api.commands.logs = {
    read: async (_task, service) => {
      reads.push(service);
      return { lines: [{ time: '2026-01-01T00:00:01.000Z', message: 'panic: no config' }], truncated: false };
    },
  };
  const stopped = stoppedEvent(id, 9);
  await api.handlers.taskEvents(
    {
      ...stopped,
      detail: {
        ...stopped.detail,
        taskArn,
        containers: [
          { name: 'web', lastStatus: 'STOPPED', exitCode: 137 },
          { name: 'db', lastStatus: 'STOPPED', exitCode: 1 },
        ],
      },
    },
    lambdaContext('task-events'),
  );

  // Act
  const failed = await api.call('GET', env, { key: adminKey });
  const pointer = /its logs: GET (\S+)\?service=(\S+) /.exec(failed.body.error ?? '');
  const logs = await api.call('GET', pointer?.[1] ?? '', {
    key: adminKey,
    query: { service: pointer?.[2] ?? '' },
  });

  // Assess
  expect(failed.body).toMatchObject({
    state: 'failed',
    error: `Task stopped (EssentialContainerExited): Essential container in task exited; container db exited with code 1; its logs: GET /api/v1/org/${org}/ws/default/environments/${id}/logs?service=db (CLI: taskenv env logs ${id} --service db)`,
  });
  expect(logs.status, logs.raw).toBe(200);
  expect(logs.body).toEqual({
    service: 'db',
    lines: [{ time: '2026-01-01T00:00:01.000Z', message: 'panic: no config' }],
    truncated: false,
  });
  expect(reads).toEqual(['db']);
});

it("returns a failed environment's logs of the named service, and 422 for an unknown one", async () => {
  // Prepare
  const { env, adminKey, id, taskArn } = await readyEnvironment();
  const reads: unknown[] = [];
  api.commands.logs = {
    read: async (task, service, tail) => {
      reads.push({ task, service, tail });
      return { lines: [{ time: '2026-01-01T00:00:01.000Z', message: 'crashing now' }], truncated: true };
    },
  };
  await api.handlers.taskEvents(
    {
      ...stoppedEvent(id, 9, { exitCode: 3 }),
      detail: { ...stoppedEvent(id, 9, { exitCode: 3 }).detail, taskArn },
    },
    lambdaContext('task-events'),
  );
  const failed = await api.call('GET', env, { key: adminKey });
  expect(failed.body.state).toBe('failed');

  // Act
  const logs = await api.call('GET', `${env}/logs`, { key: adminKey, query: { service: 'db', tail: '5' } });
  const unknown = await api.call('GET', `${env}/logs`, { key: adminKey, query: { service: 'nope' } });

  // Assess
  expect(logs.status, logs.raw).toBe(200);
  expect(logs.body).toEqual({
    service: 'db',
    lines: [{ time: '2026-01-01T00:00:01.000Z', message: 'crashing now' }],
    truncated: true,
  });
  expect(reads).toEqual([
    {
      task: { environmentId: id, taskArn, taskRef: expect.stringMatching(/\/web-sqli@1\.2\.0$/) },
      service: 'db',
      tail: 5,
    },
  ]);
  expectError(unknown, 422, 'validation_error');
  expect(unknown.body.errors[0].loc).toEqual(['query', 'service']);
});

/** The flag is in no response, no item of the table and no published event. */
const expectFlagNowhere = async (replies: readonly { raw: string }[]) => {
  for (const reply of replies) expect(reply.raw).not.toContain(FLAG);
  const { Items = [] } = await api.documentClient.send(new ScanCommand({ TableName: api.tableName }));
  const items = JSON.stringify(Items);
  // Task versions keep the manifest as published (the author's); nothing written for an environment does.
  const environmentItems = Items.filter((item) => String(item.pk).startsWith('ENV#'));
  expect(environmentItems.length).toBeGreaterThan(0);
  expect(JSON.stringify(environmentItems)).not.toContain(FLAG);
  expect(items.length).toBeGreaterThan(0);
  const events = aws.eventBridge.commandCalls(PutEventsCommand).map((c) => JSON.stringify(c.args[0].input));
  for (const event of events) expect(event).not.toContain(FLAG);
};
