import type {
  EnvironmentRecord,
  EnvironmentState,
  EnvironmentSummary,
  ServiceUrls,
  StopReason,
} from '#domain/environment';

/** Fields that may change after creation. Absent keys stay as they are; `null` clears. */
export interface EnvironmentPatch {
  readonly taskArn?: string | null;
  readonly expiresAt?: string | null;
  readonly serviceUrls?: ServiceUrls | null;
  readonly instruction?: string | null;
  readonly instructionTemplate?: string | null;
  readonly error?: string | null;
  readonly stopReason?: StopReason | null;
  readonly launchAttempts?: number;
  readonly launchRetryAt?: string | null;
}

export interface EnvironmentQuery {
  readonly org: string;
  readonly workspace: string;
  readonly states?: readonly EnvironmentState[];
  readonly projectId?: string;
  /** 1-based. */
  readonly page: number;
  readonly limit: number;
}

export interface EnvironmentPage {
  /** The page's environments as a list shows them (read whole with `get`). */
  readonly items: EnvironmentSummary[];
  /** Matching environments over all pages. */
  readonly total: number;
}

export interface StateChange {
  readonly to: EnvironmentState;
  /**
   * The ECS `detail.version` that caused the change. When given, the change applies only if
   * it is newer than the last applied one (stale and duplicate events change nothing).
   */
  readonly eventVersion?: number;
  /**
   * With `eventVersion`: also applies when it equals the last applied one. A health promotion
   * observes the task at the version its RUNNING event already recorded (ECS counts no version
   * for a change of health), yet must not apply after a newer event.
   */
  readonly orSameVersion?: boolean;
  readonly set?: EnvironmentPatch;
}

/** What the caller of {@link EnvironmentStore.transition} already knows. */
export interface TransitionOptions {
  /** The environment's record as the caller read it (possibly out of date); see `transition`. */
  readonly expected?: EnvironmentRecord;
}

/**
 * An event that, in the states it names, only records its version: written before the
 * environment is read (see {@link EnvironmentStore.recordEvent}).
 */
export interface EventVersionWrite {
  readonly eventVersion: number;
  /** The task the environment must already have saved as its own. */
  readonly taskArn: string;
  /** The states the environment must be in. */
  readonly states: readonly EnvironmentState[];
  /** Outside `ready`, the environment must also wait for health probes (`readiness` set). */
  readonly readinessUnlessReady?: boolean;
}

/** What {@link EnvironmentStore.recordEvent} did. */
export type EventVersionOutcome =
  /** The version was recorded; `record` is the environment as stored now. */
  | { readonly written: true; readonly record: EnvironmentRecord }
  /** The condition failed, nothing changed; `current` is the environment it was tested on (null: none). */
  | { readonly written: false; readonly current: EnvironmentRecord | null };

/** Persistence of environments and of the org quota counter they hold. */
export interface EnvironmentStore {
  /**
   * Records a new environment and takes one unit of its org's quota in one transaction.
   * @throws QuotaExceededError when the org already has `quota.limit` live environments.
   */
  create(record: EnvironmentRecord, quota: { readonly limit: number }): Promise<void>;

  get(id: string): Promise<EnvironmentRecord | null>;

  /** Newest first, filtered by state and project. */
  list(query: EnvironmentQuery): Promise<EnvironmentPage>;

  /**
   * Moves an environment to `change.to` if the state machine allows it from the current state
   * (and the event is newer, when `eventVersion` is given). Entering a final state releases the
   * org quota in the same transaction, so it is released exactly once. The returned record's
   * `previousState` is the state this very write replaced (not the caller's `expected` one).
   *
   * `options.expected` is the record of `id` as the caller last read it, when it has one. It only
   * saves the store reads of its own (on DynamoDB, a finalisation then costs its one transaction
   * instead of a read, the transaction and a read-back); it never decides anything. Whether the
   * change applies is still decided against the stored record, exactly as without it, and the
   * record returned is the one stored. An out-of-date `expected` (another write got in since it
   * was read) is allowed: it just costs the reads it would have saved.
   * @returns the updated record, or null when the condition did not hold (nothing changed).
   */
  transition(id: string, change: StateChange, options?: TransitionOptions): Promise<EnvironmentRecord | null>;

  /**
   * Changes fields of a live environment without changing its state (when `eventVersion` is
   * given, only if newer, and the version is recorded).
   * @returns the updated record, or null when it is final, missing or the event is stale.
   */
  update(
    id: string,
    set: EnvironmentPatch,
    options?: { readonly eventVersion?: number },
  ): Promise<EnvironmentRecord | null>;

  /**
   * Records `event.eventVersion` (and nothing else but `updatedAt`) when it is newer than the
   * last applied one and the environment runs `event.taskArn` in one of `event.states`, without
   * a read: one conditional write, whose failure answers the record it was tested on
   * (`docs/events.md`, "One write per event").
   */
  recordEvent(id: string, event: EventVersionWrite): Promise<EventVersionOutcome>;

  /** Every environment not in a final state (for the reconciler), any order. */
  listLive(): Promise<EnvironmentRecord[]>;
}
