/**
 * The environment variables behind each kind of binding a function declares
 * (`shared/wiring/functions.ts`): one zod fragment per binding. A Lambda entry parses the union
 * of its bindings' fragments at cold start; the CDK grant of the same binding sets exactly these
 * variables (its return type is derived from the fragment), so the two cannot drift apart.
 */
import { booleanFlag, commaList } from '#shared/config';
import * as z from '#shared/zod';

const name = () => z.string().check(z.minLength(1));

// Every fragment is a set of getters: `configSchema` builds only the schemas of the function's
// own bindings, not the ~90 of all of them (docs/benchmarks.md, "Cold start"). The types are
// those of the plain objects: `typeof tableConfig` is `{ readonly TABLE_NAME: … }`.
export const tableConfig = {
  get TABLE_NAME() {
    return name();
  },
};
export const idempotencyTableConfig = {
  get IDEMPOTENCY_TABLE_NAME() {
    return name();
  },
};
/** The client-version gate of the HTTP functions (`MIN_CLIENT_VERSION`, optional). */
const apiConfig = {
  get MIN_CLIENT_VERSION() {
    return z.optional(z.string().check(z.regex(/^\d+(\.\d+)*$/)));
  },
};
export const ecsConfig = {
  get AWS_REGION() {
    return name();
  },
  get CLUSTER_ARN() {
    return name();
  },
  get SUBNETS() {
    return commaList();
  },
  get SECURITY_GROUPS() {
    return commaList();
  },
  get ASSIGN_PUBLIC_IP() {
    return booleanFlag();
  },
  get EXECUTION_ROLE_ARN() {
    return name();
  },
  get TASK_ROLE_ARN() {
    return name();
  },
  get LOG_GROUP_NAME() {
    return name();
  },
};
/** ECS Exec on the sandbox cluster (the exec-worker's command runner). */
export const commandRunnerConfig = {
  get CLUSTER_ARN() {
    return name();
  },
};
export const envFileConfig = {
  get ENV_FILE_BUCKET() {
    return name();
  },
  get ENV_FILE_KMS_KEY_ID() {
    return name();
  },
};
export const schedulerConfig = {
  get CLUSTER_ARN() {
    return name();
  },
  get SCHEDULER_GROUP() {
    return name();
  },
  get SCHEDULER_ROLE_ARN() {
    return name();
  },
};
export const secretsConfig = {
  get SECRETS_PREFIX() {
    return name();
  },
  get SECRETS_KMS_KEY_ID() {
    return z.optional(name());
  },
};
export const busConfig = {
  get EVENT_BUS_NAME() {
    return name();
  },
};
/** The KMS HMAC key (`HMAC_256`) execute tokens are derived with. */
export const executeTokenConfig = {
  get EXECUTE_TOKEN_KEY_ID() {
    return name();
  },
};
/** The exec-worker function POST execute hands commands to, and how long it waits first. */
export const execWorkerConfig = {
  get EXEC_WORKER_FUNCTION_NAME() {
    return name();
  },
  /** How long POST execute waits before answering 202, in ms. */
  get EXEC_SYNC_WINDOW_MS() {
    return z.pipe(
      z.optional(z.string().check(z.regex(/^\d+$/))),
      z.transform((v) => (v === undefined ? 20_000 : Number(v))),
    );
  },
};
/** The task log group `GET …/logs` reads. */
export const taskLogsConfig = {
  get LOG_GROUP_NAME() {
    return name();
  },
};
export const urlModeConfig = {
  get URL_MODE() {
    return z.enum(['public', 'private']);
  },
};
export const lifecycleQueueConfig = {
  get LIFECYCLE_QUEUE_URL() {
    return name();
  },
};
/** The version `GET /healthz` and the OpenAPI document report. */
const versionConfig = {
  get TASKENV_VERSION() {
    return name();
  },
};

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
