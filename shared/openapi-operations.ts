/**
 * What the OpenAPI document says about each operation beyond the route table: its response
 * schema, description, tag, error statuses and parameter examples (`openapi.ts` assembles them).
 */
import * as api from '#domain/api/responses';
import type { OperationId, Route } from '#shared/routes';
import type * as z from '#shared/zod';

export type JsonSchema = Record<string, unknown>;

/**
 * What each operation answers. Kept here rather than in the route table: only this document
 * needs the response schemas, and a Lambda that imported them through the table would build
 * them all at load. Null for a response that is not JSON (204, the docs page).
 */
export const responseSchemas: { readonly [Op in OperationId]: z.core.$ZodType | null } = {
  createEnvironment: api.environmentResponseSchema,
  listEnvironments: api.environmentListResponseSchema,
  getEnvironment: api.environmentResponseSchema,
  getEnvironmentStatus: api.environmentStatusResponseSchema,
  deleteEnvironment: api.environmentResponseSchema,
  keepaliveEnvironment: api.keepaliveResponseSchema,
  executeCommand: api.executeResponseSchema,
  getExecution: api.executionResponseSchema,
  verifyEnvironment: api.verifyResponseSchema,
  getEnvironmentLogs: api.logsResponseSchema,
  publishTask: api.taskVersionResponseSchema,
  listTasks: api.taskListResponseSchema,
  getTask: api.taskVersionResponseSchema,
  putSecret: api.secretResponseSchema,
  listSecrets: api.secretListResponseSchema,
  deleteSecret: null,
  putPool: api.poolResponseSchema,
  listPools: api.poolListResponseSchema,
  getPool: api.poolResponseSchema,
  deletePool: null,
  createKey: api.createdKeyResponseSchema,
  listKeys: api.keyListResponseSchema,
  revokeKey: null,
  getOpenApi: null,
  getDocs: null,
  healthz: null,
};

/** What each operation does beyond its summary: the semantics a client has to know. */
export const DESCRIPTIONS: { readonly [Op in OperationId]: string } = {
  createEnvironment:
    "Records the environment and asks the container platform to start it; answers 201 in state `building` (or `ready` when a warm pool served it). Poll `…/status` until `ready`: every service is running, every `health` probe passes and `service_urls` is set. `timeout_sec` is clamped to the task's and the org's maximum lifetime. The 201 (and only it) carries `execute_token`, which authorizes `execute`. With `Idempotency-Key`, the same key and body within 24 h answer the first response again (header `Idempotent-Replayed: true`, the same `execute_token`) and launch nothing; the same key with another body is a 409.",
  listEnvironments:
    'Newest first, filtered by `state` (repeatable) and `project_id`; pages are 1-based (`limit` 1..200, default 50).',
  getEnvironment:
    'The full resource. `execute_token` is always null here: only the create answer carries it.',
  getEnvironmentStatus: 'A cheap snapshot (`state`, `expires_at`, `error`, `service_urls`) for polling.',
  deleteEnvironment:
    "Stops the environment's containers and records it `torn_down`. Idempotent: a second DELETE answers the same `torn_down` resource; a `failed` environment stays `failed`.",
  executeCommand:
    "Runs one command (`/bin/sh -c`) in a `ready` environment; needs the API key and header `X-Environment-Token` (the create answer's `execute_token`). Answers 200 with the result when the command ends within the server's wait, else 202 with a running execution to poll. `timeout_sec` (1..600, default 30) kills the command with exit code 124. Output is stdout and stderr interleaved, capped at 1 MiB (`truncated`). Not `ready` is a 409; at most 8 executions run at once (429).",
  getExecution: "One execution's state and, once `completed`, its result; executions are kept 24 h.",
  verifyEnvironment:
    "Runs the task's verification against a `ready` environment (a flag file, the body's `answer`, or a script) and records the result on the environment. A task without verification is a 422; not `ready` is a 409.",
  getEnvironmentLogs:
    "The last `tail` lines (1..10000, default 200) of one service's output (default the first), from the platform's log store: there for a `failed` environment too.",
  keepaliveEnvironment:
    "Extends `expires_at` by `extend_seconds` (60..3600), clamped to the task's `timeout.max_sec` and the org's maximum lifetime; a final environment is a 409.",
  publishTask:
    'Publishes one version of a task; the body is the manifest (`task.yaml`) as JSON. Every service names an `image` (a `build` context is for `taskenv task push`). Versions are immutable: an existing name@version is a 409.',
  listTasks: "The org's own tasks and the public tasks, each with its latest version.",
  getTask:
    '`{name}` answers the highest published semver visible to the caller; `{name}@{version}` one version. Verification answers are replaced by their SHA-256.',
  putSecret:
    'Creates or replaces a workspace secret; the answer never carries the value. `value` is one line; `env_var` defaults to the id upper-cased with `-` → `_`.',
  listSecrets: "Metadata of the workspace's secrets (id, variable, a preview); never the values.",
  deleteSecret: 'Deletes the secret; environments already running keep the value they were given.',
  putPool:
    "Keeps `size` (0..100) started tasks of one task version waiting, so a matching create (no `secret_ids`) is `ready` in its 201. Pooled tasks count against the org's `max_pool_tasks`.",
  listPools: 'Every pool of the org, with how many tasks wait, start and were claimed.',
  getPool: 'One pool, by `name@version`.',
  deletePool: "Stops the pool's waiting tasks and removes it; claimed environments are not affected.",
  createKey:
    'Issues a key with a role (`admin` or `member`) and the workspaces it may use. The key is in this answer only; the server keeps its SHA-256.',
  listKeys: "The org's keys, without the key material.",
  revokeKey:
    'Revokes the key: it fails from the next request on (a deployed authorizer may cache it for at most 5 minutes).',
  getOpenApi: 'This document, generated from the route table and the request and response schemas.',
  getDocs: 'An HTML reference page rendering this document.',
  healthz: 'Answers 200 while the API can read its database, 503 when it cannot.',
};

