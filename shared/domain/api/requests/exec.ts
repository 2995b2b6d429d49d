/**
 * Execute, verify and logs (the environments-exec function).
 */
import * as z from '#shared/zod';
import { component } from '../component.ts';
import { queryInt } from './query.ts';

const envVarName = z.string().check(
  z.regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'Must be an environment variable name ([A-Za-z_][A-Za-z0-9_]*)'),
  z.maxLength(128),
  z.refine((v) => !v.startsWith('TASKENV_'), 'Names starting with TASKENV_ are reserved'),
);

export const executeRequestSchema = component(
  z.strictObject({
    command: z.string().check(z.minLength(1), z.maxLength(16384)),
    timeout_sec: z._default(z.int().check(z.gte(1), z.lte(600)), 30),
    service: z.nullish(z.string().check(z.minLength(1), z.maxLength(64))),
    env: z.nullish(z.record(envVarName, z.string().check(z.maxLength(32 * 1024)))),
    workdir: z.nullish(
      z.string().check(
        z.maxLength(4096),
        z.refine((v) => v.startsWith('/'), 'Must be an absolute path'),
      ),
    ),
  }),
  { id: 'ExecuteRequest' },
);
export type ExecuteRequest = z.infer<typeof executeRequestSchema>;

export const verifyRequestSchema = component(
  z.optional(z.strictObject({ answer: z.optional(z.string().check(z.maxLength(64 * 1024))) })),
  { id: 'VerifyRequest' },
);

export const logsQuerySchema = z.strictObject({
  service: z.optional(z.string().check(z.minLength(1), z.maxLength(64))),
  tail: queryInt(1, 10_000, 200),
});
export type LogsQuery = z.infer<typeof logsQuerySchema>;
