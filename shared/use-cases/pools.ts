import { PermissionError, PoolNotFoundError, ValidationError } from '#domain/errors';
import { DEFAULT_MAX_POOL_TASKS, isWaiting, type PoolRecord, poolName, type SlotRecord } from '#domain/pool';
import type { Principal } from '#domain/principal';
import { parseTaskRef, resolvedTaskRef } from '#domain/task-ref';
import type { AccessStore } from '#ports/access-store';
import type { Clock } from '#ports/clock';
import { type ContainerRuntime, STOP_REASON_PREFIX } from '#ports/container-runtime';
import type { PoolKeeperTrigger, PoolStore } from '#ports/pool-store';
import type { TaskRegistry } from '#ports/task-registry';
import { assertOrgAccess } from './access.ts';
import { resolveTaskVersion } from './tasks.ts';

/** The `stoppedReason` of a pool task stopped because its pool no longer needs it. */
export const POOL_STOP_REASON = `${STOP_REASON_PREFIX} pool slot retired`;

export interface PoolsDeps {
  readonly pools: PoolStore;
  readonly tasks: TaskRegistry;
  readonly access: AccessStore;
  readonly runtime: ContainerRuntime;
  readonly keeper: PoolKeeperTrigger;
  readonly clock: Clock;
}

/** A pool as the API shows it: its record and how many of its slots wait or start right now. */
export interface PoolView {
  readonly pool: PoolRecord;
  readonly warm: number;
  readonly starting: number;
}

const assertAdmin = (principal: Principal, org: string): void => {
  assertOrgAccess(principal, org);
  if (principal.role !== 'admin') throw new PermissionError('Only an admin key may change pools');
};

/** `name@version` of the path, resolved to the task version the org sees under it. */
const resolvePoolTask = async (org: string, name: string, deps: Pick<PoolsDeps, 'tasks'>) => {
  const ref = parseTaskRef(name);
  if (ref.org !== undefined || ref.version === undefined || ref.version === 'latest') {
    throw new ValidationError([
      {
        loc: ['path', 'pool'],
        msg: 'Use name@version: a pool holds one exact version',
        type: 'invalid_task_ref',
      },
    ]);
  }
  return resolveTaskVersion(org, ref, deps.tasks);
};

const viewOf = (pool: PoolRecord, slots: readonly SlotRecord[]): PoolView => ({
  pool,
  warm: slots.filter((s) => s.state === 'warm').length,
  starting: slots.filter((s) => s.state === 'starting').length,
});

/**
 * PUT a pool: keep `size` tasks of the version started. The org's pools together may not
 * hold more than its `max_pool_tasks` (a 422 naming the limit). The keeper is nudged so the
 * pool fills (or shrinks) now rather than at its next scheduled run.
 */
export const putPool = async (
  input: {
    readonly principal: Principal;
    readonly org: string;
    readonly name: string;
    readonly size: number;
  },
  deps: PoolsDeps,
): Promise<PoolView> => {
  const { principal, org, size } = input;
  assertAdmin(principal, org);
  const task = await resolvePoolTask(org, input.name, deps);
  const name = poolName(task);
  const [orgRecord, pools] = await Promise.all([deps.access.getOrg(org), deps.pools.listPools(org)]);
  const limit = orgRecord?.maxPoolTasks ?? DEFAULT_MAX_POOL_TASKS;
  const others = pools.filter((p) => p.name !== name).reduce((sum, p) => sum + p.size, 0);
  if (others + size > limit) {
    throw new ValidationError([
      {
        loc: ['body', 'size'],
        msg: `The org's pools may keep at most ${limit} tasks (max_pool_tasks); ${others} are held by its other pools`,
        type: 'limit_exceeded',
      },
    ]);
  }
  const pool = await deps.pools.putPool(
    { org, name, taskRef: resolvedTaskRef(task), size },
    deps.clock.now(),
  );
  await deps.keeper.nudge({ org, name });
  return viewOf(pool, await deps.pools.listSlots(org, name));
};

export const getPool = async (
  input: { readonly principal: Principal; readonly org: string; readonly name: string },
  deps: Pick<PoolsDeps, 'pools'>,
): Promise<PoolView> => {
  assertOrgAccess(input.principal, input.org);
  const pool = await deps.pools.getPool(input.org, input.name);
  if (pool === null) throw new PoolNotFoundError(input.name);
  return viewOf(pool, await deps.pools.listSlots(input.org, input.name));
};

export const listPools = async (
  input: { readonly principal: Principal; readonly org: string },
  deps: Pick<PoolsDeps, 'pools'>,
): Promise<PoolView[]> => {
  assertOrgAccess(input.principal, input.org);
  const pools = await deps.pools.listPools(input.org);
  return Promise.all(
    pools.map(async (pool) => viewOf(pool, await deps.pools.listSlots(pool.org, pool.name))),
  );
};

/**
 * DELETE a pool: its size goes to 0 first (so a keeper run in between starts nothing), then
 * every waiting slot is retired and its task stopped, then the pool item goes. A crash in
 * between leaves a pool of size 0, which the keeper empties and a repeated DELETE removes.
 */
export const deletePool = async (
  input: { readonly principal: Principal; readonly org: string; readonly name: string },
  deps: PoolsDeps,
): Promise<void> => {
  const { principal, org, name } = input;
  assertAdmin(principal, org);
  const pool = await deps.pools.getPool(org, name);
  if (pool === null) throw new PoolNotFoundError(name);
  await deps.pools.putPool({ org, name, taskRef: pool.taskRef, size: 0 }, deps.clock.now());
  const slots = await deps.pools.listSlots(org, name);
  await Promise.all(slots.filter(isWaiting).map((slot) => retireSlot(slot, 'the pool was deleted', deps)));
  await deps.pools.deletePool(org, name);
};

/**
 * Retires a waiting slot (conditional: a create may claim it first, and then it is the
 * environment's) and asks for its task to stop. True when this call retired it.
 */
export const retireSlot = async (
  slot: SlotRecord,
  reason: string,
  deps: Pick<PoolsDeps, 'pools' | 'runtime'>,
): Promise<boolean> => {
  const retired = await deps.pools.moveSlot(slot, {
    from: ['starting', 'warm'],
    to: 'retired',
    set: { retiredReason: reason },
  });
  if (retired === null) return false;
  if (retired.taskArn !== null) {
    // A failed stop is not this caller's failure: a running task of a retired slot is an
    // orphan, and the reconciler stops it.
    await deps.runtime.stop(retired.taskArn, POOL_STOP_REASON).catch(() => undefined);
  }
  return true;
};
