import type { EnvironmentRecord, ServiceUrls } from '#domain/environment';
import type { PoolRecord, SlotRecord, SlotState } from '#domain/pool';

/** Which slot: its pool (org + `name@version`) and its id. */
export interface SlotKey {
  readonly org: string;
  readonly pool: string;
  readonly id: string;
}

/** A conditional move of one slot. */
export interface SlotChange {
  /** Applies only from one of these states. */
  readonly from: readonly SlotState[];
  readonly to: SlotState;
  /** When given, applies only if newer than the slot's last applied ECS event, and records it. */
  readonly eventVersion?: number;
  readonly set?: {
    readonly taskArn?: string;
    readonly serviceUrls?: ServiceUrls | null;
    readonly retiredReason?: string;
  };
}

/** Why a claim did not take the slot it was given. */
export type ClaimOutcome = 'claimed' | 'taken';

/** Pools and their slots (`docs/design.md`, "Warm pools"). Every slot move is a conditional write. */
export interface PoolStore {
  /** Creates the pool or changes its size (and `updatedAt`); `claimedTotal` is kept. */
  putPool(pool: Omit<PoolRecord, 'claimedTotal' | 'createdAt' | 'updatedAt'>, now: Date): Promise<PoolRecord>;
  getPool(org: string, name: string): Promise<PoolRecord | null>;
  listPools(org: string): Promise<PoolRecord[]>;
  /** Every pool of every org, for the keeper and the reconciler. */
  listAllPools(): Promise<PoolRecord[]>;
  deletePool(org: string, name: string): Promise<void>;

  /** Records a new `starting` slot. */
  createSlot(slot: SlotRecord): Promise<void>;
  /** The slots of a pool, read consistently; retired and claimed ones only while retained. */
  listSlots(org: string, pool: string): Promise<SlotRecord[]>;
  /** A slot by id alone (a pool task's events carry only `pool/<id>`); null when unknown. */
  findSlot(id: string): Promise<SlotRecord | null>;
  /** @returns the slot after the move, or null when its condition failed (nothing changed). */
  moveSlot(key: SlotKey, change: SlotChange): Promise<SlotRecord | null>;
  /** Records the slot's task (or a newer event version) without a state change; null if not waiting. */
  updateSlot(
    key: SlotKey,
    set: { readonly taskArn?: string },
    options?: { readonly eventVersion?: number },
  ): Promise<SlotRecord | null>;

  /**
   * The claim, one transaction: the slot warm (and unchanged since `slot` was read) → claimed by
   * `environment`, the environment put (it must not exist), the org's quota unit taken, the
   * pool's `claimedTotal` + 1. `taken` when the slot is no longer warm as read (another create
   * claimed it, an event moved it, the pool went).
   * @throws QuotaExceededError when the org has `quota.limit` live environments.
   * @throws AlreadyExistsError when the environment exists.
   */
  claim(
    slot: SlotRecord,
    environment: EnvironmentRecord,
    quota: { readonly limit: number },
  ): Promise<ClaimOutcome>;
}

/** Tells the pool keeper to run soon (after a claim), without waiting for it. */
export interface PoolKeeperTrigger {
  nudge(pool: { readonly org: string; readonly name: string }): Promise<void>;
}
