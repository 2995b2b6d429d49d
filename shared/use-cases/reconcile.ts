import { stoppedOutcome, taskPhase } from '#domain/ecs-event';
import { type EnvironmentRecord, isFinal } from '#domain/environment';
import { stateChangeEvent } from '#domain/integration-event';
import { slotIdOf } from '#domain/pool';
import { parseTaskRef } from '#domain/task-ref';
import type { AddressResolver } from '#ports/address-resolver';
import type { Clock } from '#ports/clock';
import { type ContainerRuntime, type RuntimeTask, STOP_REASON_PREFIX } from '#ports/container-runtime';
import type { EnvFileListing, EnvFileStore } from '#ports/env-file-store';
import type { EnvironmentStore } from '#ports/environment-store';
import type { EventPublisher } from '#ports/event-publisher';
import { EXPIRED_STOP_REASON, type ExpiryScheduler } from '#ports/expiry-scheduler';
import type { LifecycleQueue } from '#ports/lifecycle-queue';
import { type Log, silentLog } from '#ports/log';
import type { PoolStore } from '#ports/pool-store';
import type { TaskRegistry } from '#ports/task-registry';
import { applyTaskSnapshot, finalChange } from './apply-task-event.ts';
import { launchEnvironment } from './launch-environment.ts';
import { poolTaskOwned, retireDeadSlots } from './reconcile-pools.ts';

/** The `stoppedReason` of a task the reconciler stops because no live environment owns it. */
export const ORPHAN_STOP_REASON = `${STOP_REASON_PREFIX} orphan`;

export interface ReconcileConfig {
  /** A launch that has not produced a task this long after `created_at` is given up. */
  readonly launchDeadlineSec: number;
  /** Launch attempts (the first included) before giving up. */
  readonly maxLaunchAttempts: number;
  /**
   * Environments younger than this are left alone: their create request may still be between
   * the record and RunTask, and a just-started task may not be visible to DescribeTasks yet.
   * @default 60
   */
  readonly graceSec?: number;
  /**
   * An env file this old whose environment was never recorded (or is final) is deleted. Longer
   * than any create request, which writes the file before it records the environment.
   * @default 600
   */
  readonly strayEnvFileGraceSec?: number;
}

export interface ReconcileDeps {
  readonly store: EnvironmentStore;
  readonly runtime: ContainerRuntime;
  /** Finds the host of a running task whose RUNNING event was lost, as the event path would. */
  readonly addresses: AddressResolver;
  /** Relaunches read the env file's ref from here (`refFor`); final states delete the file. */
  readonly envFiles: EnvFileStore;
  /**
   * Where env files can be listed (the local store). Absent on AWS, where the bucket's lifecycle
   * rule removes the files of environments that were never recorded.
   */
  readonly strayEnvFiles?: EnvFileListing;
  readonly expiry: ExpiryScheduler;
  /** Finds the task version to relaunch. */
  readonly tasks: TaskRegistry;
  readonly publisher: EventPublisher;
  /** Launch retries and readiness checks are queued here, as on the request and event paths. */
  readonly checks: LifecycleQueue;
  readonly clock: Clock;
  readonly config: ReconcileConfig;
  readonly logger?: Log;
  /** Warm pools: dead waiting slots are retired, and pool tasks without a slot are orphans. */
  readonly pools?: PoolStore;
}

/** What one run did: environment ids per action, task ARNs for orphans. */
export interface ReconcileSummary {
  /** Building environments launched again (no task had been started). */
  readonly relaunched: string[];
  /** Building environments whose started task was found and recorded. */
  readonly adopted: string[];
  /** Building environments given up on (deadline, attempts, refused launch, task version gone). */
  readonly failed: string[];
  /** Environments ended because their task stopped or vanished without the event arriving. */
  readonly finalised: string[];
  /** Environments past `expires_at` whose task was asked to stop. */
  readonly expired: string[];
  /**
   * Building or provisioning environments whose task runs, made `ready` as their lost RUNNING
   * event would have (or `failed`, as it would have, when the instruction cannot be rendered).
   */
  readonly promoted: string[];
  /** Task ARNs stopped because no live environment owns them. */
  readonly orphansStopped: string[];
  /** Pool slots retired because their task stopped or vanished without the event arriving. */
  readonly slotsRetired: string[];
  /** Env files deleted because their environment was never recorded, or is final. */
  readonly envFilesSwept: string[];
  /** Environments or tasks an action failed for; the next run tries again. */
  readonly errors: { readonly subject: string; readonly message: string }[];
}

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

const DEFAULT_GRACE_SEC = 60;

/**
 * Finishes what crashes and lost events left behind (`DESIGN.md`, "Reliability rules"), so
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

const DEFAULT_STRAY_ENV_FILE_GRACE_SEC = 600;

/**
 * Deletes the env files (secrets, execute token) that no live environment will read: those of
 * environments never recorded (a create that died between writing its file and recording the
 * environment) and of final ones whose delete failed. Only files older than the grace period,
 * so a create in flight keeps the file it is about to record.
 */
const sweepEnvFiles = async (
  listing: EnvFileListing,
  live: ReadonlySet<string>,
  summary: ReconcileSummary,
  deps: ReconcileDeps,
  log: Log,
): Promise<void> => {
  const graceSec = deps.config.strayEnvFileGraceSec ?? DEFAULT_STRAY_ENV_FILE_GRACE_SEC;
  const before = new Date(deps.clock.now().getTime() - graceSec * 1000);
  for (const id of await listing.writtenBefore(before)) {
    if (live.has(id)) continue;
    // The live list comes from an index; the record itself decides.
    const record = await deps.store.get(id);
    if (record !== null && !isFinal(record.state)) continue;
    await deps.envFiles.delete(id);
    summary.envFilesSwept.push(id);
    log.info('Deleted an env file no live environment reads', {
      environmentId: id,
      recorded: record !== null,
    });
  }
};

