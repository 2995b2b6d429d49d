import type { EnvironmentRecord } from '#domain/environment';
import type { RuntimeTask } from '#ports/container-runtime';
import { type Log, silentLog } from '#ports/log';
import { DEFAULT_GRACE_SEC, decideEnvironment } from './reconcile-decide.ts';
import {
  ENDED,
  messageOf,
  type Ownership,
  type ReconcileDeps,
  type ReconcileSummary,
} from './reconcile-deps.ts';
import { settleLaunch } from './reconcile-launch.ts';
import { stopIfOrphan, sweepEnvFiles } from './reconcile-orphans.ts';
import { retireDeadSlots } from './reconcile-pools.ts';
import { carryOut, finaliseVanished } from './reconcile-task.ts';

export type { ReconcileConfig, ReconcileDeps, ReconcileSummary } from './reconcile-deps.ts';
export { ORPHAN_STOP_REASON } from './reconcile-orphans.ts';

/** The action kinds of a {@link ReconcileSummary}, for one metric each. */
export const reconcileActions = [
  'relaunched',
  'adopted',
  'failed',
  'finalised',
  'expired',
  'promoted',
  'orphansStopped',
  'slotsRetired',
] as const;

/**
 * Finishes what crashes and lost events left behind (`docs/design.md`, "Reliability rules"), so
 * every environment reaches a final state and no task runs without a live environment:
 *
 * - `building` without a task ARN: the task started by an earlier attempt is adopted (found by
 *   `startedBy`); failing that, the launch is repeated with the same environment id (the
 *   RunTask client token) while under the deadline and the attempt limit, else the environment
 *   fails with an error saying why;
 * - a live environment whose task stopped or vanished ends as the STOPPED event would have
 *   ended it (`torn_down` when taskenv stopped it, else `failed` with the stop error);
 * - an environment past `expires_at` whose task still runs gets `stopReason: expired` and its
 *   task a stop with {@link EXPIRED_STOP_REASON} (its STOPPED event then ends it);
 * - a `building` or `provisioning` environment whose task runs (RUNNING, desired RUNNING) is
 *   made `ready` as its lost RUNNING event would have made it: the same write
 *   ({@link applyTaskSnapshot}), keyed on the task's version, so the event arriving late after
 *   all changes nothing;
 * - a running taskenv task whose `startedBy` is no live environment (or whose environment runs
 *   another task) is stopped with {@link ORPHAN_STOP_REASON}.
 *
 * Relaunch rule (for `create-environment`): the env file holds the secrets and the execute
 * token, which the reconciler never sees and cannot rebuild, so it must exist before anything
 * can need a relaunch. Create therefore calls `envFiles.put(id, …)` BEFORE `store.create`
 * (deleting it again if the create is refused), and nothing stores the ref: it is a function
 * of the id alone (`envFiles.refFor(id)` equals what `put` returned). Every recorded live
 * environment then has its env file until it is final, when it is deleted.
 *
 * Every action is logged. A failure of one environment's action is logged, counted in
 * `errors` and does not stop the others; the run is safe to repeat at any time.
 */
export const reconcile = async (deps: ReconcileDeps): Promise<ReconcileSummary> => {
  const log = deps.logger ?? silentLog;
  const summary: ReconcileSummary = {
    relaunched: [],
    adopted: [],
    failed: [],
    finalised: [],
    expired: [],
    promoted: [],
    orphansStopped: [],
    slotsRetired: [],
    envFilesSwept: [],
    errors: [],
  };
  // Tasks before environments: every task is launched after its environment is recorded, so
  // the environments read next include the owner of every task listed here, unless it is final.
  const running = await deps.runtime.listRunning();
  const live = await deps.store.listLive();
  const launched = live.flatMap((e) => (e.taskArn === null ? [] : [e.taskArn]));
  const tasks = new Map((await deps.runtime.describe(launched)).map((t) => [t.taskArn, t]));

  /** The task each still-live environment owns after this run's adoptions and relaunches. */
  const owned = new Map<string, string | null>();
  for (const environment of live) {
    try {
      const taskArn = await reconcileEnvironment(environment, tasks, summary, deps, log);
      if (taskArn !== ENDED) owned.set(environment.id, taskArn);
    } catch (error) {
      owned.set(environment.id, environment.taskArn);
      recordError(summary, log, environment.id, error);
    }
  }
  if (deps.pools !== undefined) {
    try {
      const graceSec = deps.config.graceSec ?? DEFAULT_GRACE_SEC;
      summary.slotsRetired.push(
        ...(await retireDeadSlots({ ...deps, pools: deps.pools, logger: log }, graceSec)),
      );
    } catch (error) {
      recordError(summary, log, 'pool slots', error);
    }
  }
  for (const task of running) {
    try {
      await stopIfOrphan(task, owned, summary, deps, log);
    } catch (error) {
      recordError(summary, log, task.taskArn, error);
    }
  }
  if (deps.strayEnvFiles !== undefined) {
    try {
      await sweepEnvFiles(deps.strayEnvFiles, new Set(live.map((e) => e.id)), summary, deps, log);
    } catch (error) {
      recordError(summary, log, 'env-files', error);
    }
  }
  log.info('Reconciliation finished', { ...counts(summary), envFilesSwept: summary.envFilesSwept.length });
  return summary;
};

const reconcileEnvironment = async (
  environment: EnvironmentRecord,
  tasks: ReadonlyMap<string, RuntimeTask>,
  summary: ReconcileSummary,
  deps: ReconcileDeps,
  log: Log,
): Promise<Ownership> => {
  const task = environment.taskArn === null ? undefined : tasks.get(environment.taskArn);
  const now = deps.clock.now().getTime();
  const decision = decideEnvironment(environment, task, now, deps.config.graceSec ?? DEFAULT_GRACE_SEC);
  switch (decision.kind) {
    case 'wait':
      return environment.taskArn;
    case 'launch':
      return settleLaunch(environment, summary, deps, log);
    case 'vanished':
      return finaliseVanished(environment, summary, deps, log);
    case 'settle':
      return carryOut(decision.next, environment, decision.task, summary, deps, log);
  }
};

const recordError = (summary: ReconcileSummary, log: Log, subject: string, error: unknown): void => {
  const message = messageOf(error);
  summary.errors.push({ subject, message });
  log.error('Reconciliation action failed; the next run retries it', { subject, error: message });
};

/** Action counts, for the closing log line and the metrics. */
export const counts = (
  summary: ReconcileSummary,
): Record<(typeof reconcileActions)[number] | 'errors', number> => ({
  relaunched: summary.relaunched.length,
  adopted: summary.adopted.length,
  failed: summary.failed.length,
  finalised: summary.finalised.length,
  expired: summary.expired.length,
  promoted: summary.promoted.length,
  orphansStopped: summary.orphansStopped.length,
  slotsRetired: summary.slotsRetired.length,
  errors: summary.errors.length,
});
