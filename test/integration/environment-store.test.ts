import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { createDocumentClient } from '#adapters/aws/dynamodb/client';
import { DynamoEnvironmentStore } from '#adapters/aws/dynamodb/environment-store';
import { environmentKey } from '#adapters/aws/dynamodb/keys';
import { quotaUsage } from '#adapters/aws/dynamodb/org-quota';
import { type EnvironmentRecord, environmentStates, finalStates } from '#domain/environment';
import { AlreadyExistsError, QuotaExceededError } from '#domain/errors';
import type { StateChange } from '#ports/environment-store';
import { makeEnvironment, summaryOf, uniqueName } from '#test/support/factories';

const tableName = process.env.TABLE_NAME ?? 'missing TABLE_NAME';
const client = createDocumentClient();
const store = new DynamoEnvironmentStore({ client, tableName });

const quota = { limit: 50 };

const rawItem = async (key: { pk: string; sk: string }): Promise<Record<string, unknown> | undefined> =>
  (await client.send(new GetCommand({ TableName: tableName, Key: key, ConsistentRead: true }))).Item;

/** The org's quota in use: the sum of its quota shards (`org-quota.ts`). */
const runningCount = (org: string): Promise<number> => quotaUsage(client, tableName, org);

/** Creates environments one after another, so their order is their creation order. */
const createAll = async (records: readonly EnvironmentRecord[]): Promise<void> => {
  for (const record of records) await store.create(record, quota);
};

