import { randomInt } from 'node:crypto';
import type { EnvironmentRecord } from '#domain/environment';
import { AlreadyExistsError, TaskenvError } from '#domain/errors';
import { renderWhenReady, serviceVariables } from '#domain/instruction';
import { stateChangeEvent } from '#domain/integration-event';
import { poolName, type SlotRecord } from '#domain/pool';
import type { TaskVersionRecord } from '#domain/task-version';
import type { Clock } from '#ports/clock';
import type { EventPublisher } from '#ports/event-publisher';
import type { ExpiryScheduler } from '#ports/expiry-scheduler';
import type { PoolKeeperTrigger, PoolStore } from '#ports/pool-store';

/** The ports a create needs to claim a warm pool task. */
export interface WarmPoolDeps {
  readonly store: PoolStore;
  readonly keeper: PoolKeeperTrigger;
  /** Told what each create found (the claims and misses metrics). */
  readonly observe?: (result: ClaimResult['kind']) => void;
}

export interface ClaimDeps {
  readonly pools: WarmPoolDeps;
  readonly expiry: ExpiryScheduler;
  readonly publisher: EventPublisher;
  readonly clock: Clock;
  readonly onDeferredFailure?: (step: string, error: unknown) => void;
}

/** What a create found: no pool for its version, a pool with nothing warm, or a claimed slot. */
export type ClaimResult =
  | { readonly kind: 'no_pool' }
  | { readonly kind: 'miss' }
  | { readonly kind: 'claimed'; readonly record: EnvironmentRecord; readonly slotId: string };

/**
 * Claims a warm task of the org's pool of `task` for the environment `draft` (built by
 * create-environment as it would be recorded on the cold path; its `expiresAt` counts from
 * now, the claim). Each warm slot is tried once, in random order so concurrent creates spread
 * over the slots: one transaction moves the slot warm → claimed, puts the environment as
 * `ready` with the slot's task, event version, service URLs and the fully rendered
 * instruction, and takes the quota unit. A slot another create claimed first is skipped, so
 * two creates never share a task and, while a slot is warm, some create gets it.
 *
 * After a claim (and after a miss, which means the pool is short) the keeper is nudged to
 * start a replacement; the expiry is scheduled and the state change published as on the cold
 * path (both best effort: the reconciler stops an expired task, and events are at least once).
 *
 * @throws QuotaExceededError when the org's quota is used up (no slot is taken then).
 */
export const claimWarmSlot = async (
  draft: EnvironmentRecord,
  task: TaskVersionRecord,
  quota: { readonly limit: number },
  deps: ClaimDeps,
): Promise<ClaimResult> => {
  const result = await claim(draft, task, quota, deps);
  deps.pools.observe?.(result.kind);
  return result;
};

const claim = async (
  draft: EnvironmentRecord,
  task: TaskVersionRecord,
  quota: { readonly limit: number },
  deps: ClaimDeps,
): Promise<ClaimResult> => {
  const name = poolName(task);
  // Both reads at once: a create of a version without a pool pays one round trip for pools.
  const [pool, slots] = await Promise.all([
    deps.pools.store.getPool(draft.org, name),
    deps.pools.store.listSlots(draft.org, name),
  ]);
  if (pool === null || pool.taskRef !== draft.taskRef || pool.size === 0) return { kind: 'no_pool' };
  const warm = shuffle(
    slots.filter((s) => s.state === 'warm' && s.taskArn !== null && s.serviceUrls !== null),
  );
  for (const slot of warm) {
    const record = claimedRecord(draft, slot);
    if (record === null) break;
    let outcome: Awaited<ReturnType<PoolStore['claim']>>;
    try {
      outcome = await deps.pools.store.claim(slot, record, quota);
    } catch (error) {
      // Recorded already (a concurrent retry under the same Idempotency-Key): the create's own
      // path answers with that environment; this slot stays warm.
      if (error instanceof AlreadyExistsError) return { kind: 'miss' };
      throw error;
    }
    if (outcome === 'taken') continue;
    await afterClaim(record, deps);
    await nudge(deps, draft.org, name);
    return { kind: 'claimed', record, slotId: slot.id };
  }
  await nudge(deps, draft.org, name);
  return { kind: 'miss' };
};

/**
 * The environment as a claim records it: ready, on the slot's task, with its URLs and the
 * instruction rendered with them. Null when the instruction cannot be rendered with these
 * URLs: the cold path then fails it the way it always does.
 */
const claimedRecord = (draft: EnvironmentRecord, slot: SlotRecord): EnvironmentRecord | null => {
  const serviceUrls = slot.serviceUrls ?? {};
  let instruction = draft.instruction;
  if (draft.instructionTemplate !== null) {
    try {
      instruction = renderWhenReady(
        { instruction: draft.instructionTemplate },
        draft.inputs,
        draft.id,
        serviceVariables(serviceUrls),
      );
    } catch (error) {
      if (error instanceof TaskenvError) return null;
      throw error;
    }
  }
  return {
    ...draft,
    state: 'ready',
    taskArn: slot.taskArn,
    eventVersion: slot.eventVersion,
    serviceUrls,
    instruction,
  };
};

const afterClaim = async (record: EnvironmentRecord, deps: ClaimDeps): Promise<void> => {
  try {
    await deps.publisher.publish([stateChangeEvent(record, null, deps.clock.now())]);
  } catch (error) {
    deps.onDeferredFailure?.('publish', error);
  }
  if (record.expiresAt === null || record.taskArn === null) return;
  try {
    await deps.expiry.schedule(record.id, record.taskArn, new Date(record.expiresAt));
  } catch (error) {
    // The reconciler stops environments past their expiry, so a missed schedule is not fatal.
    deps.onDeferredFailure?.('schedule-expiry', error);
  }
};

/** A failed nudge only delays the refill until the keeper's next scheduled run. */
const nudge = async (deps: ClaimDeps, org: string, name: string): Promise<void> => {
  try {
    await deps.pools.keeper.nudge({ org, name });
  } catch (error) {
    deps.onDeferredFailure?.('pool-nudge', error);
  }
};

const shuffle = <T>(items: readonly T[]): T[] => {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = randomInt(i + 1);
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
};
