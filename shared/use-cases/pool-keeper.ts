import { serviceEndpoints } from '#domain/instruction';
import { isWaiting, type PoolRecord, planPool, poolStartedBy, type SlotRecord } from '#domain/pool';
import { parseTaskRef } from '#domain/task-ref';
import type { TaskVersionRecord } from '#domain/task-version';
import type { Clock, IdGenerator } from '#ports/clock';
import { type ContainerRuntime, LaunchFailedError } from '#ports/container-runtime';
import { type Log, silentLog } from '#ports/log';
import type { PoolStore } from '#ports/pool-store';
import type { TaskRegistry } from '#ports/task-registry';
import { POOL_STOP_REASON, retireSlot } from './pools.ts';

export interface PoolKeeperConfig {
  /** Warm slots older than this are replaced. @default 3600 */
  readonly maxAgeSec?: number;
  /** Starting slots older than this are given up. @default 600 */
  readonly startDeadlineSec?: number;
  /** A starting slot without a task this long after it was made is launched again. @default 10 */
  readonly graceSec?: number;
}

export interface PoolKeeperDeps {
  readonly pools: PoolStore;
  readonly tasks: TaskRegistry;
  readonly runtime: ContainerRuntime;
  readonly clock: Clock;
  readonly ids: IdGenerator;
  readonly config?: PoolKeeperConfig;
  readonly logger?: Log;
}

/** One pool after a keeper run (the pool size and warm metrics). */
export interface PoolGauge {
  readonly org: string;
  readonly name: string;
  readonly size: number;
  readonly warm: number;
  readonly starting: number;
}

export interface PoolKeeperSummary {
  /** Slot ids started. */
  readonly started: string[];
  /** Slot ids launched again (a keeper died between the slot and its RunTask). */
  readonly relaunched: string[];
  /** Slot ids retired (too old, never started, beyond the size, refused by the platform). */
  readonly retired: string[];
  readonly pools: PoolGauge[];
  readonly errors: { readonly subject: string; readonly message: string }[];
}

/**
 * One pass over every pool (`docs/design.md`, "Warm pools"): retire what {@link planPool} says
 * (too old, never started, beyond the size; their tasks stopped), launch again the starting
 * slots whose task was never recorded (same `startedBy`, the idempotency token, so at most one
 * task), and start new slots up to the size. A new slot is recorded `starting` before its
 * RunTask, so a crash in between leaves a slot the next run relaunches, never a task nobody
 * knows (the reconciler stops any pool task without a waiting slot).
 *
 * Runs are meant to be serial (the keeper function has a reserved concurrency of 1; locally a
 * single-flight timer); two overlapping runs can overshoot the size by their in-flight starts,
 * which the next run retires. A pool's failure is recorded and does not stop the others.
 */
export const keepPools = async (deps: PoolKeeperDeps): Promise<PoolKeeperSummary> => {
  const log = deps.logger ?? silentLog;
  const summary: PoolKeeperSummary = { started: [], relaunched: [], retired: [], pools: [], errors: [] };
  for (const pool of await deps.pools.listAllPools()) {
    try {
      await keepPool(pool, summary, deps, log);
    } catch (error) {
      const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      summary.errors.push({ subject: `${pool.org}/${pool.name}`, message });
      log.error('Pool keeping failed; the next run retries it', {
        org: pool.org,
        pool: pool.name,
        error: message,
      });
    }
  }
  return summary;
};

