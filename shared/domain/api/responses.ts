/**
 * What the API answers (`docs/api.md`): the OpenAPI document's response components and the types the
 * handlers return. Nothing validates responses at run time, so no Lambda builds these.
 */
import * as z from '#shared/zod';
import { environmentStateSchema, serviceUrlSchema } from '../environment.ts';
import { component } from './component.ts';

const dateTime = z.iso.datetime({ offset: true });
/** A process exit status (124: killed by the execution timeout). */
const exitCode = z.int().check(z.gte(0), z.lte(255));

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
    verification: z.nullable(z.object({ passed: z.boolean(), verified_at: dateTime })),
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
    page: z.int().check(z.gte(1)),
    limit: z.int().check(z.gte(1), z.lte(200)),
    total: z.int().check(z.gte(0)),
    total_pages: z.int().check(z.gte(0)),
    has_next: z.boolean(),
    has_previous: z.boolean(),
  }),
  { id: 'EnvironmentListResponse' },
);
export type EnvironmentListResponse = z.infer<typeof environmentListResponseSchema>;

export const keepaliveResponseSchema = component(z.object({ id: z.uuid(), expires_at: dateTime }), {
  id: 'KeepaliveResponse',
});

export const keyResponseSchema = component(
  z.object({
    id: z.string(),
    name: z.string(),
    role: z.enum(['admin', 'member']),
    workspaces: z.array(z.string()),
    created_at: dateTime,
  }),
  { id: 'KeyResponse' },
);
export type KeyResponse = z.infer<typeof keyResponseSchema>;

export const createdKeyResponseSchema = component(
  // `key` is shown only in this response.
  z.extend(keyResponseSchema, { key: z.string() }),
  { id: 'CreatedKeyResponse' },
);

export const keyListResponseSchema = component(z.object({ keys: z.array(keyResponseSchema) }), {
  id: 'KeyListResponse',
});

export const executeResponseSchema = component(
  z.object({
    id: z.uuid(),
    exit_code: exitCode,
    output: z.string(),
    truncated: z.boolean(),
    timed_out: z.boolean(),
    duration_ms: z.int().check(z.gte(0)),
  }),
  { id: 'ExecuteResponse', description: 'The command finished within the wait.' },
);
export type ExecuteResponse = z.infer<typeof executeResponseSchema>;

export const executionResponseSchema = component(
  z.object({
    id: z.uuid(),
    state: z.enum(['running', 'completed']),
    started_at: dateTime,
    finished_at: z.nullable(dateTime),
    exit_code: z.nullable(exitCode),
    output: z.nullable(z.string()),
    truncated: z.nullable(z.boolean()),
    timed_out: z.nullable(z.boolean()),
    duration_ms: z.nullable(z.int().check(z.gte(0))),
  }),
  { id: 'ExecutionResponse', description: 'One execution; result fields are null while it runs.' },
);
export type ExecutionResponse = z.infer<typeof executionResponseSchema>;

/** The 202 of POST execute: the command outlived the wait and goes on. */
export const executionAcceptedResponseSchema = component(
  z.object({ id: z.uuid(), state: z.literal('running'), started_at: dateTime }),
  { id: 'ExecutionAcceptedResponse' },
);
export type ExecutionAcceptedResponse = z.infer<typeof executionAcceptedResponseSchema>;

export const verifyResponseSchema = component(
  z.object({
    passed: z.boolean(),
    method: z.string(),
    verified_at: dateTime,
    exit_code: z.nullable(exitCode),
    output: z.nullable(z.string()),
  }),
  { id: 'VerifyResponse' },
);
export type VerifyResponse = z.infer<typeof verifyResponseSchema>;

export const logsResponseSchema = component(
  z.object({
    service: z.string(),
    lines: z.array(z.object({ time: dateTime, message: z.string() })),
    truncated: z.boolean(),
  }),
  { id: 'LogsResponse' },
);
export type LogsResponse = z.infer<typeof logsResponseSchema>;

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

export const poolResponseSchema = component(
  z.object({
    task_ref: z.string(),
    size: z.int().check(z.gte(0), z.lte(100)),
    warm: z.int().check(z.gte(0)),
    starting: z.int().check(z.gte(0)),
    claimed_total: z.int().check(z.gte(0)),
    updated_at: dateTime,
  }),
  { id: 'PoolResponse' },
);
export type PoolResponse = z.infer<typeof poolResponseSchema>;

export const poolListResponseSchema = component(z.object({ pools: z.array(poolResponseSchema) }), {
  id: 'PoolListResponse',
});

export const errorEnvelopeSchema = component(
  z.object({
    code: z.int().check(z.gte(400), z.lte(599)),
    detail: z.string(),
    type: z.enum([
      'invalid_request_error',
      'authentication_error',
      'permission_error',
      'not_found_error',
      'already_exists_error',
      'conflict_error',
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
