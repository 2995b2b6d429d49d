import { toEnvironmentResponse, toEnvironmentStatus } from '#domain/presenters';
import type { EnvironmentStore } from '#ports/environment-store';
import { type ApiHandler, type HttpFunctionOptions, httpFunction } from '#shared/http/http-function';
import { environmentsReadRoutes } from '#shared/routes';
import { getEnvironment, listEnvironments } from '#use-cases/environments';

/** GET environments, one environment, and its status. Read-only: it holds no write right. */
export const createEnvironmentsReadHandler = (
  options: HttpFunctionOptions & {
    readonly store: EnvironmentStore;
  },
): ApiHandler => {
  const deps = { store: options.store };
  return httpFunction(
    environmentsReadRoutes,
    {
      listEnvironments: async ({ path, query, principal }) => ({
        body: await listEnvironments({ principal, org: path.org, workspace: path.workspace, query }, deps),
      }),
      getEnvironment: async ({ path, principal }) => ({
        body: toEnvironmentResponse(await getEnvironment({ principal, ...path }, deps)),
      }),
      getEnvironmentStatus: async ({ path, principal }) => ({
        body: toEnvironmentStatus(await getEnvironment({ principal, ...path }, deps)),
      }),
    },
    options,
  );
};