const keepPool = async (pool: PoolRecord, summary: PoolKeeperSummary, deps: PoolKeeperDeps, log: Log) => {
  const slots = await deps.pools.listSlots(pool.org, pool.name);
  const plan = planPool(pool.size, slots, deps.clock.now(), deps.config);
  for (const { slot, reason } of plan.retire) {
    if (await retireSlot(slot, reason, deps)) {
      summary.retired.push(slot.id);
      log.info('Retired a pool slot', { org: pool.org, pool: pool.name, slotId: slot.id, reason });
    }
  }
  let launched: SlotRecord[] = [];
  if (plan.start > 0 || plan.relaunch.length > 0) {
    const task = await taskOf(pool, deps);
    if (task === null) {
      log.warn('The task version of a pool is gone; nothing is started', { org: pool.org, pool: pool.name });
    } else {
      for (const slot of plan.relaunch) {
        if (await launchSlot(slot, task, summary, deps, log)) summary.relaunched.push(slot.id);
      }
      launched = await startSlots(pool, task, plan.start, summary, deps, log);
    }
  }
  const retired = new Set(summary.retired);
  const waiting = [...slots.filter((s) => isWaiting(s) && !retired.has(s.id)), ...launched];
  summary.pools.push({
    org: pool.org,
    name: pool.name,
    size: pool.size,
    warm: waiting.filter((s) => s.state === 'warm').length,
    starting: waiting.filter((s) => s.state === 'starting').length,
  });
};

const taskOf = async (pool: PoolRecord, deps: PoolKeeperDeps): Promise<TaskVersionRecord | null> => {
  const ref = parseTaskRef(pool.taskRef);
  if (ref.org === undefined || ref.version === undefined) return null;
  return deps.tasks.get(ref.org, ref.name, ref.version);
};

const startSlots = async (
  pool: PoolRecord,
  task: TaskVersionRecord,
  count: number,
  summary: PoolKeeperSummary,
  deps: PoolKeeperDeps,
  log: Log,
): Promise<SlotRecord[]> => {
  const started: SlotRecord[] = [];
  for (let i = 0; i < count; i++) {
    const now = deps.clock.now().toISOString();
    const slot: SlotRecord = {
      id: deps.ids.next().replace(/-/g, '').slice(0, 30),
      org: pool.org,
      pool: pool.name,
      taskRef: pool.taskRef,
      state: 'starting',
      taskArn: null,
      eventVersion: 0,
      endpoints: serviceEndpoints(task.manifest),
      serviceUrls: null,
      environmentId: null,
      createdAt: now,
      updatedAt: now,
      retiredReason: null,
    };
    await deps.pools.createSlot(slot);
    if (await launchSlot(slot, task, summary, deps, log)) {
      summary.started.push(slot.id);
      started.push(slot);
    }
  }
  return started;
};

/**
 * RunTask for one slot: no env file, no workspace, `startedBy` = `pool/<slot id>`. True when
 * its task is recorded on the slot. A refusal retires the slot; a slot retired meanwhile (a
 * DELETE of the pool) gets its new task stopped at once.
 */
const launchSlot = async (
  slot: SlotRecord,
  task: TaskVersionRecord,
  summary: PoolKeeperSummary,
  deps: PoolKeeperDeps,
  log: Log,
): Promise<boolean> => {
  let taskArn: string;
  try {
    ({ taskArn } = await deps.runtime.launch({
      environmentId: poolStartedBy(slot.id),
      org: slot.org,
      workspace: null,
      task,
      envFileRef: null,
    }));
  } catch (error) {
    if (!(error instanceof LaunchFailedError)) throw error;
    await deps.pools.moveSlot(slot, {
      from: ['starting'],
      to: 'retired',
      set: { retiredReason: `Launch failed: ${error.reason}` },
    });
    summary.retired.push(slot.id);
    log.warn('The platform refused a pool task', { org: slot.org, pool: slot.pool, reason: error.reason });
    return false;
  }
  const recorded = await deps.pools.updateSlot(slot, { taskArn });
  if (recorded === null) {
    // Retired while launching (or the task's own events retired it): nobody may use this task.
    const current = (await deps.pools.listSlots(slot.org, slot.pool)).find((s) => s.id === slot.id);
    if (current === undefined || current.state === 'retired') {
      await deps.runtime.stop(taskArn, POOL_STOP_REASON);
      return false;
    }
  }
  return true;
};
