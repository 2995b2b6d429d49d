import type { EnvironmentListResponse, ListEnvironmentsQuery } from '#domain/api-schemas';
import { type EnvironmentRecord, isFinal } from '#domain/environment';
import { ConflictError, EnvironmentNotFoundError } from '#domain/errors';
import { stateChangeEvent } from '#domain/integration-event';
import { defaultOrgLimits } from '#domain/org';
import { toEnvironmentResponse } from '#domain/presenters';
import type { Principal } from '#domain/principal';
import type { AccessStore } from '#ports/access-store';
import type { Clock } from '#ports/clock';
import { type ContainerRuntime, STOP_REASON_PREFIX } from '#ports/container-runtime';
import type { EnvFileStore } from '#ports/env-file-store';
import type { EnvironmentStore } from '#ports/environment-store';
import type { EventPublisher } from '#ports/event-publisher';
import type { ExecutionTerminator } from '#ports/execution-store';
import type { ExpiryScheduler } from '#ports/expiry-scheduler';
import { assertWorkspaceAccess } from './access.ts';
import { finalChange } from './apply-task-event.ts';

export interface EnvironmentAddress {
  readonly principal: Principal;
  readonly org: string;
  readonly workspace: string;
  readonly id: string;
}

/**
 * The environment at this address, or a 404. An environment of another org or workspace is
 * "not found" too, so an id reveals nothing outside the caller's workspace.
 */
export const getEnvironment = async (
  address: EnvironmentAddress,
  deps: { readonly store: EnvironmentStore },
): Promise<EnvironmentRecord> => {
  assertWorkspaceAccess(address.principal, address.org, address.workspace);
  const record = await deps.store.get(address.id);
  if (record === null || record.org !== address.org || record.workspace !== address.workspace) {
    throw new EnvironmentNotFoundError(address.id);
  }
  return record;
};

export const listEnvironments = async (
  input: {
    readonly principal: Principal;
    readonly org: string;
    readonly workspace: string;
    readonly query: ListEnvironmentsQuery;
  },
  deps: { readonly store: EnvironmentStore },
): Promise<EnvironmentListResponse> => {
  const { principal, org, workspace, query } = input;
  assertWorkspaceAccess(principal, org, workspace);
  const page = await deps.store.list({
    org,
    workspace,
    page: query.page,
    limit: query.limit,
    ...(query.state === undefined ? {} : { states: query.state }),
    ...(query.project_id === undefined ? {} : { projectId: query.project_id }),
  });
  const totalPages = Math.ceil(page.total / query.limit);
  return {
    environments: page.items.map((r) => toEnvironmentResponse(r)),
    page: query.page,
    limit: query.limit,
    total: page.total,
    total_pages: totalPages,
    has_next: query.page < totalPages,
    has_previous: query.page > 1,
  };
};

export interface TeardownDeps {
  readonly store: EnvironmentStore;
  readonly runtime: ContainerRuntime;
  readonly expiry: ExpiryScheduler;
  readonly envFiles: EnvFileStore;
  readonly publisher: EventPublisher;
  readonly clock: Clock;
  /** Ends the environment's running executions where stopping the task alone does not (locally). */
  readonly executions?: ExecutionTerminator;
  readonly onDeferredFailure?: (step: string, error: unknown) => void;
}

const DELETED_STOP_REASON = `${STOP_REASON_PREFIX} deleted`;

/**
 * DELETE: the environment becomes `torn_down` at once (its quota unit is released in the same
 * write), then its task is asked to stop. Idempotent: a final environment is answered as it is.
 * A stop that fails here leaves a task without a live environment, which the reconciler stops.
 */
export const teardownEnvironment = async (
  address: EnvironmentAddress,
  deps: TeardownDeps,
): Promise<EnvironmentRecord> => {
  const current = await getEnvironment(address, deps);
  if (isFinal(current.state)) return current;
  const change = finalChange(current, { to: 'torn_down', error: null });
  const torn = await deps.store.transition(
    current.id,
    { ...change, set: { ...change.set, stopReason: 'deleted' } },
    { expected: current },
  );
  if (torn === null) {
    // Lost a race with another final write (an event or a second DELETE): answer what won.
    return getEnvironment(address, deps);
  }
  const deferred = (step: string) => (error: unknown) => deps.onDeferredFailure?.(step, error);
  await Promise.all([
    torn.taskArn === null
      ? undefined
      : deps.runtime.stop(torn.taskArn, DELETED_STOP_REASON).catch(deferred('stop')),
    deps.expiry.cancel(torn.id).catch(deferred('cancel-expiry')),
    deps.executions?.endRunning(torn.id).catch(deferred('end-executions')),
    deps.envFiles.delete(torn.id).catch(deferred('env-file-cleanup')),
    deps.publisher
      .publish([stateChangeEvent(torn, torn.previousState, deps.clock.now())])
      .catch(deferred('publish')),
  ]);
  return torn;
};

export interface KeepaliveDeps {
  readonly store: EnvironmentStore;
  readonly access: AccessStore;
  readonly expiry: ExpiryScheduler;
  readonly clock: Clock;
  readonly onDeferredFailure?: (step: string, error: unknown) => void;
}

/**
 * Moves the scheduled stop. If the scheduler cannot take the new time, the old stop is removed
 * rather than left to end the environment early: the reconciler stops environments past the
 * `expires_at` of their record. Only when neither works does the keepalive fail.
 */
const moveExpiry = async (id: string, taskArn: string, at: Date, deps: KeepaliveDeps): Promise<void> => {
  try {
    await deps.expiry.schedule(id, taskArn, at);
  } catch (error) {
    await deps.expiry.cancel(id);
    deps.onDeferredFailure?.('schedule-expiry', error);
  }
};

/**
 * Moves `expires_at` by `extendSeconds` (from now, or from the current expiry when that is
 * later), never past `created_at` + the task's `timeout.max_sec` or the org's maximum lifetime,
 * and moves the scheduled stop. A final environment is a 409 `conflict_error`.
 */
export const keepaliveEnvironment = async (
  input: EnvironmentAddress & { readonly extendSeconds: number },
  deps: KeepaliveDeps,
): Promise<EnvironmentRecord> => {
  const current = await getEnvironment(input, deps);
  if (isFinal(current.state)) {
    throw new ConflictError(`Environment is ${current.state}; only a live environment can be kept alive`);
  }
  const org = await deps.access.getOrg(current.org);
  const maxLifetimeSec = org?.maxLifetimeSec ?? defaultOrgLimits.maxLifetimeSec;
  const now = deps.clock.now().getTime();
  const from = Math.max(now, current.expiresAt === null ? now : Date.parse(current.expiresAt));
  const lifetimeSec = Math.min(maxLifetimeSec, current.maxLifetimeSec ?? Number.POSITIVE_INFINITY);
  const cap = Date.parse(current.createdAt) + lifetimeSec * 1000;
  const expiresAt = new Date(Math.min(from + input.extendSeconds * 1000, cap)).toISOString();
  const updated = await deps.store.update(current.id, { expiresAt });
  if (updated === null) {
    throw new ConflictError('Environment reached a final state; it can no longer be kept alive');
  }
  if (updated.taskArn !== null) await moveExpiry(updated.id, updated.taskArn, new Date(expiresAt), deps);
  return updated;
};
