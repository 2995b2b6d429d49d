import type { ExecuteRequest } from '#domain/api-schemas';
import type { EnvironmentRecord } from '#domain/environment';
import {
  AuthenticationError,
  BadGatewayError,
  ConflictError,
  ExecutionNotFoundError,
  NotFoundError,
  ValidationError,
} from '#domain/errors';
import {
  DEFAULT_SYNC_WINDOW_MS,
  type ExecutionJob,
  type ExecutionPurpose,
  type ExecutionRecord,
  executionDeadline,
  MAX_RUNNING_EXECUTIONS,
  runningRecord,
} from '#domain/execution';
import { parseTaskRef } from '#domain/task-ref';
import type { Clock, IdGenerator } from '#ports/clock';
import type { EnvironmentStore } from '#ports/environment-store';
import type { ExecuteTokens } from '#ports/execute-tokens';
import type { ExecutionDispatcher, ExecutionSlot, ExecutionStore } from '#ports/execution-store';
import type { TaskRegistry } from '#ports/task-registry';
import { assertWorkspaceAccess } from './access.ts';
import { type EnvironmentAddress, getEnvironment } from './environments.ts';

export interface ExecutionDeps {
  readonly store: EnvironmentStore;
  readonly tasks: Pick<TaskRegistry, 'get'>;
  readonly executions: ExecutionStore;
  readonly dispatcher: ExecutionDispatcher;
  readonly clock: Clock;
  readonly ids: IdGenerator;
  /** How long POST execute waits before answering 202. @default 20 s */
  readonly syncWindowMs?: number;
}

export interface ExecuteDeps extends ExecutionDeps {
  readonly tokens: ExecuteTokens;
}

/** The answer of POST execute: the completed execution (200), or the one still running (202). */
export type ExecuteOutcome =
  | { readonly done: true; readonly execution: ExecutionRecord }
  | { readonly done: false; readonly execution: ExecutionRecord };

/** Service names of a task version, in manifest order. Versions are immutable, so this never goes stale. */
const servicesByTaskRef = new Map<string, readonly string[]>();
const SERVICE_CACHE_LIMIT = 500;

const serviceNames = async (
  env: EnvironmentRecord,
  deps: Pick<ExecutionDeps, 'tasks'>,
): Promise<readonly string[]> => {
  const cached = servicesByTaskRef.get(env.taskRef);
  if (cached !== undefined) return cached;
  const ref = parseTaskRef(env.taskRef);
  const task =
    ref.org === undefined || ref.version === undefined
      ? null
      : await deps.tasks.get(ref.org, ref.name, ref.version);
  if (task === null) throw new NotFoundError(`Task '${env.taskRef}' of the environment is gone`);
  const names = Object.keys(task.manifest.services);
  if (servicesByTaskRef.size >= SERVICE_CACHE_LIMIT) servicesByTaskRef.clear();
  servicesByTaskRef.set(env.taskRef, names);
  return names;
};

/**
 * The service a command runs in: the one named, else the first of the manifest.
 * @throws ValidationError (422 at `loc`) for a service the task does not have.
 */
export const resolveService = async (
  env: EnvironmentRecord,
  requested: string | null | undefined,
  loc: readonly (string | number)[],
  deps: Pick<ExecutionDeps, 'tasks'>,
): Promise<string> => {
  const names = await serviceNames(env, deps);
  const service = requested ?? names[0];
  if (service === undefined || !names.includes(service)) {
    throw new ValidationError([
      {
        loc,
        msg: `Unknown service '${requested ?? ''}'; the task has: ${names.join(', ')}`,
        type: 'unknown_service',
      },
    ]);
  }
  return service;
};

/** 409 unless the environment is `ready` (and so has a task to run in). */
export const assertReady = (env: EnvironmentRecord, operation: string): string => {
  if (env.state !== 'ready' || env.taskArn === null) {
    throw new ConflictError(`Environment is ${env.state}; ${operation} needs a ready environment`);
  }
  return env.taskArn;
};

/** What a command to run is, before it has an environment's task to run in. */
interface CommandSpec {
  readonly command: string;
  readonly timeoutSec: number;
  readonly envVars: Readonly<Record<string, string>>;
  readonly workdir: string | null;
  readonly purpose: ExecutionPurpose;
  readonly waitMs: number;
}

/** An execution's identity and slot, fixed before the environment is read. */
const newSlot = (environmentId: string, timeoutSec: number, deps: Pick<ExecutionDeps, 'clock' | 'ids'>) => {
  const startedAt = deps.clock.now().toISOString();
  return {
    environmentId,
    id: deps.ids.next(),
    startedAt,
    deadline: executionDeadline(startedAt, timeoutSec),
  };
};

