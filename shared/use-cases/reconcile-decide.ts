/**
 * The reconciler's decisions, pure (as `decideTransition` is for task events): given a record,
 * the task it names and the time, what the run does to it. The actions that carry them out are
 * in `reconcile-task.ts`, `reconcile-launch.ts` and `reconcile-orphans.ts`.
 */
import { taskPhase } from '#domain/ecs-event';
import type { EnvironmentRecord } from '#domain/environment';
import type { RuntimeTask } from '#ports/container-runtime';

export const DEFAULT_GRACE_SEC = 60;
export const DEFAULT_STRAY_ENV_FILE_GRACE_SEC = 600;

/** What a run does to a live environment whose task it knows (or knows to be gone). */
export type TaskDecision =
  /** The task stopped: end the environment as the STOPPED event would have. */
  | { readonly kind: 'finalise' }
  /** Past `expires_at`: record `stopReason: expired` first when `recordReason`, then stop the task. */
  | { readonly kind: 'expire'; readonly recordReason: boolean }
  /** The task runs but the environment is still `building`/`provisioning`: apply the RUNNING state. */
  | { readonly kind: 'promote' }
  /** Nothing to do; the environment keeps its task. */
  | { readonly kind: 'keep' };

export type EnvironmentDecision =
  /** Younger than the grace period: its create request or first events may still be in flight. */
  | { readonly kind: 'wait' }
  /** No task ARN yet: adopt the started task, relaunch, or give up (`reconcile-launch.ts`). */
  | { readonly kind: 'launch' }
  /** Its task is unknown to the platform (DescribeTasks forgot it): end it. */
  | { readonly kind: 'vanished' }
  /** Its task is known: what {@link decideTask} decided for it. */
  | { readonly kind: 'settle'; readonly task: RuntimeTask; readonly next: TaskDecision };

export const decideEnvironment = (
  environment: EnvironmentRecord,
  task: RuntimeTask | undefined,
  now: number,
  graceSec: number,
): EnvironmentDecision => {
  const ageSec = (now - Date.parse(environment.createdAt)) / 1000;
  if (ageSec < graceSec) return { kind: 'wait' };
  if (environment.taskArn === null) return { kind: 'launch' };
  if (task === undefined) return { kind: 'vanished' };
  return { kind: 'settle', task, next: decideTask(environment, task, now) };
};

export const decideTask = (environment: EnvironmentRecord, task: RuntimeTask, now: number): TaskDecision => {
  const phase = taskPhase(task);
  if (phase === 'stopped') return { kind: 'finalise' };
  const expired = environment.expiresAt !== null && Date.parse(environment.expiresAt) <= now;
  if (expired && phase !== 'stopping') {
    // Recorded first, so the STOPPED event that follows ends it as torn_down whatever its reason.
    return { kind: 'expire', recordReason: environment.stopReason === null };
  }
  if (phase === 'running' && (environment.state === 'building' || environment.state === 'provisioning')) {
    return { kind: 'promote' };
  }
  return { kind: 'keep' };
};

/**
 * Whether a queued launch retry is still due (`docs/design.md`, "Launch retries"): then it is
 * the retry loop's, not the reconciler's.
 */
export const retryPending = (environment: EnvironmentRecord, now: number, graceSec: number): boolean => {
  const retryDueAt = environment.launchRetryAt === null ? null : Date.parse(environment.launchRetryAt);
  return retryDueAt !== null && now < retryDueAt + graceSec * 1000;
};

/** Why an environment that never got a task is not launched again, or null to try again. */
export const launchGivenUp = (
  environment: EnvironmentRecord,
  now: number,
  config: { readonly launchDeadlineSec: number; readonly maxLaunchAttempts: number },
): string | null => {
  const { launchDeadlineSec, maxLaunchAttempts } = config;
  if (environment.expiresAt !== null && Date.parse(environment.expiresAt) <= now) {
    return 'Launch failed: the environment expired before its task started';
  }
  if (Date.parse(environment.createdAt) + launchDeadlineSec * 1000 <= now) {
    return `Launch failed: no task started within ${launchDeadlineSec} s (${environment.launchAttempts} attempts)`;
  }
  // Queued retries are bounded by the deadline alone; the cap is for relaunches after crashes.
  if (environment.launchRetryAt === null && environment.launchAttempts >= maxLaunchAttempts) {
    return `Launch failed: no task started after ${environment.launchAttempts} attempts`;
  }
  return null;
};

/**
 * Whether an environment's ownership keeps `taskArn` running: its owner is live and owns no
 * task yet (null: any of its tasks may be the one, e.g. a young `building` environment whose
 * ARN is not saved yet), or owns this one. Undefined: no live environment has that id.
 */
export const ownerKeepsTask = (ownerTask: string | null | undefined, taskArn: string): boolean =>
  ownerTask === null || ownerTask === taskArn;
