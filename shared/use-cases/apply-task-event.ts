import {
  decideTransition,
  type EcsTaskStateChangeEvent,
  HEALTHY,
  snapshotOf,
  type TaskEventDecision,
  type TaskSnapshot,
  taskPhase,
} from '#domain/ecs-event';
import { type EnvironmentRecord, isFinal, liveStates, type ServiceUrls } from '#domain/environment';
import { TaskenvError } from '#domain/errors';
import { renderFailureCause, renderWhenReady } from '#domain/instruction';
import { stateChangeEvent } from '#domain/integration-event';
import { readinessCheckDelaySec } from '#domain/lifecycle-check';
import { slotIdOf } from '#domain/pool';
import { buildServiceUrls, serviceVariables } from '#domain/service-urls';
import type { AddressResolver } from '#ports/address-resolver';
import type { Clock } from '#ports/clock';
import type { EnvFileStore } from '#ports/env-file-store';
import type {
  EnvironmentPatch,
  EnvironmentStore,
  EventVersionWrite,
  StateChange,
} from '#ports/environment-store';
import type { EventPublisher } from '#ports/event-publisher';
import type { LifecycleQueue } from '#ports/lifecycle-queue';
import { type Log, silentLog } from '#ports/log';
import type { PoolStore } from '#ports/pool-store';
import { applySlotEvent } from './apply-slot-event.ts';

export interface ApplyTaskEventDeps {
  readonly store: EnvironmentStore;
  readonly addresses: AddressResolver;
  readonly publisher: EventPublisher;
  readonly envFiles: EnvFileStore;
  /** Where the readiness check of a running task whose health is not known yet is queued. */
  readonly checks: LifecycleQueue;
  readonly clock: Clock;
  readonly logger?: Log;
  /** Pool slots, for the events of pool tasks; absent where no pools are kept. */
  readonly pools?: PoolStore;
}

/** What handling one event did. */
export interface ApplyTaskEventResult {
  /** The environment the event names (`startedBy`), if any. */
  readonly environmentId: string | null;
  /** What the event asked for; `unknown_environment` when taskenv has no such environment. */
  readonly decision:
    | TaskEventDecision
    | { readonly kind: 'ignore'; readonly reason: 'unknown_environment' }
    /** The event of a waiting pool task: it moved (or not) the slot, no environment. */
    | { readonly kind: 'pool_slot' };
  /** Whether this delivery changed the record. */
  readonly applied: boolean;
  /** The record after handling; null when there is none, or when a concurrent write won (not read again). */
  readonly record: EnvironmentRecord | null;
}

/**
 * The task runs but no address clients could use is known yet (in public mode, the public IP
 * is associated with the ENI a moment after RUNNING). Thrown so the event is delivered again.
 */
export class HostNotKnownError extends Error {
  constructor(environmentId: string, taskArn: string) {
    super(`No reachable host for task ${taskArn} of environment ${environmentId} yet`);
    this.name = 'HostNotKnownError';
  }
}

/**
 * Applies one "ECS Task State Change" event to the environment whose task it describes
 * (`docs/design.md`, "ECS event → environment state"): an event that only records its version
 * is one conditional write, made before any read ({@link versionOnlyStates}; a refusal answers
 * the record, decided on as if read); any other is one GetItem and at most one conditional write
 * carrying `detail.version` (plus one address lookup on RUNNING). Then the side effects of an
 * applied change: the env file deleted once the task is gone, a readiness check queued, one
 * integration event per state change (`docs/events.md`, "One write per event").
 *
 * Delivery is at least once and in any order; the result does not depend on either:
 * - the write is conditional on a newer version and a legal state move, so a stale or
 *   duplicate event writes nothing, and every event that is newer records its version even when
 *   nothing visible changes;
 * - on STOPPED, `service_urls` become null and so does an instruction rendered with service
 *   variables (`instructionTemplate` set), because its URLs are dead. This also keeps the final
 *   record the same whether RUNNING was applied before STOPPED or arrived after it (and was
 *   refused as stale);
 * - a redelivered event (its version is the last applied one) repeats the side effects, since
 *   the earlier delivery may have failed after its write: the env file is deleted again and the
 *   current state is published again (with `previous_state` null), so integrations see every
 *   change at least once.
 *
 * Events of tasks taskenv did not start (no `startedBy`, or no such environment) are ignored.
 *
 * @throws HostNotKnownError when the task runs but has no usable address yet.
 * @throws whatever a port throws (DynamoDB, EC2, S3, EventBridge), so EventBridge retries the
 *   event and, in the end, the dead-letter queue keeps it.
 */