/** The error statuses an operation can answer, from what it takes and does (`docs/api.md`, "Errors"). */
export const errorStatusesOf = (route: Route): string[] => {
  if (!route.auth) return route.operationId === 'healthz' ? ['429', '500', '503'] : ['429', '500'];
  const statuses = new Set(['401', '403', '426', '429', '500', '504']);
  const hasBody = 'bodySchema' in route || route.operationId === 'publishTask';
  if (hasBody) statuses.add('400');
  if (hasBody || 'querySchema' in route || 'pathSchema' in route) statuses.add('422');
  if (/\{(id|name|secret_id|key_id|pool)\}/.test(route.path) || route.operationId === 'createEnvironment')
    statuses.add('404');
  if (
    [
      'createEnvironment',
      'publishTask',
      'keepaliveEnvironment',
      'executeCommand',
      'verifyEnvironment',
    ].includes(route.operationId)
  )
    statuses.add('409');
  if (
    ['createEnvironment', 'executeCommand', 'verifyEnvironment', 'getEnvironmentLogs'].includes(
      route.operationId,
    )
  )
    statuses.add('502');
  return [...statuses].sort();
};

export const TAGS = {
  environments: 'Provision, inspect, keep alive and tear down task environments (workspace-scoped)',
  tasks: 'Publish and inspect task versions (org-scoped; versions are immutable)',
  secrets: 'Workspace secrets injected into environments as variables; values are never returned',
  admin:
    'API keys of the org (admin keys only; a key is shown once, only its SHA-256 is stored) and warm pools (started tasks waiting for a matching create)',
  meta: 'Public routes: this document, the reference page and the health probe',
} as const;

export const tagOf = (route: Route): keyof typeof TAGS => {
  switch (route.function) {
    case 'environments-create':
    case 'environments-read':
    case 'environments-manage':
    case 'environments-exec':
      return 'environments';
    default:
      return route.function;
  }
};

export const ERROR_STATUSES: Record<string, string> = {
  '400': 'Invalid request (malformed JSON, wrong content type, body too large)',
  '401': 'Authentication failed',
  '403': 'Access forbidden',
  '404': 'Not found',
  '409': 'Already exists (`already_exists_error`), or the state does not allow it (`conflict_error`)',
  '422': 'Validation error',
  '426': 'Upgrade required',
  '429': 'Rate limited',
  '500': 'Internal server error',
  '502': 'Bad gateway',
  '503': 'The database cannot be reached',
  '504': 'Gateway timeout',
};

/** What the meta routes answer that no domain schema describes. */
export const META_RESPONSES: Partial<Record<OperationId, JsonSchema>> = {
  getOpenApi: {
    description: 'The OpenAPI 3.1 document',
    content: {
      'application/json': {
        schema: {
          type: 'object',
          required: ['openapi', 'info', 'paths'],
          properties: { openapi: { type: 'string' }, info: { type: 'object' }, paths: { type: 'object' } },
        },
      },
    },
  },
  getDocs: { description: 'The reference page', content: { 'text/html': { schema: { type: 'string' } } } },
  healthz: {
    description: 'The API and its database answer',
    content: {
      'application/json': {
        schema: {
          type: 'object',
          required: ['status', 'version', 'dynamodb'],
          properties: {
            status: { type: 'string', const: 'ok' },
            version: { type: 'string' },
            dynamodb: { type: 'string', const: 'ok' },
          },
        },
      },
    },
  },
};

/** Path parameters a reader can paste as they are: the local stack's org and workspace. */
export const PARAMETER_EXAMPLES: Record<string, string> = {
  org: 'local',
  workspace: 'default',
  id: '0b6f3f0e-5d1a-4d7e-9a43-3b8f6c1d2e4f',
  name: 'hello-http',
  pool: 'hello-http@1.0.0',
  secret_id: 'openai-key',
};
