import type { CreateEnvironmentRequest } from '#domain/api-schemas';
import {
  type EnvironmentRecord,
  MAX_RECORD_BYTES,
  type Readiness,
  recordBytesWhenReady,
} from '#domain/environment';
import { environmentIdForKey } from '#domain/environment-id';
import {
  AlreadyExistsError,
  BadGatewayError,
  QuotaExceededError,
  SecretNotFoundError,
  ValidationError,
} from '#domain/errors';
import { validateInputs } from '#domain/inputs';
import {
  ENVIRONMENT_ID_VARIABLE,
  MAX_RENDERED_INSTRUCTION_BYTES,
  renderableNow,
  serviceEndpoints,
  serviceVariableNames,
  templateVariables,
} from '#domain/instruction';
import { stateChangeEvent } from '#domain/integration-event';
import { manifestEnvNames } from '#domain/manifest';
import { defaultOrgLimits } from '#domain/org';
import type { Principal } from '#domain/principal';
import { chosenSecretProblems } from '#domain/secret';
import { healthProbe } from '#domain/service-manifest';
import { parseTaskRef, resolvedTaskRef } from '#domain/task-ref';
import type { TaskVersionRecord } from '#domain/task-version';
import { redactVerification } from '#domain/verification';
import type { AccessStore } from '#ports/access-store';
import type { Clock, IdGenerator } from '#ports/clock';
import type { ContainerRuntime } from '#ports/container-runtime';
import type { EnvFileStore } from '#ports/env-file-store';
import type { EnvironmentStore } from '#ports/environment-store';
import type { EventPublisher } from '#ports/event-publisher';
import type { ExecuteTokens } from '#ports/execute-tokens';
import type { ExpiryScheduler } from '#ports/expiry-scheduler';
import type { LifecycleQueue } from '#ports/lifecycle-queue';
import type { SecretMetadataStore, SecretValueStore } from '#ports/secret-store';
import type { TaskRegistry } from '#ports/task-registry';
import { assertWorkspaceAccess } from './access.ts';
import { claimWarmSlot, type WarmPoolDeps } from './claim-warm-slot.ts';
import { type LaunchPolicy, launchEnvironment } from './launch-environment.ts';
import { resolveTaskVersion } from './tasks.ts';

/** Lifetime when neither the request nor the task says (`docs/api.md`, `timeout_sec`). */
const DEFAULT_TIMEOUT_SEC = 900;

/** How long an `Idempotency-Key` names its environment (`docs/api.md`: 24 h). */
export const IDEMPOTENCY_WINDOW_SEC = 24 * 3600;

export interface CreateEnvironmentDeps {
  readonly store: EnvironmentStore;
  readonly tasks: TaskRegistry;
  readonly access: AccessStore;
  readonly secretMetadata: SecretMetadataStore;
  readonly secretValues: SecretValueStore;
  readonly envFiles: EnvFileStore;
  readonly runtime: ContainerRuntime;
  readonly expiry: ExpiryScheduler;
  readonly publisher: EventPublisher;
  /** The delay queue of launch retries and readiness checks. */
  readonly checks: LifecycleQueue;
  readonly clock: Clock;
  readonly ids: IdGenerator;
  /** Warm pools; absent where none are kept. A create with secrets never claims (no env file in pool tasks). */
  readonly pools?: WarmPoolDeps;
  /** Derives the execute token from the environment id; nothing stores it. */
  readonly executeTokens: ExecuteTokens;
  /** @default {@link defaultLaunchPolicy} */
  readonly launchPolicy?: LaunchPolicy;
  /** Told about steps that failed after the record was made; the reconciler finishes them. */
  readonly onDeferredFailure?: (step: string, error: unknown) => void;
}

export interface CreateEnvironmentInput {
  readonly principal: Principal;
  readonly org: string;
  readonly workspace: string;
  readonly request: CreateEnvironmentRequest;
  /** The request's `Idempotency-Key`: the environment id is then derived from it. */
  readonly idempotencyKey?: string;
}

export interface CreatedEnvironment {
  readonly record: EnvironmentRecord;
  /** HMAC(server key, id): in the 201 and again in its idempotent replay; never stored. */
  readonly executeToken: string;
}

