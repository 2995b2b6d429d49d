/**
 * The wire contract of `API.md` as zod schemas: the single source of the request validation,
 * the response types and the OpenAPI document.
 */
import { z } from 'zod';
import { environmentStateSchema, serviceUrlSchema } from './environment.ts';
import { orgSlug, projectId, secretId, workspaceSlug } from './names.ts';

const dateTime = z.iso.datetime({ offset: true });

// Requests -------------------------------------------------------------------------------

export const createEnvironmentRequestSchema = z
  .strictObject({
    task_ref: z.string().min(1).max(256),
    inputs: z.record(z.string(), z.unknown()).nullish(),
    project_id: projectId.nullish(),
    secret_ids: z.array(secretId).max(50).nullish(),
    timeout_sec: z.number().int().positive().nullish(),
  })
  .meta({ id: 'CreateEnvironmentRequest' });
export type CreateEnvironmentRequest = z.infer<typeof createEnvironmentRequestSchema>;

export const keepaliveRequestSchema = z
  .strictObject({ extend_seconds: z.number().int().min(60).max(3600) })
  .meta({ id: 'KeepaliveRequest' });

export const putSecretRequestSchema = z
  .strictObject({
    value: z
      .string()
      .min(1)
      .max(64 * 1024),
    env_var: z
      .string()
      .regex(/^[A-Z_][A-Z0-9_]*$/, 'Must be an environment variable name ([A-Z_][A-Z0-9_]*)')
      .max(128)
      .refine((v) => !v.startsWith('TASKENV_'), 'Names starting with TASKENV_ are reserved')
      .optional(),
  })
  .meta({ id: 'PutSecretRequest' });

const stateList = z.preprocess(
  (v) => (v === undefined ? undefined : Array.isArray(v) ? v : [v]),
  z.array(environmentStateSchema).optional(),
);

const queryInt = (min: number, max: number, fallback: number) =>
  z.preprocess(
    (v) => (typeof v === 'string' && /^-?\d+$/.test(v) ? Number(v) : v),
    z.number().int().min(min).max(max).default(fallback),
  );

export const listEnvironmentsQuerySchema = z.strictObject({
  state: stateList,
  project_id: projectId.optional(),
  page: queryInt(1, 1_000_000, 1),
  limit: queryInt(1, 200, 50),
});
export type ListEnvironmentsQuery = z.infer<typeof listEnvironmentsQuerySchema>;

// Path parameters ----------------------------------------------------------------------------

export const orgPathSchema = z.strictObject({ org: orgSlug });
export const workspacePathSchema = z.strictObject({ org: orgSlug, workspace: workspaceSlug });
export const environmentPathSchema = workspacePathSchema.extend({ id: z.uuid() });
export const secretPathSchema = workspacePathSchema.extend({ secret_id: secretId });
export const taskPathSchema = orgPathSchema.extend({ name: z.string().min(1).max(160) });

// Responses ----------------------------------------------------------------------------------

export const environmentResponseSchema = z
  .object({
    id: z.uuid(),
    task_ref: z.string(),
    state: environmentStateSchema,
    created_at: dateTime,
    expires_at: dateTime.nullable(),
    project_id: z.string(),
    instruction: z.string().nullable(),
    service_urls: z.record(z.string(), serviceUrlSchema).nullable(),
    execute_token: z.string().nullable(),
    task_verification: z.record(z.string(), z.unknown()).nullable(),
    error: z.string().nullable(),
  })
  .meta({ id: 'EnvironmentResponse' });
export type EnvironmentResponse = z.infer<typeof environmentResponseSchema>;

export const environmentStatusResponseSchema = environmentResponseSchema
  .pick({ id: true, state: true, expires_at: true, error: true, service_urls: true })
  .meta({ id: 'EnvironmentStatusResponse' });
export type EnvironmentStatusResponse = z.infer<typeof environmentStatusResponseSchema>;

export const environmentListResponseSchema = z
  .object({
    environments: z.array(environmentResponseSchema),
    page: z.number().int(),
    limit: z.number().int(),
    total: z.number().int(),
    total_pages: z.number().int(),
    has_next: z.boolean(),
    has_previous: z.boolean(),
  })
  .meta({ id: 'EnvironmentListResponse' });
export type EnvironmentListResponse = z.infer<typeof environmentListResponseSchema>;

export const keepaliveResponseSchema = z
  .object({ id: z.uuid(), expires_at: dateTime })
  .meta({ id: 'KeepaliveResponse' });

export const secretResponseSchema = z
  .object({
    id: z.string(),
    env_var: z.string(),
    preview: z.string(),
    created_at: dateTime,
    updated_at: dateTime,
  })
  .meta({ id: 'SecretResponse' });
export type SecretResponse = z.infer<typeof secretResponseSchema>;

export const secretListResponseSchema = z
  .object({ secrets: z.array(secretResponseSchema) })
  .meta({ id: 'SecretListResponse' });

export const taskVersionResponseSchema = z
  .object({
    task_ref: z.string(),
    org: z.string(),
    name: z.string(),
    version: z.string(),
    public: z.boolean(),
    description: z.string().nullable(),
    created_at: dateTime,
    manifest: z.record(z.string(), z.unknown()),
  })
  .meta({ id: 'TaskVersionResponse' });
export type TaskVersionResponse = z.infer<typeof taskVersionResponseSchema>;

export const taskListResponseSchema = z
  .object({
    tasks: z.array(
      z.object({
        task_ref: z.string(),
        org: z.string(),
        name: z.string(),
        latest_version: z.string(),
        public: z.boolean(),
        description: z.string().nullable(),
      }),
    ),
  })
  .meta({ id: 'TaskListResponse' });
export type TaskListResponse = z.infer<typeof taskListResponseSchema>;

export const errorEnvelopeSchema = z
  .object({
    code: z.number().int(),
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
    errors: z
      .array(
        z.object({
          loc: z.array(z.union([z.string(), z.number()])),
          msg: z.string(),
          type: z.string(),
        }),
      )
      .optional(),
  })
  .meta({ id: 'ErrorEnvelope', description: 'Canonical API error envelope returned by the API.' });
