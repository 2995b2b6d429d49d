import { toEnvironmentResponse } from '#domain/presenters';
import { type ApiHandler, type HttpFunctionOptions, httpFunction } from '#shared/http/http-function';
import { environmentsManageRoutes } from '#shared/routes';
import {
  type KeepaliveDeps,
  keepaliveEnvironment,
  type TeardownDeps,
  teardownEnvironment,
} from '#use-cases/environments';

/** DELETE and keepalive of one environment. */
export const createEnvironmentsManageHandler = (
  options: HttpFunctionOptions & {
    readonly deps: TeardownDeps & KeepaliveDeps;
  },
): ApiHandler => {
  const { logger } = options;
  const deps = {
    ...options.deps,
    onDeferredFailure: (step: string, error: unknown) =>
      logger.warn('Deferred to the reconciler', {
        step,
        error: error instanceof Error ? error.message : String(error),
      }),
  };
  return httpFunction(
    environmentsManageRoutes,
    {
      deleteEnvironment: async ({ path, principal }) => ({
        body: toEnvironmentResponse(await teardownEnvironment({ principal, ...path }, deps)),
      }),
      keepaliveEnvironment: async ({ path, body, principal }) => {
        const updated = await keepaliveEnvironment(
          { principal, ...path, extendSeconds: body.extend_seconds },
          deps,
        );
        return { body: { id: updated.id, expires_at: updated.expiresAt } };
      },
    },
    options,
  );
};
