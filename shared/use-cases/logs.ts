import type { LogsQuery, LogsResponse } from '#domain/api-schemas';
import type { TaskLogs } from '#ports/container-runtime';
import type { EnvironmentStore } from '#ports/environment-store';
import type { TaskRegistry } from '#ports/task-registry';
import { type EnvironmentAddress, getEnvironment } from './environments.ts';
import { resolveService } from './execute.ts';

export interface LogsDeps {
  readonly store: EnvironmentStore;
  readonly tasks: Pick<TaskRegistry, 'get'>;
  readonly logs: TaskLogs;
}

/**
 * GET logs: the last lines a service wrote, from the platform's log store, in any state (a
 * `failed` environment is when they matter most). An environment whose task never started has
 * none.
 */
export const readLogs = async (
  input: EnvironmentAddress & { readonly query: LogsQuery },
  deps: LogsDeps,
): Promise<LogsResponse> => {
  const env = await getEnvironment(input, deps);
  const service = await resolveService(env, input.query.service, ['query', 'service'], deps);
  if (env.taskArn === null) return { service, lines: [], truncated: false };
  const { lines, truncated } = await deps.logs.read(
    { environmentId: env.id, taskArn: env.taskArn, taskRef: env.taskRef },
    service,
    input.query.tail,
  );
  return { service, lines: lines.map((line) => ({ time: line.time, message: line.message })), truncated };
};