const takeSlot = (slot: ExecutionSlot, deps: Pick<ExecutionDeps, 'executions' | 'clock'>): Promise<void> =>
  deps.executions.start(slot, { maxRunning: MAX_RUNNING_EXECUTIONS, now: deps.clock.now() });

/**
 * Hands an execution whose slot is taken to the dispatcher and waits up to `waitMs` for it.
 * Its record is written by whoever comes first: its end (a command done inside the window:
 * one write), or the window passing (`running`, so the id the 202 gives can be read).
 */
const runInSlot = async (
  slot: ReturnType<typeof newSlot>,
  spec: CommandSpec & { readonly taskArn: string; readonly service: string },
  deps: ExecutionDeps,
): Promise<ExecuteOutcome> => {
  const job: ExecutionJob = {
    environmentId: slot.environmentId,
    executionId: slot.id,
    taskArn: spec.taskArn,
    service: spec.service,
    command: spec.command,
    timeoutSec: spec.timeoutSec,
    env: { ...spec.envVars },
    workdir: spec.workdir,
    purpose: spec.purpose,
    startedAt: slot.startedAt,
  };
  const wait = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const windowPassed = new Promise<'window'>((resolve) => {
    timer = setTimeout(() => resolve('window'), spec.waitMs);
  });
  try {
    const first = await Promise.race([deps.dispatcher.dispatch(job, wait.signal), windowPassed]);
    const execution = first === 'window' ? await deps.executions.recordRunning(runningRecord(job)) : first;
    if (execution.state === 'running') return { done: false, execution };
    if (execution.error !== null) throw new BadGatewayError(execution.error);
    return { done: true, execution };
  } finally {
    clearTimeout(timer);
    wait.abort();
  }
};

/**
 * Takes one of the environment's slots, hands the execution to the dispatcher and waits up to
 * `waitMs` for it (verify: the environment is already read).
 */
export const startExecution = async (
  spec: CommandSpec & {
    readonly env: EnvironmentRecord;
    readonly taskArn: string;
    readonly service: string;
  },
  deps: ExecutionDeps,
): Promise<ExecuteOutcome> => {
  const slot = newSlot(spec.env.id, spec.timeoutSec, deps);
  await takeSlot(slot, deps);
  return runInSlot(slot, spec, deps);
};

/**
 * POST execute: the caller's workspace, then the environment's token (an HMAC: no read), then
 * the environment (ready) and the service, read while the execution's slot is taken: the two
 * are independent, so they cost one round trip. A request refused after its slot was taken
 * gives the slot back; the refusal of the environment comes before a 429. The command then
 * runs for up to the sync window here.
 */
export const executeCommand = async (
  input: EnvironmentAddress & { readonly token: string | undefined; readonly request: ExecuteRequest },
  deps: ExecuteDeps,
): Promise<ExecuteOutcome> => {
  assertWorkspaceAccess(input.principal, input.org, input.workspace);
  if (input.token === undefined || input.token === '' || !(await deps.tokens.verify(input.id, input.token))) {
    throw new AuthenticationError();
  }
  const { request } = input;
  const slot = newSlot(input.id, request.timeout_sec, deps);
  const [read, taken] = await Promise.allSettled([
    (async () => {
      const env = await getEnvironment(input, deps);
      const taskArn = assertReady(env, 'execute');
      const service = await resolveService(env, request.service, ['body', 'service'], deps);
      return { taskArn, service };
    })(),
    takeSlot(slot, deps),
  ]);
  if (read.status === 'rejected') {
    if (taken.status === 'fulfilled') await deps.executions.release(slot);
    throw read.reason;
  }
  if (taken.status === 'rejected') throw taken.reason;
  return runInSlot(
    slot,
    {
      taskArn: read.value.taskArn,
      service: read.value.service,
      command: request.command,
      timeoutSec: request.timeout_sec,
      envVars: request.env ?? {},
      workdir: request.workdir ?? null,
      purpose: 'command',
      waitMs: deps.syncWindowMs ?? DEFAULT_SYNC_WINDOW_MS,
    },
    deps,
  );
};

/** GET executions/{id}: an execution of an environment in the caller's workspace. */
export const getExecution = async (
  input: EnvironmentAddress & { readonly executionId: string },
  deps: Pick<ExecutionDeps, 'store' | 'executions'>,
): Promise<ExecutionRecord> => {
  const env = await getEnvironment(input, deps);
  const execution = await deps.executions.get(env.id, input.executionId);
  if (execution === null) throw new ExecutionNotFoundError(input.executionId);
  if (execution.error !== null) throw new BadGatewayError(execution.error);
  return execution;
};
