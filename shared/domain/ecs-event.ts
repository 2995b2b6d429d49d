/**
 * The EventBridge "ECS Task State Change" event and what one such event means for the
 * environment whose task it describes (`docs/design.md`, "ECS event → environment state").
 *
 * Parsing is tolerant: ECS adds fields over time and local runtimes emit a subset, so unknown
 * fields pass, only what taskenv reads is required, and timestamps may be ISO strings or epoch
 * numbers. The mapping is pure; the use case `apply-task-event` does the I/O.
 */

import * as z from '#shared/zod';
import { redactPlatformMessage } from './env-var.ts';
import { type EnvironmentRecord, isFinal } from './environment.ts';
import { logsPointer } from './logs-pointer.ts';
import { STOP_REASON_PREFIX } from './stop-reason.ts';
import type { TaskNetwork } from './task-network.ts';
import { taskNetwork } from './task-network.ts';

export { taskNetwork } from './task-network.ts';

/** Epoch values below this are seconds (DescribeTasks JSON), above it milliseconds (`Date.now()`). */
const EPOCH_MILLIS_THRESHOLD = 1e11;

/** A point in time as ECS or a local runtime writes it, normalised to an ISO-8601 string. */
const timestampSchema = z.pipe(
  z.union([z.string(), z.number()]),
  z.transform((value: string | number, payload) => {
    const millis =
      typeof value === 'number' ? (value < EPOCH_MILLIS_THRESHOLD ? value * 1000 : value) : Date.parse(value);
    if (!Number.isFinite(millis)) {
      // Mini's transform gets the bare payload (no `addIssue`); this is the issue `addIssue` made.
      payload.issues.push({ code: 'custom', message: 'Not a timestamp', input: value });
      return z.NEVER;
    }
    return new Date(millis).toISOString();
  }),
);

const networkBindingSchema = z.looseObject({
  bindIP: z.optional(z.string()),
  containerPort: z.int(),
  hostPort: z.int(),
  protocol: z.optional(z.string()),
});

const containerNetworkInterfaceSchema = z.looseObject({
  attachmentId: z.optional(z.string()),
  privateIpv4Address: z.optional(z.string()),
  ipv6Address: z.optional(z.string()),
});

const containerSchema = z.looseObject({
  name: z.string(),
  lastStatus: z.optional(z.string()),
  exitCode: z.optional(z.int()),
  reason: z.optional(z.string()),
  /** HEALTHY, UNHEALTHY or UNKNOWN (no health check, or not evaluated yet). */
  healthStatus: z.optional(z.string()),
  networkBindings: z.optional(z.array(networkBindingSchema)),
  networkInterfaces: z.optional(z.array(containerNetworkInterfaceSchema)),
});

const attachmentSchema = z.looseObject({
  id: z.optional(z.string()),
  // Free text on purpose: ECS has other attachment types, and one of them must not make the
  // whole event unreadable. `ENI_ATTACHMENT_TYPES` picks the ones that matter.
  type: z.string(),
  status: z.optional(z.string()),
  details: z._default(z.array(z.looseObject({ name: z.string(), value: z.optional(z.string()) })), []),
});

const timestampFields = {
  createdAt: z.optional(timestampSchema),
  connectivityAt: z.optional(timestampSchema),
  pullStartedAt: z.optional(timestampSchema),
  pullStoppedAt: z.optional(timestampSchema),
  startedAt: z.optional(timestampSchema),
  stoppingAt: z.optional(timestampSchema),
  stoppedAt: z.optional(timestampSchema),
  executionStoppedAt: z.optional(timestampSchema),
  updatedAt: z.optional(timestampSchema),
};

/** `detail` of an "ECS Task State Change" event. */
export const ecsTaskDetailSchema = z.looseObject({
  taskArn: z.string(),
  clusterArn: z.string(),
  lastStatus: z.string(),
  desiredStatus: z.string(),
  /** The environment id for tasks taskenv started. */
  startedBy: z.optional(z.string()),
  group: z.optional(z.string()),
  /** Grows with every change of the task; orders events that arrive out of order. */
  version: z.int().check(z.nonnegative()),
  stopCode: z.optional(z.string()),
  stoppedReason: z.optional(z.string()),
  /** Of the essential containers' health checks; the local runtimes report HEALTHY once their probes pass. */
  healthStatus: z.optional(z.string()),
  containers: z._default(z.array(containerSchema), []),
  attachments: z._default(z.array(attachmentSchema), []),
  ...timestampFields,
});
export type EcsTaskDetail = z.output<typeof ecsTaskDetailSchema>;