/** Marks an environment that is final after (or was found final during) its reconciliation. */
const ENDED = Symbol('ended');

/** The task an environment owns after its reconciliation: an ARN, null while it has none, or {@link ENDED}. */
type Ownership = string | null | typeof ENDED;

const reconcileEnvironment = async (
  environment: EnvironmentRecord,
  tasks: ReadonlyMap<string, RuntimeTask>,
  summary: ReconcileSummary,
  deps: ReconcileDeps,
  log: Log,
): Promise<Ownership> => {
  const now = deps.clock.now();
  const ageSec = (now.getTime() - Date.parse(environment.createdAt)) / 1000;
  if (ageSec < (deps.config.graceSec ?? DEFAULT_GRACE_SEC)) {
    return environment.taskArn;
  }
  if (environment.taskArn === null) {
    return settleLaunch(environment, summary, deps, log);
  }
  const task = tasks.get(environment.taskArn);
  if (task === undefined) {
    // DescribeTasks forgets stopped tasks after about an hour; the stop reason went with it.
    const stopped = stoppedOutcome(environment, {
      stoppedReason: 'the task is no longer known to the container platform',
      containers: [],
    });
    await finalise(environment, stopped, summary, deps, log);
    return ENDED;
  }
  return settleTask(environment, task, summary, deps, log);
};

/**
 * A live environment with a task: end it if the task stopped, stop the task if it expired,
 * make it ready if the task runs and its RUNNING event never was applied.
 */
const settleTask = async (
  environment: EnvironmentRecord,
  task: RuntimeTask,
  summary: ReconcileSummary,
  deps: ReconcileDeps,
  log: Log,
): Promise<Ownership> => {
  const phase = taskPhase(task);
  if (phase === 'stopped') {
    await finalise(environment, stoppedOutcome(environment, task), summary, deps, log);
    return ENDED;
  }
  const expired =
    environment.expiresAt !== null && Date.parse(environment.expiresAt) <= deps.clock.now().getTime();
  if (expired && phase !== 'stopping') {
    if (environment.stopReason === null) {
      // Recorded first, so the STOPPED event that follows ends it as torn_down whatever its reason.
      await deps.store.update(environment.id, { stopReason: 'expired' });
    }
    await deps.runtime.stop(task.taskArn, EXPIRED_STOP_REASON);
    summary.expired.push(environment.id);
    log.info('Stopped the task of an expired environment', {
      environmentId: environment.id,
      taskArn: task.taskArn,
      expiresAt: environment.expiresAt,
    });
  } else if (
    phase === 'running' &&
    (environment.state === 'building' || environment.state === 'provisioning')
  ) {
    await promote(environment, task, summary, deps, log);
  }
  return task.taskArn;
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

/** A `building` environment without a task ARN: adopt, relaunch or give up. */
const settleLaunch = async (
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

  const retryDueAt = environment.launchRetryAt === null ? null : Date.parse(environment.launchRetryAt);
  const graceMs = (deps.config.graceSec ?? DEFAULT_GRACE_SEC) * 1000;
  if (retryDueAt !== null && deps.clock.now().getTime() < retryDueAt + graceMs) {
    // A queued retry is due (`DESIGN.md`, "Launch retries"); it is the retry loop, not this.
    return null;
  }
  const giveUp = launchGivenUp(environment, deps);
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

/** Why an environment that never got a task is not launched again, or null to try again. */
const launchGivenUp = (environment: EnvironmentRecord, deps: ReconcileDeps): string | null => {
  const now = deps.clock.now().getTime();
  const { launchDeadlineSec, maxLaunchAttempts } = deps.config;
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

const scheduleExpiry = async (
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
const fail = async (
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
const finalise = async (
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

/**
 * Stops `task` unless a live environment owns it. The live list is eventually consistent (an
 * index), so an unknown owner is read again, consistently, before its task is stopped.
 */
const stopIfOrphan = async (
  task: RuntimeTask,
  owned: ReadonlyMap<string, string | null>,
  summary: ReconcileSummary,
  deps: ReconcileDeps,
  log: Log,
): Promise<void> => {
  if (task.desiredStatus === 'STOPPED') return;
  const owner = task.startedBy;
  if (slotIdOf(owner) !== null) {
    const ownerOf = async (id: string) => (owned.has(id) ? owned.get(id) : liveTaskOf(id, deps));
    if (await poolTaskOwned(task, deps.pools, ownerOf)) return;
  } else if (owner !== null) {
    const ownerTask = owned.has(owner) ? owned.get(owner) : await liveTaskOf(owner, deps);
    if (ownerTask === null || ownerTask === task.taskArn) return;
  }
  await deps.runtime.stop(task.taskArn, ORPHAN_STOP_REASON);
  summary.orphansStopped.push(task.taskArn);
  log.info('Stopped an orphan task', { taskArn: task.taskArn, startedBy: owner, group: task.group });
};

/**
 * The task a live environment owns (null: none yet, so any of its tasks may be the one), or
 * undefined when there is no live environment with that id.
 */
const liveTaskOf = async (id: string, deps: ReconcileDeps): Promise<string | null | undefined> => {
  const environment = await deps.store.get(id);
  return environment === null || isFinal(environment.state) ? undefined : environment.taskArn;
};

const recordError = (summary: ReconcileSummary, log: Log, subject: string, error: unknown): void => {
  const message = messageOf(error);
  summary.errors.push({ subject, message });
  log.error('Reconciliation action failed; the next run retries it', { subject, error: message });
};

const messageOf = (error: unknown): string =>
  error instanceof Error ? `${error.name}: ${error.message}` : String(error);

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
