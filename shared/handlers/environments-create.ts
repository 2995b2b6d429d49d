import {
  IdempotencyAlreadyInProgressError,
  IdempotencyConfig,
  IdempotencyValidationError,
  makeIdempotent,
} from '@aws-lambda-powertools/idempotency';
import type { BasePersistenceLayer } from '@aws-lambda-powertools/idempotency/persistence';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { CreateEnvironmentRequest, EnvironmentResponse } from '#domain/api-schemas';
import { AlreadyExistsError, BadGatewayError, GatewayTimeoutError, ValidationError } from '#domain/errors';
import { toEnvironmentResponse } from '#domain/presenters';
import type { Principal } from '#domain/principal';
import { type ApiHandler, type HttpFunctionOptions, httpFunction } from '#shared/http/http-function';
import { environmentsCreateRoutes } from '#shared/routes';
import {
  type CreatedEnvironment,
  type CreateEnvironmentDeps,
  createEnvironment,
  IDEMPOTENCY_WINDOW_SEC,
} from '#use-cases/create-environment';

/** `metrics` also counts `environmentCreated` and `launchFailed` (the launch-failure alarm reads it). */
export interface EnvironmentsCreateOptions extends HttpFunctionOptions {
  readonly deps: CreateEnvironmentDeps;
  /** Powertools idempotency persistence (its own table); null disables `Idempotency-Key`. */
  readonly idempotency: BasePersistenceLayer | null;
  /** How long a request waits for an identical one in progress before answering 504. */
  readonly inProgressWaitMs?: number;
}

interface IdempotentPayload {
  readonly org: string;
  readonly workspace: string;
  readonly key: string;
  readonly body: CreateEnvironmentRequest;
}

/**
 * POST environments. The chain has authorized the caller for the workspace before this runs,
 * so a replay only ever reaches a caller who may create there. With `Idempotency-Key`, the
 * first response is stored for 24 h and replayed for the same body (another body under the same
 * key is a 409); the execute token is never stored, in the idempotency record or anywhere: a
 * replay derives it again from the environment id.
 */
export const createEnvironmentsCreateHandler = (options: EnvironmentsCreateOptions): ApiHandler => {
  const { deps, logger } = options;
  const onDeferredFailure = (step: string, error: unknown) => {
    logger.warn('Deferred to the reconciler', {
      step,
      error: error instanceof Error ? error.message : String(error),
    });
    deps.onDeferredFailure?.(step, error);
  };
  // Read by the pool widget: creates that claimed a warm task, and creates of a pooled version that found none.
  const pools =
    deps.pools === undefined
      ? undefined
      : {
          ...deps.pools,
          observe: (result: 'no_pool' | 'miss' | 'claimed') => {
            if (result === 'claimed') options.metrics?.addMetric('poolClaimed', MetricUnit.Count, 1);
            if (result === 'miss') options.metrics?.addMetric('poolMissed', MetricUnit.Count, 1);
            deps.pools?.observe?.(result);
          },
        };
  const provision = async (
    principal: Principal,
    org: string,
    workspace: string,
    body: CreateEnvironmentRequest,
    idempotencyKey?: string,
  ) => {
    let created: CreatedEnvironment;
    try {
      created = await createEnvironment(
        {
          principal,
          org,
          workspace,
          request: body,
          ...(idempotencyKey === undefined ? {} : { idempotencyKey }),
        },
        { ...deps, onDeferredFailure, ...(pools === undefined ? {} : { pools }) },
      );
    } catch (error) {
      // Read by the launch-failure alarm: the platform refused RunTask.
      if (error instanceof BadGatewayError) options.metrics?.addMetric('launchFailed', MetricUnit.Count, 1);
      throw error;
    }
    options.metrics?.addMetric('environmentCreated', MetricUnit.Count, 1);
    logger.info('Environment created', { environmentId: created.record.id, taskRef: created.record.taskRef });
    return created;
  };

  const idempotencyConfig = new IdempotencyConfig({
    eventKeyJmesPath: '[org, workspace, key]',
    payloadValidationJmesPath: 'body',
    expiresAfterSeconds: IDEMPOTENCY_WINDOW_SEC,
  });
  const idempotent =
    options.idempotency === null
      ? null
      : makeIdempotent(
          async (payload: IdempotentPayload, principal: Principal, ran: (token: string) => void) => {
            const created = await provision(
              principal,
              payload.org,
              payload.workspace,
              payload.body,
              payload.key,
            );
            ran(created.executeToken);
            return toEnvironmentResponse(created.record);
          },
          {
            persistenceStore: options.idempotency,
            config: idempotencyConfig,
          },
        );

  return httpFunction(
    environmentsCreateRoutes,
    {
      createEnvironment: async ({ path, body, headers, principal, context }) => {
        const key = headers['idempotency-key'];
        if (key === undefined || idempotent === null) {
          const created = await provision(principal, path.org, path.workspace, body);
          return { body: toEnvironmentResponse(created.record, created.executeToken) };
        }
        if (key.length < 1 || key.length > 255) {
          throw new ValidationError([
            { loc: ['header', 'idempotency-key'], msg: 'Must be 1 to 255 characters', type: 'string_length' },
          ]);
        }
        // An in-progress record then expires with this invocation, so a crash mid-create does
        // not block the key for the whole window.
        idempotencyConfig.registerLambdaContext(context);
        let issued: string | null = null;
        const response = await runIdempotent(
          () =>
            idempotent({ org: path.org, workspace: path.workspace, key, body }, principal, (token) => {
              issued = token;
            }) as Promise<EnvironmentResponse>,
          options.inProgressWaitMs ?? 15_000,
        );
        // A replay answers the same token as the first 201: derived again from the id, never stored.
        const token = issued ?? (await deps.executeTokens.issue(response.id));
        return {
          body: { ...response, execute_token: token },
          headers: issued === null ? { 'idempotent-replayed': 'true' } : {},
        };
      },
    },
    options,
  );
};

/**
 * Runs the idempotent call, waiting while an identical request is still in progress (so 25
 * concurrent retries all get the one environment), and maps Powertools' errors to the API's.
 */
const runIdempotent = async <T>(call: () => Promise<T>, waitMs: number): Promise<T> => {
  const deadline = Date.now() + waitMs;
  for (let attempt = 0; ; attempt++) {
    try {
      return await call();
    } catch (error) {
      if (error instanceof IdempotencyValidationError) {
        throw new AlreadyExistsError('This Idempotency-Key was already used with a different request body', {
          cause: error,
        });
      }
      if (!(error instanceof IdempotencyAlreadyInProgressError)) throw error;
      if (Date.now() > deadline) {
        throw new GatewayTimeoutError('An identical request is still in progress', { cause: error });
      }
      await new Promise((r) => setTimeout(r, Math.min(50 * 2 ** attempt, 500)));
    }
  }
};
