import { taskPhase } from '#domain/ecs-event';
import { isWaiting, slotIdOf } from '#domain/pool';
import type { AddressResolver } from '#ports/address-resolver';
import type { Clock } from '#ports/clock';
import type { ContainerRuntime, RuntimeTask } from '#ports/container-runtime';
import { type Log, silentLog } from '#ports/log';
import type { PoolStore } from '#ports/pool-store';
import { applySlotEvent } from './apply-slot-event.ts';

export interface ReconcilePoolsDeps {
  readonly pools: PoolStore;
  readonly runtime: ContainerRuntime;
  readonly addresses: AddressResolver;
  readonly clock: Clock;
  readonly logger?: Log;
}

/**
 * Settles waiting slots whose task events were lost: a slot whose task stopped, is stopping or
 * vanished is retired, so no create claims a dead task (a warm slot always has a running task
 * after a run); a starting slot whose task runs is made warm by the event path's own write
 * (keyed on the task's version, so the late event changes nothing). Young slots are left to
 * their events. Returns the retired slot ids.
 */
export const retireDeadSlots = async (deps: ReconcilePoolsDeps, graceSec: number): Promise<string[]> => {
  const log = deps.logger ?? silentLog;
  const now = deps.clock.now().getTime();
  const pools = await deps.pools.listAllPools();
  const slots = (await Promise.all(pools.map((p) => deps.pools.listSlots(p.org, p.name))))
    .flat()
    .filter((s) => isWaiting(s) && s.taskArn !== null && now - Date.parse(s.createdAt) >= graceSec * 1000);
  const tasks = new Map(
    (await deps.runtime.describe(slots.flatMap((s) => (s.taskArn === null ? [] : [s.taskArn])))).map((t) => [
      t.taskArn,
      t,
    ]),
  );
  const retired: string[] = [];
  for (const slot of slots) {
    const task = slot.taskArn === null ? undefined : tasks.get(slot.taskArn);
    const phase = task === undefined ? 'stopped' : taskPhase(task);
    if (phase === 'running' && slot.state === 'starting' && task?.version != null && task.network !== null) {
      await applySlotEvent({ ...task, version: task.version, network: task.network }, slot.id, deps);
      continue;
    }
    if (phase !== 'stopped' && phase !== 'stopping') continue;
    const moved = await deps.pools.moveSlot(slot, {
      from: ['starting', 'warm'],
      to: 'retired',
      set: { serviceUrls: null, retiredReason: 'its task stopped (found by the reconciler)' },
    });
    if (moved !== null) {
      retired.push(slot.id);
      log.info('Retired a pool slot whose task is gone', { slotId: slot.id, taskArn: slot.taskArn, phase });
    }
  }
  return retired;
};

/**
 * Whether a running pool task still has a use: its slot waits with this task (or none yet),
 * or a live environment claimed it. `ownerOf` answers the task a live environment owns
 * (undefined: no live environment), as the orphan pass knows it.
 */
export const poolTaskOwned = async (
  task: RuntimeTask,
  pools: PoolStore | undefined,
  ownerOf: (environmentId: string) => Promise<string | null | undefined>,
): Promise<boolean> => {
  const slotId = slotIdOf(task.startedBy);
  if (slotId === null || pools === undefined) return false;
  const slot = await pools.findSlot(slotId);
  if (slot === null) return false;
  if (isWaiting(slot)) {
    // A keeper run that read the pool before its DELETE may start a slot after it.
    if ((await pools.getPool(slot.org, slot.pool)) === null) return false;
    return slot.taskArn === null || slot.taskArn === task.taskArn;
  }
  if (slot.state === 'claimed' && slot.environmentId !== null) {
    const owned = await ownerOf(slot.environmentId);
    return owned === null || owned === task.taskArn;
  }
  return false;
};
