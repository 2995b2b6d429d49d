/**
 * The one route table. The CDK API, the local server, the handlers' dispatch and the OpenAPI
 * document all read it, so they cannot drift apart. Over 400 lines because it is that table:
 * one entry per route, grouped in one array per function.
 */
import * as api from '#domain/api/requests';
import type * as z from '#shared/zod';

export const httpFunctionNames = [
  'environments-create',
  'environments-read',
  'environments-manage',
  'environments-exec',
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
  'exec-worker',
  'lifecycle-checks',
  'list-counters',
] as const;
export type FunctionName = (typeof functionNames)[number];

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'DELETE';

/**
 * Who may call a route (`docs/api.md`, "API keys and roles"): `admin` keys only, any key of the org
 * (`member` or `admin`; a member only in its workspaces), or anyone (`public`: no key). The one
 * HTTP chain enforces it, with the path's org and workspace, before anything else a request does.
 *
 * `auth` and `role` agree by type: a public route has no key, every other route needs one.
 */
export type RouteAccess =
  | { readonly auth: true; readonly role: 'admin' | 'member' }
  | { readonly auth: false; readonly role: 'public' };

export type RouteDefinition = RouteAccess & {
  readonly operationId: string;
  readonly method: HttpMethod;
  /** API Gateway resource path, `{param}` placeholders. Authenticated routes live under `/api/v1/org/{org}`. */
  readonly path: string;
  readonly function: HttpFunctionName;
  readonly summary: string;
  readonly pathSchema?: z.core.$ZodType;
  readonly querySchema?: z.core.$ZodType;
  readonly bodySchema?: z.core.$ZodType;
  readonly successStatus: number;
};

// Paths are written out in full: esbuild keeps an unused array whose strings are templates.

/*
 * One array per function: a function's handler imports only its own, so its bundle builds only
 * its own routes' schemas (esbuild drops the other arrays and, zod's constructors being
 * side-effect free, the schemas only they name). The whole table is their concatenation.
 */

/** The routes of the `environments-create` function. */
export const environmentsCreateRoutes = [
  {
    operationId: 'createEnvironment',
    method: 'POST',
    path: '/api/v1/org/{org}/ws/{workspace}/environments',
    function: 'environments-create',
    auth: true,
    role: 'member',
    summary: 'Provision a task environment',
    pathSchema: api.workspacePathSchema,
    bodySchema: api.createEnvironmentRequestSchema,
    successStatus: 201,
  },
] as const satisfies readonly RouteDefinition[];

/** The routes of the `environments-read` function. */
export const environmentsReadRoutes = [
  {
    operationId: 'listEnvironments',
    method: 'GET',
    path: '/api/v1/org/{org}/ws/{workspace}/environments',
    function: 'environments-read',
    auth: true,
    role: 'member',
    summary: 'List environments, newest first',
    pathSchema: api.workspacePathSchema,
    querySchema: api.listEnvironmentsQuerySchema,
    successStatus: 200,
  },
  {
    operationId: 'getEnvironment',
    method: 'GET',
    path: '/api/v1/org/{org}/ws/{workspace}/environments/{id}',
    function: 'environments-read',
    auth: true,
    role: 'member',
    summary: 'Get an environment',
    pathSchema: api.environmentPathSchema,
    successStatus: 200,
  },
  {
    operationId: 'getEnvironmentStatus',
    method: 'GET',
    path: '/api/v1/org/{org}/ws/{workspace}/environments/{id}/status',
    function: 'environments-read',
    auth: true,
    role: 'member',
    summary: 'Cheap status snapshot for polling',
    pathSchema: api.environmentPathSchema,
    successStatus: 200,
  },
] as const satisfies readonly RouteDefinition[];

