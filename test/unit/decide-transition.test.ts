/** `decideTransition` and `stopErrorMessage` on the cases the main suite leaves out. */
import { describe, expect, it } from 'vitest';
import { decideTransition, snapshotOf, stopErrorMessage, taskPhase } from '#domain/ecs-event';
import { FIXTURE_TASK_ARN, taskStatus } from '#test/support/ecs-events';
import { makeEnvironment } from '#test/support/factories';

const readyUrls = {
  web: { url: 'http://203.0.113.7:80', host: '203.0.113.7', port: 80, protocol: 'http' },
};

describe('decideTransition', () => {
  it('only records the version of a newer RUNNING event on a ready environment', () => {
    const record = makeEnvironment({
      state: 'ready',
      eventVersion: 4,
      taskArn: FIXTURE_TASK_ARN,
      serviceUrls: readyUrls,
    });
    const task = snapshotOf(taskStatus(record.id, { lastStatus: 'RUNNING', version: 5 }).detail);
    expect(decideTransition(record, task)).toEqual({ kind: 'version_only' });
  });

  it.each(['building', 'provisioning'] as const)(
    'only records the version of a status it does not know (%s)',
    (state) => {
      const record = makeEnvironment({ state, eventVersion: 1 });
      const task = snapshotOf(taskStatus(record.id, { lastStatus: 'HIBERNATING', version: 2 }).detail);
      expect(decideTransition(record, task)).toEqual({ kind: 'version_only' });
    },
  );

  it.each(['building', 'provisioning'] as const)(
    'only records the version of a stopping task on a %s environment',
    (state) => {
      const record = makeEnvironment({ state, eventVersion: 1 });
      const task = snapshotOf(
        taskStatus(record.id, { lastStatus: 'RUNNING', desiredStatus: 'STOPPED', version: 2 }).detail,
      );
      expect(decideTransition(record, task)).toEqual({ kind: 'version_only' });
    },
  );

  describe('a HEALTHY event at the version already applied', () => {
    const readiness = { services: ['web'], graceSec: 30 };
    const healthy = (record: ReturnType<typeof makeEnvironment>, overrides: Record<string, unknown> = {}) =>
      snapshotOf(
        taskStatus(record.id, {
          lastStatus: 'RUNNING',
          healthStatus: 'HEALTHY',
          version: record.eventVersion,
          ...overrides,
        }).detail,
      );

    it.each(['building', 'provisioning'] as const)(
      'makes a %s environment that waits for health ready',
      (state) => {
        const record = makeEnvironment({ state, eventVersion: 3, readiness });
        const decision = decideTransition(record, healthy(record));
        expect(decision.kind).toBe('ready');
      },
    );

    it('is a duplicate for an environment already ready, or one that waits for no health', () => {
      const ready = makeEnvironment({ state: 'ready', eventVersion: 3, readiness, serviceUrls: readyUrls });
      expect(decideTransition(ready, healthy(ready))).toEqual({ kind: 'ignore', reason: 'duplicate' });
      const noProbe = makeEnvironment({ state: 'provisioning', eventVersion: 3, readiness: null });
      expect(decideTransition(noProbe, healthy(noProbe))).toEqual({ kind: 'ignore', reason: 'duplicate' });
    });

    it('is a duplicate when the task is not running any more', () => {
      const record = makeEnvironment({ state: 'provisioning', eventVersion: 3, readiness });
      expect(decideTransition(record, healthy(record, { desiredStatus: 'STOPPED' }))).toEqual({
        kind: 'ignore',
        reason: 'duplicate',
      });
    });
  });

  it('fails an environment whose task ECS reports DELETED', () => {
    const record = makeEnvironment({ state: 'ready', eventVersion: 4, serviceUrls: readyUrls });
    const task = snapshotOf(
      taskStatus(record.id, { lastStatus: 'DELETED', desiredStatus: 'STOPPED', version: 7 }).detail,
    );
    expect(decideTransition(record, task)).toEqual({ kind: 'final', to: 'failed', error: 'Task stopped' });
  });
});

describe('taskPhase', () => {
  it.each([
    ['PROVISIONING', 'RUNNING', 'starting'],
    ['PENDING', 'RUNNING', 'starting'],
    ['ACTIVATING', 'RUNNING', 'starting'],
    ['RUNNING', 'RUNNING', 'running'],
    ['RUNNING', 'STOPPED', 'stopping'],
    ['PENDING', 'STOPPED', 'stopping'],
    ['DEACTIVATING', 'RUNNING', 'stopping'],
    ['STOPPING', 'RUNNING', 'stopping'],
    ['DEPROVISIONING', 'RUNNING', 'stopping'],
    ['STOPPED', 'STOPPED', 'stopped'],
    ['DELETED', 'STOPPED', 'stopped'],
    ['STOPPED', 'RUNNING', 'stopped'],
    ['HIBERNATING', 'RUNNING', 'other'],
  ] as const)('%s (desired %s) is %s', (lastStatus, desiredStatus, phase) => {
    expect(taskPhase({ lastStatus, desiredStatus })).toBe(phase);
  });
});

describe('stopErrorMessage: which container caused the stop', () => {
  const stop = (containers: { name: string; exitCode?: number; reason?: string }[]) =>
    stopErrorMessage({ stopCode: 'EssentialContainerExited', containers });

  it('prefers a failing exit over the platform stop signals and over a clean exit', () => {
    expect(
      stop([
        { name: 'ok', exitCode: 0 },
        { name: 'killed', exitCode: 137 },
        { name: 'termed', exitCode: 143 },
        { name: 'app', exitCode: 2 },
      ]),
    ).toBe('Task stopped (EssentialContainerExited); container app exited with code 2');
  });

  it('blames a stop signal over a clean exit', () => {
    expect(
      stop([
        { name: 'ok', exitCode: 0 },
        { name: 'termed', exitCode: 143 },
      ]),
    ).toBe('Task stopped (EssentialContainerExited); container termed exited with code 143');
  });

  it('blames the first exited container when all exited cleanly, over one that only has a reason', () => {
    expect(
      stop([
        { name: 'pulled', reason: 'CannotPullContainerError' },
        { name: 'first', exitCode: 0 },
        { name: 'second', exitCode: 0 },
      ]),
    ).toBe('Task stopped (EssentialContainerExited); container first exited with code 0');
  });

  it('ignores a container with an empty reason', () => {
    expect(stop([{ name: 'silent', reason: '' }])).toBe('Task stopped (EssentialContainerExited)');
  });
});
