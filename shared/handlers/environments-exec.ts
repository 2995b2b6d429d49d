import { toExecuteResponse, toExecutionAccepted, toExecutionResponse } from '#domain/presenters';
import { type ApiHandler, type HttpFunctionOptions, httpFunction } from '#shared/http/http-function';
import { environmentsExecRoutes } from '#shared/routes';
import { type ExecuteDeps, executeCommand, getExecution } from '#use-cases/execute';
import { type LogsDeps, readLogs } from '#use-cases/logs';
import { type VerifyDeps, verifyEnvironment } from '#use-cases/verify';

/** The environment's data plane: execute, one execution, verify and logs. */
export const createEnvironmentsExecHandler = (
  options: HttpFunctionOptions & {
    readonly deps: ExecuteDeps & VerifyDeps & LogsDeps;
  },
): ApiHandler => {
  const { logger } = options;
  const deps = {
    ...options.deps,
    onDeferredFailure: (step: string, error: unknown) =>
      logger.warn('Deferred failure', {
        step,
        error: error instanceof Error ? error.message : String(error),
      }),
  };
  return httpFunction(
    environmentsExecRoutes,
    {
      executeCommand: async ({ path, body, headers, principal, basePath }) => {
        const outcome = await executeCommand(
          { principal, ...path, token: headers['x-environment-token'], request: body },
          deps,
        );
        if (outcome.done) return { body: toExecuteResponse(outcome.execution) };
        const location = `${basePath}/api/v1/org/${path.org}/ws/${path.workspace}/environments/${path.id}/executions/${outcome.execution.id}`;
        return { statusCode: 202, body: toExecutionAccepted(outcome.execution), headers: { location } };
      },
      getExecution: async ({ path, principal }) => ({
        body: toExecutionResponse(
          await getExecution(
            {
              principal,
              org: path.org,
              workspace: path.workspace,
              id: path.id,
              executionId: path.execution_id,
            },
            deps,
          ),
        ),
      }),
      verifyEnvironment: async ({ path, body, principal }) => ({
        body: await verifyEnvironment({ principal, ...path, answer: body?.answer }, deps),
      }),
      getEnvironmentLogs: async ({ path, query, principal }) => ({
        body: await readLogs({ principal, ...path, query }, deps),
      }),
    },
    options,
  );
};