const ECS_EVENT_SOURCE = 'aws.ecs';
const ECS_TASK_STATE_CHANGE = 'ECS Task State Change';

/**
 * The EventBridge envelope: the fields of the Powertools parser's `EventBridgeSchema`, with the
 * same rules. Ours rather than theirs for cold start: the Powertools schema is built on classic
 * zod, which would put the whole classic API (~450 KB, ~18 ms of init) into task-events.
 */
const eventBridgeEnvelopeSchema = z.object({
  version: z.string(),
  id: z.string(),
  source: z.string(),
  account: z.string(),
  time: z.iso.datetime(),
  region: z.string(),
  resources: z.array(z.string()),
  'detail-type': z.string(),
  detail: z.unknown(),
  'replay-name': z.optional(z.string()),
});

/** The whole EventBridge event: the envelope with our `detail`. */
export const ecsTaskStateChangeEventSchema = z.extend(eventBridgeEnvelopeSchema, {
  source: z.literal(ECS_EVENT_SOURCE),
  'detail-type': z.literal(ECS_TASK_STATE_CHANGE),
  detail: ecsTaskDetailSchema,
});
export type EcsTaskStateChangeEvent = z.output<typeof ecsTaskStateChangeEventSchema>;

/** Task statuses on the way up; each means the platform is still placing or pulling. */
const STARTING_STATUSES: ReadonlySet<string> = new Set(['PROVISIONING', 'PENDING', 'ACTIVATING']);
/** Task statuses on the way down; the state (and its URLs) stay until STOPPED. */
const STOPPING_STATUSES: ReadonlySet<string> = new Set(['DEACTIVATING', 'STOPPING', 'DEPROVISIONING']);
/** DELETED follows STOPPED for tasks ECS forgets; either means the task is gone. */
const STOPPED_STATUSES: ReadonlySet<string> = new Set(['STOPPED', 'DELETED']);

/** Where a task is in its life, as far as its environment is concerned. */
export type TaskPhase = 'starting' | 'running' | 'stopping' | 'stopped' | 'other';

/** The phase of a task from its last and desired status. */
export const taskPhase = (task: {
  readonly lastStatus: string;
  readonly desiredStatus: string;
}): TaskPhase => {
  if (STOPPED_STATUSES.has(task.lastStatus)) return 'stopped';
  // A StopTask on a running task first shows as RUNNING with desiredStatus STOPPED.
  if (task.desiredStatus === 'STOPPED' || STOPPING_STATUSES.has(task.lastStatus)) return 'stopping';
  if (task.lastStatus === 'RUNNING') return 'running';
  if (STARTING_STATUSES.has(task.lastStatus)) return 'starting';
  return 'other';
};

/** Why an event is not written at all. */
export type IgnoreReason =
  /** The task was not started for this environment (no or another `startedBy`). */
  | 'not_ours'
  /** The environment runs another task (an earlier launch attempt's task). */
  | 'other_task'
  /** An event with this version was already applied (a redelivery). */
  | 'duplicate'
  /** The environment is final; no event moves it again. */
  | 'final'
  /** A newer event was already applied. */
  | 'stale';

/** What one ECS event asks of one environment record. */
export type TaskEventDecision =
  | { readonly kind: 'ignore'; readonly reason: IgnoreReason }
  /**
   * Newer, but nothing the environment shows changes (PENDING after PROVISIONING): only the
   * version is recorded, so the record ends the same whatever order the events came in.
   */
  | { readonly kind: 'version_only' }
  | { readonly kind: 'provisioning' }
  /** Running: resolve the host from `network`, publish the URLs. */
  | { readonly kind: 'ready'; readonly network: TaskNetwork }
  /**
   * Running, but the environment waits for health probes the platform has not reported as
   * passed: `provisioning` (from `building`), and a readiness check is queued.
   */
  | { readonly kind: 'await_health' }
  | { readonly kind: 'final'; readonly to: 'torn_down' | 'failed'; readonly error: string | null };

