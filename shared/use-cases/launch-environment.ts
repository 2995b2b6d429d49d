import { redactPlatformMessage } from '#domain/env-var';
import type { EnvironmentRecord } from '#domain/environment';
import { stateChangeEvent } from '#domain/integration-event';
import {
  DEFAULT_LAUNCH_DEADLINE_SEC,
  type LaunchCheck,
  launchRemainingSec,
  launchRetryDelaySec,
} from '#domain/lifecycle-check';
import { parseTaskRef } from '#domain/task-ref';
import type { TaskVersionRecord } from '#domain/task-version';
import type { Clock } from '#ports/clock';
import {
  type ContainerRuntime,
  LaunchFailedError,
  type LaunchRequest,
  TransientLaunchError,
} from '#ports/container-runtime';
import type { EnvFileStore } from '#ports/env-file-store';
import type { EnvironmentStore } from '#ports/environment-store';
import type { EventPublisher } from '#ports/event-publisher';
import type { ExpiryScheduler } from '#ports/expiry-scheduler';
import type { LifecycleQueue } from '#ports/lifecycle-queue';
import type { TaskRegistry } from '#ports/task-registry';

/** How long refused launches are retried (`docs/design.md`, "Launch retries"). */
export interface LaunchPolicy {
  /** Seconds from the first attempt until a launch refused for now fails for good. @default 600 */
  readonly deadlineSec: number;
}

const defaultLaunchPolicy: LaunchPolicy = { deadlineSec: DEFAULT_LAUNCH_DEADLINE_SEC };

/** What one launch attempt came to, under the retry rule. */
export type LaunchAttemptOutcome =
  | { readonly kind: 'launched'; readonly taskArn: string }
  /** Refused for now, before the deadline: try again in `delaySec`. */
  | { readonly kind: 'retry'; readonly reason: string; readonly delaySec: number }
  /** Refused for good, or refused for now at the deadline. */
  | { readonly kind: 'refused'; readonly reason: string };

/**
 * One launch attempt and the retry rule, independent of what is launched (an environment here;
 * a pool slot reuses it): a permanent refusal ({@link LaunchFailedError}) is final; a transient
 * one ({@link TransientLaunchError}) is retried after an exponential backoff until
 * `policy.deadlineSec` past `firstAttemptAt`, then final too. Any other error (a network
 * failure, whose RunTask may or may not have started a task) is thrown for the caller to leave
 * to the reconciler, which adopts the task by `startedBy` or launches again with the same token.
 *
 * @param attempt 1 for the first launch.
 */
const attemptLaunch = async (
  request: LaunchRequest,
  attempt: { readonly number: number; readonly firstAttemptAt: string },
  deps: { readonly runtime: ContainerRuntime; readonly clock: Clock },
  policy: LaunchPolicy = defaultLaunchPolicy,
  envValues: readonly string[] = [],
): Promise<LaunchAttemptOutcome> => {
  try {
    const { taskArn } = await deps.runtime.launch(request);
    return { kind: 'launched', taskArn };
  } catch (error) {
    // The platform may quote the variable it refused: no value of the env file travels on, and
    // no control character (a reason becomes the environment's `error`).
    if (error instanceof LaunchFailedError) {
      return { kind: 'refused', reason: redactPlatformMessage(error.reason, envValues) };
    }
    if (!(error instanceof TransientLaunchError)) throw error;
    const reason = redactPlatformMessage(error.reason, envValues);
    const remainingSec = launchRemainingSec(attempt.firstAttemptAt, policy.deadlineSec, deps.clock.now());
    if (remainingSec <= 0) {
      const attempts = `${attempt.number} attempt${attempt.number === 1 ? '' : 's'}`;
      return {
        kind: 'refused',
        reason: `${reason} (still refused after ${attempts} over ${policy.deadlineSec} s)`,
      };
    }
    return {
      kind: 'retry',
      reason,
      delaySec: launchRetryDelaySec(attempt.number, remainingSec),
    };
  }
};

export interface LaunchEnvironmentDeps {
  readonly store: EnvironmentStore;
  readonly runtime: ContainerRuntime;
  readonly envFiles: EnvFileStore;
  readonly expiry: ExpiryScheduler;
  readonly publisher: EventPublisher;
  /** Where the retry of a launch refused for now is queued. */
  readonly checks: LifecycleQueue;
  readonly clock: Clock;
  readonly launchPolicy?: LaunchPolicy;
  /** Values of the env file (secrets, the token) to mask in a refusal's reason; known only at create. */
  readonly envValues?: readonly string[];
  /** Told about steps that failed after the outcome was recorded; the reconciler finishes them. */
  readonly onDeferredFailure?: (step: string, error: unknown) => void;
}

/** What launching an environment did. */
export type EnvironmentLaunch =
  | { readonly kind: 'launched'; readonly record: EnvironmentRecord }
  | { readonly kind: 'retrying'; readonly record: EnvironmentRecord; readonly delaySec: number }
  | { readonly kind: 'failed'; readonly reason: string; readonly record: EnvironmentRecord | null }
  /** The environment ended (DELETE) while this attempt ran; a task it started is the reconciler's orphan. */
  | { readonly kind: 'ended' };

