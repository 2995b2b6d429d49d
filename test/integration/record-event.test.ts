import { describe, expect, it } from 'vitest';
import { createDocumentClient } from '#adapters/aws/dynamodb/client';
import { DynamoEnvironmentStore } from '#adapters/aws/dynamodb/environment-store';
import type { EnvironmentRecord } from '#domain/environment';
import type { EventVersionWrite } from '#ports/environment-store';
import { FIXTURE_TASK_ARN } from '#test/support/ecs-events';
import { makeEnvironment } from '#test/support/factories';

const tableName = process.env.TABLE_NAME ?? 'missing TABLE_NAME';
const NOW = '2030-01-01T00:00:00.000Z';
const store = new DynamoEnvironmentStore({
  client: createDocumentClient(),
  tableName,
  clock: { now: () => new Date(NOW) },
});

const stored = async (overrides: Partial<EnvironmentRecord>): Promise<EnvironmentRecord> => {
  const record = makeEnvironment({ taskArn: FIXTURE_TASK_ARN, eventVersion: 2, ...overrides });
  await store.create(record, { limit: 50 });
  return record;
};

const event = (overrides: Partial<EventVersionWrite> = {}): EventVersionWrite => ({
  eventVersion: 3,
  taskArn: FIXTURE_TASK_ARN,
  states: ['provisioning', 'ready'],
  ...overrides,
});

describe('DynamoEnvironmentStore.recordEvent (one conditional write, no read)', () => {
  it('records the newer version and nothing else, and answers the record as stored', async () => {
    // Prepare
    const record = await stored({ state: 'provisioning' });

    // Act
    const outcome = await store.recordEvent(record.id, event());

    // Assess
    const after = { ...record, eventVersion: 3, updatedAt: NOW };
    expect(outcome).toEqual({ written: true, record: after });
    expect(await store.get(record.id)).toEqual(after);
  });

  it.each([
    ['a state it does not name', { state: 'building' }, {}],
    ['a version already applied', { state: 'ready', eventVersion: 3 }, {}],
    ['a newer version applied', { state: 'ready', eventVersion: 7 }, {}],
    ['another task', { state: 'ready', taskArn: 'arn:aws:ecs:us-west-2:111122223333:task/other' }, {}],
    ['no task ARN saved yet', { state: 'provisioning', taskArn: null }, {}],
    [
      'no probes to wait for, outside ready',
      { state: 'provisioning', readiness: null },
      { readinessUnlessReady: true },
    ],
  ] as const)(
    'changes nothing on %s, and answers the record it was tested on',
    async (_, overrides, write) => {
      // Prepare
      const record = await stored(overrides);

      // Act
      const outcome = await store.recordEvent(record.id, event(write));

      // Assess
      expect(outcome).toEqual({ written: false, current: record });
      expect(await store.get(record.id)).toEqual(record);
    },
  );

  it('waits for probes in ready, or outside it when the environment has some', async () => {
    const probed = await stored({ state: 'provisioning', readiness: { services: ['web'], graceSec: 30 } });
    const ready = await stored({ state: 'ready', readiness: null });

    const outcomes = await Promise.all(
      [probed, ready].map((r) => store.recordEvent(r.id, event({ readinessUnlessReady: true }))),
    );

    expect(outcomes.map((o) => o.written)).toEqual([true, true]);
  });

  it('answers no record for an environment that does not exist', async () => {
    expect(await store.recordEvent(makeEnvironment().id, event())).toEqual({ written: false, current: null });
  });
});