export const applyTaskEvent = async (
  event: Pick<EcsTaskStateChangeEvent, 'detail'>,
  deps: ApplyTaskEventDeps,
): Promise<ApplyTaskEventResult> => {
  let task = snapshotOf(event.detail);
  const log = deps.logger ?? silentLog;
  const slotId = slotIdOf(task.startedBy);
  if (slotId !== null && deps.pools !== undefined) {
    // A pool task belongs to its slot until a create claims it, then to that environment.
    const outcome = await applySlotEvent(task, slotId, { ...deps, pools: deps.pools });
    if (outcome.kind === 'slot') {
      return { environmentId: null, decision: { kind: 'pool_slot' }, applied: outcome.applied, record: null };
    }
    task = { ...task, startedBy: outcome.environmentId };
  }
  const environmentId = task.startedBy ?? null;
  const withoutRead = environmentId === null ? null : versionOnlyStates(task);
  let record: EnvironmentRecord | null = null;
  if (environmentId !== null && withoutRead !== null) {
    // Most events only record their version: written first, the record read only on refusal.
    const outcome = await deps.store.recordEvent(environmentId, {
      eventVersion: task.version,
      taskArn: task.taskArn,
      ...withoutRead,
    });
    if (outcome.written) return { environmentId, ...(await versionRecorded(outcome.record, task, deps)) };
    record = outcome.current;
  } else if (environmentId !== null) {
    record = await deps.store.get(environmentId);
  }
  if (environmentId === null || record === null) {
    log.info('Ignoring a task taskenv did not start', { ...factsOf(task), environmentId });
    const decision = { kind: 'ignore', reason: 'unknown_environment' } as const;
    return { environmentId, decision, applied: false, record: null };
  }
  const result = await applyTaskSnapshot(record, task, deps);
  const { decision } = result;
  if (decision.kind === 'ignore' && (decision.reason === 'duplicate' || decision.reason === 'final')) {
    await repeatSideEffects(record, task, decision.reason, deps);
  }
  return { environmentId, ...result };
};

/**
 * Where `task` is written before its environment is read: the states in which it only records
 * its version, as {@link decideTransition} decides for an environment that saved this task's
 * ARN and last applied an older version (`version_only`, or `await_health` outside `building`:
 * the same write, then a readiness check). Null where the event usually moves the environment
 * and its write needs the record (PROVISIONING, RUNNING HEALTHY, STOPPED): the record is read
 * first, since a write made only to be refused would cost as much as the read
 * (`docs/events.md`, "One write per event").
 */
export const versionOnlyStates = (
  task: Pick<TaskSnapshot, 'lastStatus' | 'desiredStatus' | 'healthStatus'>,
): Pick<EventVersionWrite, 'states' | 'readinessUnlessReady'> | null => {
  switch (taskPhase(task)) {
    case 'stopping':
    case 'other':
      return { states: liveStates };
    case 'starting':
      // PROVISIONING is a task's first event: its environment is still building.
      return task.lastStatus === 'PROVISIONING' ? null : { states: PAST_BUILDING };
    case 'running':
      // HEALTHY makes any environment but a ready one ready; else one with probes waits.
      return task.healthStatus === HEALTHY ? null : { states: PAST_BUILDING, readinessUnlessReady: true };
    case 'stopped':
      return null;
  }
};

const PAST_BUILDING = liveStates.filter((state) => state !== 'building');