/** Why and how a task stopped, as a STOPPED event or DescribeTasks reports it. */
export interface TaskStop {
  readonly stopCode?: string | null | undefined;
  readonly stoppedReason?: string | null | undefined;
  readonly containers: readonly {
    readonly name: string;
    readonly exitCode?: number | null | undefined;
    readonly reason?: string | null | undefined;
  }[];
}

/**
 * ECS stops the remaining containers with SIGTERM, then SIGKILL, once an essential one exits;
 * their 143/137 is the consequence, not the cause.
 */
const STOP_SIGNAL_EXIT_CODES: ReadonlySet<number> = new Set([137, 143]);

/**
 * The container whose exit explains the stop. Events do not say which containers are
 * essential, so this prefers a non-zero exit that is not the platform's own stop signal, then
 * any non-zero exit, then any exit, then a container that only carries a reason (an image that
 * could not be pulled never exits).
 */
const culprit = (containers: TaskStop['containers']): TaskStop['containers'][number] | undefined => {
  const exited = containers.filter((c) => typeof c.exitCode === 'number');
  const code = (c: (typeof exited)[number]): number => c.exitCode ?? 0;
  return (
    exited.find((c) => code(c) !== 0 && !STOP_SIGNAL_EXIT_CODES.has(code(c))) ??
    exited.find((c) => code(c) !== 0) ??
    exited[0] ??
    containers.find((c) => typeof c.reason === 'string' && c.reason.length > 0)
  );
};

/**
 * The `error` of an environment whose task stopped on its own, built from the stop code, the
 * stopped reason and the exit code of the container that caused it, e.g.
 * `Task stopped (EssentialContainerExited): Essential container in task exited; container web exited with code 3`.
 */
export const stopErrorMessage = (stop: TaskStop): string => {
  const code = stop.stopCode ? ` (${stop.stopCode})` : '';
  const reason = stop.stoppedReason ? `: ${stop.stoppedReason}` : '';
  const container = culprit(stop.containers);
  let detail = '';
  if (container !== undefined) {
    const why = container.reason ? ` (${container.reason})` : '';
    detail =
      typeof container.exitCode === 'number'
        ? `; container ${container.name} exited with code ${container.exitCode}${why}`
        : `; container ${container.name}${why}`;
  }
  return redactPlatformMessage(`Task stopped${code}${reason}${detail}`);
};

/**
 * Whose logs explain a stop: the culprit container when it ran (it has an exit code), the
 * default service when the stop names no container, none when the culprit never started (an
 * image that could not be pulled wrote nothing; its reason is in the error).
 */
const logsServiceOf = (stop: TaskStop): { readonly service: string | null } | null => {
  if (stop.containers.length === 0) return { service: null };
  const container = culprit(stop.containers);
  return typeof container?.exitCode === 'number' ? { service: container.name } : null;
};

/**
 * The final state of an environment whose task stopped: `torn_down` when taskenv asked for the
 * stop (DELETE, expiry, the reconciler: the record says so, or the reason carries our prefix),
 * else `failed` with {@link stopErrorMessage} and where its logs are ({@link logsPointer}).
 */
export const stoppedOutcome = (
  record: Pick<EnvironmentRecord, 'stopReason' | 'org' | 'workspace' | 'id'>,
  stop: TaskStop,
): { readonly to: 'torn_down' | 'failed'; readonly error: string | null } => {
  const stoppedByUs =
    record.stopReason !== null || (stop.stoppedReason?.startsWith(STOP_REASON_PREFIX) ?? false);
  if (stoppedByUs) return { to: 'torn_down', error: null };
  const logs = logsServiceOf(stop);
  const pointer = logs === null ? '' : logsPointer(record, logs.service);
  return { to: 'failed', error: `${stopErrorMessage(stop)}${pointer}` };
};

/**
 * A task's state as one event or one DescribeTasks reports it, reduced to what decides its
 * environment's next state. Both sources carry the same `version` counter, so a state read by
 * the reconciler and an event's are ordered (and deduplicated) alike.
 */
