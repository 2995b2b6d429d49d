/**
 * The OpenAPI 3.1 document, generated from the route table and the zod schemas (zod's own
 * JSON Schema output); there is no hand-written copy to drift.
 */
import * as api from '#domain/api/responses';
import { taskManifestSchema } from '#domain/manifest';
import { type Route, routes } from '#shared/routes';
import * as z from '#shared/zod';
import {
  DESCRIPTIONS,
  ERROR_STATUSES,
  errorStatusesOf,
  type JsonSchema,
  META_RESPONSES,
  PARAMETER_EXAMPLES,
  responseSchemas,
  TAGS,
  tagOf,
} from './openapi-operations.ts';

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
  const generated = z.toJSONSchema(taskManifestSchema(), {
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
