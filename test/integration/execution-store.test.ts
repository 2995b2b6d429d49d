import { randomUUID } from 'node:crypto';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { createDocumentClient } from '#adapters/aws/dynamodb/client';
import { DynamoExecutionStore } from '#adapters/aws/dynamodb/execution-store';
import { executionKey } from '#adapters/aws/dynamodb/keys';
import { TooManyExecutionsError } from '#domain/errors';
import { EXECUTION_RETENTION_SEC, type ExecutionRecord, runningRecord } from '#domain/execution';

const tableName = process.env.TABLE_NAME ?? 'missing TABLE_NAME';
const client = createDocumentClient();
const executions = new DynamoExecutionStore({ client, tableName });

const running = (environmentId: string, startedAt: string, timeoutSec = 30): ExecutionRecord =>
  runningRecord({
    environmentId,
    executionId: randomUUID(),
    taskArn: 'arn:aws:ecs:eu-west-1:123456789012:task/c/t',
    service: 'web',
    command: 'true',
    timeoutSec,
    env: {},
    workdir: null,
    purpose: 'command',
    startedAt,
  });

const outcome = { exitCode: 0, output: 'ok', truncated: false, timedOut: false, durationMs: 5, error: null };

describe('DynamoExecutionStore', () => {
  it('keeps an execution for 24 h (TTL) in its environment partition', async () => {
    // Prepare
    const env = randomUUID();
    const startedAt = new Date().toISOString();
    const execution = running(env, startedAt);
    await executions.start(execution, { maxRunning: 8, now: new Date() });

    // Act
    const recorded = await executions.recordRunning(execution);

    // Assess
    const { Item } = await client.send(
      new GetCommand({ TableName: tableName, Key: executionKey(env, execution.id) }),
    );
    expect(Item?.pk).toBe(`ENV#${env}`);
    expect(Item?.sk).toBe(`EXEC#${execution.id}`);
    expect(Item?.ttl).toBe(Math.floor(Date.parse(startedAt) / 1000) + EXECUTION_RETENTION_SEC);
    expect(recorded).toEqual(execution);
    expect(await executions.get(env, execution.id)).toEqual(execution);
  });

  it('writes the record of an execution that ends before it was recorded running once, at its end', async () => {
    // Prepare
    const env = randomUUID();
    const execution = running(env, new Date().toISOString());
    await executions.start(execution, { maxRunning: 1, now: new Date() });
    const before = await executions.get(env, execution.id);

    // Act
    const finished = await executions.finish(execution, outcome, new Date());
    const late = await executions.recordRunning(execution);

    // Assess: no record until its end; the slot is free again; a late `running` changes nothing.
    expect(before).toBeNull();
    expect(finished).toMatchObject({ state: 'completed', exitCode: 0, output: 'ok' });
    expect(late).toMatchObject({ state: 'completed', exitCode: 0, output: 'ok' });
    expect(await executions.get(env, execution.id)).toMatchObject({ state: 'completed', output: 'ok' });
    await executions.start(running(env, new Date().toISOString()), { maxRunning: 1, now: new Date() });
  });

  it('gives back a slot without recording anything', async () => {
    // Prepare
    const env = randomUUID();
    const execution = running(env, new Date().toISOString());
    await executions.start(execution, { maxRunning: 1, now: new Date() });
    await expect(
      executions.start(running(env, new Date().toISOString()), { maxRunning: 1, now: new Date() }),
    ).rejects.toBeInstanceOf(TooManyExecutionsError);

    // Act
    await executions.release(execution);

    // Assess
    await executions.start(running(env, new Date().toISOString()), { maxRunning: 1, now: new Date() });
    expect(await executions.get(env, execution.id)).toBeNull();
  });

  it('refuses a start beyond maxRunning under concurrency, and a finish frees the slot', async () => {
    // Prepare
    const env = randomUUID();
    const now = new Date();
    const batch = Array.from({ length: 10 }, () => running(env, now.toISOString()));

    // Act
    const results = await Promise.allSettled(batch.map((e) => executions.start(e, { maxRunning: 8, now })));
    const started = batch.filter((_, i) => results[i]?.status === 'fulfilled');
    const [first] = started;
    if (first === undefined) throw new Error('nothing started');
    await executions.finish(first, outcome, new Date());
    const again = running(env, now.toISOString());
    await executions.start(again, { maxRunning: 8, now });

    // Assess
    expect(started).toHaveLength(8);
    const refused = results
      .filter((r) => r.status === 'rejected')
      .map((r) => (r as PromiseRejectedResult).reason);
    expect(refused).toHaveLength(2);
    for (const reason of refused) expect(reason).toBeInstanceOf(TooManyExecutionsError);
    expect((await executions.get(env, first.id))?.state).toBe('completed');
    await expect(
      executions.start(running(env, now.toISOString()), { maxRunning: 8, now }),
    ).rejects.toBeInstanceOf(TooManyExecutionsError);
  });

  it('gives back the slots of executions whose runner died (past their deadline)', async () => {
    // Prepare: 8 executions started an hour ago with a 30 s timeout, never finished.
    const env = randomUUID();
    const hourAgo = new Date(Date.now() - 3600_000).toISOString();
    for (let i = 0; i < 8; i++)
      await executions.start(running(env, hourAgo), { maxRunning: 8, now: new Date() });

    // Act
    const fresh = running(env, new Date().toISOString());
    await executions.start(fresh, { maxRunning: 8, now: new Date() });

    // Assess
    expect(await executions.recordRunning(fresh)).toEqual(fresh);
  });

  it('finishing twice keeps the first outcome', async () => {
    // Prepare
    const env = randomUUID();
    const execution = running(env, new Date().toISOString());
    await executions.start(execution, { maxRunning: 8, now: new Date() });

    // Act
    await executions.finish(execution, outcome, new Date());
    const second = await executions.finish(
      execution,
      { ...outcome, exitCode: 9, output: 'late' },
      new Date(),
    );

    // Assess
    expect(second).toMatchObject({ state: 'completed', exitCode: 0, output: 'ok' });
  });
});
