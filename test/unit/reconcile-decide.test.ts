/** The reconciler's pure decisions, with literal expectations. */
import { describe, expect, it } from 'vitest';
import type { RuntimeTask } from '#ports/container-runtime';
import { makeEnvironment } from '#test/support/factories';
import {
  decideEnvironment,
  decideTask,
  launchGivenUp,
  ownerKeepsTask,
  retryPending,
} from '#use-cases/reconcile-decide';

const T0 = Date.parse('2026-01-01T00:00:00.000Z');
const at = (sec: number): string => new Date(T0 + sec * 1000).toISOString();
const task = (overrides: Partial<RuntimeTask> = {}): RuntimeTask => ({
  taskArn: 'arn:task/1',
  startedBy: null,
  group: null,
  lastStatus: 'RUNNING',
  desiredStatus: 'RUNNING',
  stopCode: null,
  stoppedReason: null,
  containers: [],
  version: 3,
  network: null,
  ...overrides,
});
const config = { launchDeadlineSec: 300, maxLaunchAttempts: 3 };

describe('decideEnvironment', () => {
  it('waits for an environment younger than the grace period, whatever its task', () => {
    const env = makeEnvironment({ createdAt: at(0), taskArn: null });
    expect(decideEnvironment(env, undefined, T0 + 59_999, 60)).toEqual({ kind: 'wait' });
    expect(decideEnvironment(env, undefined, T0 + 60_000, 60)).toEqual({ kind: 'launch' });
  });

  it('ends an environment whose task the platform forgot', () => {
    const env = makeEnvironment({ createdAt: at(0), taskArn: 'arn:task/1', state: 'ready' });
    expect(decideEnvironment(env, undefined, T0 + 120_000, 60)).toEqual({ kind: 'vanished' });
  });

  it('settles a known task', () => {
    const env = makeEnvironment({ createdAt: at(0), taskArn: 'arn:task/1', state: 'ready' });
    const t = task();
    expect(decideEnvironment(env, t, T0 + 120_000, 60)).toEqual({
      kind: 'settle',
      task: t,
      next: { kind: 'keep' },
    });
  });
});

describe('decideTask', () => {
  const live = { createdAt: at(0), taskArn: 'arn:task/1', expiresAt: at(900) };
  it('finalises on a stopped task, even when expired', () => {
    const env = makeEnvironment({ ...live, state: 'ready' });
    expect(
      decideTask(env, task({ lastStatus: 'STOPPED', desiredStatus: 'STOPPED' }), T0 + 1_000_000),
    ).toEqual({
      kind: 'finalise',
    });
  });

  it('expires a running task at expires_at, recording the reason only once', () => {
    const env = makeEnvironment({ ...live, state: 'ready' });
    expect(decideTask(env, task(), T0 + 899_999)).toEqual({ kind: 'keep' });
    expect(decideTask(env, task(), T0 + 900_000)).toEqual({ kind: 'expire', recordReason: true });
    const noted = makeEnvironment({ ...live, state: 'ready', stopReason: 'expired' });
    expect(decideTask(noted, task(), T0 + 900_000)).toEqual({ kind: 'expire', recordReason: false });
  });

  it('leaves an expired task that is already stopping to its STOPPED event', () => {
    const env = makeEnvironment({ ...live, state: 'ready' });
    expect(decideTask(env, task({ desiredStatus: 'STOPPED' }), T0 + 900_000)).toEqual({ kind: 'keep' });
  });

  it.each([
    ['building', 'promote'],
    ['provisioning', 'promote'],
    ['ready', 'keep'],
    ['paused', 'keep'],
  ] as const)('a running task of a %s environment: %s', (state, kind) => {
    expect(decideTask(makeEnvironment({ ...live, state }), task(), T0 + 1000)).toEqual({ kind });
  });

  it('does not promote while the task is still starting', () => {
    const env = makeEnvironment({ ...live, state: 'building' });
    expect(decideTask(env, task({ lastStatus: 'PENDING' }), T0 + 1000)).toEqual({ kind: 'keep' });
  });
});

describe('retryPending', () => {
  it('is due until the grace period after launch_retry_at', () => {
    const env = makeEnvironment({ launchRetryAt: at(100) });
    expect(retryPending(env, T0 + 159_999, 60)).toBe(true);
    expect(retryPending(env, T0 + 160_000, 60)).toBe(false);
    expect(retryPending(makeEnvironment({ launchRetryAt: null }), T0, 60)).toBe(false);
  });
});

describe('launchGivenUp', () => {
  it('gives up an expired environment first', () => {
    const env = makeEnvironment({ createdAt: at(0), expiresAt: at(200) });
    expect(launchGivenUp(env, T0 + 200_000, config)).toBe(
      'Launch failed: the environment expired before its task started',
    );
  });

  it('gives up at the deadline, naming the attempts', () => {
    const env = makeEnvironment({ createdAt: at(0), expiresAt: at(900), launchAttempts: 2 });
    expect(launchGivenUp(env, T0 + 299_999, config)).toBeNull();
    expect(launchGivenUp(env, T0 + 300_000, config)).toBe(
      'Launch failed: no task started within 300 s (2 attempts)',
    );
  });

  it('caps relaunches after crashes, but not queued retries', () => {
    const crashed = makeEnvironment({ createdAt: at(0), expiresAt: at(900), launchAttempts: 3 });
    expect(launchGivenUp(crashed, T0 + 1000, config)).toBe('Launch failed: no task started after 3 attempts');
    expect(launchGivenUp({ ...crashed, launchAttempts: 2 }, T0 + 1000, config)).toBeNull();
    expect(launchGivenUp({ ...crashed, launchRetryAt: at(1) }, T0 + 1000, config)).toBeNull();
  });
});

describe('ownerKeepsTask', () => {
  it('keeps the task of an owner without a saved ARN (a young building environment) and its own task', () => {
    expect(ownerKeepsTask(null, 'arn:task/1')).toBe(true);
    expect(ownerKeepsTask('arn:task/1', 'arn:task/1')).toBe(true);
  });

  it('does not keep a task its owner does not run, nor one without a live owner', () => {
    expect(ownerKeepsTask('arn:task/2', 'arn:task/1')).toBe(false);
    expect(ownerKeepsTask(undefined, 'arn:task/1')).toBe(false);
  });
});
