/**
 * What API Gateway does in front of the Lambdas, for the local stack and the tests: match the
 * route from the shared table, run the REQUEST authorizer (cached like API Gateway), build the
 * proxy event and call the same handler the Lambda runs. Gateway-level errors use the envelope,
 * as the deployed API's gateway responses do.
 */
import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import {
  AuthenticationError,
  InternalError,
  InvalidRequestError,
  RateLimitError,
  RouteNotFoundError,
  toErrorResponse,
} from '#domain/errors';
import { type AuthorizerHandler, UNAUTHORIZED } from '#shared/handlers/authorizer';
import type { ApiHandler } from '#shared/http/http-function';
import { type HttpFunctionName, matchRoute } from '#shared/routes';

export interface GatewayRequest {
  readonly method: string;
  /** Path without the query string. */
  readonly path: string;
  readonly query?: URLSearchParams;
  readonly headers?: Readonly<Record<string, string | undefined>>;
  readonly body?: string | null;
}

export interface GatewayResponse {
  readonly statusCode: number;
  readonly headers: Record<string, string>;
  readonly body: string;
}

export interface GatewayOptions {
  readonly authorizer: AuthorizerHandler;
  readonly handlers: Readonly<Record<HttpFunctionName, ApiHandler>>;
  /** API Gateway's payload limit; larger bodies never reach a handler. */
  readonly maxBodyBytes?: number;
  /** Authorizer cache TTL (API Gateway default 300 s); 0 disables caching. */
  readonly authorizerCacheTtlMs?: number;
  readonly stage?: string;
  /** Per-key request rate; absent: no throttling. */
  readonly throttle?: Throttle;
}

/** A token bucket: `rateLimit` requests per second on average, `burstLimit` at once. */
export interface Throttle {
  readonly rateLimit: number;
  readonly burstLimit: number;
}

/**
 * The deployed stage's defaults (`infra/config.ts`, `throttleRateLimit` / `throttleBurstLimit`).
 * API Gateway applies them to the whole stage; the local gateway applies them to each API key, so
 * one client stalling the local API (a slow instruction, a loop) gets a 429 as it would there.
 */
export const STAGE_THROTTLE: Throttle = { rateLimit: 100, burstLimit: 200 };

/** Buckets kept at most; the oldest go first (a client sending random keys cannot grow the map). */
const MAX_BUCKETS = 10_000;

/** Seconds until `key` may send again, or 0 when this request may pass (and is counted). */
const tokenBuckets = (throttle: Throttle, now: () => number = Date.now) => {
  const buckets = new Map<string, { tokens: number; at: number }>();
  return (key: string): number => {
    const time = now();
    const bucket = buckets.get(key) ?? { tokens: throttle.burstLimit, at: time };
    buckets.delete(key);
    const tokens = Math.min(
      throttle.burstLimit,
      bucket.tokens + ((time - bucket.at) / 1000) * throttle.rateLimit,
    );
    const passes = tokens >= 1;
    buckets.set(key, { tokens: passes ? tokens - 1 : tokens, at: time });
    if (buckets.size > MAX_BUCKETS) {
      const oldest = buckets.keys().next().value;
      if (oldest !== undefined) buckets.delete(oldest);
    }
    return passes ? 0 : Math.max(1, Math.ceil((1 - tokens) / throttle.rateLimit));
  };
};

export interface Gateway {
  handle(request: GatewayRequest): Promise<GatewayResponse>;
}

type AuthorizerContext = Record<string, string | number | boolean>;

