import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DynamoAccessStore } from '#adapters/aws/dynamodb/access-store';
import { createDocumentClient } from '#adapters/aws/dynamodb/client';
import { DynamoEnvironmentStore } from '#adapters/aws/dynamodb/environment-store';
import type { EcsTaskStateChangeEvent } from '#domain/ecs-event';
import { type EnvironmentRecord, isFinal } from '#domain/environment';
import { taskStatus } from '#test/support/ecs-events';
import { makeEnvironment, recordWithOrg } from '#test/support/factories';
import {
  fixedClock,
  InMemoryEnvFiles,
  RecordingPublisher,
  RecordingQueue,
} from '#test/support/lifecycle-fakes';
import { type ApplyTaskEventDeps, applyTaskEvent } from '#use-cases/apply-task-event';

const tableName = process.env.TABLE_NAME ?? 'missing TABLE_NAME';
const client = createDocumentClient();
const clock = fixedClock('2020-01-23T18:00:00.000Z');
const store = new DynamoEnvironmentStore({ client, tableName, clock });
const access = new DynamoAccessStore({ client, tableName });

/** One ECS status change, before it gets its version and environment. */
interface Step {
  readonly lastStatus: string;
  readonly desiredStatus: string;
  readonly stop?: { readonly stopCode: string; readonly stoppedReason: string; readonly exitCode: number };
}

const step = (lastStatus: string, desiredStatus = 'RUNNING'): Step => ({ lastStatus, desiredStatus });

/**
 * A task's life as ECS reports it: some of the start-up statuses in order, then either still
 * running, or stopping (on its own, or by taskenv) with some of the tear-down statuses, or
 * failing before it ever ran. Ending in the middle of the tear-down is left out on purpose: the
 * state there is transient (whether RUNNING was seen first decides whether it was ever ready).
 */
const lifeArbitrary: fc.Arbitrary<Step[]> = fc
  .record({
    starting: fc.subarray(['PROVISIONING', 'PENDING', 'ACTIVATING']),
    runningEvents: fc.integer({ min: 1, max: 2 }),
    stopping: fc.subarray(['DEACTIVATING', 'STOPPING', 'DEPROVISIONING']),
    stopRequestedWhileRunning: fc.boolean(),
    end: fc.constantFrom('still_running', 'exited', 'stopped_by_taskenv', 'failed_to_start'),
    exitCode: fc.integer({ min: 1, max: 255 }),
  })
  .map(({ starting, runningEvents, stopping, stopRequestedWhileRunning, end, exitCode }) => {
    const start = starting.map((s) => step(s));
    const running = Array.from({ length: runningEvents }, () => step('RUNNING'));
    if (end === 'still_running') return [...start, ...running];
    if (end === 'failed_to_start') {
      return [
        ...start,
        ...(stopping.includes('DEPROVISIONING') ? [step('DEPROVISIONING', 'STOPPED')] : []),
        {
          ...step('STOPPED', 'STOPPED'),
          stop: {
            stopCode: 'TaskFailedToStart',
            stoppedReason: 'CannotPullContainerError: not found',
            exitCode,
          },
        },
      ];
    }
    const stop =
      end === 'exited'
        ? {
            stopCode: 'EssentialContainerExited',
            stoppedReason: 'Essential container in task exited',
            exitCode,
          }
        : { stopCode: 'UserInitiated', stoppedReason: 'taskenv: expired', exitCode: 143 };
    return [
      ...start,
      ...running,
      ...(stopRequestedWhileRunning ? [step('RUNNING', 'STOPPED')] : []),
      ...stopping.map((s) => step(s, 'STOPPED')),
      { ...step('STOPPED', 'STOPPED'), stop },
    ];
  });

/** Every event delivered at least once, some more than once, in any order. */
const deliveryArbitrary = (count: number): fc.Arbitrary<number[]> =>
  fc.array(fc.nat({ max: count - 1 }), { maxLength: count }).chain((repeats) => {
    const all = [...Array.from({ length: count }, (_, i) => i), ...repeats];
    return fc.shuffledSubarray(all, { minLength: all.length, maxLength: all.length });
  });

