import { AlreadyExistsError, TaskNotFoundError, ValidationError } from '#domain/errors';
import { parseManifest } from '#domain/manifest';
import type { Principal } from '#domain/principal';
import { formatTaskRef, type TaskRef } from '#domain/task-ref';
import { resolveTask } from '#domain/task-resolution';
import type { TaskVersionRecord } from '#domain/task-version';
import type { Clock } from '#ports/clock';
import { type ContainerRuntime, RegistrationRefusedError } from '#ports/container-runtime';
import type { TaskRegistry } from '#ports/task-registry';
import { assertOrgAccess } from './access.ts';

/**
 * The task version a caller of `callerOrg` means by `ref` (`docs/api.md`, `task_ref`): the
 * visibility rule of {@link resolveTask} over the candidates the registry offers.
 */
export const resolveTaskVersion = async (
  callerOrg: string,
  ref: TaskRef,
  tasks: TaskRegistry,
): Promise<TaskVersionRecord> => {
  const candidates = await tasks.candidates(ref.name, callerOrg, ref.org);
  const chosen = resolveTask(callerOrg, ref, candidates);
  const record = await tasks.get(chosen.org, chosen.name, chosen.version);
  // The candidate came from the registry a moment ago and versions are immutable.
  if (record === null) throw new TaskNotFoundError(formatTaskRef(ref));
  return record;
};

export interface PublishTaskDeps {
  readonly tasks: TaskRegistry;
  readonly runtime: ContainerRuntime;
  readonly clock: Clock;
}

/**
 * Publishes a manifest as `org/name@version`: validated (schema and template variables),
 * registered with the runtime (the ECS task definition), then recorded. Versions are immutable.
 */
export const publishTask = async (
  input: { readonly principal: Principal; readonly org: string; readonly manifest: unknown },
  deps: PublishTaskDeps,
): Promise<TaskVersionRecord> => {
  assertOrgAccess(input.principal, input.org);
  const manifest = parseManifest(input.manifest);
  // Checked first so a duplicate does not register a task definition revision for nothing;
  // the conditional write below still decides races.
  if ((await deps.tasks.get(input.org, manifest.name, manifest.version)) !== null) {
    throw new AlreadyExistsError(`Task ${input.org}/${manifest.name}@${manifest.version} already exists`);
  }
  const base = {
    org: input.org,
    name: manifest.name,
    version: manifest.version,
    public: manifest.public,
    description: manifest.description ?? null,
    manifest,
    createdAt: deps.clock.now().toISOString(),
    publishedBy: { org: input.principal.org, role: input.principal.role, keyId: input.principal.keyId },
  };
  const { taskDefinitionArn } = await register(base, deps.runtime);
  const record: TaskVersionRecord = { ...base, taskDefinitionArn };
  await deps.tasks.publish(record);
  return record;
};

/** A definition the platform refuses is the author's mistake: a 422 with the platform's own words. */
const register = async (
  task: Parameters<ContainerRuntime['register']>[0],
  runtime: ContainerRuntime,
): Promise<{ taskDefinitionArn: string | null }> => {
  try {
    return await runtime.register(task);
  } catch (error) {
    if (!(error instanceof RegistrationRefusedError)) throw error;
    throw new ValidationError(
      [{ loc: ['body'], msg: error.reason, type: 'platform_refused' }],
      `The container platform refused the task definition: ${error.reason}`,
      { cause: error },
    );
  }
};

/** `GET /tasks/{name}`: `name` or `name@version`, resolved like an unprefixed ref of the caller. */
export const getTask = async (
  input: { readonly principal: Principal; readonly org: string; readonly ref: TaskRef },
  deps: { readonly tasks: TaskRegistry },
): Promise<TaskVersionRecord> => {
  assertOrgAccess(input.principal, input.org);
  return resolveTaskVersion(input.principal.org, input.ref, deps.tasks);
};

export const listTasks = async (
  input: { readonly principal: Principal; readonly org: string },
  deps: { readonly tasks: TaskRegistry },
): Promise<TaskVersionRecord[]> => {
  assertOrgAccess(input.principal, input.org);
  const visible = await deps.tasks.listVisible(input.org);
  return visible.sort((a, b) => `${a.org}/${a.name}`.localeCompare(`${b.org}/${b.name}`));
};
