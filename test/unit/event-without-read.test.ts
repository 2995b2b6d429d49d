import { describe, expect, it } from 'vitest';
import { decideTransition, snapshotOf } from '#domain/ecs-event';
import { environmentStates } from '#domain/environment';
import { FIXTURE_TASK_ARN, taskStatus } from '#test/support/ecs-events';
import { makeEnvironment } from '#test/support/factories';
import { versionOnlyStates } from '#use-cases/apply-task-event';

const LAST_STATUSES = [
  'PROVISIONING',
  'PENDING',
  'ACTIVATING',
  'RUNNING',
  'DEACTIVATING',
  'STOPPING',
  'DEPROVISIONING',
  'STOPPED',
  'DELETED',
  'SOMETHING_NEW',
];
const HEALTH = [undefined, 'UNKNOWN', 'HEALTHY', 'UNHEALTHY'];
const READINESS = [null, { services: ['web'], graceSec: 30 }];

/** Every environment state, task status, desired status, health and readiness, one event newer than the record. */
const cases = environmentStates.flatMap((state) =>
  READINESS.flatMap((readiness) =>
    LAST_STATUSES.flatMap((lastStatus) =>
      ['RUNNING', 'STOPPED'].flatMap((desiredStatus) =>
        HEALTH.map((healthStatus) => {
          const record = makeEnvironment({ state, readiness, taskArn: FIXTURE_TASK_ARN, eventVersion: 4 });
          const task = snapshotOf(
            taskStatus(record.id, {
              lastStatus,
              desiredStatus,
              version: 5,
              ...(healthStatus === undefined ? {} : { healthStatus }),
            }).detail,
          );
          return {
            record,
            task,
            label: `${state} ${readiness ? 'probed' : 'unprobed'} ${lastStatus}/${desiredStatus} ${healthStatus}`,
          };
        }),
      ),
    ),
  ),
);

describe('the events written without a read (docs/events.md, "One write per event")', () => {
  it('are written only where decideTransition answers with the version alone', () => {
    const mismatches: string[] = [];
    for (const { record, task, label } of cases) {
      const write = versionOnlyStates(task);
      if (write === null) continue;
      const writes =
        write.states.includes(record.state) &&
        (write.readinessUnlessReady !== true || record.state === 'ready' || record.readiness !== null);
      const decision = decideTransition(record, task);
      const versionAlone =
        decision.kind === 'version_only' || (decision.kind === 'await_health' && record.state !== 'building');
      if (writes !== versionAlone)
        mismatches.push(`${label}: ${decision.kind}, written without read: ${writes}`);
    }
    expect(mismatches).toEqual([]);
    // The grid reaches every answer.
    const kinds = new Set(cases.map(({ record, task }) => decideTransition(record, task).kind));
    expect([...kinds].sort()).toEqual([
      'await_health',
      'final',
      'ignore',
      'provisioning',
      'ready',
      'version_only',
    ]);
  });

  it('reads first where the event usually moves the environment: PROVISIONING, RUNNING HEALTHY, STOPPED', () => {
    const statuses = (lastStatus: string, desiredStatus = 'RUNNING', healthStatus?: string) =>
      versionOnlyStates({ lastStatus, desiredStatus, healthStatus });
    expect(statuses('PROVISIONING')).toBeNull();
    expect(statuses('RUNNING', 'RUNNING', 'HEALTHY')).toBeNull();
    expect(statuses('STOPPED', 'STOPPED')).toBeNull();
    expect(statuses('DELETED', 'STOPPED')).toBeNull();
    expect(statuses('PENDING')).toEqual({ states: ['provisioning', 'ready', 'paused'] });
    expect(statuses('RUNNING', 'RUNNING', 'UNKNOWN')).toEqual({
      states: ['provisioning', 'ready', 'paused'],
      readinessUnlessReady: true,
    });
    // A stop under way records its version in any live state, RUNNING with desired STOPPED too.
    expect(statuses('RUNNING', 'STOPPED', 'HEALTHY')).toEqual({
      states: ['building', 'provisioning', 'ready', 'paused'],
    });
  });
});