const eventsFor = (environmentId: string, life: readonly Step[]): EcsTaskStateChangeEvent[] =>
  life.map((s, index) =>
    taskStatus(environmentId, {
      lastStatus: s.lastStatus,
      desiredStatus: s.desiredStatus,
      version: index + 1,
      ...(s.stop === undefined
        ? {}
        : {
            stopCode: s.stop.stopCode,
            stoppedReason: s.stop.stoppedReason,
            containers: [{ name: 'web', lastStatus: 'STOPPED', exitCode: s.stop.exitCode }],
          }),
    }),
  );

const deps: Omit<ApplyTaskEventDeps, 'publisher' | 'envFiles'> = {
  store,
  addresses: { hostFor: async () => '203.0.113.7' },
  checks: new RecordingQueue(),
  clock,
};

/** A new environment of its own org, recorded the way create does (quota unit taken). */
const createEnvironment = async (): Promise<EnvironmentRecord> => {
  const record = makeEnvironment({
    createdAt: '2020-01-23T17:57:00.000Z',
    instructionTemplate: 'Open {{ web_url }}/login as {{ user }}.',
  });
  return recordWithOrg({ access, store }, record);
};

/**
 * What must not depend on delivery: everything but the environment's own identity (also where
 * the error names it, in its logs route), and the state the last change replaced (a STOPPED applied first replaces `building`, one applied last
 * `ready`; each change's event reports exactly that).
 */
const comparable = (record: EnvironmentRecord | null) => {
  if (record === null) return null;
  // A failure's error points to the environment's own logs route, which names its identity.
  const anonymous = (text: string): string =>
    text.replaceAll(record.id, '<id>').replaceAll(record.org, '<org>').replaceAll(record.workspace, '<ws>');
  return {
    ...record,
    id: '<id>',
    org: '<org>',
    workspace: '<ws>',
    previousState: '<previous>',
    error: record.error === null ? null : anonymous(record.error),
  };
};

describe('applyTaskEvent against DynamoDB', () => {
  it('ends in the same record whatever duplicates and order the events arrive in', async () => {
    await fc.assert(
      fc.asyncProperty(
        lifeArbitrary.chain((life) => fc.tuple(fc.constant(life), deliveryArbitrary(life.length))),
        async ([life, delivery]) => {
          // Prepare
          const inOrder = await createEnvironment();
          const shuffled = await createEnvironment();
          const inOrderEvents = eventsFor(inOrder.id, life);
          const shuffledEvents = eventsFor(shuffled.id, life);
          const sideEffects = () => ({
            publisher: new RecordingPublisher(),
            envFiles: new InMemoryEnvFiles(),
          });

          // Act
          const reference = sideEffects();
          for (const event of inOrderEvents) await applyTaskEvent(event, { ...deps, ...reference });
          const actual = sideEffects();
          for (const index of delivery) {
            const event = shuffledEvents[index];
            if (event === undefined) throw new Error(`no event ${index}`);
            await applyTaskEvent(event, { ...deps, ...actual });
          }

          // Assess
          const expected = await store.get(inOrder.id);
          const final = await store.get(shuffled.id);
          expect(comparable(final)).toEqual(comparable(expected));
          expect(final?.eventVersion).toBe(life.length);
          const ended = final !== null && isFinal(final.state);
          expect((await access.getOrg(shuffled.org))?.runningCount).toBe(ended ? 0 : 1);
          expect((await access.getOrg(inOrder.org))?.runningCount).toBe(ended ? 0 : 1);
          expect(actual.publisher.events.map((e) => e.state)).toContain(final?.state);
          expect(actual.envFiles.deleted.includes(shuffled.id)).toBe(ended);
        },
      ),
      { numRuns: 40 },
    );
  }, 120_000);
});
