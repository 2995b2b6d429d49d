/**
 * The OpenAPI 3.1 document, generated from the route table and the zod schemas (zod's own
 * JSON Schema output); there is no hand-written copy to drift.
 */
import * as api from '#domain/api/responses';
import { taskManifestSchema } from '#domain/manifest';
import { type OperationId, type Route, routes } from '#shared/routes';
import * as z from '#shared/zod';

type JsonSchema = Record<string, unknown>;

/**
 * What each operation answers. Kept here rather than in the route table: only this document
 * needs the response schemas, and a Lambda that imported them through the table would build
 * them all at load. Null for a response that is not JSON (204, the docs page).
 */
const responseSchemas: { readonly [Op in OperationId]: z.core.$ZodType | null } = {
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
const DESCRIPTIONS: { readonly [Op in OperationId]: string } = {
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

/** The error statuses an operation can answer, from what it takes and does (`API.md`, "Errors"). */
const errorStatusesOf = (route: Route): string[] => {
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

const TAGS = {
  environments: 'Provision, inspect, keep alive and tear down task environments (workspace-scoped)',
  tasks: 'Publish and inspect task versions (org-scoped; versions are immutable)',
  secrets: 'Workspace secrets injected into environments as variables; values are never returned',
  admin:
    'API keys of the org (admin keys only; a key is shown once, only its SHA-256 is stored) and warm pools (started tasks waiting for a matching create)',
  meta: 'Public routes: this document, the reference page and the health probe',
} as const;

const tagOf = (route: Route): keyof typeof TAGS => {
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

const ERROR_STATUSES: Record<string, string> = {
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
const META_RESPONSES: Partial<Record<OperationId, JsonSchema>> = {
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
const PARAMETER_EXAMPLES: Record<string, string> = {
  org: 'local',
  workspace: 'default',
  id: '0b6f3f0e-5d1a-4d7e-9a43-3b8f6c1d2e4f',
  name: 'hello-http',
  pool: 'hello-http@1.0.0',
  secret_id: 'openai-key',
};

/**
 * One schema as JSON Schema 2020-12 (what OpenAPI 3.1 uses). Schemas with a `.meta({ id })`
 * become components and are referenced; their nested definitions are hoisted too.
 */
const toSchema = (
  schema: z.core.$ZodType,
  io: 'input' | 'output',
  components: Record<string, JsonSchema>,
): JsonSchema => {
  const generated = z.toJSONSchema(schema, { io, target: 'draft-2020-12', unrepresentable: 'any' });
  const relinked = JSON.parse(
    JSON.stringify(generated).replaceAll('"#/$defs/', '"#/components/schemas/'),
  ) as JsonSchema;
  const { $defs, $schema: _schema, id: _id, ...rest } = relinked;
  for (const [name, definition] of Object.entries(($defs ?? {}) as Record<string, JsonSchema>)) {
    components[name] = definition;
  }
  const id = z.globalRegistry.get(schema)?.id;
  if (typeof id !== 'string') return rest;
  // zod emits an id'd root as a `$ref` into its own `$defs`; keep the body, not the pointer.
  if (rest.$ref === undefined) components[id] = rest;
  return { $ref: `#/components/schemas/${id}` };
};

const parametersOf = (route: Route, components: Record<string, JsonSchema>): JsonSchema[] => {
  const params: JsonSchema[] = [];
  const add = (schema: z.core.$ZodType | undefined, where: 'path' | 'query') => {
    if (schema === undefined) return;
    const json = toSchema(schema, 'input', components) as {
      properties?: Record<string, JsonSchema>;
      required?: string[];
    };
    for (const [name, property] of Object.entries(json.properties ?? {})) {
      const example = where === 'path' ? PARAMETER_EXAMPLES[name] : undefined;
      params.push({
        name,
        in: where,
        required: where === 'path' || (json.required ?? []).includes(name),
        schema: property,
        ...(example === undefined ? {} : { example }),
      });
    }
  };
  add('pathSchema' in route ? route.pathSchema : undefined, 'path');
  add('querySchema' in route ? route.querySchema : undefined, 'query');
  return params;
};

/**
 * The manifest (`TaskManifest` component) as the publish body. The route table publishes with
 * no body schema (the tasks Lambda parses the manifest itself, with its own messages), so the
 * document takes it from the domain's schema.
 */
const manifestSchemaRef = (components: Record<string, JsonSchema>): JsonSchema => {
  const generated = z.toJSONSchema(taskManifestSchema, {
    io: 'input',
    target: 'draft-2020-12',
    unrepresentable: 'any',
  });
  const { $schema: _schema, $defs, ...body } = generated as JsonSchema;
  for (const [name, definition] of Object.entries(($defs ?? {}) as Record<string, JsonSchema>)) {
    components[name] = definition;
  }
  components.TaskManifest = { ...body, description: 'A task manifest (task.yaml) as JSON' };
  return { $ref: '#/components/schemas/TaskManifest' };
};

/**
 * A request body's `default`s as words in its description. The server applies a default when
 * the field is absent, so the field is optional; but generators (openapi-typescript's
 * `defaultNonNullable`, on by default) type a field with a `default` as always present, which
 * would make a client send every defaulted field.
 */
const defaultsAsDescriptions = (schema: unknown): void => {
  if (Array.isArray(schema)) {
    for (const item of schema) defaultsAsDescriptions(item);
    return;
  }
  if (typeof schema !== 'object' || schema === null) return;
  const node = schema as JsonSchema;
  if ('default' in node) {
    const said = typeof node.description === 'string' ? `${node.description} ` : '';
    node.description = `${said}Default: ${JSON.stringify(node.default)}.`;
    delete node.default;
  }
  for (const [keyword, value] of Object.entries(node)) {
    if (keyword === 'enum' || keyword === 'const' || keyword === 'examples') continue;
    // Maps of names to schemas: a property may itself be called `default`.
    if (keyword === 'properties' || keyword === 'patternProperties' || keyword === '$defs') {
      for (const property of Object.values(value as JsonSchema)) defaultsAsDescriptions(property);
    } else {
      defaultsAsDescriptions(value);
    }
  }
};

/** Builds the document; `serverUrl` is where this API answers. */
export const openApiDocument = (serverUrl: string, version: string): JsonSchema => {
  const components: Record<string, JsonSchema> = {};
  const errorRef = toSchema(api.errorEnvelopeSchema, 'output', components);
  const paths: Record<string, Record<string, JsonSchema>> = {};
  const requestComponents = new Set<string>();
  for (const route of routes) {
    const answer = responseSchemas[route.operationId];
    const responses: Record<string, JsonSchema> = {
      [String(route.successStatus)]:
        META_RESPONSES[route.operationId] ??
        (answer === null
          ? { description: 'No content' }
          : {
              description: 'Successful response',
              content: { 'application/json': { schema: toSchema(answer, 'output', components) } },
            }),
    };
    if (route.operationId === 'createEnvironment') {
      const created = responses['201'];
      if (created !== undefined) {
        created.headers = {
          'Idempotent-Replayed': {
            description:
              '`true` when this answer is the replay of an earlier request with the same `Idempotency-Key` and body (nothing new was launched)',
            schema: { type: 'string', const: 'true' },
          },
        };
      }
    }
    for (const status of errorStatusesOf(route)) {
      responses[status] = {
        description: ERROR_STATUSES[status] ?? 'Error',
        content: { 'application/json': { schema: errorRef } },
        ...(status === '429'
          ? {
              headers: {
                'Retry-After': { description: 'Seconds to wait', schema: { type: 'integer', minimum: 0 } },
              },
            }
          : {}),
      };
    }
    const operation: JsonSchema = {
      operationId: route.operationId,
      summary: route.summary,
      description: `${DESCRIPTIONS[route.operationId]}${route.role === 'admin' ? ' Needs an admin API key; a member key gets 403.' : ''}`,
      tags: [tagOf(route)],
      parameters: parametersOf(route, components),
      responses,
      ...(route.auth ? {} : { security: [] }),
    };
    const body = 'bodySchema' in route ? route.bodySchema : undefined;
    if (body !== undefined) {
      operation.requestBody = {
        required: true,
        content: { 'application/json': { schema: toSchema(body, 'input', components) } },
      };
    } else if (route.operationId === 'publishTask') {
      operation.requestBody = {
        required: true,
        description: 'The task manifest (task.yaml) as JSON',
        content: { 'application/json': { schema: manifestSchemaRef(components) } },
      };
    }
    if (route.operationId === 'createEnvironment') {
      operation.parameters = [
        ...(operation.parameters as JsonSchema[]),
        {
          name: 'Idempotency-Key',
          in: 'header',
          required: false,
          schema: { type: 'string', minLength: 1, maxLength: 255 },
          description:
            'Same key and body within 24 h (scoped to the org and workspace) returns the first response, with `Idempotent-Replayed: true`, and launches nothing; the same key with another body is a 409',
        },
      ];
    }
    if (route.operationId === 'executeCommand') {
      operation.parameters = [
        ...(operation.parameters as JsonSchema[]),
        {
          name: 'X-Environment-Token',
          in: 'header',
          required: true,
          schema: { type: 'string' },
          description: "The environment's execute_token (from the 201 of POST environments)",
        },
      ];
      responses['202'] = {
        description: 'The command outlived the wait and goes on; poll the Location',
        headers: { Location: { description: 'The execution', schema: { type: 'string' } } },
        content: {
          'application/json': {
            schema: toSchema(api.executionAcceptedResponseSchema, 'output', components),
          },
        },
      };
    }
    const requestSchema = (
      operation.requestBody as { content?: Record<string, { schema?: JsonSchema }> } | undefined
    )?.content?.['application/json']?.schema;
    const requestRef = requestSchema?.$ref;
    if (typeof requestRef === 'string')
      requestComponents.add(requestRef.replace('#/components/schemas/', ''));
    else defaultsAsDescriptions(requestSchema);
    paths[route.path] ??= {};
    const forPath = paths[route.path];
    if (forPath !== undefined) forPath[route.method.toLowerCase()] = operation;
  }
  for (const name of requestComponents) defaultsAsDescriptions(components[name]);
  return {
    openapi: '3.1.0',
    info: {
      title: 'taskenv API',
      version,
      description: 'Per-task sandbox environments on your own AWS account.',
      license: { name: 'Apache-2.0', identifier: 'Apache-2.0' },
      contact: { name: 'taskenv maintainers', url: 'https://github.com/taskenv/taskenv' },
    },
    servers: [{ url: serverUrl }],
    security: [{ bearerAuth: [] }],
    tags: Object.entries(TAGS).map(([name, description]) => ({ name, description })),
    paths,
    components: {
      schemas: components,
      securitySchemes: {
        bearerAuth: { type: 'http', scheme: 'bearer', description: 'tk_<id>_<secret> API key' },
      },
    },
  };
};
