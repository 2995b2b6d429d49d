/** The reconciler's actions on a live environment's task: end, expire, promote. */
import { stoppedOutcome } from '#domain/ecs-event';
import type { EnvironmentRecord } from '#domain/environment';
import { stateChangeEvent } from '#domain/integration-event';
import type { RuntimeTask } from '#ports/container-runtime';
import { EXPIRED_STOP_REASON } from '#ports/expiry-scheduler';
import type { Log } from '#ports/log';
import { applyTaskSnapshot, finalChange } from './apply-task-event.ts';
import { decideTask, type TaskDecision } from './reconcile-decide.ts';
import {
  ENDED,
  messageOf,
  type Ownership,
  type ReconcileDeps,
  type ReconcileSummary,
} from './reconcile-deps.ts';

/**
 * A live environment with a task: end it if the task stopped, stop the task if it expired,
 * make it ready if the task runs and its RUNNING event never was applied.
 */
export const settleTask = async (
  environment: EnvironmentRecord,
  task: RuntimeTask,
  summary: ReconcileSummary,
  deps: ReconcileDeps,
  log: Log,
): Promise<Ownership> =>
  carryOut(decideTask(environment, task, deps.clock.now().getTime()), environment, task, summary, deps, log);

/** Carries out what {@link decideTask} decided for `environment` and its `task`. */
export const carryOut = async (
  decision: TaskDecision,
  environment: EnvironmentRecord,
  task: RuntimeTask,
  summary: ReconcileSummary,
  deps: ReconcileDeps,
  log: Log,
): Promise<Ownership> => {
  switch (decision.kind) {
    case 'finalise':
      await finalise(environment, stoppedOutcome(environment, task), summary, deps, log);
      return ENDED;
    case 'expire':
      if (decision.recordReason) {
        await deps.store.update(environment.id, { stopReason: 'expired' });
      }
      await deps.runtime.stop(task.taskArn, EXPIRED_STOP_REASON);
      summary.expired.push(environment.id);
      log.info('Stopped the task of an expired environment', {
        environmentId: environment.id,
        taskArn: task.taskArn,
        expiresAt: environment.expiresAt,
      });
      return task.taskArn;
    case 'promote':
      await promote(environment, task, summary, deps, log);
      return task.taskArn;
    case 'keep':
      return task.taskArn;
  }
};

/** An environment whose task the platform no longer knows: ended as if it had stopped. */
export const finaliseVanished = async (
  environment: EnvironmentRecord,
  summary: ReconcileSummary,
  deps: ReconcileDeps,
  log: Log,
): Promise<Ownership> => {
  // DescribeTasks forgets stopped tasks after about an hour; the stop reason went with it.
  const stopped = stoppedOutcome(environment, {
    stoppedReason: 'the task is no longer known to the container platform',
    containers: [],
  });
  await finalise(environment, stopped, summary, deps, log);
  return ENDED;
};

/**
 * Applies the running state of `task` to `environment` through the event path's own write.
 * A task without a version cannot be ordered against its events, and one without network
 * facts gives no URLs, so either is left to its events.
 */
const promote = async (
  environment: EnvironmentRecord,
  task: RuntimeTask,
  summary: ReconcileSummary,
  deps: ReconcileDeps,
  log: Log,
): Promise<void> => {
  const { version, network } = task;
  if (version === null || network === null) return;
  const result = await applyTaskSnapshot(
    environment,
    { ...task, version, network },
    { ...deps, logger: log },
  );
  if (result.applied) {
    summary.promoted.push(environment.id);
    log.info('Applied the running state of a task whose RUNNING event was lost', {
      environmentId: environment.id,
      taskArn: task.taskArn,
      version,
      to: result.record?.state,
    });
  }
};

export const scheduleExpiry = async (
  environment: EnvironmentRecord,
  taskArn: string,
  deps: ReconcileDeps,
  log: Log,
): Promise<void> => {
  if (environment.expiresAt === null) return;
  try {
    await deps.expiry.schedule(environment.id, taskArn, new Date(environment.expiresAt));
  } catch (error) {
    // Not fatal: the expiry pass of a later run stops the task in its place.
    log.warn('Could not schedule the expiry stop', {
      environmentId: environment.id,
      error: messageOf(error),
    });
  }
};

/** Ends a launch that never produced a task. */
export const fail = async (
  environment: EnvironmentRecord,
  error: string,
  summary: ReconcileSummary,
  deps: ReconcileDeps,
  log: Log,
): Promise<void> => {
  const ended = await end(environment, { to: 'failed', error }, deps);
  if (ended !== null) {
    summary.failed.push(environment.id);
    log.info('Gave up an interrupted launch', { environmentId: environment.id, error });
  }
};

/** Ends an environment whose task stopped without its STOPPED event being applied. */
export const finalise = async (
  environment: EnvironmentRecord,
  outcome: { readonly to: 'torn_down' | 'failed'; readonly error: string | null },
  summary: ReconcileSummary,
  deps: ReconcileDeps,
  log: Log,
): Promise<void> => {
  const ended = await end(environment, outcome, deps);
  if (ended !== null) {
    summary.finalised.push(environment.id);
    log.info('Finalised an environment whose task stopped', {
      environmentId: environment.id,
      taskArn: environment.taskArn,
      to: ended.state,
      error: ended.error,
    });
  }
};

/**
 * The final write plus what follows it on the event path. Null when another writer (the event,
 * DELETE) ended it first; that writer also did the rest.
 */
const end = async (
  environment: EnvironmentRecord,
  outcome: { readonly to: 'torn_down' | 'failed'; readonly error: string | null },
  deps: ReconcileDeps,
): Promise<EnvironmentRecord | null> => {
  const ended = await deps.store.transition(environment.id, finalChange(environment, outcome), {
    expected: environment,
  });
  if (ended === null) return null;
  await deps.envFiles.delete(environment.id);
  await deps.publisher.publish([stateChangeEvent(ended, ended.previousState, deps.clock.now())]);
  return ended;
};
