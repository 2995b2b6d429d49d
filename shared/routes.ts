/**
 * The one route table. The CDK API, the local server, the handlers' dispatch and the OpenAPI
 * document all read it, so they cannot drift apart.
 */
import * as api from '#domain/api/requests';
import type * as z from '#shared/zod';

export const httpFunctionNames = [
  'environments-create',
  'environments-read',
  'environments-manage',
  'tasks',
  'secrets',
  'admin',
  'meta',
] as const;
export type HttpFunctionName = (typeof httpFunctionNames)[number];

/** Every Lambda entry in `functions/`. */
export const functionNames = [
  ...httpFunctionNames,
  'authorizer',
  'task-events',
  'reconciler',
  'pool-keeper',
] as const;
export type FunctionName = (typeof functionNames)[number];

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'DELETE';

export interface RouteDefinition {
  readonly operationId: string;
  readonly method: HttpMethod;
  /** API Gateway resource path, `{param}` placeholders. */
  readonly path: string;
  readonly function: HttpFunctionName;
  /** False only for the public documentation and health routes. */
  readonly auth: boolean;
  readonly summary: string;
  readonly pathSchema?: z.core.$ZodType;
  readonly querySchema?: z.core.$ZodType;
  readonly bodySchema?: z.core.$ZodType;
  readonly successStatus: number;
}

const ws = '/api/v1/org/{org}/ws/{workspace}';