describe('DynamoEnvironmentStore', () => {
  describe('create and get', () => {
    it('reads back exactly the record it stored', async () => {
      // Prepare
      const record = makeEnvironment({
        serviceUrls: {
          web: { url: 'http://203.0.113.7:80', host: '203.0.113.7', port: 80, protocol: 'http' },
        },
        secretIds: ['api-key', 'DB_PASSWORD'],
        inputs: { user: 'root', level: 5, verbose: true },
      });

      // Act
      await store.create(record, quota);

      // Assess
      expect(await store.get(record.id)).toEqual(record);
      expect(await runningCount(record.org)).toBe(1);
    });

    it('stores nothing beyond the record, its keys and no NULLs', async () => {
      const record = makeEnvironment();
      await store.create(record, quota);

      const item = await rawItem(environmentKey(record.id));

      const keys = [
        'pk',
        'sk',
        'gsi1pk',
        'gsi1sk',
        'gsi3pk',
        'gsi3sk',
        'gsi4pk',
        'gsi4sk',
        'gsi5pk',
        'gsi5sk',
        // The quota shard holding its unit (`org-quota.ts`).
        'quotaShard',
      ];
      const nonNullFields = Object.entries(record)
        .filter(([, value]) => value !== null)
        .map(([field]) => field);
      expect(Object.keys(item ?? {}).sort()).toEqual([...keys, ...nonNullFields].sort());
    });

    it('answers null for an unknown id', async () => {
      expect(await store.get(crypto.randomUUID())).toBeNull();
    });

    it('refuses a second environment with the same id and takes no quota for it', async () => {
      const record = makeEnvironment();
      await store.create(record, quota);

      await expect(store.create({ ...record, projectId: 'other' }, quota)).rejects.toBeInstanceOf(
        AlreadyExistsError,
      );

      expect(await store.get(record.id)).toEqual(record);
      expect(await runningCount(record.org)).toBe(1);
    });
  });

  describe('quota', () => {
    it('lets exactly `limit` of 20 concurrent creates through', async () => {
      // Prepare
      const org = uniqueName('org');
      const records = Array.from({ length: 20 }, () => makeEnvironment({ org }));

      // Act
      const results = await Promise.allSettled(records.map((r) => store.create(r, { limit: 5 })));

      // Assess
      const failures = results.flatMap((r) => (r.status === 'rejected' ? [r.reason] : []));
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(5);
      expect(failures).toHaveLength(15);
      for (const failure of failures) expect(failure).toBeInstanceOf(QuotaExceededError);
      expect(await runningCount(org)).toBe(5);
      const stored = await Promise.all(records.map((r) => store.get(r.id)));
      expect(stored.filter((r) => r !== null)).toHaveLength(5);
    });

    it('frees a unit when an environment finishes', async () => {
      const org = uniqueName('org');
      const first = makeEnvironment({ org });
      await store.create(first, { limit: 1 });
      await expect(store.create(makeEnvironment({ org }), { limit: 1 })).rejects.toBeInstanceOf(
        QuotaExceededError,
      );

      await store.transition(first.id, { to: 'torn_down' });

      await expect(store.create(makeEnvironment({ org }), { limit: 1 })).resolves.toBeUndefined();
      expect(await runningCount(org)).toBe(1);
    });

    it('admits nothing under a limit of 0', async () => {
      const record = makeEnvironment();

      await expect(store.create(record, { limit: 0 })).rejects.toBeInstanceOf(QuotaExceededError);

      expect(await store.get(record.id)).toBeNull();
    });
  });

  describe('transition', () => {
    it('moves forward, records the event version and applies the patch', async () => {
      // Prepare
      const record = makeEnvironment();
      await store.create(record, quota);
      const serviceUrls = {
        web: { url: 'http://198.51.100.4:80', host: '198.51.100.4', port: 80, protocol: 'http' },
      };

      // Act
      const provisioning = await store.transition(record.id, {
        to: 'provisioning',
        eventVersion: 1,
        set: { taskArn: 'arn:aws:ecs:us-east-1:123456789012:task/c/abc' },
      });
      const ready = await store.transition(record.id, {
        to: 'ready',
        eventVersion: 3,
        set: { serviceUrls, instruction: 'Log in to http://198.51.100.4:80/login as admin.' },
      });

      // Assess
      expect(provisioning).toMatchObject({
        state: 'provisioning',
        eventVersion: 1,
        taskArn: expect.any(String),
      });
      expect(ready).toMatchObject({ state: 'ready', eventVersion: 3, serviceUrls });
      expect((ready?.updatedAt ?? '') >= record.updatedAt).toBe(true);
      expect(await store.get(record.id)).toEqual(ready);
    });

    it.each([2, 3])('ignores an event whose version %i is not newer than the applied 3', async (version) => {
      const record = makeEnvironment({ state: 'provisioning', eventVersion: 3 });
      await store.create(record, quota);

      expect(await store.transition(record.id, { to: 'ready', eventVersion: version })).toBeNull();
      expect(await store.transition(record.id, { to: 'failed', eventVersion: version })).toBeNull();

      expect(await store.get(record.id)).toEqual(record);
      expect(await runningCount(record.org)).toBe(1);
    });

    it('refuses moves the state machine does not allow', async () => {
      const record = makeEnvironment({ state: 'ready' });
      await store.create(record, quota);

      expect(await store.transition(record.id, { to: 'provisioning' })).toBeNull();
      expect(await store.transition(record.id, { to: 'building' })).toBeNull();
      expect(await store.transition(record.id, { to: 'ready' })).toBeNull();

      expect(await store.get(record.id)).toEqual(record);
    });

    it('answers null for an unknown id and creates nothing', async () => {
      const id = crypto.randomUUID();

      expect(await store.transition(id, { to: 'ready' })).toBeNull();
      expect(await store.transition(id, { to: 'failed' })).toBeNull();

      expect(await rawItem(environmentKey(id))).toBeUndefined();
    });

    it('finalises: releases the quota, leaves the live index and expires in 30 days', async () => {
      // Prepare
      const record = makeEnvironment({ state: 'ready' });
      await store.create(record, quota);
      const before = Math.floor(Date.now() / 1000);

      // Act
      const failed = await store.transition(record.id, {
        to: 'failed',
        eventVersion: 7,
        set: { error: 'Essential container exited with code 137', serviceUrls: null },
      });

      // Assess
      expect(failed).toEqual({
        ...record,
        state: 'failed',
        eventVersion: 7,
        error: 'Essential container exited with code 137',
        updatedAt: failed?.updatedAt,
        previousState: 'ready',
      });
      expect(await runningCount(record.org)).toBe(0);
      const item = await rawItem(environmentKey(record.id));
      expect(item).not.toHaveProperty('gsi3pk');
      expect(item).not.toHaveProperty('gsi3sk');
      const thirtyDays = 30 * 24 * 3600;
      expect(item?.ttl).toBeGreaterThanOrEqual(before + thirtyDays);
      expect(item?.ttl).toBeLessThanOrEqual(Math.ceil(Date.now() / 1000) + thirtyDays);
    });

    it.each(finalStates)('never changes a %s environment again', async (final) => {
      // Prepare
      const record = makeEnvironment({ state: 'ready', eventVersion: 5 });
      await store.create(record, quota);
      const finished = await store.transition(record.id, { to: final, eventVersion: 6 });

      // Act
      const attempts = await Promise.all([
        ...environmentStates.map((to) => store.transition(record.id, { to, eventVersion: 100 })),
        ...environmentStates.map((to) => store.transition(record.id, { to })),
        store.update(record.id, { error: 'late', expiresAt: null }),
        store.update(record.id, { launchAttempts: 9 }, { eventVersion: 100 }),
      ]);

      // Assess
      expect(attempts.every((a) => a === null)).toBe(true);
      expect(await store.get(record.id)).toEqual(finished);
      expect(await runningCount(record.org)).toBe(0);
    });

    it('releases the quota once when two finalisations race', async () => {
      // Prepare
      const org = uniqueName('org');
      const records = Array.from({ length: 4 }, () => makeEnvironment({ org, state: 'ready' }));
      await createAll(records);

      // Act
      const outcomes = await Promise.all(
        records.map((r) =>
          Promise.all([
            store.transition(r.id, { to: 'torn_down', set: { stopReason: 'deleted' } }),
            store.transition(r.id, { to: 'failed', eventVersion: 9, set: { error: 'OutOfMemoryError' } }),
          ]),
        ),
      );

      // Assess
      for (const [index, pair] of outcomes.entries()) {
        const winners = pair.filter((o) => o !== null);
        expect(winners).toHaveLength(1);
        expect(await store.get(records[index]?.id ?? '')).toEqual(winners[0]);
      }
      expect(await runningCount(org)).toBe(0);
    });
  });

  describe('transition from the record the caller read (expected)', () => {
    /** The store on a client that keeps the name of every command it sends. */
    const counted = () => {
      const countingClient = createDocumentClient();
      const commands: string[] = [];
      const send = countingClient.send.bind(countingClient);
      countingClient.send = ((command: { constructor: { name: string } }, ...rest: unknown[]) => {
        commands.push(command.constructor.name);
        return (send as (...args: unknown[]) => unknown)(command, ...rest);
      }) as typeof countingClient.send;
      return { store: new DynamoEnvironmentStore({ client: countingClient, tableName }), commands };
    };

    const ready = (overrides: Partial<EnvironmentRecord> = {}) =>
      makeEnvironment({
        state: 'ready',
        eventVersion: 4,
        taskArn: 'arn:aws:ecs:us-east-1:000000000000:task/c/1',
        instruction: 'Log in to http://203.0.113.7:80/login as admin.',
        serviceUrls: {
          web: { url: 'http://203.0.113.7:80', host: '203.0.113.7', port: 80, protocol: 'http' },
        },
        ...overrides,
      });

    const finalisations: readonly {
      readonly name: string;
      readonly record: () => EnvironmentRecord;
      readonly change: StateChange;
    }[] = [
      {
        name: 'failed with an error and an event version, instruction cleared',
        record: () => ready(),
        change: {
          to: 'failed',
          eventVersion: 7,
          set: { serviceUrls: null, instruction: null, error: 'Essential container exited with code 137' },
        },
      },
      {
        name: 'torn_down with a stop reason, no event version (DELETE)',
        record: () => ready({ instructionTemplate: null }),
        change: { to: 'torn_down', set: { serviceUrls: null, error: null, stopReason: 'deleted' } },
      },
      {
        name: 'torn_down by a STOPPED event, keeping an instruction without a template',
        record: () => ready({ instructionTemplate: null, stopReason: 'expired', error: 'stale' }),
        change: { to: 'torn_down', eventVersion: 9, set: { serviceUrls: null, error: null } },
      },
      {
        name: 'failed launch: no task, no event version, nothing else set before',
        record: () => makeEnvironment({ launchAttempts: 1 }),
        change: { to: 'failed', set: { error: 'Launch failed: RESOURCE:MEMORY' } },
      },
      {
        name: 'failed from building while adopting the task ARN, empty patch fields untouched',
        record: () => makeEnvironment({ state: 'building', launchAttempts: 2, expiresAt: null }),
        change: {
          to: 'failed',
          eventVersion: 3,
          set: { taskArn: 'arn:aws:ecs:us-east-1:000000000000:task/c/2', error: 'CannotPullContainerError' },
        },
      },
    ];

    it.each(finalisations)(
      '$name: one transaction, no read, and returns what a read returns',
      async ({ record, change }) => {
        // Prepare
        const stored = record();
        await store.create(stored, quota);
        const { store: countingStore, commands } = counted();

        // Act: from the record as created (as create-environment has it)
        const finished = await countingStore.transition(stored.id, change, { expected: stored });

        // Assess
        expect(commands).toEqual(['TransactWriteCommand']);
        expect(finished).not.toBeNull();
        expect(finished).toStrictEqual(await store.get(stored.id));
        expect(finished?.state).toBe(change.to);
        expect(await runningCount(stored.org)).toBe(0);
      },
    );

    it.each(finalisations)('$name: the same from the record as read', async ({ record, change }) => {
      const stored = record();
      await store.create(stored, quota);
      const read = await store.get(stored.id);
      if (read === null) throw new Error('not stored');
      const { store: countingStore, commands } = counted();

      const finished = await countingStore.transition(stored.id, change, { expected: read });

      expect(commands).toEqual(['TransactWriteCommand']);
      expect(finished).toStrictEqual(await store.get(stored.id));
      expect(await runningCount(stored.org)).toBe(0);
    });

    it('returns the stored record when another write changed it since it was read', async () => {
      // Prepare
      const stored = ready();
      await store.create(stored, quota);
      const extended = '2099-01-01T00:00:00.000Z';
      await store.update(stored.id, { expiresAt: extended, launchAttempts: 3 }, { eventVersion: 5 });

      // Act
      const finished = await store.transition(
        stored.id,
        { to: 'torn_down', eventVersion: 6, set: { serviceUrls: null, stopReason: 'deleted' } },
        { expected: stored },
      );

      // Assess
      expect(finished).toStrictEqual(await store.get(stored.id));
      expect(finished).toMatchObject({ state: 'torn_down', expiresAt: extended, launchAttempts: 3 });
      expect(await runningCount(stored.org)).toBe(0);
    });

    it('changes nothing when the stored record no longer allows it, however it was read', async () => {
      // Prepare
      const stored = ready();
      await store.create(stored, quota);
      const newer = await store.update(stored.id, { taskArn: 'arn:task/2' }, { eventVersion: 10 });
      const ended = await store.transition(stored.id, { to: 'torn_down', set: { stopReason: 'deleted' } });

      // Act
      const stale = await store.transition(
        stored.id,
        { to: 'failed', eventVersion: 8, set: { error: 'late' } },
        { expected: stored },
      );
      const afterEnd = await store.transition(
        stored.id,
        { to: 'failed', eventVersion: 11, set: { error: 'late' } },
        { expected: newer ?? stored },
      );

      // Assess
      expect(stale).toBeNull();
      expect(afterEnd).toBeNull();
      expect(await store.get(stored.id)).toStrictEqual(ended);
      expect(await runningCount(stored.org)).toBe(0);
    });

    it('refuses a stale event even when the read record says it is newer', async () => {
      const stored = ready();
      await store.create(stored, quota);
      await store.update(stored.id, {}, { eventVersion: 10 });

      const stale = await store.transition(
        stored.id,
        { to: 'failed', eventVersion: 8, set: { error: 'late' } },
        { expected: stored },
      );

      expect(stale).toBeNull();
      expect((await store.get(stored.id))?.state).toBe('ready');
      expect(await runningCount(stored.org)).toBe(1);
    });

    it('releases the quota once when two finalisations from the same read race', async () => {
      // Prepare
      const org = uniqueName('org');
      const records = Array.from({ length: 4 }, () => ready({ org }));
      await createAll(records);

      // Act
      const outcomes = await Promise.all(
        records.map((r) =>
          Promise.all([
            store.transition(r.id, { to: 'torn_down', set: { stopReason: 'deleted' } }, { expected: r }),
            store.transition(
              r.id,
              { to: 'failed', eventVersion: 9, set: { error: 'OutOfMemoryError' } },
              { expected: r },
            ),
          ]),
        ),
      );

      // Assess
      for (const [index, pair] of outcomes.entries()) {
        const winners = pair.filter((o) => o !== null);
        expect(winners).toHaveLength(1);
        expect(await store.get(records[index]?.id ?? '')).toStrictEqual(winners[0]);
      }
      expect(await runningCount(org)).toBe(0);
    });

    it('refuses the record of another environment', async () => {
      const stored = ready();
      await store.create(stored, quota);

      await expect(
        store.transition(crypto.randomUUID(), { to: 'torn_down' }, { expected: stored }),
      ).rejects.toThrow(/given for environment/);
      expect((await store.get(stored.id))?.state).toBe('ready');
    });
  });

  describe('update', () => {
    it('changes fields, clears with null, keeps the state', async () => {
      const record = makeEnvironment({ state: 'provisioning', taskArn: 'arn:task/1', error: 'transient' });
      await store.create(record, quota);

      const updated = await store.update(record.id, {
        error: null,
        launchAttempts: 2,
        taskArn: 'arn:task/2',
      });

      expect(updated).toEqual({
        ...record,
        error: null,
        launchAttempts: 2,
        taskArn: 'arn:task/2',
        updatedAt: updated?.updatedAt,
      });
      expect(await rawItem(environmentKey(record.id))).not.toHaveProperty('error');
    });

    it('applies only newer events and records their version', async () => {
      const record = makeEnvironment({ state: 'ready', eventVersion: 4 });
      await store.create(record, quota);

      expect(await store.update(record.id, { serviceUrls: null }, { eventVersion: 4 })).toBeNull();
      expect(await store.update(record.id, { serviceUrls: null }, { eventVersion: 3 })).toBeNull();
      expect(await store.get(record.id)).toEqual(record);

      const updated = await store.update(record.id, { instruction: 'stopping' }, { eventVersion: 5 });
      expect(updated).toMatchObject({ eventVersion: 5, instruction: 'stopping', state: 'ready' });
    });

    it('keeps the live index in step with expiresAt', async () => {
      const record = makeEnvironment();
      await store.create(record, quota);
      const expiresAt = new Date(Date.now() + 3_600_000).toISOString();

      await store.update(record.id, { expiresAt });

      const item = await rawItem(environmentKey(record.id));
      expect(item?.expiresAt).toBe(expiresAt);
      expect(item?.gsi3sk).toBe(`${expiresAt}#${record.id}`);
    });

    it('answers null for an unknown id and creates nothing', async () => {
      const id = crypto.randomUUID();

      expect(await store.update(id, { launchAttempts: 1 })).toBeNull();

      expect(await rawItem(environmentKey(id))).toBeUndefined();
    });
  });

  describe('list', () => {
    const org = uniqueName('org');
    const workspace = uniqueName('ws');
    const base = Date.parse('2030-01-01T00:00:00.000Z');
    // env 0 is the oldest; states and projects vary so that filters pick distinct subsets.
    const records = Array.from({ length: 7 }, (_, i) =>
      makeEnvironment({
        org,
        workspace,
        createdAt: new Date(base + i * 60_000).toISOString(),
        state: i % 3 === 0 ? 'ready' : 'building',
        projectId: i < 4 ? 'alpha' : 'beta',
      }),
    );
    const newestFirst = [...records].reverse();
    const ids = (page: { items: readonly { id: string }[] }): string[] => page.items.map((r) => r.id);
    beforeAll(() => createAll(records));

    it('pages newest first with the total over all pages', async () => {
      const pages = await Promise.all(
        [1, 2, 3, 4].map((page) => store.list({ org, workspace, page, limit: 3 })),
      );

      expect(pages.map(ids)).toEqual([
        newestFirst.slice(0, 3).map((r) => r.id),
        newestFirst.slice(3, 6).map((r) => r.id),
        newestFirst.slice(6).map((r) => r.id),
        [],
      ]);
      expect(pages.map((p) => p.total)).toEqual([7, 7, 7, 7]);
      expect(pages[0]?.items[0]).toEqual(summaryOf(records[6] as EnvironmentRecord));
    });

    it('filters by state and project, counting only matches', async () => {
      const ready = await store.list({ org, workspace, states: ['ready'], page: 1, limit: 50 });
      const several = await store.list({ org, workspace, states: ['ready', 'building'], page: 1, limit: 50 });
      const beta = await store.list({ org, workspace, projectId: 'beta', page: 1, limit: 1 });
      const both = await store.list({
        org,
        workspace,
        states: ['building'],
        projectId: 'alpha',
        page: 1,
        limit: 50,
      });
      const none = await store.list({ org, workspace, states: ['failed'], page: 1, limit: 50 });

      expect(ids(ready)).toEqual([records[6], records[3], records[0]].map((r) => r?.id));
      expect(several.total).toBe(7);
      expect(beta).toEqual({ items: [summaryOf(records[6] as EnvironmentRecord)], total: 3 });
      expect(ids(both)).toEqual([records[2], records[1]].map((r) => r?.id));
      expect(none).toEqual({ items: [], total: 0 });
    });

    it('shows only the asked workspace', async () => {
      const other = await store.list({ org, workspace: uniqueName('ws'), page: 1, limit: 50 });

      expect(other).toEqual({ items: [], total: 0 });
    });
  });

  describe('listLive', () => {
    it('holds live environments and no finished ones', async () => {
      // Prepare: ids spread over the shards, one finished in each live state's company.
      const org = uniqueName('org');
      const live = environmentStates
        .filter((s) => !finalStates.includes(s))
        .map((state) =>
          makeEnvironment(state === 'paused' ? { org, state, expiresAt: null } : { org, state }),
        );
      const finished = [
        makeEnvironment({ org, state: 'ready' }),
        makeEnvironment({ org, state: 'building' }),
      ];
      await createAll([...live, ...finished]);
      await store.transition(finished[0]?.id ?? '', { to: 'torn_down' });
      await store.transition(finished[1]?.id ?? '', { to: 'failed' });

      // Act
      const listed = await store.listLive();

      // Assess
      const mine = listed.filter((r) => r.org === org);
      expect(mine.map((r) => r.id).sort()).toEqual(live.map((r) => r.id).sort());
      expect(mine.find((r) => r.id === live[0]?.id)).toEqual(live[0]);
    });
  });
});