/**
 * Provisions an environment: resolve the task, bind inputs, clamp the lifetime, check the
 * secrets, render what can be rendered, write the env file, record the environment with its
 * quota unit (one transaction), launch, schedule the expiry.
 *
 * With an idempotency key the id is derived from (org, workspace, key), and an environment
 * already recorded under it is the answer: a retry after a crash finds it instead of making a
 * second one.
 *
 * The env file is written before the record, so the reconciler can relaunch any recorded
 * environment without the secrets (which it never sees) and with the same client token.
 * A launch refused for good marks the environment failed and throws {@link BadGatewayError}; one
 * refused for now (no capacity, throttling) is retried from the delay queue until the launch
 * deadline (`launch-environment`), the environment staying `building`; any other launch error
 * leaves it `building` for the reconciler, which relaunches or fails it.
 */
export const createEnvironment = async (
  input: CreateEnvironmentInput,
  deps: CreateEnvironmentDeps,
): Promise<CreatedEnvironment> => {
  const { principal, org, workspace, request, idempotencyKey } = input;
  assertWorkspaceAccess(principal, org, workspace);
  const id =
    idempotencyKey === undefined ? deps.ids.next() : environmentIdForKey(org, workspace, idempotencyKey);
  if (idempotencyKey !== undefined) {
    const recorded = await recordedUnderKey(id, org, workspace, deps);
    if (recorded !== null) return { record: recorded, executeToken: await deps.executeTokens.issue(id) };
  }

  // The independent reads run at once; their failures are then raised in the order the checks
  // were always made (task, inputs, org), so a request's answer does not depend on timing. The
  // secrets are checked against the task, so they wait for it.
  const secretIds = [...new Set(request.secret_ids ?? [])];
  const [taskRead, orgRead, tokenIssued] = await Promise.allSettled([
    resolveTaskVersion(principal.org, parseTaskRef(request.task_ref), deps.tasks),
    deps.access.getOrg(org),
    deps.executeTokens.issue(id),
  ]);
  const task = settled(taskRead);
  const inputs = validateInputs(task.manifest.inputs, request.inputs);
  assertTemplateInputsBound(task, inputs);
  const orgRecord = settled(orgRead);
  const limits = orgRecord ?? { ...defaultOrgLimits };
  const timeoutSec = clampTimeout(request.timeout_sec ?? undefined, task, limits.maxLifetimeSec);
  const secretVariables = await loadSecrets(org, workspace, secretIds, task, deps);

  const now = deps.clock.now();
  const executeToken = settled(tokenIssued);
  const instruction = renderableNow(task.manifest, inputs, id);
  const record: EnvironmentRecord = {
    id,
    org,
    workspace,
    projectId: request.project_id ?? 'default',
    taskRef: resolvedTaskRef(task),
    state: 'building',
    eventVersion: 0,
    taskArn: null,
    createdAt: now.toISOString(),
    updatedAt: now.toISOString(),
    expiresAt: new Date(now.getTime() + timeoutSec * 1000).toISOString(),
    timeoutSec,
    inputs,
    secretIds,
    endpoints: serviceEndpoints(task.manifest),
    instructionTemplate: instruction === null ? task.manifest.instruction : null,
    instruction,
    serviceUrls: null,
    taskVerification: redactVerification(task.manifest.verification ?? null),
    error: null,
    stopReason: null,
    launchAttempts: 1,
    ...maxLifetimeOf(task),
    launchRetryAt: null,
    readiness: readinessOf(task),
    previousState: null,
  };

  assertRecordFits(record);
  if (deps.pools !== undefined && secretIds.length === 0) {
    const limit = { limit: limits.maxConcurrentEnvironments };
    const claim = await claimWarmSlot(record, task, limit, { ...deps, pools: deps.pools });
    if (claim.kind === 'claimed') return { record: claim.record, executeToken };
  }

  // Every launch (this one, the retries, the reconciler's) finds it by `envFiles.refFor(id)`.
  await deps.envFiles.put(id, {
    ...secretVariables,
    TASKENV_ENVIRONMENT_ID: id,
    TASKENV_EXECUTE_TOKEN: executeToken,
  });
  try {
    await deps.store.create(record, { limit: limits.maxConcurrentEnvironments });
  } catch (error) {
    const recorded = await recordedDespite(error, record, idempotencyKey !== undefined, deps);
    if (recorded === null) throw error;
    // Committed after all (a timeout, a concurrent retry): that environment is the answer.
    deps.onDeferredFailure?.('record', error);
    return { record: recorded, executeToken };
  }
  await publishQuietly(deps, [stateChangeEvent(record, null, now)]);

  let launch: Awaited<ReturnType<typeof launchEnvironment>>;
  try {
    launch = await launchEnvironment(record, task, 1, {
      ...deps,
      envValues: [...Object.values(secretVariables), executeToken],
    });
  } catch (error) {
    deps.onDeferredFailure?.('launch', error);
    return { record, executeToken };
  }
  switch (launch.kind) {
    case 'failed':
      throw new BadGatewayError(`The container platform refused the launch: ${launch.reason}`);
    case 'launched':
    case 'retrying':
      return { record: launch.record, executeToken };
    case 'ended':
      return { record: (await deps.store.get(id)) ?? record, executeToken };
  }
};

