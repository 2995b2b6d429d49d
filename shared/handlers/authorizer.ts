import type { Logger } from '@aws-lambda-powertools/logger';
import type { APIGatewayAuthorizerResult, APIGatewayRequestAuthorizerEvent } from 'aws-lambda';
import { AuthenticationError } from '#domain/errors';
import type { AccessStore } from '#ports/access-store';
import { authenticate } from '#use-cases/authenticate';

/** API Gateway turns exactly this error message into a 401 (rewritten to the envelope by the API). */
export const UNAUTHORIZED = 'Unauthorized';

export type AuthorizerHandler = (
  event: APIGatewayRequestAuthorizerEvent,
) => Promise<APIGatewayAuthorizerResult>;

/**
 * The REQUEST authorizer. Its result is cached by API Gateway on the Authorization header and
 * reused for every route, so the policy allows the whole API and the handlers enforce
 * org/workspace access themselves.
 */
export const createAuthorizerHandler =
  (deps: { readonly access: AccessStore; readonly logger: Logger }): AuthorizerHandler =>
  async (event) => {
    const authorization = Object.entries(event.headers ?? {}).find(
      ([k]) => k.toLowerCase() === 'authorization',
    )?.[1];
    try {
      const principal = await authenticate(authorization, deps);
      return {
        principalId: principal.keyId,
        policyDocument: {
          Version: '2012-10-17',
          Statement: [
            { Action: 'execute-api:Invoke', Effect: 'Allow', Resource: apiWildcard(event.methodArn) },
          ],
        },
        context: {
          keyId: principal.keyId,
          org: principal.org,
          role: principal.role,
          // Context values must be scalars: the list travels as JSON.
          workspaces: JSON.stringify(principal.workspaces),
        },
      };
    } catch (error) {
      if (error instanceof AuthenticationError) throw new Error(UNAUTHORIZED);
      deps.logger.error('Authorizer failed', error instanceof Error ? error : new Error(String(error)));
      throw error;
    }
  };

/** `arn:aws:execute-api:region:account:api/stage/METHOD/path` → `arn:…:api/stage/*`. */
const apiWildcard = (methodArn: string): string => {
  const [prefix = methodArn, stage = '*'] = methodArn.split('/');
  return `${prefix}/${stage}/*`;
};