/** The side effects of a version recorded by {@link versionOnlyStates}' write: a readiness check when one is awaited. */
const versionRecorded = async (
  updated: EnvironmentRecord,
  task: TaskSnapshot,
  deps: ApplyTaskEventDeps,
): Promise<Omit<ApplyTaskEventResult, 'environmentId'>> => {
  const awaitsHealth = taskPhase(task) === 'running' && updated.state !== 'ready';
  const decision: TaskEventDecision = awaitsHealth ? { kind: 'await_health' } : { kind: 'version_only' };
  (deps.logger ?? silentLog).info('Event applied', {
    ...factsOf(task),
    environmentId: updated.id,
    state: updated.state,
    decision: decision.kind,
    to: updated.state,
  });
  if (awaitsHealth) await queueReadinessCheck(updated, task.taskArn, deps);
  return { decision, applied: true, record: updated };
};

/**
 * Applies a task's state to the environment it was started for, read as `record`: the
 * decision, its one conditional write keyed on `task.version`, then the env file deleted once
 * the task is gone and one integration event per state change. The event path calls it with
 * each event's snapshot, and the reconciler with a described task's whose event was lost, so a
 * lost RUNNING event is repaired by the very write the event makes (and a late event with the
 * same version is then a duplicate, one with a lower version stale). Unlike
 * {@link applyTaskEvent}, an ignored snapshot has no side effect at all.
 *
 * @throws HostNotKnownError when the task runs but has no usable address yet.
 */
export const applyTaskSnapshot = async (
  record: EnvironmentRecord,
  task: TaskSnapshot,
  deps: ApplyTaskEventDeps,
): Promise<Omit<ApplyTaskEventResult, 'environmentId'>> => {
  const log = deps.logger ?? silentLog;
  const decision = decideTransition(record, task);
  const context = {
    ...factsOf(task),
    environmentId: record.id,
    state: record.state,
    decision: decision.kind,
  };
  if (decision.kind === 'ignore') {
    log.info('Event changes nothing', { ...context, reason: decision.reason });
    return { decision, applied: false, record };
  }

  const updated = await write(record, task, decision, deps, log);
  if (updated === null) {
    // Another write (a newer event, DELETE, the reconciler) got there between our read and write.
    log.info('Event lost a race; nothing written', context);
    return { decision, applied: false, record: null };
  }
  log.info('Event applied', { ...context, to: updated.state });
  if (isFinal(updated.state)) {
    await deps.envFiles.delete(updated.id);
  }
  if (decision.kind === 'await_health') {
    await queueReadinessCheck(updated, task.taskArn, deps);
  }
  if (updated.state !== record.state) {
    await deps.publisher.publish([stateChangeEvent(updated, updated.previousState, deps.clock.now())]);
  }
  return { decision, applied: true, record: updated };
};

/** The first readiness check of a task just seen running (`docs/design.md`, "Readiness"). */
const queueReadinessCheck = async (
  record: EnvironmentRecord,
  taskArn: string,
  deps: Pick<ApplyTaskEventDeps, 'checks' | 'clock'>,
): Promise<void> => {
  const check = {
    kind: 'readiness',
    environmentId: record.id,
    taskArn,
    runningAt: deps.clock.now().toISOString(),
    check: 1,
  } as const;
  await deps.checks.send(check, readinessCheckDelaySec(1));
};

const factsOf = (task: TaskSnapshot) => ({
  taskArn: task.taskArn,
  lastStatus: task.lastStatus,
  version: task.version,
});

/**
 * The write that ends an environment whose task stopped, shared with the reconciler so a lost
 * STOPPED event ends it the same way: URLs cleared, and an instruction that carried service
 * variables cleared too (its URLs are dead, and the result must not depend on whether RUNNING
 * was applied first).
 */
export const finalChange = (
  record: Pick<EnvironmentRecord, 'instructionTemplate'>,
  outcome: { readonly to: 'torn_down' | 'failed'; readonly error: string | null },
): StateChange & { readonly set: EnvironmentPatch } => ({
  to: outcome.to,
  set: {
    serviceUrls: null,
    error: outcome.error,
    ...(record.instructionTemplate === null ? {} : { instruction: null }),
  },
});

