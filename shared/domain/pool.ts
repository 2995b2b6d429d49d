/**
 * Warm pools (`docs/api.md`, "Warm pools"; `docs/design.md`, "Warm pools"): a pool keeps `size` tasks of
 * one task version started, each held by a slot, so a create that matches claims a running
 * task instead of waiting for the platform. Pure: the store and the use cases do the I/O.
 */
import type { Endpoint, ServiceUrls } from './environment.ts';

/** `starting → warm → claimed`, or `retired` from `starting`/`warm` (replaced, shrunk, deleted, died). */
export const slotStates = ['starting', 'warm', 'claimed', 'retired'] as const;
export type SlotState = (typeof slotStates)[number];

/** What the org may keep waiting when it sets no limit of its own (`docs/api.md`, `max_pool_tasks`). */
export const DEFAULT_MAX_POOL_TASKS = 10;

/** Largest `size` of one pool. */
export const MAX_POOL_SIZE = 100;

/** A waiting task older than this is replaced (`docs/api.md`). */
const SLOT_MAX_AGE_SEC = 3600;

/** A slot that has not become warm this long after it was made is given up and replaced. */
const SLOT_START_DEADLINE_SEC = 600;

/**
 * `startedBy` of a pool task. `pool/`, not `pool:`: ECS allows only letters, digits, `-`, `_`
 * and `/` in `startedBy` (and at most 36 of them), so a colon would make RunTask refuse it.
 */
export const POOL_STARTED_BY_PREFIX = 'pool/';

/** Slot ids: 30 hex digits, so `pool/<id>` fits ECS's 36 characters. */
const SLOT_ID_PATTERN = /^[0-9a-f]{30}$/;

export const poolStartedBy = (slotId: string): string => `${POOL_STARTED_BY_PREFIX}${slotId}`;

/** The slot id a pool task's `startedBy` names; null for any other `startedBy`. */
export const slotIdOf = (startedBy: string | null | undefined): string | null => {
  if (startedBy === null || startedBy === undefined || !startedBy.startsWith(POOL_STARTED_BY_PREFIX)) {
    return null;
  }
  const id = startedBy.slice(POOL_STARTED_BY_PREFIX.length);
  return SLOT_ID_PATTERN.test(id) ? id : null;
};

/** The pool's key within its org: `name@version` (`docs/design.md`, "Data"). */
export const poolName = (task: { readonly name: string; readonly version: string }): string =>
  `${task.name}@${task.version}`;

export interface PoolRecord {
  readonly org: string;
  /** `name@version`, the key within the org. */
  readonly name: string;
  /** The resolved task, `owner org/name@version` (a public task may belong to another org). */
  readonly taskRef: string;
  readonly size: number;
  /** Creates that claimed a warm slot of this pool, ever. */
  readonly claimedTotal: number;
  readonly createdAt: string;
  readonly updatedAt: string;
}

export interface SlotRecord {
  readonly id: string;
  readonly org: string;
  /** The pool's `name@version`. */
  readonly pool: string;
  readonly taskRef: string;
  readonly state: SlotState;
  readonly taskArn: string | null;
  /** Last applied ECS `detail.version` of the slot's task; handed to the environment at a claim. */
  readonly eventVersion: number;
  /** The exposed endpoints of the task version, so the event path builds URLs without a lookup. */
  readonly endpoints: readonly Endpoint[];
  /** Set once warm. */
  readonly serviceUrls: ServiceUrls | null;
  /** The environment that claimed it. */
  readonly environmentId: string | null;
  readonly createdAt: string;
  readonly updatedAt: string;
  /** Why it was retired (log and debugging aid). */
  readonly retiredReason: string | null;
}

/** A slot still holding (or about to hold) a waiting task: it counts against the pool's size. */
export const isWaiting = (slot: Pick<SlotRecord, 'state'>): boolean =>
  slot.state === 'starting' || slot.state === 'warm';

/** What the keeper must do to one pool, decided from its slots at `now`. */
export interface PoolPlan {
  /** Slots to retire (their tasks stopped), with why. */
  readonly retire: readonly { readonly slot: SlotRecord; readonly reason: string }[];
  /** Slots to start. */
  readonly start: number;
  /** Starting slots whose launch never recorded a task (a keeper crashed mid-refill): launch again. */
  readonly relaunch: readonly SlotRecord[];
}

/**
 * The keeper's decision for one pool (null `size`: the pool is gone): retire what is too old,
 * never started or beyond the size (starting ones first, then the oldest warm ones), relaunch
 * slots whose task was never recorded, and start enough to reach the size again.
 */
export const planPool = (
  size: number,
  slots: readonly SlotRecord[],
  now: Date,
  options: {
    readonly maxAgeSec?: number;
    readonly startDeadlineSec?: number;
    readonly graceSec?: number;
  } = {},
): PoolPlan => {
  const maxAgeMs = (options.maxAgeSec ?? SLOT_MAX_AGE_SEC) * 1000;
  const startDeadlineMs = (options.startDeadlineSec ?? SLOT_START_DEADLINE_SEC) * 1000;
  const graceMs = (options.graceSec ?? 10) * 1000;
  const ageMs = (slot: SlotRecord) => now.getTime() - Date.parse(slot.createdAt);
  const retire: { slot: SlotRecord; reason: string }[] = [];
  const keep: SlotRecord[] = [];
  for (const slot of slots.filter(isWaiting)) {
    if (slot.state === 'warm' && ageMs(slot) >= maxAgeMs) {
      retire.push({ slot, reason: 'replaced after its maximum age' });
    } else if (slot.state === 'starting' && ageMs(slot) >= startDeadlineMs) {
      retire.push({ slot, reason: 'did not start in time' });
    } else {
      keep.push(slot);
    }
  }
  // Beyond the size: starting ones first (nobody can use them yet), then the oldest warm ones.
  const order = (s: SlotRecord) => (s.state === 'starting' ? 0 : 1);
  const excess = [...keep].sort((a, b) => order(a) - order(b) || a.createdAt.localeCompare(b.createdAt));
  const surplus = Math.max(0, keep.length - size);
  for (const slot of excess.slice(0, surplus)) retire.push({ slot, reason: 'the pool no longer needs it' });
  const kept = excess.slice(surplus);
  const relaunch = kept.filter((s) => s.state === 'starting' && s.taskArn === null && ageMs(s) >= graceMs);
  return { retire, start: Math.max(0, size - kept.length), relaunch };
};