/**
 * Launch attempt `attempt` of a `building` environment, and what its outcome means for the
 * record: the task ARN and the expiry schedule; or the retry queued (`launchRetryAt` tells the
 * reconciler it is pending); or `failed` with the reason (env file removed, change published).
 */
export const launchEnvironment = async (
  record: EnvironmentRecord,
  task: TaskVersionRecord,
  attempt: number,
  deps: LaunchEnvironmentDeps,
): Promise<EnvironmentLaunch> => {
  const deferred = (step: string) => (error: unknown) => deps.onDeferredFailure?.(step, error);
  const outcome = await attemptLaunch(
    {
      environmentId: record.id,
      org: record.org,
      workspace: record.workspace,
      task,
      envFileRef: deps.envFiles.refFor(record.id),
    },
    { number: attempt, firstAttemptAt: record.createdAt },
    deps,
    deps.launchPolicy,
    deps.envValues,
  );
  switch (outcome.kind) {
    case 'launched': {
      let launched: EnvironmentRecord | null = { ...record, taskArn: outcome.taskArn, launchRetryAt: null };
      try {
        launched = await deps.store.update(record.id, { taskArn: outcome.taskArn, launchRetryAt: null });
      } catch (error) {
        // The task runs; the reconciler adopts it (by its environment id) into the record.
        deferred('record-task')(error);
      }
      if (launched === null) return { kind: 'ended' };
      if (launched.expiresAt !== null) {
        // The reconciler stops environments past their expiry, so a missed schedule is not fatal.
        await deps.expiry
          .schedule(launched.id, outcome.taskArn, new Date(launched.expiresAt))
          .catch(deferred('schedule-expiry'));
      }
      return { kind: 'launched', record: launched };
    }
    case 'retry': {
      const dueAt = new Date(deps.clock.now().getTime() + outcome.delaySec * 1000).toISOString();
      const pending = await deps.store.update(record.id, { launchRetryAt: dueAt });
      if (pending === null) return { kind: 'ended' };
      const check: LaunchCheck = { kind: 'launch', environmentId: record.id, attempt: attempt + 1 };
      // Lost, the retry is the reconciler's once `launchRetryAt` has passed.
      await deps.checks.send(check, outcome.delaySec).catch(deferred('queue-launch-retry'));
      return { kind: 'retrying', record: pending, delaySec: outcome.delaySec };
    }
    case 'refused': {
      const failed = await deps.store.transition(
        record.id,
        { to: 'failed', set: { error: `Launch failed: ${outcome.reason}`, launchRetryAt: null } },
        { expected: record },
      );
      await deps.envFiles.delete(record.id).catch(deferred('env-file-cleanup'));
      if (failed !== null) {
        await deps.publisher
          .publish([stateChangeEvent(failed, failed.previousState, deps.clock.now())])
          .catch(deferred('publish'));
      }
      return { kind: 'failed', reason: outcome.reason, record: failed };
    }
  }
};

export interface RetryLaunchDeps extends LaunchEnvironmentDeps {
  readonly tasks: TaskRegistry;
}

/**
 * A queued launch retry ({@link LaunchCheck}): launches the environment again if it still waits
 * for a task. Idempotent: a redelivered or late check of an environment that got its task (or
 * ended) does nothing, and a repeated RunTask carries the same client token.
 */
export const retryLaunch = async (
  check: LaunchCheck,
  deps: RetryLaunchDeps,
): Promise<EnvironmentLaunch | { readonly kind: 'settled' }> => {
  const record = await deps.store.get(check.environmentId);
  if (record === null || record.state !== 'building' || record.taskArn !== null) return { kind: 'settled' };
  // Counted before the launch, so an attempt that dies during RunTask still counts.
  const counted = await deps.store.update(record.id, { launchAttempts: check.attempt });
  if (counted === null) return { kind: 'settled' };
  if (counted.expiresAt !== null && Date.parse(counted.expiresAt) <= deps.clock.now().getTime()) {
    return end(counted, 'Launch failed: the environment expired before its task started', deps);
  }
  const ref = parseTaskRef(record.taskRef);
  const task =
    ref.org === undefined || ref.version === undefined
      ? null
      : await deps.tasks.get(ref.org, ref.name, ref.version);
  if (task === null) {
    // Versions are immutable, so this is a deleted table item: nothing is left to launch.
    return end(counted, `Launch failed: task ${record.taskRef} no longer exists`, deps);
  }
  return launchEnvironment(counted, task, check.attempt, deps);
};

const end = async (
  record: EnvironmentRecord,
  error: string,
  deps: RetryLaunchDeps,
): Promise<EnvironmentLaunch> => {
  const failed = await deps.store.transition(
    record.id,
    { to: 'failed', set: { error, launchRetryAt: null } },
    { expected: record },
  );
  if (failed !== null) {
    await deps.envFiles.delete(record.id);
    await deps.publisher.publish([stateChangeEvent(failed, failed.previousState, deps.clock.now())]);
  }
  return { kind: 'failed', reason: error, record: failed };
};
