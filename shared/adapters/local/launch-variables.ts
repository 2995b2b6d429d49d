/** What a local launch checks before anything starts, and the variables its services get. */
import { slotIdOf } from '#domain/pool';
import { LaunchFailedError, type LaunchRequest } from '#ports/container-runtime';
import { readEnvFile } from './local-env-file-store.ts';
import type { RuntimeDriver } from './runtime-driver.ts';

/** The variable the ECS runtime sets through overrides; set here too so a task sees the same. */
const ENVIRONMENT_ID_ENV_VAR = 'TASKENV_ENVIRONMENT_ID';

/** Environment ids name log directories, ledger files and container names. */
const ENVIRONMENT_ID_PATTERN = /^[A-Za-z0-9_-]+$/;

/**
 * The environment's variables (its env file and {@link ENVIRONMENT_ID_ENV_VAR}).
 * @throws LaunchFailedError when the driver cannot run the task, the id cannot name a
 *   directory, or the env file cannot be read.
 */
export const launchVariables = async <Ref>(
  driver: RuntimeDriver<Ref>,
  request: LaunchRequest,
): Promise<Record<string, string>> => {
  const { environmentId, task: version } = request;
  const refusal = driver.refusal(version);
  if (refusal !== null) throw new LaunchFailedError(refusal);
  // A pool task's `pool/<30 hex digits>` names the directory `pool/<slot id>`.
  if (!ENVIRONMENT_ID_PATTERN.test(environmentId) && slotIdOf(environmentId) === null) {
    throw new LaunchFailedError(`environment id '${environmentId}' cannot name a log directory`);
  }
  try {
    // A pool task has no env file: no secrets, no token, and no environment yet.
    return request.envFileRef === null
      ? {}
      : { ...(await readEnvFile(request.envFileRef)), [ENVIRONMENT_ID_ENV_VAR]: environmentId };
  } catch (error) {
    throw new LaunchFailedError("the environment's env file could not be read", { cause: error });
  }
};