export const routes = [
  {
    operationId: 'createEnvironment',
    method: 'POST',
    path: `${ws}/environments`,
    function: 'environments-create',
    auth: true,
    summary: 'Provision a task environment',
    pathSchema: api.workspacePathSchema,
    bodySchema: api.createEnvironmentRequestSchema,
    successStatus: 201,
  },
  {
    operationId: 'listEnvironments',
    method: 'GET',
    path: `${ws}/environments`,
    function: 'environments-read',
    auth: true,
    summary: 'List environments, newest first',
    pathSchema: api.workspacePathSchema,
    querySchema: api.listEnvironmentsQuerySchema,
    successStatus: 200,
  },
  {
    operationId: 'getEnvironment',
    method: 'GET',
    path: `${ws}/environments/{id}`,
    function: 'environments-read',
    auth: true,
    summary: 'Get an environment',
    pathSchema: api.environmentPathSchema,
    successStatus: 200,
  },
  {
    operationId: 'getEnvironmentStatus',
    method: 'GET',
    path: `${ws}/environments/{id}/status`,
    function: 'environments-read',
    auth: true,
    summary: 'Cheap status snapshot for polling',
    pathSchema: api.environmentPathSchema,
    successStatus: 200,
  },
  {
    operationId: 'deleteEnvironment',
    method: 'DELETE',
    path: `${ws}/environments/{id}`,
    function: 'environments-manage',
    auth: true,
    summary: 'Tear an environment down (idempotent)',
    pathSchema: api.environmentPathSchema,
    successStatus: 200,
  },
  {
    operationId: 'keepaliveEnvironment',
    method: 'POST',
    path: `${ws}/environments/{id}/keepalive`,
    function: 'environments-manage',
    auth: true,
    summary: 'Extend the lifetime of an environment',
    pathSchema: api.environmentPathSchema,
    bodySchema: api.keepaliveRequestSchema,
    successStatus: 200,
  },
  {
    operationId: 'publishTask',
    method: 'POST',
    path: '/api/v1/org/{org}/tasks',
    function: 'tasks',
    auth: true,
    summary: 'Publish a task version (the manifest as JSON)',
    pathSchema: api.orgPathSchema,
    // The manifest is validated by the use case (it also checks template variables).
    successStatus: 201,
  },
  {
    operationId: 'listTasks',
    method: 'GET',
    path: '/api/v1/org/{org}/tasks',
    function: 'tasks',
    auth: true,
    summary: "List the org's tasks and the public tasks",
    pathSchema: api.orgPathSchema,
    successStatus: 200,
  },
  {
    operationId: 'getTask',
    method: 'GET',
    path: '/api/v1/org/{org}/tasks/{name}',
    function: 'tasks',
    auth: true,
    summary: 'Latest visible version of a task, or `{name}@{version}` for one version',
    pathSchema: api.taskPathSchema,
    successStatus: 200,
  },
  {
    operationId: 'putSecret',
    method: 'PUT',
    path: `${ws}/secrets/{secret_id}`,
    function: 'secrets',
    auth: true,
    summary: 'Create or replace a secret (the value is never returned)',
    pathSchema: api.secretPathSchema,
    bodySchema: api.putSecretRequestSchema,
    successStatus: 200,
  },
  {
    operationId: 'listSecrets',
    method: 'GET',
    path: `${ws}/secrets`,
    function: 'secrets',
    auth: true,
    summary: "List the workspace's secrets (never their values)",
    pathSchema: api.workspacePathSchema,
    successStatus: 200,
  },
  {
    operationId: 'deleteSecret',
    method: 'DELETE',
    path: `${ws}/secrets/{secret_id}`,
    function: 'secrets',
    auth: true,
    summary: 'Delete a secret',
    pathSchema: api.secretPathSchema,
    successStatus: 204,
  },
  {
    operationId: 'putPool',
    method: 'PUT',
    path: '/api/v1/org/{org}/pools/{pool}',
    function: 'admin',
    auth: true,
    summary: 'Keep `size` started tasks of one task version waiting (admin)',
    pathSchema: api.poolPathSchema,
    bodySchema: api.putPoolRequestSchema,
    successStatus: 200,
  },
  {
    operationId: 'listPools',
    method: 'GET',
    path: '/api/v1/org/{org}/pools',
    function: 'admin',
    auth: true,
    summary: "List the org's warm pools",
    pathSchema: api.orgPathSchema,
    successStatus: 200,
  },
  {
    operationId: 'getPool',
    method: 'GET',
    path: '/api/v1/org/{org}/pools/{pool}',
    function: 'admin',
    auth: true,
    summary: 'Get one warm pool',
    pathSchema: api.poolPathSchema,
    successStatus: 200,
  },
  {
    operationId: 'deletePool',
    method: 'DELETE',
    path: '/api/v1/org/{org}/pools/{pool}',
    function: 'admin',
    auth: true,
    summary: 'Stop the waiting tasks of a pool and remove it (admin)',
    pathSchema: api.poolPathSchema,
    successStatus: 204,
  },
  {
    operationId: 'getOpenApi',
    method: 'GET',
    path: '/api/v1/openapi.json',
    function: 'meta',
    auth: false,
    summary: 'This OpenAPI document',
    successStatus: 200,
  },
  {
    operationId: 'getDocs',
    method: 'GET',
    path: '/docs',
    function: 'meta',
    auth: false,
    summary: 'API reference page',
    successStatus: 200,
  },
  {
    operationId: 'healthz',
    method: 'GET',
    path: '/healthz',
    function: 'meta',
    auth: false,
    summary: 'Liveness probe',
    successStatus: 200,
  },
] as const satisfies readonly RouteDefinition[];

export type Route = (typeof routes)[number];
export type OperationId = Route['operationId'];

/** The routes one function serves. */
export const routesOf = (fn: HttpFunctionName): Route[] => routes.filter((r) => r.function === fn);

const compiled = routes.map((route) => ({
  route,
  pattern: new RegExp(`^${route.path.replace(/\{([a-z_]+)\}/g, '(?<$1>[^/]+)')}$`),
}));

export interface RouteMatch {
  readonly route: Route;
  readonly pathParameters: Record<string, string>;
}

/**
 * Finds the route for a concrete request path (the local server's job; API Gateway does it on
 * AWS). `methodAllowed` tells a 404 for an unknown path from one with another method.
 */
export const matchRoute = (method: string, path: string): RouteMatch | null => {
  for (const { route, pattern } of compiled) {
    if (route.method !== method) continue;
    const match = pattern.exec(path);
    if (match === null) continue;
    const pathParameters: Record<string, string> = {};
    for (const [key, value] of Object.entries(match.groups ?? {})) {
      pathParameters[key] = safeDecode(value);
    }
    return { route, pathParameters };
  }
  return null;
};

const safeDecode = (value: string): string => {
  try {
    return decodeURIComponent(value);
  } catch {
    // A malformed escape stays as it is and fails path validation with a 422 instead of a 500.
    return value;
  }
};