/** The routes of the `environments-manage` function. */
export const environmentsManageRoutes = [
  {
    operationId: 'deleteEnvironment',
    method: 'DELETE',
    path: '/api/v1/org/{org}/ws/{workspace}/environments/{id}',
    function: 'environments-manage',
    auth: true,
    role: 'member',
    summary: 'Tear an environment down (idempotent)',
    pathSchema: api.environmentPathSchema,
    successStatus: 200,
  },
  {
    operationId: 'keepaliveEnvironment',
    method: 'POST',
    path: '/api/v1/org/{org}/ws/{workspace}/environments/{id}/keepalive',
    function: 'environments-manage',
    auth: true,
    role: 'member',
    summary: 'Extend the lifetime of an environment',
    pathSchema: api.environmentPathSchema,
    bodySchema: api.keepaliveRequestSchema,
    successStatus: 200,
  },
] as const satisfies readonly RouteDefinition[];

/** The routes of the `environments-exec` function. */
export const environmentsExecRoutes = [
  {
    operationId: 'executeCommand',
    method: 'POST',
    path: '/api/v1/org/{org}/ws/{workspace}/environments/{id}/execute',
    function: 'environments-exec',
    auth: true,
    role: 'member',
    summary: 'Run a command inside a ready environment (needs X-Environment-Token)',
    pathSchema: api.environmentPathSchema,
    bodySchema: api.executeRequestSchema,
    successStatus: 200,
  },
  {
    operationId: 'getExecution',
    method: 'GET',
    path: '/api/v1/org/{org}/ws/{workspace}/environments/{id}/executions/{execution_id}',
    function: 'environments-exec',
    auth: true,
    role: 'member',
    summary: "One execution's state and result",
    pathSchema: api.executionPathSchema,
    successStatus: 200,
  },
  {
    operationId: 'verifyEnvironment',
    method: 'POST',
    path: '/api/v1/org/{org}/ws/{workspace}/environments/{id}/verify',
    function: 'environments-exec',
    auth: true,
    role: 'member',
    summary: "Run the task's verification and record the result",
    pathSchema: api.environmentPathSchema,
    bodySchema: api.verifyRequestSchema,
    successStatus: 200,
  },
  {
    operationId: 'getEnvironmentLogs',
    method: 'GET',
    path: '/api/v1/org/{org}/ws/{workspace}/environments/{id}/logs',
    function: 'environments-exec',
    auth: true,
    role: 'member',
    summary: "A service's output from the platform's log store",
    pathSchema: api.environmentPathSchema,
    querySchema: api.logsQuerySchema,
    successStatus: 200,
  },
] as const satisfies readonly RouteDefinition[];

/** The routes of the `tasks` function. */
export const tasksRoutes = [
  {
    operationId: 'publishTask',
    method: 'POST',
    path: '/api/v1/org/{org}/tasks',
    function: 'tasks',
    auth: true,
    role: 'admin',
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
    role: 'member',
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
    role: 'member',
    summary: 'Latest visible version of a task, or `{name}@{version}` for one version',
    pathSchema: api.taskPathSchema,
    successStatus: 200,
  },
] as const satisfies readonly RouteDefinition[];

/** The routes of the `secrets` function. */
export const secretsRoutes = [
  {
    operationId: 'putSecret',
    method: 'PUT',
    path: '/api/v1/org/{org}/ws/{workspace}/secrets/{secret_id}',
    function: 'secrets',
    auth: true,
    role: 'member',
    summary: 'Create or replace a secret (the value is never returned)',
    pathSchema: api.secretPathSchema,
    bodySchema: api.putSecretRequestSchema,
    successStatus: 200,
  },
  {
    operationId: 'listSecrets',
    method: 'GET',
    path: '/api/v1/org/{org}/ws/{workspace}/secrets',
    function: 'secrets',
    auth: true,
    role: 'member',
    summary: "List the workspace's secrets (never their values)",
    pathSchema: api.workspacePathSchema,
    successStatus: 200,
  },
  {
    operationId: 'deleteSecret',
    method: 'DELETE',
    path: '/api/v1/org/{org}/ws/{workspace}/secrets/{secret_id}',
    function: 'secrets',
    auth: true,
    role: 'member',
    summary: 'Delete a secret',
    pathSchema: api.secretPathSchema,
    successStatus: 204,
  },
] as const satisfies readonly RouteDefinition[];

