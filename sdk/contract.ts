/**
 * The data-plane shapes of `API.md` ("Execute", "Verify", logs) as zod schemas, for the SDK's
 * types. They follow the contract word for word; when the server's own schemas for these routes
 * are in `shared/domain/api`, these give way to them.
 */
import * as z from '#shared/zod';

const dateTime = z.iso.datetime({ offset: true });

export const executeRequestSchema = z.strictObject({
  command: z.string().check(z.minLength(1), z.maxLength(16384)),
  timeout_sec: z.optional(z.int().check(z.gte(1), z.lte(600))),
  service: z.optional(z.nullable(z.string())),
  env: z.optional(z.nullable(z.record(z.string(), z.string()))),
  workdir: z.optional(z.nullable(z.string())),
});
export type ExecuteRequest = z.input<typeof executeRequestSchema>;

/** 200 of execute: the command finished within the server's wait. */
export const executeResponseSchema = z.object({
  id: z.string(),
  exit_code: z.int(),
  output: z.string(),
  truncated: z.boolean(),
  timed_out: z.boolean(),
  duration_ms: z.int(),
});
export type ExecuteResponse = z.infer<typeof executeResponseSchema>;

/** 202 of execute and the answer of `GET …/executions/{execution_id}`; result fields null while running. */
export const executionResponseSchema = z.object({
  id: z.string(),
  state: z.enum(['running', 'completed']),
  started_at: dateTime,
  finished_at: z.optional(z.nullable(dateTime)),
  exit_code: z.optional(z.nullable(z.int())),
  output: z.optional(z.nullable(z.string())),
  truncated: z.optional(z.nullable(z.boolean())),
  timed_out: z.optional(z.nullable(z.boolean())),
  duration_ms: z.optional(z.nullable(z.int())),
});
export type ExecutionResponse = z.infer<typeof executionResponseSchema>;

export const verifyRequestSchema = z.strictObject({ answer: z.optional(z.string()) });
export type VerifyRequest = z.input<typeof verifyRequestSchema>;

export const verifyResponseSchema = z.object({
  passed: z.boolean(),
  method: z.string(),
  verified_at: dateTime,
  exit_code: z.nullable(z.int()),
  output: z.nullable(z.string()),
});
export type VerifyResponse = z.infer<typeof verifyResponseSchema>;

export const logsResponseSchema = z.object({
  service: z.string(),
  lines: z.array(z.object({ time: dateTime, message: z.string() })),
  truncated: z.boolean(),
});
export type LogsResponse = z.infer<typeof logsResponseSchema>;
