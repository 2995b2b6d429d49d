/** `taskenv dev invoke`: one handler run inside the running stack, as its caller. */
import { AuthenticationError } from '#domain/errors';
import type { Principal } from '#domain/principal';
import { type HttpFunctionName, httpFunctionNames } from '#shared/routes';
import { authenticate } from '#use-cases/authenticate';
import type { Adapters, Handlers } from './compose.ts';
import { lambdaContext } from './gateway.ts';
import { LOCAL_ORG } from './local-names.ts';

/** Functions `taskenv dev invoke` can run, by the names of `functions/`. */
export const invocableFunctions = [
  ...httpFunctionNames,
  'authorizer',
  'task-events',
  'reconciler',
  'pool-keeper',
] as const;
export type Invoker = (fn: string, event: unknown) => Promise<unknown>;

/** The refusal of an invocation: status and envelope. */
export class InvokeRefused extends Error {
  constructor(
    readonly status: 401 | 403,
    readonly type: 'authentication_error' | 'permission_error',
    detail: string,
  ) {
    super(detail);
  }
}

/**
 * Runs one handler inside the running stack with a given event (`taskenv dev invoke`), so it
 * shares the stack's runtime, tables and timers, as `sam local invoke` runs a function with the
 * deployed configuration. Every call authenticates its key against the access store (a revoked
 * key is a 401) and needs an admin key. An HTTP function runs as the caller: whatever principal
 * the event claims is replaced by the caller's, so it never acts for another org. The system
 * functions (task events, the reconciler) act on every org's environments: only an admin key of
 * the stack's own org may run them.
 */
export const localInvoker =
  (handlers: Handlers, access: Adapters['access']) =>
  async (authorization: string | undefined): Promise<Invoker> => {
    let principal: Principal;
    try {
      principal = await authenticate(authorization, { access });
    } catch (error) {
      // Only a refused key is a 401; a store that cannot be reached is the caller's 500.
      if (error instanceof AuthenticationError) {
        throw new InvokeRefused(401, 'authentication_error', 'Authentication failed');
      }
      throw error;
    }
    if (principal.role !== 'admin') {
      throw new InvokeRefused(403, 'permission_error', 'dev invoke needs an admin API key');
    }
    return async (fn, event) => {
      const context = lambdaContext(fn);
      const system = fn === 'task-events' || fn === 'reconciler';
      if (system && principal.org !== LOCAL_ORG) {
        throw new InvokeRefused(
          403,
          'permission_error',
          `${fn} acts on every org: it needs an admin key of org '${LOCAL_ORG}'`,
        );
      }
      if (fn === 'task-events') return (await handlers.taskEvents(event, context)) ?? null;
      if (fn === 'reconciler') return handlers.reconciler(event, context);
      if (fn === 'pool-keeper') return handlers.poolKeeper(event, context);
      if (fn === 'authorizer') return handlers.authorizer(event as Parameters<Handlers['authorizer']>[0]);
      const http = handlers.http[fn as HttpFunctionName];
      if (http === undefined)
        throw new Error(`Unknown function '${fn}'; one of: ${invocableFunctions.join(', ')}`);
      return http(asCaller(event, principal) as Parameters<typeof http>[0], context);
    };
  };

/** The proxy event with the caller as its authorizer context, as the deployed authorizer sets it. */
const asCaller = (event: unknown, principal: Principal): unknown => {
  const proxy = typeof event === 'object' && event !== null ? (event as Record<string, unknown>) : {};
  const requestContext =
    typeof proxy.requestContext === 'object' && proxy.requestContext !== null
      ? (proxy.requestContext as Record<string, unknown>)
      : {};
  return {
    ...proxy,
    requestContext: {
      ...requestContext,
      authorizer: {
        keyId: principal.keyId,
        org: principal.org,
        role: principal.role,
        workspaces: JSON.stringify(principal.workspaces),
      },
    },
  };
};
