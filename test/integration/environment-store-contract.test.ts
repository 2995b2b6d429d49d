/**
 * The `EnvironmentStore` contract, run against both implementations the tests use: the
 * in-memory fake of the lifecycle tests and the DynamoDB store on DynamoDB Local. Expectations
 * are literal, so a fake that drifts from the real store (or a store that drifts from the
 * contract) fails here rather than making other tests pass for the wrong reason.
 */
import { describe, expect, it } from 'vitest';
import { createDocumentClient } from '#adapters/aws/dynamodb/client';
import { DynamoEnvironmentStore } from '#adapters/aws/dynamodb/environment-store';
import type { EnvironmentState } from '#domain/environment';
import { AlreadyExistsError, QuotaExceededError } from '#domain/errors';
import type { EnvironmentStore } from '#ports/environment-store';
import { makeEnvironment, uniqueName } from '#test/support/factories';
import { InMemoryEnvironmentStore } from '#test/support/lifecycle-fakes';

const tableName = process.env.TABLE_NAME ?? 'missing TABLE_NAME';
const dynamo = new DynamoEnvironmentStore({ client: createDocumentClient(), tableName });
const systemClock = { now: () => new Date() };

const implementations: readonly (readonly [string, () => EnvironmentStore])[] = [
  ['in-memory fake', () => new InMemoryEnvironmentStore(systemClock)],
  ['DynamoDB store', () => dynamo],
];

/** Every (from, to) pair and whether the store applies it: the state machine, written out. */
const moves: readonly (readonly [EnvironmentState, EnvironmentState, boolean])[] = [
  ['building', 'building', false],
  ['building', 'provisioning', true],
  ['building', 'ready', true],
  ['building', 'paused', false],
  ['building', 'torn_down', true],
  ['building', 'failed', true],
  ['provisioning', 'building', false],
  ['provisioning', 'provisioning', false],
  ['provisioning', 'ready', true],
  ['provisioning', 'paused', false],
  ['provisioning', 'torn_down', true],
  ['provisioning', 'failed', true],
  ['ready', 'building', false],
  ['ready', 'provisioning', false],
  ['ready', 'ready', false],
  ['ready', 'paused', true],
  ['ready', 'torn_down', true],
  ['ready', 'failed', true],
  ['paused', 'building', false],
  ['paused', 'provisioning', false],
  ['paused', 'ready', true],
  ['paused', 'paused', false],
  ['paused', 'torn_down', true],
  ['paused', 'failed', true],
  ['torn_down', 'building', false],
  ['torn_down', 'provisioning', false],
  ['torn_down', 'ready', false],
  ['torn_down', 'paused', false],
  ['torn_down', 'torn_down', false],
  ['torn_down', 'failed', false],
  ['failed', 'building', false],
  ['failed', 'provisioning', false],
  ['failed', 'ready', false],
  ['failed', 'paused', false],
  ['failed', 'torn_down', false],
  ['failed', 'failed', false],
];

