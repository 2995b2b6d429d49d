import { stopErrorMessage, type TaskSnapshot, taskPhase } from '#domain/ecs-event';
import type { SlotRecord } from '#domain/pool';
import { buildServiceUrls } from '#domain/service-urls';
import type { AddressResolver } from '#ports/address-resolver';
import { type Log, silentLog } from '#ports/log';
import type { PoolStore, SlotChange } from '#ports/pool-store';

export interface ApplySlotEventDeps {
  readonly pools: PoolStore;
  readonly addresses: AddressResolver;
  readonly logger?: Log;
}

/**
 * What an event of a pool task meant: a move of its slot (`applied` when this delivery wrote),
 * or, once a create claimed the slot, the environment the event now belongs to.
 */
export type SlotEventOutcome =
  | { readonly kind: 'slot'; readonly applied: boolean; readonly slot: SlotRecord | null }
  | { readonly kind: 'environment'; readonly environmentId: string };

/** Raised when a pool task runs but has no usable address yet; the event is delivered again. */
class SlotHostNotKnownError extends Error {
  constructor(slotId: string, taskArn: string) {
    super(`No reachable host for task ${taskArn} of pool slot ${slotId} yet`);
    this.name = 'SlotHostNotKnownError';
  }
}

/**
 * Applies one event of a pool task (`startedBy` = `pool/<slot id>`) to its slot, conditionally
 * on the slot's state and on a newer `detail.version`, so redeliveries and reordering change
 * nothing:
 * - RUNNING of a starting slot: warm, with the service URLs built as for an environment;
 * - a stop requested or under way, or STOPPED: retired (a dying task is never claimed; the
 *   keeper starts a replacement);
 * - anything else newer: the version (and the task ARN, if a crashed keeper never saved it).
 *
 * A claimed slot hands the event on: the caller applies it to the claiming environment, whose
 * task (and version counter) the slot's was. A write that lost to a claim is read again and
 * handed on the same way.
 */
export const applySlotEvent = async (
  task: TaskSnapshot,
  slotId: string,
  deps: ApplySlotEventDeps,
): Promise<SlotEventOutcome> => {
  const log = deps.logger ?? silentLog;
  const slot = await deps.pools.findSlot(slotId);
  if (slot === null) {
    log.info('Ignoring an event of an unknown pool slot', { slotId, taskArn: task.taskArn });
    return { kind: 'slot', applied: false, slot: null };
  }
  const claimed = handOn(slot);
  if (claimed !== null) return claimed;
  if (slot.state === 'retired' || task.version <= slot.eventVersion) {
    return { kind: 'slot', applied: false, slot };
  }
  const written = await write(slot, task, deps);
  if (written !== null) {
    log.info('Pool slot event applied', { slotId, taskArn: task.taskArn, to: written.state });
    return { kind: 'slot', applied: true, slot: written };
  }
  // Lost to another write; if that was a claim, the event is the environment's now.
  const fresh = await deps.pools.findSlot(slotId);
  return (fresh === null ? null : handOn(fresh)) ?? { kind: 'slot', applied: false, slot: fresh };
};

const handOn = (slot: SlotRecord): SlotEventOutcome | null =>
  slot.state === 'claimed' && slot.environmentId !== null
    ? { kind: 'environment', environmentId: slot.environmentId }
    : null;

const write = async (
  slot: SlotRecord,
  task: TaskSnapshot,
  deps: ApplySlotEventDeps,
): Promise<SlotRecord | null> => {
  const eventVersion = task.version;
  const move = (change: Omit<SlotChange, 'eventVersion'>) =>
    deps.pools.moveSlot(slot, { ...change, eventVersion });
  switch (taskPhase(task)) {
    case 'stopped':
      return move({
        from: ['starting', 'warm'],
        to: 'retired',
        set: { taskArn: task.taskArn, serviceUrls: null, retiredReason: stopErrorMessage(task) },
      });
    case 'stopping':
      return move({
        from: ['starting', 'warm'],
        to: 'retired',
        set: { taskArn: task.taskArn, serviceUrls: null, retiredReason: 'its task is stopping' },
      });
    case 'running': {
      if (slot.state === 'warm') return deps.pools.updateSlot(slot, {}, { eventVersion });
      const host = await deps.addresses.hostFor(task.network);
      if (host === null) throw new SlotHostNotKnownError(slot.id, task.taskArn);
      const serviceUrls = buildServiceUrls(slot.endpoints, host, task.network.bindings);
      return move({ from: ['starting'], to: 'warm', set: { taskArn: task.taskArn, serviceUrls } });
    }
    default:
      return deps.pools.updateSlot(slot, { taskArn: task.taskArn }, { eventVersion });
  }
};