/** The one conditional write of an applied event; null when its condition failed. */
const write = async (
  record: EnvironmentRecord,
  task: TaskSnapshot,
  decision: Exclude<TaskEventDecision, { kind: 'ignore' }>,
  deps: ApplyTaskEventDeps,
  log: Log,
): Promise<EnvironmentRecord | null> => {
  const eventVersion = task.version;
  // The record the decision was made on, so a finalisation needs no read of its own.
  const read = { expected: record };
  // Adopts the ARN when the launching request died before saving it (the reconciler would too).
  const adopt: EnvironmentPatch =
    record.taskArn === null ? { taskArn: task.taskArn, launchRetryAt: null } : {};
  switch (decision.kind) {
    case 'version_only':
      return deps.store.update(record.id, adopt, { eventVersion });
    case 'await_health':
      return record.state === 'building'
        ? deps.store.transition(record.id, { to: 'provisioning', eventVersion, set: adopt }, read)
        : deps.store.update(record.id, adopt, { eventVersion });
    case 'provisioning':
      return deps.store.transition(record.id, { to: 'provisioning', eventVersion, set: adopt }, read);
    case 'final': {
      const change = finalChange(record, decision);
      return deps.store.transition(
        record.id,
        { ...change, eventVersion, set: { ...adopt, ...change.set } },
        read,
      );
    }
    case 'ready': {
      const host = await deps.addresses.hostFor(decision.network);
      if (host === null) {
        throw new HostNotKnownError(record.id, task.taskArn);
      }
      const change = readyChange(
        record,
        buildServiceUrls(record.endpoints, host, decision.network.bindings),
        log,
      );
      // A health promotion comes at the version RUNNING already recorded (see decideTransition).
      return deps.store.transition(
        record.id,
        { ...change, eventVersion, orSameVersion: true, set: { ...adopt, ...change.set } },
        read,
      );
    }
  }
};

/** `ready` with its URLs and the instruction rendered with them; `failed` when it cannot be rendered. */
const readyChange = (
  record: EnvironmentRecord,
  serviceUrls: ServiceUrls,
  log: Log,
): StateChange & { readonly set: EnvironmentPatch } => {
  if (record.instructionTemplate === null) {
    return { to: 'ready', set: { serviceUrls } };
  }
  try {
    const variables = serviceVariables(serviceUrls);
    const instruction = renderWhenReady(
      { instruction: record.instructionTemplate },
      record.inputs,
      record.id,
      variables,
    );
    return { to: 'ready', set: { serviceUrls, instruction } };
  } catch (error) {
    // Rendering is deterministic, so a retry would fail the same way, and an environment whose
    // instruction cannot be shown is of no use to its client. Its task, no longer belonging to
    // a live environment, is stopped by the reconciler.
    if (!(error instanceof TaskenvError)) throw error;
    log.error('Instruction could not be rendered with the service variables', {
      environmentId: record.id,
      error: error.message,
    });
    return {
      to: 'failed',
      set: { error: `The instruction could not be rendered: ${renderFailureCause(error)}` },
    };
  }
};

/**
 * A redelivery may follow a delivery whose write succeeded and whose side effects failed, so
 * they run again; both are idempotent for the receiver. A STOPPED event after another final
 * write (DELETE, the reconciler) still removes the env file, now that the task cannot read it.
 */
const repeatSideEffects = async (
  record: EnvironmentRecord,
  task: TaskSnapshot,
  reason: 'duplicate' | 'final',
  deps: ApplyTaskEventDeps,
): Promise<void> => {
  const phase = taskPhase(task);
  if (phase === 'stopped' && isFinal(record.state)) {
    await deps.envFiles.delete(record.id);
  }
  const awaitingHealth = phase === 'running' && record.state === 'provisioning' && record.readiness !== null;
  // Only the event that put the environment in its current state announced it.
  const announcedCurrentState =
    (phase === 'stopped' && isFinal(record.state)) ||
    (phase === 'running' && record.state === 'ready') ||
    (phase === 'starting' && record.state === 'provisioning') ||
    awaitingHealth;
  if (reason === 'duplicate' && awaitingHealth && record.taskArn !== null) {
    // The first delivery may have died between its write and queueing the check.
    await queueReadinessCheck(record, record.taskArn, deps);
  }
  if (reason === 'duplicate' && announcedCurrentState) {
    await deps.publisher.publish([stateChangeEvent(record, null, deps.clock.now())]);
  }
};
