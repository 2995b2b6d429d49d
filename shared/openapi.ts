/**
 * The OpenAPI 3.1 document, generated from the route table and the zod schemas (zod's own
 * JSON Schema output); there is no hand-written copy to drift.
 */
import * as api from '#domain/api/responses';
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
  '409': 'Already exists, or the environment state does not allow it',
  '422': 'Validation error',
  '426': 'Upgrade required',
  '429': 'Rate limited',
  '500': 'Internal server error',
  '502': 'Bad gateway',
  '504': 'Gateway timeout',
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
      params.push({
        name,
        in: where,
        required: where === 'path' || (json.required ?? []).includes(name),
        schema: property,
      });
    }
  };
  add('pathSchema' in route ? route.pathSchema : undefined, 'path');
  add('querySchema' in route ? route.querySchema : undefined, 'query');
  return params;
};

/** Builds the document; `serverUrl` is where this API answers. */
export const openApiDocument = (serverUrl: string, version: string): JsonSchema => {
  const components: Record<string, JsonSchema> = {};
  const errorRef = toSchema(api.errorEnvelopeSchema, 'output', components);
  const paths: Record<string, Record<string, JsonSchema>> = {};
  for (const route of routes) {
    const answer = responseSchemas[route.operationId];
    const responses: Record<string, JsonSchema> = {
      [String(route.successStatus)]:
        answer === null
          ? { description: route.successStatus === 204 ? 'No content' : 'OK' }
          : {
              description: 'Successful response',
              content: { 'application/json': { schema: toSchema(answer, 'output', components) } },
            },
    };
    // Public routes still pass the client-version gate and the stage throttle.
    const statuses = route.auth ? Object.keys(ERROR_STATUSES) : ['426', '429', '500'];
    for (const status of statuses) {
      responses[status] = {
        description: ERROR_STATUSES[status] ?? 'Error',
        content: { 'application/json': { schema: errorRef } },
        ...(status === '429'
          ? { headers: { 'Retry-After': { description: 'Seconds to wait', schema: { type: 'integer' } } } }
          : {}),
      };
    }
    const operation: JsonSchema = {
      operationId: route.operationId,
      summary: route.summary,
      ...(route.role === 'admin' ? { description: 'Needs an admin API key; a member key gets 403.' } : {}),
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
        content: { 'application/json': { schema: { type: 'object' } } },
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
          description: 'Same key and body within 24 h returns the first response',
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
    paths[route.path] ??= {};
    const forPath = paths[route.path];
    if (forPath !== undefined) forPath[route.method.toLowerCase()] = operation;
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'taskenv API',
      version,
      description: 'Per-task sandbox environments on your own AWS account.',
      license: { name: 'Apache-2.0', identifier: 'Apache-2.0' },
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