/** What `ready` waits for besides RUNNING: the services with a health probe, and the longest grace. */
const readinessOf = (task: TaskVersionRecord): Readiness | null => {
  const probes = Object.entries(task.manifest.services).flatMap(([name, service]) => {
    const probe = healthProbe(service);
    return probe === null ? [] : [{ name, graceSec: probe.graceSec }];
  });
  if (probes.length === 0) return null;
  return { services: probes.map((p) => p.name), graceSec: Math.max(...probes.map((p) => p.graceSec)) };
};

/** Lifetime: the request, else the task's default, else 900 s; clamped to the task's and the org's maximum. */
const clampTimeout = (requested: number | undefined, task: TaskVersionRecord, orgMaxSec: number): number => {
  const wanted = requested ?? task.manifest.timeout?.default_sec ?? DEFAULT_TIMEOUT_SEC;
  return Math.min(wanted, task.manifest.timeout?.max_sec ?? Number.POSITIVE_INFINITY, orgMaxSec);
};

/**
 * An environment whose record would not fit a DynamoDB item, now or once its instruction is
 * rendered at `ready`, is a 422 here: later it could only fail to be written.
 */
const assertRecordFits = (record: EnvironmentRecord): void => {
  const bytes = recordBytesWhenReady(record, MAX_RENDERED_INSTRUCTION_BYTES);
  if (bytes <= MAX_RECORD_BYTES) return;
  throw new ValidationError([
    {
      loc: ['body', 'inputs'],
      msg: `The environment would take ${bytes} bytes to store (inputs, instruction and template, with room for the instruction rendered at ready); the limit is ${MAX_RECORD_BYTES}`,
      type: 'too_big',
    },
  ]);
};

/** The task's `timeout.max_sec`, which keepalive may not go past, when the task sets one. */
const maxLifetimeOf = (task: TaskVersionRecord): Pick<EnvironmentRecord, 'maxLifetimeSec'> => {
  const max = task.manifest.timeout?.max_sec;
  return max === undefined ? {} : { maxLifetimeSec: max };
};

/**
 * Service variables wait until `ready`, but an input the template prints must be bound now:
 * an instruction that can never render is a client error at creation, not a failure later.
 */
const assertTemplateInputsBound = (task: TaskVersionRecord, inputs: Record<string, unknown>): void => {
  const deferred = new Set([ENVIRONMENT_ID_VARIABLE, ...serviceVariableNames(task.manifest)]);
  const missing = templateVariables(task.manifest.instruction).filter(
    (v) => !deferred.has(v) && !(v in inputs),
  );
  if (missing.length > 0) {
    throw new ValidationError(
      missing.map((name) => ({
        loc: ['body', 'inputs', name],
        msg: `The task's instruction uses '${name}' but no value was given for it`,
        type: 'missing',
      })),
    );
  }
};

/**
 * Secret values keyed by their env var; an id unknown in this workspace is a 404 naming it, and
 * secrets that cannot all be variables of this task ({@link chosenSecretProblems}) a 422.
 */
