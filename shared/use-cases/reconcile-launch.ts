/** The reconciler's launch actions: a `building` environment without a task is adopted, relaunched or given up. */
import { stoppedOutcome, taskPhase } from '#domain/ecs-event';
import type { EnvironmentRecord } from '#domain/environment';
import { parseTaskRef } from '#domain/task-ref';
import type { Log } from '#ports/log';
import { launchEnvironment } from './launch-environment.ts';
import { DEFAULT_GRACE_SEC, launchGivenUp, retryPending } from './reconcile-decide.ts';
import {
  ENDED,
  messageOf,
  type Ownership,
  type ReconcileDeps,
  type ReconcileSummary,
} from './reconcile-deps.ts';
import { fail, finalise, scheduleExpiry, settleTask } from './reconcile-task.ts';

/** A `building` environment without a task ARN: adopt, relaunch or give up. */
export const settleLaunch = async (
  environment: EnvironmentRecord,
  summary: ReconcileSummary,
  deps: ReconcileDeps,
  log: Log,
): Promise<Ownership> => {
  const found = await deps.runtime.findByEnvironment(environment.id);
  if (found !== null) {
    const adopted = await deps.store.update(environment.id, { taskArn: found.taskArn });
    if (adopted === null) {
      // It ended meanwhile (DELETE); if its task still runs, the orphan pass stops it.
      return ENDED;
    }
    summary.adopted.push(environment.id);
    log.info('Adopted the task of an interrupted launch', {
      environmentId: environment.id,
      taskArn: found.taskArn,
      lastStatus: found.lastStatus,
    });
    if (taskPhase(found) === 'stopped') {
      await finalise(adopted, stoppedOutcome(adopted, found), summary, deps, log);
      return ENDED;
    }
    await scheduleExpiry(adopted, found.taskArn, deps, log);
    return settleTask(adopted, found, summary, deps, log);
  }

  if (retryPending(environment, deps.clock.now().getTime(), deps.config.graceSec ?? DEFAULT_GRACE_SEC)) {
    return null;
  }
  const giveUp = launchGivenUp(environment, deps.clock.now().getTime(), deps.config);
  if (giveUp !== null) {
    await fail(environment, giveUp, summary, deps, log);
    return ENDED;
  }
  const ref = parseTaskRef(environment.taskRef);
  const task =
    ref.org === undefined || ref.version === undefined
      ? null
      : await deps.tasks.get(ref.org, ref.name, ref.version);
  if (task === null) {
    await fail(
      environment,
      `Launch failed: task ${environment.taskRef} no longer exists`,
      summary,
      deps,
      log,
    );
    return ENDED;
  }
  const attempt = environment.launchAttempts + 1;
  // Counted before the launch, so a run that dies during RunTask still uses up the attempt.
  const counted = await deps.store.update(environment.id, { launchAttempts: attempt });
  if (counted === null) {
    return ENDED;
  }
  // The launch path's own attempt: a refusal for now queues the retry loop again.
  const launch = await launchEnvironment(counted, task, attempt, {
    ...deps,
    launchPolicy: { deadlineSec: deps.config.launchDeadlineSec },
    onDeferredFailure: (step, error) =>
      log.warn('A step after the relaunch failed', {
        environmentId: environment.id,
        step,
        error: messageOf(error),
      }),
  });
  switch (launch.kind) {
    case 'failed':
      if (launch.record !== null) {
        summary.failed.push(environment.id);
        log.info('Gave up an interrupted launch', { environmentId: environment.id, error: launch.reason });
      }
      return ENDED;
    case 'ended':
      // Ended while launching (DELETE); the next run's orphan pass stops the new task.
      summary.relaunched.push(environment.id);
      return ENDED;
    case 'retrying':
      summary.relaunched.push(environment.id);
      log.info('Relaunch refused for now; retry queued', {
        environmentId: environment.id,
        attempt,
        inSec: launch.delaySec,
      });
      return null;
    case 'launched':
      summary.relaunched.push(environment.id);
      log.info('Relaunched an interrupted launch', {
        environmentId: environment.id,
        taskArn: launch.record.taskArn,
        attempt,
      });
      return launch.record.taskArn;
  }
};
