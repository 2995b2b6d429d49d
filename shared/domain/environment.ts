import * as z from '#shared/zod';

/** The states of `docs/api.md`. `paused` exists for compatibility; only a suspending runtime reaches it. */
export const environmentStates = [
  'building',
  'provisioning',
  'ready',
  'paused',
  'torn_down',
  'failed',
] as const;
export const environmentStateSchema = z.enum(environmentStates);
export type EnvironmentState = z.infer<typeof environmentStateSchema>;

export const finalStates: readonly EnvironmentState[] = ['torn_down', 'failed'];
export const liveStates: readonly EnvironmentState[] = ['building', 'provisioning', 'ready', 'paused'];

const transitions: Record<EnvironmentState, readonly EnvironmentState[]> = {
  building: ['provisioning', 'ready', 'torn_down', 'failed'],
  provisioning: ['ready', 'torn_down', 'failed'],
  ready: ['paused', 'torn_down', 'failed'],
  // Resuming is the one move "back"; it exists only where the runtime can suspend.
  paused: ['ready', 'torn_down', 'failed'],
  torn_down: [],
  failed: [],
};

export const isFinal = (state: EnvironmentState): boolean => finalStates.includes(state);

/** Whether `from → to` is a legal move. Staying in the same state is not a transition. */
export const canTransition = (from: EnvironmentState, to: EnvironmentState): boolean =>
  transitions[from].includes(to);

/** The states from which `to` may be entered; used as the condition of every state write. */
export const statesAllowedBefore = (to: EnvironmentState): EnvironmentState[] =>
  environmentStates.filter((from) => canTransition(from, to));

export const serviceUrlSchema = z.object({
  url: z.string(),
  host: z.string(),
  port: z.int().check(z.gte(1), z.lte(65535)),
  protocol: z.string(),
});
export type ServiceUrl = z.infer<typeof serviceUrlSchema>;
export type ServiceUrls = Record<string, ServiceUrl>;

/** An exposed (service, port) of a task; `key` names its `service_urls` entry and template variables. */
export const endpointSchema = z.object({
  key: z.string(),
  service: z.string(),
  port: z.int(),
});
export type Endpoint = z.infer<typeof endpointSchema>;

/**
 * What `ready` waits for besides RUNNING (`docs/design.md`, "Readiness"): the services with a health
 * probe, and how long after the task started they may take to pass it.
 */
export const readinessSchema = z.object({
  services: z.array(z.string()),
  graceSec: z.int(),
});
export type Readiness = z.infer<typeof readinessSchema>;

/** Why taskenv stopped a task; a STOPPED event after one of these is `torn_down`, not `failed`. */
export const stopReasons = ['deleted', 'expired', 'reconciler'] as const;
export type StopReason = (typeof stopReasons)[number];

/**
 * What a list shows of an environment: the fields of its `EnvironmentResponse`. The listing
 * index projects only these (docs/architecture.md, "Listing in O(page)"), so a page item is a
 * summary, not the whole record (inputs, endpoints, templates and the lifecycle's bookkeeping
 * stay in the table).
 */
export const environmentSummaryFields = [
  'id',
  'taskRef',
  'state',
  'createdAt',
  'expiresAt',
  'projectId',
  'instruction',
  'serviceUrls',
  'taskVerification',
  'error',
  'verification',
] as const;

export type EnvironmentSummary = Pick<EnvironmentRecord, (typeof environmentSummaryFields)[number]>;

/**
 * The environment as stored. Holds nothing secret: the execute token only as its hash, the
 * selected secrets only by id.
 */
export interface EnvironmentRecord {
  readonly id: string;
  readonly org: string;
  readonly workspace: string;
  readonly projectId: string;
  /** Fully resolved `org/name@version`. */
  readonly taskRef: string;
  readonly state: EnvironmentState;
  /** Last applied ECS `detail.version`; 0 until the first event. */
  readonly eventVersion: number;
  readonly taskArn: string | null;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly expiresAt: string | null;
  readonly timeoutSec: number;
  readonly inputs: Record<string, string | number | boolean>;
  readonly secretIds: readonly string[];
  /** The exposed endpoints, kept so the event path needs no task lookup. */
  readonly endpoints: readonly Endpoint[];
  /** The instruction template, kept while the instruction waits for service variables. */
  readonly instructionTemplate: string | null;
  readonly instruction: string | null;
  readonly serviceUrls: ServiceUrls | null;
  readonly taskVerification: Record<string, unknown> | null;
  readonly error: string | null;
  /** Set when taskenv asked the runtime to stop the task. */
  readonly stopReason: StopReason | null;
  /** Launch attempts so far; the reconciler gives up after a few. */
  readonly launchAttempts: number;
  /** The latest `verify` result; absent or null until the first one (written by the execution store). */
  readonly verification?: { readonly passed: boolean; readonly verifiedAt: string } | null;
  /**
   * The task's `timeout.max_sec` when the environment was created: keepalive never moves
   * `expires_at` past `created_at` + this. Absent when the task sets none (and on older records).
   */
  readonly maxLifetimeSec?: number;
  /**
   * When the queued retry of a refused launch is due (`docs/design.md`, "Launch retries"); null when
   * none is pending. The reconciler leaves the launch to that retry until then.
   */
  readonly launchRetryAt: string | null;
  /** Null when RUNNING alone makes the environment `ready` (no health probes, or a runtime that probes before RUNNING). */
  readonly readiness: Readiness | null;
  /**
   * The state before the last state change, as the store saw it when it wrote the change; what
   * that change's integration event reports as `previous_state`. Null for a new environment.
   */
  readonly previousState: EnvironmentState | null;
}

/**
 * Largest environment record taskenv writes, in bytes of its JSON. DynamoDB refuses items over
 * 400 KB (names and values, the index keys included); the rest is left to those.
 */
export const MAX_RECORD_BYTES = 350 * 1024;

/**
 * Bytes of `record` once its instruction is rendered: as it is when the instruction is already
 * rendered, else with room for the largest rendered instruction (`renderedMaxBytes`), which the
 * record takes on at `ready` next to its template.
 */
export const recordBytesWhenReady = (record: EnvironmentRecord, renderedMaxBytes: number): number => {
  const now = new TextEncoder().encode(JSON.stringify(record)).length;
  return record.instruction === null && record.instructionTemplate !== null ? now + renderedMaxBytes : now;
};