export interface TaskSnapshot extends TaskStop {
  readonly taskArn: string;
  /** The task's health (HEALTHY, UNHEALTHY, UNKNOWN); absent when the source did not report it. */
  readonly healthStatus?: string | null | undefined;
  /** The environment id for tasks taskenv started. */
  readonly startedBy?: string | null | undefined;
  readonly version: number;
  readonly lastStatus: string;
  readonly desiredStatus: string;
  readonly network: TaskNetwork;
}

/** The snapshot an event's `detail` reports. */
export const snapshotOf = (detail: EcsTaskDetail): TaskSnapshot => ({
  taskArn: detail.taskArn,
  startedBy: detail.startedBy,
  version: detail.version,
  lastStatus: detail.lastStatus,
  desiredStatus: detail.desiredStatus,
  stopCode: detail.stopCode,
  stoppedReason: detail.stoppedReason,
  healthStatus: detail.healthStatus,
  containers: detail.containers,
  network: taskNetwork(detail),
});

/** The health status ECS gives a task (and a container) whose health checks passed. */
export const HEALTHY = 'HEALTHY';
const _UNHEALTHY = 'UNHEALTHY';

/**
 * What `task` (an event's, or a described task's) asks of `record`. Pure: the caller reads the
 * record before and writes the result with `task.version` as the condition, so a decision made
 * on a stale read is refused by the store rather than applied.
 *
 * - not this environment's task: ignore;
 * - `version` not newer than the last applied one, or a final environment: ignore;
 * - STOPPED: `torn_down` or `failed`, see {@link stoppedOutcome};
 * - a stop requested (`desiredStatus` STOPPED) or under way: record the version only; the URLs
 *   stay until the final state clears them with the state, so `ready` is never shown without
 *   its URLs;
 * - RUNNING: `ready` (URLs), unless the environment waits for health probes the task does not
 *   report HEALTHY yet: then `await_health` (`docs/design.md`, "Readiness");
 * - the same version again, RUNNING and now HEALTHY (a readiness check's DescribeTasks: ECS
 *   changes no version when health changes): `ready`;
 * - PROVISIONING / PENDING / ACTIVATING: `provisioning`;
 * - anything else newer: record the version only.
 */
export const decideTransition = (record: EnvironmentRecord, task: TaskSnapshot): TaskEventDecision => {
  if (task.startedBy !== record.id) {
    return ignore('not_ours');
  }
  if (record.taskArn !== null && record.taskArn !== task.taskArn) {
    return ignore('other_task');
  }
  if (task.version === record.eventVersion) {
    if (healthPromotion(record, task)) return { kind: 'ready', network: task.network };
    // Before `final`, so a redelivered STOPPED is told apart from a late older event.
    return ignore('duplicate');
  }
  if (isFinal(record.state)) {
    return ignore('final');
  }
  if (task.version < record.eventVersion) {
    return ignore('stale');
  }
  switch (taskPhase(task)) {
    case 'stopped':
      return { kind: 'final', ...stoppedOutcome(record, task) };
    case 'stopping':
      return VERSION_ONLY;
    case 'running':
      if (record.state === 'ready') return VERSION_ONLY;
      return awaitsHealth(record, task) ? AWAIT_HEALTH : { kind: 'ready', network: task.network };
    case 'starting':
      return record.state === 'building' ? { kind: 'provisioning' } : VERSION_ONLY;
    case 'other':
      return VERSION_ONLY;
  }
};

const VERSION_ONLY: TaskEventDecision = { kind: 'version_only' };
const AWAIT_HEALTH: TaskEventDecision = { kind: 'await_health' };

/** Whether the environment still waits for the health of a running task. */
const awaitsHealth = (record: Pick<EnvironmentRecord, 'readiness'>, task: TaskSnapshot): boolean =>
  record.readiness !== null && task.healthStatus !== HEALTHY;

/** A running task observed HEALTHY at the version already applied, for an environment not yet ready. */
const healthPromotion = (record: EnvironmentRecord, task: TaskSnapshot): boolean =>
  record.readiness !== null &&
  task.healthStatus === HEALTHY &&
  (record.state === 'building' || record.state === 'provisioning') &&
  taskPhase(task) === 'running';

const ignore = (reason: IgnoreReason): TaskEventDecision => ({ kind: 'ignore', reason });
