/**
 * Each function's wiring, declared once: the AWS resources it binds (with how much of each it
 * may use) and the ports its handler is built from. Everything else derives from this table:
 * - the Lambda entry parses `configSchema(name)`: the variables of its bindings;
 * - the CDK `ServiceFunction` grants each binding and sets those same variables
 *   (`infra/constructs/grants/`);
 * - the entry and the local stack (`local/compose.ts`) hand the handler `PortsOf` its port map,
 *   from AWS adapters and local ones.
 *
 * Data only (and the zod fragments): every entry imports it, so it must stay cheap to load.
 */
import type { FunctionName } from '#shared/routes';
import * as z from '#shared/zod';
import { type BindingKind, bindingConfig } from './config.ts';
import type { PortMap, PortsOf } from './ports.ts';

/**
 * How much of the main table a function may touch:
 * - `lookup`: GetItem (key lookups only);
 * - `read`: GetItem, BatchGetItem, and Query on the table and its indexes;
 * - `readWrite`: `read` plus PutItem and UpdateItem (transactions are authorised per item
 *   action; there is no IAM action for TransactWriteItems itself);
 * - `keyValue`: GetItem, PutItem, UpdateItem, DeleteItem and no Query (a store keyed by id,
 *   like the Powertools idempotency table);
 * - `removalCounts`: PutItem and UpdateItem of the list counters and the removal markers only
 *   (the TTL-removal consumer).
 */
export type TableAccess = 'lookup' | 'read' | 'readWrite' | 'keyValue' | 'removalCounts';

/**
 * ECS operations a function may perform:
 * - `register`: RegisterTaskDefinition of `taskenv-*` families (+ tagging them, PassRole);
 * - `run`: RunTask of `taskenv-*` task definitions on our cluster (+ tagging the task, PassRole);
 * - `stop`: StopTask of our cluster's tasks;
 * - `describe`: DescribeTasks of our cluster's tasks;
 * - `inspect`: DescribeTasks and ListTasks on our cluster.
 */
export type ContainerOperation = 'register' | 'run' | 'stop' | 'describe' | 'inspect';

/** `issue`: GenerateMac (the create function); `verify`: VerifyMac (the functions that check a token). */
export type ExecuteTokenOperation = 'issue' | 'verify';

/** What a function binds. Each key is one grant module of `infra/constructs/grants/` and one config fragment. */
export interface Bindings {
  readonly table?: { readonly access: TableAccess /** Also DeleteItem. */; readonly delete?: boolean };
  /** The Powertools idempotency table (`keyValue`). */
  readonly idempotencyTable?: true;
  /** `MIN_CLIENT_VERSION`, when the deployment sets one. */
  readonly clientVersionGate?: true;
  readonly containers?: readonly ContainerOperation[];
  /** ECS Exec on the cluster's tasks. */
  readonly commandRunner?: true;
  /** `delete`: DeleteObject only. `write`: PutObject (SSE-KMS with the bucket's key) and DeleteObject. */
  readonly envFiles?: 'write' | 'delete';
  /** Create, move and delete the per-environment expiry schedules. */
  readonly expiry?: true;
  /** `read`: GetSecretValue. `manage`: create, replace, restore, delete and tag, never read. */
  readonly secrets?: 'read' | 'manage';
  /** PutEvents on the taskenv bus. */
  readonly bus?: true;
  readonly executeTokens?: readonly ExecuteTokenOperation[];
  /** Invoke the exec-worker function asynchronously. */
  readonly execWorker?: true;
  /** Read the task log group's streams. */
  readonly taskLogs?: true;
  /** The URL mode, and EC2 DescribeNetworkInterfaces in public mode. */
  readonly addresses?: true;
  /** SendMessage on the lifecycle queue (launch retries, readiness checks). */
  readonly lifecycleQueue?: true;
  /** The deployed version (`TASKENV_VERSION`). */
  readonly version?: true;
}

export interface FunctionDeclaration {
  readonly bindings: Bindings;
  /** Which port each dependency of the handler is. */
  readonly ports: PortMap;
}

/** The run/stop/describe trio of the functions that move launched environments along. */
const lifecycleBindings = {
  table: { access: 'readWrite' },
  addresses: true,
  envFiles: 'delete',
  expiry: true,
  bus: true,
  lifecycleQueue: true,
} as const satisfies Bindings;
const lifecyclePorts = {
  store: 'store',
  tasks: 'tasks',
  runtime: 'runtime',
  addresses: 'addresses',
  envFiles: 'envFiles',
  expiry: 'expiry',
  publisher: 'publisher',
  checks: 'checks',
  clock: 'clock',
} as const satisfies PortMap;

