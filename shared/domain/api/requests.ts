/**
 * What clients send (`docs/api.md`): bodies, query strings and path parameters. The Lambdas build
 * these at load to validate requests; the response shapes live in `responses.ts`, which only the
 * OpenAPI document and the types need, so no function pays for building them.
 */
import * as z from '#shared/zod';
import { envVarProblem, secretValueProblem } from '../env-var.ts';
import { environmentStateSchema, environmentStates } from '../environment.ts';
import { objectKeyProblem } from '../json-shape.ts';
import { orgSlug, projectId, secretId, workspaceSlug } from '../names.ts';
import { MAX_POOL_SIZE } from '../pool.ts';
import { roleSchema } from '../principal.ts';
import { component } from './component.ts';

// Requests -------------------------------------------------------------------------------

/** An input name as a record key: checked here, because the record would drop `__proto__`. */
const inputKey = z.string().check(
  z.superRefine((key, ctx) => {
    const problem = objectKeyProblem(key);
    if (problem !== null) ctx.addIssue({ code: 'custom', message: problem });
  }),
);

export const createEnvironmentRequestSchema = component(
  z.strictObject({
    task_ref: z.string().check(z.minLength(1), z.maxLength(256)),
    inputs: z.nullish(z.record(inputKey, z.unknown())),
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
    value: z.string().check(
      z.minLength(1),
      z.maxLength(64 * 1024),
      z.superRefine((value, ctx) => {
        const problem = secretValueProblem(value);
        // `input` left out on purpose: the issue must not carry the value.
        if (problem !== null) ctx.addIssue({ code: 'custom', message: problem, input: undefined });
      }),
    ),
    env_var: z.optional(
      z.string().check(
        z.maxLength(128),
        z.superRefine((name, ctx) => {
          const problem = envVarProblem(name);
          if (problem !== null) ctx.addIssue({ code: 'custom', message: problem });
        }),
      ),
    ),
  }),
  { id: 'PutSecretRequest' },
);

export const createKeyRequestSchema = component(
  z.strictObject({
    name: z.string().check(z.minLength(1), z.maxLength(100)),
    role: roleSchema,
    /** `["*"]`: every workspace of the org (an admin key always has every workspace). */
    workspaces: z.array(z.union([z.literal('*'), workspaceSlug])).check(
      z.minLength(1),
      z.maxLength(100),
      z.refine((list) => !list.includes('*') || list.length === 1, 'Use ["*"] alone or a list of workspaces'),
    ),
  }),
  { id: 'CreateKeyRequest' },
);
export type CreateKeyRequest = z.infer<typeof createKeyRequestSchema>;

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

/** classic zod's `z.preprocess(fn, schema)`: a pipe from a transform into `schema`. */
const preprocess = <S extends z.core.$ZodType>(fn: (value: unknown) => unknown, schema: S) =>
  z.pipe(z.transform(fn), schema);

/**
 * `?state=` may repeat; repeats are dropped (the store turns the list into a DynamoDB `IN`, which
 * takes at most 100 operands), and more values than there are states cannot all be states.
 */
const stateList = preprocess(
  (v) => (v === undefined ? undefined : [...new Set(Array.isArray(v) ? v : [v])]),
  z.optional(z.array(environmentStateSchema).check(z.maxLength(environmentStates.length))),
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

export const putPoolRequestSchema = component(
  z.strictObject({ size: z.int().check(z.gte(0), z.lte(MAX_POOL_SIZE)) }),
  { id: 'PutPoolRequest' },
);

export const logsQuerySchema = z.strictObject({
  service: z.optional(z.string().check(z.minLength(1), z.maxLength(64))),
  tail: queryInt(1, 10_000, 200),
});
export type LogsQuery = z.infer<typeof logsQuerySchema>;

// Path parameters ----------------------------------------------------------------------------

export const orgPathSchema = z.strictObject({ org: orgSlug });
export const workspacePathSchema = z.strictObject({ org: orgSlug, workspace: workspaceSlug });
export const environmentPathSchema = z.extend(workspacePathSchema, { id: z.uuid() });
export const executionPathSchema = z.extend(environmentPathSchema, { execution_id: z.uuid() });
export const secretPathSchema = z.extend(workspacePathSchema, { secret_id: secretId });
/** Key ids are the `<id>` of `tk_<id>_<secret>`. */
export const keyPathSchema = z.extend(orgPathSchema, {
  key_id: z.string().check(z.regex(/^[a-z0-9]{12}$/, 'Must be a key id (12 lowercase letters or digits)')),
});
export const taskPathSchema = z.extend(orgPathSchema, {
  name: z.string().check(z.minLength(1), z.maxLength(160)),
});

/** `{name}@{version}` of a pool: one exact version (`latest` is not a version a pool can hold). */
export const poolPathSchema = z.extend(orgPathSchema, {
  pool: z
    .string()
    .check(
      z.maxLength(160),
      z.regex(/^[a-z0-9][a-z0-9-]*@\d+\.\d+\.\d+$/, 'Must be name@version, e.g. web-sqli@1.2.0'),
    ),
});