/** The routes of the `admin` function. */
export const adminRoutes = [
  {
    operationId: 'createKey',
    method: 'POST',
    path: '/api/v1/org/{org}/keys',
    function: 'admin',
    auth: true,
    role: 'admin',
    summary: 'Issue an API key (the key is shown only in this response)',
    pathSchema: api.orgPathSchema,
    bodySchema: api.createKeyRequestSchema,
    successStatus: 201,
  },
  {
    operationId: 'listKeys',
    method: 'GET',
    path: '/api/v1/org/{org}/keys',
    function: 'admin',
    auth: true,
    role: 'admin',
    summary: "List the org's API keys (never the keys themselves)",
    pathSchema: api.orgPathSchema,
    successStatus: 200,
  },
  {
    operationId: 'revokeKey',
    method: 'DELETE',
    path: '/api/v1/org/{org}/keys/{key_id}',
    function: 'admin',
    auth: true,
    role: 'admin',
    summary: 'Revoke an API key: it fails from the next request on',
    pathSchema: api.keyPathSchema,
    successStatus: 204,
  },
  {
    operationId: 'putPool',
    method: 'PUT',
    path: '/api/v1/org/{org}/pools/{pool}',
    function: 'admin',
    auth: true,
    role: 'admin',
    summary: 'Keep `size` started tasks of one task version waiting',
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
    role: 'member',
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
    role: 'member',
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
    role: 'admin',
    summary: 'Stop the waiting tasks of a pool and remove it',
    pathSchema: api.poolPathSchema,
    successStatus: 204,
  },
] as const satisfies readonly RouteDefinition[];

/** The routes of the `meta` function. */
export const metaRoutes = [
  {
    operationId: 'getOpenApi',
    method: 'GET',
    path: '/api/v1/openapi.json',
    function: 'meta',
    auth: false,
    role: 'public',
    summary: 'This OpenAPI document',
    successStatus: 200,
  },
  {
    operationId: 'getDocs',
    method: 'GET',
    path: '/docs',
    function: 'meta',
    auth: false,
    role: 'public',
    summary: 'API reference page',
    successStatus: 200,
  },
  {
    operationId: 'healthz',
    method: 'GET',
    path: '/healthz',
    function: 'meta',
    auth: false,
    role: 'public',
    summary: 'Liveness probe',
    successStatus: 200,
  },
] as const satisfies readonly RouteDefinition[];

/** The arrays as one. */
const concatRoutes = <T extends readonly (readonly RouteDefinition[])[]>(
  ...lists: T
): readonly T[number][number][] => lists.flat() as T[number][number][];

// A call marked pure, not a spread: a bundle that never reads the whole table then drops it
// (esbuild keeps a spread, which could run an iterator).
export const routes = /* @__PURE__ */ concatRoutes(
  environmentsCreateRoutes,
  environmentsReadRoutes,
  environmentsManageRoutes,
  environmentsExecRoutes,
  tasksRoutes,
  secretsRoutes,
  adminRoutes,
  metaRoutes,
);

export type Route = (typeof routes)[number];
export type OperationId = Route['operationId'];

// Built on the first match, so a bundle that never matches (every Lambda) keeps none of it.
let compiled: { readonly route: Route; readonly pattern: RegExp }[] | undefined;

export interface RouteMatch {
  readonly route: Route;
  readonly pathParameters: Record<string, string>;
}

/**
 * Finds the route for a concrete request path (the local server's job; API Gateway does it on
 * AWS). `methodAllowed` tells a 404 for an unknown path from one with another method.
 */
export const matchRoute = (method: string, path: string): RouteMatch | null => {
  compiled ??= routes.map((route) => ({
    route,
    pattern: new RegExp(`^${route.path.replace(/\{([a-z_]+)\}/g, '(?<$1>[^/]+)')}$`),
  }));
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
