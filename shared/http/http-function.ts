/**
 * The middy chain every HTTP function shares: logger context, the error envelope, header
 * normalisation, the client-version gate, authorization (the route's role, the path's org and
 * workspace), body parsing, path/query/body validation and dispatch by route. Handlers receive
 * typed, validated, authorized requests and return plain results.
 */

import type { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import middy, { type MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import {
  AuthenticationError,
  InvalidRequestError,
  PermissionError,
  RouteNotFoundError,
  TaskenvError,
  toErrorResponse,
  UpgradeRequiredError,
  ValidationError,
} from '#domain/errors';
import { protoKeyProblems } from '#domain/json-shape';
import { canUseWorkspace, type Principal, principalSchema } from '#domain/principal';
import { compareVersionParts } from '#domain/semver';
import { parseOrThrow } from '#domain/validation';
import { publishMetrics } from '#shared/observability';
import type { OperationId, Route, RouteDefinition } from '#shared/routes';
import type * as z from '#shared/zod';

/** Request bodies above this are a 400 (`docs/api.md`). */
export const MAX_BODY_BYTES = 256 * 1024;

/** Request bodies whose arrays and objects nest deeper than this are a 400, as malformed ones are. */
export const MAX_BODY_DEPTH = 64;

type SchemaKey = 'pathSchema' | 'querySchema' | 'bodySchema';

/** What a route's `key` schema parses to, or `Absent` when the route declares none. */
type Section<R, K extends SchemaKey, Absent> = R extends {
  readonly [P in K]: infer S extends z.core.$ZodType;
}
  ? z.output<S>
  : Absent;

/** The route of one operation (the union member whose `operationId` is `Op`). */
type RouteOf<Op extends OperationId> = Route & { readonly operationId: Op };

/** The request one route's handler receives, typed from that route's own schemas. */
export type HttpRequest<Op extends OperationId> = RequestOf<RouteOf<Op>>;

interface RequestOf<R extends Route> {
  readonly path: Section<R, 'pathSchema', undefined>;
  readonly query: Section<R, 'querySchema', undefined>;
  /** The validated body, or the raw parsed JSON for routes whose use case validates it. */
  readonly body: Section<R, 'bodySchema', unknown>;
  readonly headers: Readonly<Record<string, string>>;
  /** Present on every authenticated route. */
  readonly principal: Principal;
  readonly requestId: string;
  /**
   * What precedes the route path in the URL the client called: the stage (`/prod`) on an
   * execute-api URL, a base path on a custom domain, nothing locally.
   */
  readonly basePath: string;
  /** The Lambda context (the local server passes an equivalent). */
  readonly context: Context;
}

export interface HttpResult {
  readonly statusCode?: number;
  /** Serialised as JSON. */
  readonly body?: unknown;
  /** Sent as it is (with its own content-type header) instead of `body`. */
  readonly rawBody?: string;
  readonly headers?: Readonly<Record<string, string>>;
}

export type RouteHandler<Op extends OperationId> = (request: HttpRequest<Op>) => Promise<HttpResult>;

/** A handler per operation of a function's routes. */
type Handlers<Op extends OperationId> = { readonly [K in Op]: RouteHandler<K> };

export interface HttpFunctionOptions {
  readonly logger: Logger;
  /** Flushed after every invocation (EMF to stdout); absent in tests that do not look at metrics. */
  readonly metrics?: Metrics;
  /** Clients sending `X-Taskenv-Client-Version` below this get a 426. */
  readonly minClientVersion?: string;
}

export type ApiHandler = (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>;

/**
 * Builds the Lambda handler of one HTTP function from its routes (its own array of
 * `#shared/routes`, e.g. `environmentsReadRoutes`: importing the whole table would build every
 * route's schemas in every function) and a handler per route.
 */
export const httpFunction = <R extends Route>(
  served: readonly R[],
  handlers: Handlers<R['operationId']>,
  options: HttpFunctionOptions,
): ApiHandler => {
  const dispatch = async (event: APIGatewayProxyEvent, context: Context): Promise<APIGatewayProxyResult> => {
    const route = served.find((r) => r.method === event.httpMethod && r.path === event.resource);
    if (route === undefined) throw new RouteNotFoundError(event.httpMethod, event.path);
    // One count per operation: the dashboard's traffic by route, and never an empty flush.
    options.metrics?.addMetric(route.operationId, MetricUnit.Count, 1);
    // Before the body is read, validated or replayed: a refused caller learns nothing else.
    const principal = authorize(route, event);
    const result = await handle(handlers, route, event, context, principal);
    const statusCode = result.statusCode ?? route.successStatus;
    if (result.rawBody !== undefined)
      return { statusCode, headers: { ...result.headers }, body: result.rawBody };
    return toApiResult(statusCode, result.body, result.headers);
  };
  const chain = middy<APIGatewayProxyEvent, APIGatewayProxyResult>().use(injectLambdaContext(options.logger));
  if (options.metrics !== undefined) chain.use(publishMetrics(options.metrics));
  return chain
    .use(errorEnvelope(options.logger, options.metrics))
    .use(normalizeHeaders())
    .use(clientVersionGate(options.minClientVersion))
    .handler(dispatch);
};

/**
 * The caller, allowed to call `route` on the path's org and workspace, or a 401/403. Reads the
 * raw path parameters: a value that would fail validation names no org or workspace the key
 * holds, so it is a 403 here, never a 422 that tells the caller more.
 */
const authorize = (route: Route, event: APIGatewayProxyEvent): Principal => {
  if (!route.auth) return anonymous;
  const principal = principalOf(event);
  const params = event.pathParameters ?? {};
  const org = params.org;
  // Fails closed: an authenticated route outside `/org/{org}` authorizes no one.
  if (org === undefined || principal.org !== org) {
    throw new PermissionError(`This API key is not valid for org '${org ?? ''}'`);
  }
  const workspace = params.workspace;
  if (
    route.path.includes('{workspace}') &&
    (workspace === undefined || !canUseWorkspace(principal, org, workspace))
  ) {
    throw new PermissionError(`This API key is not valid for workspace '${workspace ?? ''}'`);
  }
  if (route.role === 'admin' && principal.role !== 'admin') {
    throw new PermissionError('This operation needs an admin API key');
  }
  return principal;
};

/**
 * Parses the request for `route` and hands it to that route's own handler. Generic in the
 * operation, so the handler looked up by `route.operationId` and the request parsed from
 * `route`'s schemas are typed for the same operation.
 */
const handle = <Op extends OperationId>(
  handlers: Handlers<Op>,
  route: RouteOf<Op>,
  event: APIGatewayProxyEvent,
  context: Context,
  principal: Principal,
): Promise<HttpResult> => {
  const headers = definedHeaders(event);
  // In this order: a bad path or query is the 422, before the body is read.
  const path = parseSection(route, 'pathSchema', event.pathParameters ?? {}, undefined);
  const query = parseSection(route, 'querySchema', queryOf(event), undefined);
  const rawBody =
    route.method === 'POST' || route.method === 'PUT' ? parseJsonBody(event, headers) : undefined;
  const request: RequestOf<RouteOf<Op>> = {
    path,
    query,
    body: parseSection(route, 'bodySchema', rawBody, rawBody),
    headers,
    principal,
    requestId: event.requestContext?.requestId ?? 'local',
    basePath: basePathOf(event),
    context,
  };
  return handlers[route.operationId](request);
};

const locations = { pathSchema: 'path', querySchema: 'query', bodySchema: 'body' } as const;

/**
 * `raw` validated by the route's `key` schema, or `absent` when the route declares none.
 *
 * The one cast of the chain: TypeScript does not narrow a generic conditional type by a runtime
 * check (here, whether the route has the schema), so the result of the check is asserted to be
 * the `Section` the check decides. Each branch is exactly that section's definition.
 */
const parseSection = <R extends Route, K extends SchemaKey, Absent>(
  route: R,
  key: K,
  raw: unknown,
  absent: Absent,
): Section<R, K, Absent> => {
  const definition: RouteDefinition = route;
  const schema = definition[key];
  const parsed = schema === undefined ? absent : parseOrThrow(schema, raw, locations[key]);
  return parsed as Section<R, K, Absent>;
};

const basePathOf = (event: APIGatewayProxyEvent): string => {
  const full = event.requestContext?.path ?? event.path;
  return full.endsWith(event.path) ? full.slice(0, full.length - event.path.length) : '';
};

const anonymous: Principal = { keyId: 'anonymous', org: '', role: 'member', workspaces: [] };

/** Query parameters with repeated keys kept as arrays (`?state=a&state=b`). */
const queryOf = (event: APIGatewayProxyEvent): Record<string, string | string[]> => {
  // A Map, then own properties: keys are the client's, and assigning `__proto__` onto a plain
  // object would swap its prototype instead of reaching the schema as an unknown key.
  const result = new Map<string, string | string[]>();
  for (const [key, values] of Object.entries(event.multiValueQueryStringParameters ?? {})) {
    if (values === undefined) continue;
    result.set(key, values.length === 1 ? (values[0] ?? '') : values);
  }
  for (const [key, value] of Object.entries(event.queryStringParameters ?? {})) {
    if (!result.has(key) && value !== undefined) result.set(key, value);
  }
  return Object.fromEntries(result);
};

const parseJsonBody = (event: APIGatewayProxyEvent, headers: Record<string, string>): unknown => {
  if (event.body === null || event.body === '') return undefined;
  const text = event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
  if (Buffer.byteLength(text, 'utf8') > MAX_BODY_BYTES) {
    throw new InvalidRequestError(`Request body is larger than ${MAX_BODY_BYTES / 1024} KiB`);
  }
  const contentType = headers['content-type'] ?? '';
  if (!/^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i.test(contentType)) {
    throw new InvalidRequestError('Content-Type must be application/json');
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new InvalidRequestError('Request body is not valid JSON', { cause: error });
  }
  if (nestedDeeperThan(parsed, MAX_BODY_DEPTH)) {
    throw new InvalidRequestError(`Request body is nested deeper than ${MAX_BODY_DEPTH} levels`);
  }
  const protoKeys = protoKeyProblems(parsed, ['body']);
  if (protoKeys.length > 0) throw new ValidationError(protoKeys);
  return parsed;
};

/**
 * Whether arrays and objects nest deeper than `limit`. Walked with an explicit stack: the
 * point is to refuse, before anything recursive sees it (the idempotency hash, a log line),
 * a body that would overflow the call stack.
 */
const nestedDeeperThan = (value: unknown, limit: number): boolean => {
  const pending: { value: unknown; depth: number }[] = [{ value, depth: 1 }];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    if (typeof next.value !== 'object' || next.value === null) continue;
    if (next.depth > limit) return true;
    for (const child of Object.values(next.value)) pending.push({ value: child, depth: next.depth + 1 });
  }
  return false;
};

const principalOf = (event: APIGatewayProxyEvent): Principal => {
  const context = event.requestContext?.authorizer ?? {};
  // Authorizer context values are strings on API Gateway; the workspace list travels as JSON.
  const workspaces =
    typeof context.workspaces === 'string' ? safeJson(context.workspaces) : context.workspaces;
  const parsed = principalSchema.safeParse({ ...context, workspaces });
  if (!parsed.success) throw new AuthenticationError({ cause: parsed.error });
  return parsed.data;
};

const safeJson = (text: string): unknown => {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
};

const toApiResult = (
  statusCode: number,
  body: unknown,
  headers: Readonly<Record<string, string>> = {},
): APIGatewayProxyResult => ({
  statusCode,
  headers: body === undefined ? { ...headers } : { 'content-type': 'application/json', ...headers },
  body: body === undefined ? '' : JSON.stringify(body),
});

/** The one place errors become responses; unexpected ones are logged in full and answered generically. */
const errorEnvelope = (
  logger: Logger,
  metrics?: Metrics,
): MiddlewareObj<APIGatewayProxyEvent, APIGatewayProxyResult> => ({
  onError: async (request) => {
    const { error } = request;
    if (!(error instanceof TaskenvError) || !error.expose) {
      logger.error('Request failed', error instanceof Error ? error : new Error(String(error)));
    }
    const response = toErrorResponse(error);
    // Errors raised before dispatch (route, client version) are counted here too.
    metrics?.addMetric(response.statusCode >= 500 ? 'serverError' : 'clientError', MetricUnit.Count, 1);
    request.response = toApiResult(response.statusCode, response.body, response.headers);
  },
});

const normalizeHeaders = (): MiddlewareObj<APIGatewayProxyEvent, APIGatewayProxyResult> => ({
  before: async (request) => {
    request.event.headers = definedHeaders(request.event, (key) => key.toLowerCase());
  },
});

/** The event's headers that have a value, their names passed through `name`. */
const definedHeaders = (
  event: APIGatewayProxyEvent,
  name: (key: string) => string = (key) => key,
): Record<string, string> => {
  const headers: Record<string, string> = {};
  for (const [key, value] of Object.entries(event.headers ?? {})) {
    if (value !== undefined) headers[name(key)] = value;
  }
  return headers;
};

const clientVersionGate = (
  minimum: string | undefined,
): MiddlewareObj<APIGatewayProxyEvent, APIGatewayProxyResult> => ({
  before: async (request) => {
    const sent = request.event.headers['x-taskenv-client-version'];
    if (minimum === undefined || sent === undefined) return;
    if (compareVersions(sent, minimum) < 0) {
      throw new UpgradeRequiredError(
        `Client version ${sent} is below the minimum ${minimum}; please upgrade`,
      );
    }
  },
});

/** Dotted numeric comparison; an unparsable version counts as 0.0.0 (too old). */
const compareVersions = (a: string, b: string): number => {
  const parts = (v: string) => (/^\d+(\.\d+)*$/.test(v.trim()) ? v.trim().split('.').map(Number) : [0]);
  return compareVersionParts(parts(a), parts(b));
};
