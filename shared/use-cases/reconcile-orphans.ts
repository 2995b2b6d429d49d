/** The reconciler's sweeps: tasks no live environment owns are stopped, env files none reads are deleted. */
import { isFinal } from '#domain/environment';
import { slotIdOf } from '#domain/pool';
import { type RuntimeTask, STOP_REASON_PREFIX } from '#ports/container-runtime';
import type { EnvFileListing } from '#ports/env-file-store';
import type { Log } from '#ports/log';
import { DEFAULT_STRAY_ENV_FILE_GRACE_SEC, ownerKeepsTask } from './reconcile-decide.ts';
import type { ReconcileDeps, ReconcileSummary } from './reconcile-deps.ts';
import { poolTaskOwned } from './reconcile-pools.ts';

/** The `stoppedReason` of a task the reconciler stops because no live environment owns it. */
export const ORPHAN_STOP_REASON = `${STOP_REASON_PREFIX} orphan`;

/**
 * Stops `task` unless a live environment owns it. The live list is eventually consistent (an
 * index), so an unknown owner is read again, consistently, before its task is stopped.
 */
export const stopIfOrphan = async (
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
    if (ownerKeepsTask(ownerTask, task.taskArn)) return;
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

/**
 * Deletes the env files (secrets, execute token) that no live environment will read: those of
 * environments never recorded (a create that died between writing its file and recording the
 * environment) and of final ones whose delete failed. Only files older than the grace period,
 * so a create in flight keeps the file it is about to record.
 */
export const sweepEnvFiles = async (
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