describe.each(implementations)('EnvironmentStore contract: %s', (_name, makeStore) => {
  const quota = { limit: 2 };

  it('reads back what it created, and refuses the same id twice', async () => {
    const store = makeStore();
    const record = makeEnvironment();

    await store.create(record, quota);

    expect(await store.get(record.id)).toEqual(record);
    await expect(store.create(record, quota)).rejects.toBeInstanceOf(AlreadyExistsError);
    expect(await store.get('no-such-environment')).toBeNull();
  });

  it('takes one unit of quota per live environment and gives it back once on the final move', async () => {
    const store = makeStore();
    const org = uniqueName('org');
    const [first, second, third] = [0, 1, 2].map(() => makeEnvironment({ org }));
    if (first === undefined || second === undefined || third === undefined) throw new Error('unreachable');
    await store.create(first, quota);
    await store.create(second, quota);

    await expect(store.create(third, quota)).rejects.toBeInstanceOf(QuotaExceededError);
    expect(await store.transition(first.id, { to: 'failed', set: { error: 'boom' } })).toMatchObject({
      state: 'failed',
      previousState: 'building',
      error: 'boom',
    });
    // A second final move changes nothing and releases nothing more.
    expect(await store.transition(first.id, { to: 'torn_down' })).toBeNull();
    await store.create(third, quota);
    await expect(store.create(makeEnvironment({ org }), quota)).rejects.toBeInstanceOf(QuotaExceededError);
  });

  it.each(moves)('%s → %s applies: %s', async (from, to, applies) => {
    const store = makeStore();
    const record = makeEnvironment({ state: from, eventVersion: 1 });
    await store.create(record, { limit: 1000 });

    const moved = await store.transition(record.id, { to });

    if (applies) {
      expect(moved).toMatchObject({ id: record.id, state: to, previousState: from });
      expect((await store.get(record.id))?.state).toBe(to);
    } else {
      expect(moved).toBeNull();
      expect((await store.get(record.id))?.state).toBe(from);
    }
  });

  it('applies an event only when it is newer, or as new with orSameVersion', async () => {
    const store = makeStore();
    const record = makeEnvironment({ state: 'provisioning', eventVersion: 4 });
    await store.create(record, quota);

    expect(await store.transition(record.id, { to: 'ready', eventVersion: 3 })).toBeNull();
    expect(await store.transition(record.id, { to: 'ready', eventVersion: 4 })).toBeNull();
    expect(
      await store.transition(record.id, { to: 'ready', eventVersion: 4, orSameVersion: true }),
    ).toMatchObject({ state: 'ready', eventVersion: 4 });
    expect(await store.transition(record.id, { to: 'failed', eventVersion: 5 })).toMatchObject({
      state: 'failed',
      eventVersion: 5,
      previousState: 'ready',
    });
  });

  it('updates fields of a live environment only, and only for a newer event', async () => {
    const store = makeStore();
    const record = makeEnvironment({ state: 'provisioning', eventVersion: 2 });
    await store.create(record, quota);

    expect(await store.update(record.id, { taskArn: 'arn:task/1' })).toMatchObject({
      taskArn: 'arn:task/1',
      state: 'provisioning',
    });
    expect(await store.update(record.id, { instruction: 'x' }, { eventVersion: 2 })).toBeNull();
    expect(await store.update(record.id, { instruction: 'x' }, { eventVersion: 3 })).toMatchObject({
      instruction: 'x',
      eventVersion: 3,
    });
    await store.transition(record.id, { to: 'torn_down' });
    expect(await store.update(record.id, { instruction: 'y' })).toBeNull();
    expect(await store.update('no-such-environment', { instruction: 'y' })).toBeNull();
  });

  it('lists live environments and leaves the final ones out', async () => {
    const store = makeStore();
    const live = makeEnvironment({ state: 'ready' });
    const ended = makeEnvironment({ state: 'building' });
    await store.create(live, quota);
    await store.create(ended, quota);
    await store.transition(ended.id, { to: 'torn_down' });

    const ids = (await store.listLive()).map((e) => e.id);

    expect(ids).toContain(live.id);
    expect(ids).not.toContain(ended.id);
  });

  it('lists a workspace newest first, filtered by state and project, page by page', async () => {
    const store = makeStore();
    const org = uniqueName('org');
    const workspace = uniqueName('ws');
    const at = (second: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, second)).toISOString();
    const oldest = makeEnvironment({ org, workspace, createdAt: at(1), projectId: 'a' });
    const middle = makeEnvironment({ org, workspace, createdAt: at(2), projectId: 'b', state: 'ready' });
    const newest = makeEnvironment({ org, workspace, createdAt: at(3), projectId: 'a' });
    for (const record of [oldest, middle, newest]) await store.create(record, { limit: 10 });

    const all = await store.list({ org, workspace, page: 1, limit: 2 });
    const second = await store.list({ org, workspace, page: 2, limit: 2 });
    const ready = await store.list({ org, workspace, states: ['ready'], page: 1, limit: 10 });
    const projectA = await store.list({ org, workspace, projectId: 'a', page: 1, limit: 10 });

    expect(all.items.map((e) => e.id)).toEqual([newest.id, middle.id]);
    expect(all.total).toBe(3);
    expect(second.items.map((e) => e.id)).toEqual([oldest.id]);
    expect(ready.items.map((e) => e.id)).toEqual([middle.id]);
    expect(ready.total).toBe(1);
    expect(projectA.items.map((e) => e.id)).toEqual([newest.id, oldest.id]);
  });
});
