/**
 * The wire contract of `API.md` as zod schemas: the single source of the request validation,
 * the response types and the OpenAPI document.
 */
import * as z from '#shared/zod';
import { environmentStateSchema, serviceUrlSchema } from './environment.ts';
import { orgSlug, projectId, secretId, workspaceSlug } from './names.ts';

const dateTime = z.iso.datetime({ offset: true });

/** Names `schema` a component of the OpenAPI document (classic zod's `.meta({ id })`). */
const component = <S extends z.core.$ZodType>(schema: S, meta: z.core.GlobalMeta & { id: string }): S => {
  z.globalRegistry.add(schema, meta);
  return schema;
};

// Requests -------------------------------------------------------------------------------

export const createEnvironmentRequestSchema = component(
  z.strictObject({
    task_ref: z.string().check(z.minLength(1), z.maxLength(256)),
    inputs: z.nullish(z.record(z.string(), z.unknown())),
    project_id: z.nullish(projectId),
    secret_ids: z.nullish(z.array(secretId).check(z.maxLength(50))),
    timeout_sec: z.nullish(z.int().check(z.positive())),
  }),
  { id: 'CreateEnvironmentRequest' },
);
export type CreateEnvironmentRequest = z.infer<typeof createEnvironmentRequestSchema>;

export const keepaliveRequestSchema = component(
  z.strictObject({ extend_seconds: z.int().check(z.gte(60), z.lte(3600)) }),
  { id: 'KeepaliveRequest' },
);

export const putSecretRequestSchema = component(
  z.strictObject({
    value: z.string().check(z.minLength(1), z.maxLength(64 * 1024)),
    env_var: z.optional(
      z.string().check(
        z.regex(/^[A-Z_][A-Z0-9_]*$/, 'Must be an environment variable name ([A-Z_][A-Z0-9_]*)'),
        z.maxLength(128),
        z.refine((v) => !v.startsWith('TASKENV_'), 'Names starting with TASKENV_ are reserved'),
      ),
    ),
  }),
  { id: 'PutSecretRequest' },
);

/** classic zod's `z.preprocess(fn, schema)`: a pipe from a transform into `schema`. */
const preprocess = <S extends z.core.$ZodType>(fn: (value: unknown) => unknown, schema: S) =>
  z.pipe(z.transform(fn), schema);

const stateList = preprocess(
  (v) => (v === undefined ? undefined : Array.isArray(v) ? v : [v]),
  z.optional(z.array(environmentStateSchema)),
);

const queryInt = (min: number, max: number, fallback: number) =>
  preprocess(
    (v) => (typeof v === 'string' && /^-?\d+$/.test(v) ? Number(v) : v),
    z._default(z.int().check(z.gte(min), z.lte(max)), fallback),
  );

export const listEnvironmentsQuerySchema = z.strictObject({
  state: stateList,
  project_id: z.optional(projectId),
  page: queryInt(1, 1_000_000, 1),
  limit: queryInt(1, 200, 50),
});
export type ListEnvironmentsQuery = z.infer<typeof listEnvironmentsQuerySchema>;

// Path parameters ----------------------------------------------------------------------------

export const orgPathSchema = z.strictObject({ org: orgSlug });
export const workspacePathSchema = z.strictObject({ org: orgSlug, workspace: workspaceSlug });
export const environmentPathSchema = z.extend(workspacePathSchema, { id: z.uuid() });
export const secretPathSchema = z.extend(workspacePathSchema, { secret_id: secretId });
export const taskPathSchema = z.extend(orgPathSchema, {
  name: z.string().check(z.minLength(1), z.maxLength(160)),
});

// Responses ----------------------------------------------------------------------------------

export const environmentResponseSchema = component(
  z.object({
    id: z.uuid(),
    task_ref: z.string(),
    state: environmentStateSchema,
    created_at: dateTime,
    expires_at: z.nullable(dateTime),
    project_id: z.string(),
    instruction: z.nullable(z.string()),
    service_urls: z.nullable(z.record(z.string(), serviceUrlSchema)),
    execute_token: z.nullable(z.string()),
    task_verification: z.nullable(z.record(z.string(), z.unknown())),
    error: z.nullable(z.string()),
  }),
  { id: 'EnvironmentResponse' },
);
export type EnvironmentResponse = z.infer<typeof environmentResponseSchema>;

export const environmentStatusResponseSchema = component(
  z.pick(environmentResponseSchema, {
    id: true,
    state: true,
    expires_at: true,
    error: true,
    service_urls: true,
  }),
  { id: 'EnvironmentStatusResponse' },
);
export type EnvironmentStatusResponse = z.infer<typeof environmentStatusResponseSchema>;

export const environmentListResponseSchema = component(
  z.object({
    environments: z.array(environmentResponseSchema),
    page: z.int(),
    limit: z.int(),
    total: z.int(),
    total_pages: z.int(),
    has_next: z.boolean(),
    has_previous: z.boolean(),
  }),
  { id: 'EnvironmentListResponse' },
);
export type EnvironmentListResponse = z.infer<typeof environmentListResponseSchema>;

export const keepaliveResponseSchema = component(z.object({ id: z.uuid(), expires_at: dateTime }), {
  id: 'KeepaliveResponse',
});

export const secretResponseSchema = component(
  z.object({
    id: z.string(),
    env_var: z.string(),
    preview: z.string(),
    created_at: dateTime,
    updated_at: dateTime,
  }),
  { id: 'SecretResponse' },
);
export type SecretResponse = z.infer<typeof secretResponseSchema>;

export const secretListResponseSchema = component(z.object({ secrets: z.array(secretResponseSchema) }), {
  id: 'SecretListResponse',
});

export const taskVersionResponseSchema = component(
  z.object({
    task_ref: z.string(),
    org: z.string(),
    name: z.string(),
    version: z.string(),
    public: z.boolean(),
    description: z.nullable(z.string()),
    created_at: dateTime,
    manifest: z.record(z.string(), z.unknown()),
  }),
  { id: 'TaskVersionResponse' },
);
export type TaskVersionResponse = z.infer<typeof taskVersionResponseSchema>;

export const taskListResponseSchema = component(
  z.object({
    tasks: z.array(
      z.object({
        task_ref: z.string(),
        org: z.string(),
        name: z.string(),
        latest_version: z.string(),
        public: z.boolean(),
        description: z.nullable(z.string()),
      }),
    ),
  }),
  { id: 'TaskListResponse' },
);
export type TaskListResponse = z.infer<typeof taskListResponseSchema>;

export const errorEnvelopeSchema = component(
  z.object({
    code: z.int(),
    detail: z.string(),
    type: z.enum([
      'invalid_request_error',
      'authentication_error',
      'permission_error',
      'not_found_error',
      'already_exists_error',
      'validation_error',
      'upgrade_required_error',
      'rate_limit_error',
      'internal_error',
      'bad_gateway_error',
      'gateway_timeout_error',
    ]),
    errors: z.optional(
      z.array(
        z.object({
          loc: z.array(z.union([z.string(), z.number()])),
          msg: z.string(),
          type: z.string(),
        }),
      ),
    ),
  }),
  { id: 'ErrorEnvelope', description: 'Canonical API error envelope returned by the API.' },
);
