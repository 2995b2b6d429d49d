/**
 * The environment variables behind each kind of binding a function declares
 * (`shared/wiring/functions.ts`): one zod fragment per binding. A Lambda entry parses the union
 * of its bindings' fragments at cold start; the CDK grant of the same binding sets exactly these
 * variables (its return type is derived from the fragment), so the two cannot drift apart.
 */
import { booleanFlag, commaList } from '#shared/config';
import * as z from '#shared/zod';

const name = () => z.string().check(z.minLength(1));

/**
 * A fragment from a builder per variable: each key is a getter, so `configSchema` (which copies
 * the fragments of the function's own bindings) builds only their schemas, not the ~90 of all
 * of them (docs/benchmarks.md, "Cold start"). Its type is the shape itself.
 */
const fragment = <F extends Record<string, () => z.core.$ZodType>>(
  builders: F,
): { readonly [K in keyof F]: ReturnType<F[K]> } =>
  Object.defineProperties(
    {},
    Object.fromEntries(Object.entries(builders).map(([key, get]) => [key, { get, enumerable: true }])),
  ) as { readonly [K in keyof F]: ReturnType<F[K]> };

export const tableConfig = fragment({ TABLE_NAME: name });
export const idempotencyTableConfig = fragment({ IDEMPOTENCY_TABLE_NAME: name });
/** The client-version gate of the HTTP functions (`MIN_CLIENT_VERSION`, optional). */
const apiConfig = fragment({
  MIN_CLIENT_VERSION: () => z.optional(z.string().check(z.regex(/^\d+(\.\d+)*$/))),
});
export const ecsConfig = fragment({
  AWS_REGION: name,
  CLUSTER_ARN: name,
  SUBNETS: commaList,
  SECURITY_GROUPS: commaList,
  ASSIGN_PUBLIC_IP: booleanFlag,
  EXECUTION_ROLE_ARN: name,
  TASK_ROLE_ARN: name,
  LOG_GROUP_NAME: name,
});
/** ECS Exec on the sandbox cluster (the exec-worker's command runner). */
export const commandRunnerConfig = fragment({ CLUSTER_ARN: name });
export const envFileConfig = fragment({ ENV_FILE_BUCKET: name, ENV_FILE_KMS_KEY_ID: name });
export const schedulerConfig = fragment({
  CLUSTER_ARN: name,
  SCHEDULER_GROUP: name,
  SCHEDULER_ROLE_ARN: name,
});
export const secretsConfig = fragment({ SECRETS_PREFIX: name, SECRETS_KMS_KEY_ID: () => z.optional(name()) });
export const busConfig = fragment({ EVENT_BUS_NAME: name });
/** The KMS HMAC key (`HMAC_256`) execute tokens are derived with. */
export const executeTokenConfig = fragment({ EXECUTE_TOKEN_KEY_ID: name });
/** The exec-worker function POST execute hands commands to, and how long it waits first. */
export const execWorkerConfig = fragment({
  EXEC_WORKER_FUNCTION_NAME: name,
  /** How long POST execute waits before answering 202, in ms. */
  EXEC_SYNC_WINDOW_MS: () =>
    z.pipe(
      z.optional(z.string().check(z.regex(/^\d+$/))),
      z.transform((v) => (v === undefined ? 20_000 : Number(v))),
    ),
});
/** The task log group `GET …/logs` reads. */
export const taskLogsConfig = fragment({ LOG_GROUP_NAME: name });
export const urlModeConfig = fragment({ URL_MODE: () => z.enum(['public', 'private']) });
export const lifecycleQueueConfig = fragment({ LIFECYCLE_QUEUE_URL: name });
/** The version `GET /healthz` and the OpenAPI document report. */
const versionConfig = fragment({ TASKENV_VERSION: name });

/** The fragment of each binding kind, by the name a declaration uses for it. */
export const bindingConfig = {
  table: tableConfig,
  idempotencyTable: idempotencyTableConfig,
  clientVersionGate: apiConfig,
  containers: ecsConfig,
  commandRunner: commandRunnerConfig,
  envFiles: envFileConfig,
  expiry: schedulerConfig,
  secrets: secretsConfig,
  bus: busConfig,
  executeTokens: executeTokenConfig,
  execWorker: execWorkerConfig,
  taskLogs: taskLogsConfig,
  addresses: urlModeConfig,
  lifecycleQueue: lifecycleQueueConfig,
  version: versionConfig,
} as const;

export type BindingKind = keyof typeof bindingConfig;

/** The parsed values of a fragment. */
export type ConfigOutput<F extends Record<string, z.core.$ZodType>> = z.output<z.ZodMiniObject<F>>;

/**
 * The variables a deployment must set for a fragment: its required keys, as strings. Lambda
 * sets `AWS_REGION` itself, so no grant sets it.
 */
export type VariablesOf<F extends Record<string, z.core.$ZodType>> = {
  readonly [K in keyof F as K extends 'AWS_REGION'
    ? never
    : undefined extends z.input<F[K]>
      ? never
      : K]: string;
};