export const functionDeclarations = {
  authorizer: { bindings: { table: { access: 'lookup' } }, ports: { access: 'access' } },
  'environments-create': {
    bindings: {
      table: { access: 'readWrite' },
      idempotencyTable: true,
      clientVersionGate: true,
      containers: ['run'],
      envFiles: 'write',
      expiry: true,
      secrets: 'read',
      executeTokens: ['issue'],
      bus: true,
      // A launch refused for now is retried from the queue.
      lifecycleQueue: true,
    },
    ports: {
      store: 'store',
      tasks: 'tasks',
      access: 'access',
      secretMetadata: 'secretMetadata',
      secretValues: 'secretValues',
      envFiles: 'envFiles',
      runtime: 'runtime',
      expiry: 'expiry',
      publisher: 'publisher',
      checks: 'checks',
      clock: 'clock',
      ids: 'ids',
      executeTokens: 'executeTokens',
      pools: { store: 'poolStore', keeper: 'poolKeeper' },
    },
  },
  'environments-read': {
    bindings: { table: { access: 'read' }, clientVersionGate: true },
    ports: { store: 'store' },
  },
  'environments-manage': {
    bindings: {
      table: { access: 'readWrite' },
      clientVersionGate: true,
      containers: ['stop'],
      envFiles: 'delete',
      expiry: true,
      bus: true,
    },
    ports: {
      store: 'store',
      access: 'access',
      runtime: 'runtime',
      expiry: 'expiry',
      envFiles: 'envFiles',
      publisher: 'publisher',
      clock: 'clock',
    },
  },
  'environments-exec': {
    bindings: {
      table: { access: 'readWrite' },
      clientVersionGate: true,
      execWorker: true,
      taskLogs: true,
      executeTokens: ['verify'],
      bus: true,
    },
    ports: {
      store: 'store',
      tasks: 'tasks',
      executions: 'executions',
      dispatcher: 'dispatcher',
      tokens: 'executeTokens',
      logs: 'logs',
      verifiedEvents: 'verifiedEvents',
      clock: 'clock',
      ids: 'ids',
    },
  },
  'exec-worker': {
    bindings: { table: { access: 'readWrite' }, commandRunner: true },
    ports: { runner: 'runner', executions: 'executions', clock: 'clock' },
  },
  tasks: {
    bindings: { table: { access: 'readWrite' }, clientVersionGate: true, containers: ['register'] },
    ports: { tasks: 'tasks', runtime: 'runtime', clock: 'clock' },
  },
  secrets: {
    bindings: { table: { access: 'readWrite', delete: true }, clientVersionGate: true, secrets: 'manage' },
    ports: { metadata: 'secretMetadata', values: 'secretValues', clock: 'clock' },
  },
  admin: {
    bindings: {
      table: { access: 'readWrite', delete: true },
      clientVersionGate: true,
      // DELETE of a pool stops its waiting tasks.
      containers: ['stop'],
      bus: true,
    },
    ports: {
      pools: 'poolStore',
      tasks: 'tasks',
      access: 'access',
      runtime: 'runtime',
      keeper: 'poolKeeper',
      clock: 'clock',
    },
  },
  // `/healthz` reads one item to report whether DynamoDB answers.
  meta: { bindings: { table: { access: 'lookup' }, version: true }, ports: { access: 'access' } },
  'task-events': {
    bindings: {
      table: { access: 'readWrite' },
      addresses: true,
      envFiles: 'delete',
      bus: true,
      // RUNNING with health checks queues the readiness check.
      lifecycleQueue: true,
    },
    ports: {
      // Environments, and the slots of pool tasks: the event path touches nothing else in the table.
      store: 'store',
      pools: 'poolStore',
      addresses: 'addresses',
      publisher: 'publisher',
      envFiles: 'envFiles',
      checks: 'checks',
      clock: 'clock',
    },
  },
  reconciler: {
    // It repairs a lost RUNNING event with the URLs task-events would have published, and stops orphans.
    bindings: { ...lifecycleBindings, containers: ['run', 'stop', 'inspect'] },
    // Dead waiting slots are retired; pool tasks without a slot are orphans.
    ports: { ...lifecyclePorts, pools: 'poolStore' },
  },
  'lifecycle-checks': {
    // run: launch retries; stop: an unhealthy task; describe: its health.
    bindings: { ...lifecycleBindings, containers: ['run', 'stop', 'describe'] },
    ports: lifecyclePorts,
  },
  'pool-keeper': {
    bindings: { table: { access: 'readWrite' }, containers: ['run', 'stop'] },
    ports: { pools: 'poolStore', tasks: 'tasks', runtime: 'runtime', clock: 'clock', ids: 'ids' },
  },
  // The table stream's consumer; it reads the stream through its event source mapping.
  'list-counters': { bindings: { table: { access: 'removalCounts' } }, ports: {} },
} as const satisfies Record<FunctionName, FunctionDeclaration>;

export type Declarations = typeof functionDeclarations;

/** The dependencies the handler of function `name` is built from. */
export type Ports<N extends FunctionName> = PortsOf<Declarations[N]['ports']>;

type UnionToIntersection<U> = (U extends unknown ? (x: U) => void : never) extends (x: infer I) => void
  ? I
  : never;

/** The zod shape of a function's bindings: the union of their fragments. */
type ShapeOf<B extends Bindings> = UnionToIntersection<
  { [K in keyof B & BindingKind]-?: (typeof bindingConfig)[K] }[keyof B & BindingKind]
>;

/** The zod shape of function `name`'s configuration. */
export type ConfigShape<N extends FunctionName> = {
  [K in keyof ShapeOf<Declarations[N]['bindings']>]: ShapeOf<Declarations[N]['bindings']>[K];
} extends infer S extends Readonly<Record<string, z.core.$ZodType>>
  ? S
  : never;

/** The binding kinds a declaration uses, in the order of `bindingConfig`. */
export const bindingKindsOf = (bindings: Bindings): BindingKind[] =>
  (Object.keys(bindingConfig) as BindingKind[]).filter((kind) => bindings[kind] !== undefined);

/** The configuration schema of function `name`: every variable of its bindings. */
export const configSchema = <N extends FunctionName>(name: N): z.ZodMiniObject<ConfigShape<N>> => {
  const bindings: Bindings = functionDeclarations[name].bindings;
  const shape = Object.assign({}, ...bindingKindsOf(bindings).map((kind) => bindingConfig[kind]));
  return z.object(shape) as z.ZodMiniObject<ConfigShape<N>>;
};