export const createGateway = (options: GatewayOptions): Gateway => {
  const cache = new Map<string, { context: AuthorizerContext; expires: number }>();
  const ttl = options.authorizerCacheTtlMs ?? 0;
  const stage = options.stage ?? 'local';
  const throttled = options.throttle === undefined ? null : tokenBuckets(options.throttle);

  const authorize = async (headers: Record<string, string>, event: APIGatewayProxyEvent) => {
    const authorization = headers.authorization;
    if (authorization === undefined || authorization === '') throw new AuthenticationError();
    const cached = cache.get(authorization);
    if (cached !== undefined && cached.expires > Date.now()) return cached.context;
    try {
      const result = await options.authorizer({
        type: 'REQUEST',
        methodArn: `arn:aws:execute-api:local:000000000000:local/${stage}/${event.httpMethod}${event.path}`,
        resource: event.resource,
        path: event.path,
        httpMethod: event.httpMethod,
        headers,
        multiValueHeaders: null,
        pathParameters: event.pathParameters,
        queryStringParameters: event.queryStringParameters,
        multiValueQueryStringParameters: event.multiValueQueryStringParameters,
        stageVariables: null,
        requestContext: { ...event.requestContext, authorizer: undefined },
      });
      const context = (result.context ?? {}) as AuthorizerContext;
      if (ttl > 0) cache.set(authorization, { context, expires: Date.now() + ttl });
      return context;
    } catch (error) {
      // The authorizer denies by throwing "Unauthorized", exactly as API Gateway expects; any
      // other failure (the key store unreachable) is API Gateway's AUTHORIZER_FAILURE, a 500:
      // never a 401 that would tell a client its valid key is wrong.
      if (error instanceof Error && error.message === UNAUTHORIZED)
        throw new AuthenticationError({ cause: error });
      throw new InternalError('The authorizer failed', { cause: error });
    }
  };

  return {
    handle: async (request) => {
      try {
        const headers = lowerCase(request.headers ?? {});
        const wait = throttled?.(headers.authorization ?? '') ?? 0;
        if (wait > 0) throw new RateLimitError('Too many requests', wait);
        const body = request.body ?? null;
        if (body !== null && Buffer.byteLength(body) > (options.maxBodyBytes ?? 10 * 1024 * 1024)) {
          throw new InvalidRequestError('Request body is too large');
        }
        const match = matchRoute(request.method, request.path);
        if (match === null) throw new RouteNotFoundError(request.method, request.path);
        const event = proxyEvent(request, headers, match.route.path, match.pathParameters, stage);
        if (match.route.auth) {
          const authorizer = await authorize(headers, event);
          event.requestContext.authorizer = authorizer;
        }
        const handler = options.handlers[match.route.function];
        const result = await handler(event, lambdaContext(match.route.function));
        return fromResult(result);
      } catch (error) {
        const response = toErrorResponse(error);
        return {
          statusCode: response.statusCode,
          headers: response.headers,
          body: JSON.stringify(response.body),
        };
      }
    },
  };
};

const lowerCase = (headers: Readonly<Record<string, string | undefined>>): Record<string, string> => {
  const result: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) if (v !== undefined) result[k.toLowerCase()] = v;
  return result;
};

const proxyEvent = (
  request: GatewayRequest,
  headers: Record<string, string>,
  resource: string,
  pathParameters: Record<string, string>,
  stage: string,
): APIGatewayProxyEvent => {
  // Keys are the client's (`__proto__` included): collected in a Map and made own properties, as
  // they are in the JSON event API Gateway sends, never assigned onto a plain object.
  const values = new Map<string, string[]>();
  for (const [k, v] of request.query ?? new URLSearchParams()) values.set(k, [...(values.get(k) ?? []), v]);
  const multi = Object.fromEntries(values);
  const single = Object.fromEntries([...values].map(([k, vs]) => [k, vs[vs.length - 1] ?? '']));
  const requestId = randomUUID();
  return {
    resource,
    path: request.path,
    httpMethod: request.method,
    headers,
    multiValueHeaders: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, [v]])),
    queryStringParameters: Object.keys(single).length === 0 ? null : single,
    multiValueQueryStringParameters: Object.keys(multi).length === 0 ? null : multi,
    pathParameters: Object.keys(pathParameters).length === 0 ? null : pathParameters,
    stageVariables: null,
    body: request.body ?? null,
    isBase64Encoded: false,
    requestContext: {
      accountId: '000000000000',
      apiId: 'local',
      authorizer: undefined,
      protocol: 'HTTP/1.1',
      httpMethod: request.method,
      identity: {
        accessKey: null,
        accountId: null,
        apiKey: null,
        apiKeyId: null,
        caller: null,
        clientCert: null,
        cognitoAuthenticationProvider: null,
        cognitoAuthenticationType: null,
        cognitoIdentityId: null,
        cognitoIdentityPoolId: null,
        principalOrgId: null,
        sourceIp: '127.0.0.1',
        user: null,
        userAgent: headers['user-agent'] ?? null,
        userArn: null,
      },
      // Local URLs carry no stage prefix.
      path: request.path,
      stage,
      requestId,
      requestTimeEpoch: Date.now(),
      resourceId: 'local',
      resourcePath: resource,
    },
  };
};

/** A Lambda context for local invocations (30 s budget, like the deployed functions). */
export const lambdaContext = (functionName: string, timeoutMs = 30_000): Context => {
  const deadline = Date.now() + timeoutMs;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: `taskenv-${functionName}`,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:local:000000000000:function:taskenv-${functionName}`,
    memoryLimitInMB: '512',
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/taskenv-${functionName}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
};

const fromResult = (result: APIGatewayProxyResult): GatewayResponse => {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(result.headers ?? {})) headers[k.toLowerCase()] = String(v);
  return { statusCode: result.statusCode, headers, body: result.body };
};