const loadSecrets = async (
  org: string,
  workspace: string,
  ids: readonly string[],
  task: TaskVersionRecord,
  deps: Pick<CreateEnvironmentDeps, 'secretMetadata' | 'secretValues'>,
): Promise<Record<string, string>> => {
  const metadata = await Promise.all(ids.map((id) => deps.secretMetadata.get(org, workspace, id)));
  const missing = ids.filter((_, i) => metadata[i] === null);
  if (missing.length > 0) throw new SecretNotFoundError(missing.join("', '"));
  const found = metadata.filter((m) => m !== null);
  const values = await Promise.all(found.map((m) => deps.secretValues.get(m.valueRef)));
  const chosen = found.map((m, i) => ({ id: m.id, envVar: m.envVar, value: values[i] ?? '' }));
  const problems = chosenSecretProblems(chosen, manifestEnvNames(task.manifest));
  if (problems.length > 0) throw new ValidationError(problems);
  return Object.fromEntries(chosen.map((secret) => [secret.envVar, secret.value]));
};

/**
 * The environment an idempotency key already recorded in this workspace, or null. A record of
 * another org or workspace under the same id (not reachable from a SHA-256 derivation, but
 * checked all the same) is never returned: it is a 409 like any reused key. So is one recorded
 * longer ago than the idempotency window: the key is spent. One whose launch the platform
 * refused answers the same 502 as its create did.
 */
const recordedUnderKey = async (
  id: string,
  org: string,
  workspace: string,
  deps: Pick<CreateEnvironmentDeps, 'store' | 'clock'>,
): Promise<EnvironmentRecord | null> => {
  const recorded = await deps.store.get(id);
  if (recorded === null) return null;
  const age = deps.clock.now().getTime() - new Date(recorded.createdAt).getTime();
  if (recorded.org !== org || recorded.workspace !== workspace || age > IDEMPOTENCY_WINDOW_SEC * 1000) {
    throw new AlreadyExistsError('This Idempotency-Key was already used');
  }
  // The first answer was the platform's refusal (an error, so no idempotency record kept it): again.
  const refused = recorded.state === 'failed' ? /^Launch failed: (.*)$/s.exec(recorded.error ?? '') : null;
  if (refused !== null) {
    throw new BadGatewayError(`The container platform refused the launch: ${refused[1] ?? ''}`);
  }
  return recorded;
};

/**
 * After a failed `store.create`: the environment, when it was recorded all the same (a
 * transaction that committed before a timeout, or a concurrent retry with the same idempotency
 * key), else null. The env file goes only when the environment is surely not recorded: the
 * record is the reconciler's to launch, and a relaunch needs this file. When even the read
 * fails the file stays, to be removed with the environment or by the bucket's lifecycle rule.
 */
const recordedDespite = async (
  error: unknown,
  record: EnvironmentRecord,
  keyed: boolean,
  deps: Pick<CreateEnvironmentDeps, 'store' | 'envFiles' | 'onDeferredFailure'>,
): Promise<EnvironmentRecord | null> => {
  // A random id that exists is not ours; a quota refusal recorded nothing.
  const surelyNotOurs =
    (error instanceof AlreadyExistsError && !keyed) || error instanceof QuotaExceededError;
  try {
    const recorded = surelyNotOurs ? null : await deps.store.get(record.id);
    if (recorded !== null && recorded.org === record.org && recorded.workspace === record.workspace) {
      return recorded;
    }
    if (recorded === null) await deps.envFiles.delete(record.id);
  } catch (cleanup) {
    deps.onDeferredFailure?.('env-file-cleanup', cleanup);
  }
  return null;
};

/** Integration events are best effort on the request path; a failed publish must not fail a provision. */
const publishQuietly = async (
  deps: Pick<CreateEnvironmentDeps, 'publisher' | 'onDeferredFailure'>,
  events: Parameters<EventPublisher['publish']>[0],
): Promise<void> => {
  try {
    await deps.publisher.publish(events);
  } catch (error) {
    deps.onDeferredFailure?.('publish', error);
  }
};

/** The value of a settled promise, or its rejection thrown. */
const settled = <T>(result: PromiseSettledResult<T>): T => {
  if (result.status === 'rejected') throw result.reason;
  return result.value;
};
