import { ValidationError } from '#domain/errors';
import { toTaskVersionResponse } from '#domain/presenters';
import { parseTaskRef, resolvedTaskRef } from '#domain/task-ref';
import { type ApiHandler, type HttpFunctionOptions, httpFunction } from '#shared/http/http-function';
import { tasksRoutes } from '#shared/routes';
import { getTask, listTasks, type PublishTaskDeps, publishTask } from '#use-cases/tasks';

/** Publish, list and inspect task versions. */
export const createTasksHandler = (
  options: HttpFunctionOptions & {
    readonly deps: PublishTaskDeps;
  },
): ApiHandler => {
  const { deps } = options;
  return httpFunction(
    tasksRoutes,
    {
      publishTask: async ({ path, body, principal }) => {
        const record = await publishTask({ principal, org: path.org, manifest: body }, deps);
        options.logger.info('Task published', { task: resolvedTaskRef(record) });
        return { body: toTaskVersionResponse(record) };
      },
      listTasks: async ({ path, principal }) => {
        const tasks = await listTasks({ principal, org: path.org }, deps);
        return {
          body: {
            tasks: tasks.map((t) => ({
              task_ref: resolvedTaskRef(t),
              org: t.org,
              name: t.name,
              latest_version: t.version,
              public: t.public,
              description: t.description,
            })),
          },
        };
      },
      getTask: async ({ path, principal }) => {
        const ref = parseTaskRef(path.name);
        if (ref.org !== undefined) {
          // The org is the path's; a prefixed name here is a client mistake, not another lookup.
          throw new ValidationError([
            {
              loc: ['path', 'name'],
              msg: 'Use name or name@version; the org is in the path',
              type: 'invalid_task_ref',
            },
          ]);
        }
        return { body: toTaskVersionResponse(await getTask({ principal, org: path.org, ref }, deps)) };
      },
    },
    options,
  );
};
