/**
 * Grants a function what its declaration binds (`shared/wiring/functions.ts`) and returns the
 * variables its entry parses: one grant module per AWS service, one entry per binding kind.
 * The map is exhaustive over the binding kinds and each grant's return type is its config
 * fragment's variables, so a binding cannot be declared without being granted and configured.
 */
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type { BindingKind, bindingConfig } from '#shared/wiring/config';
import { type Bindings, bindingKindsOf } from '#shared/wiring/functions';
import type { UrlMode } from '../../config.ts';
import { grantTaskLogs } from './cloudwatch-logs.ts';
import { grantIdempotencyTable, grantTable, type TableRef } from './dynamodb.ts';
import { grantAddresses } from './ec2.ts';
import { type ContainerRuntimeBinding, grantCommandRunner, grantContainers } from './ecs.ts';
import { type EventBusRef, grantBus } from './eventbridge.ts';
import { type ExecuteTokenKeyRef, grantExecuteTokens } from './kms.ts';
import { grantExecWorker } from './lambda.ts';
import { type EnvFileBucket, grantEnvFiles } from './s3.ts';
import { type ExpiryBinding, grantExpiry } from './scheduler.ts';
import { grantSecrets } from './secrets-manager.ts';
import { grantLifecycleQueue, type QueueRef } from './sqs.ts';
import type { GrantTarget, GrantVariables } from './target.ts';

export type { TableRef } from './dynamodb.ts';
export type { ContainerRuntimeBinding } from './ecs.ts';
export type { EventBusRef } from './eventbridge.ts';
export type { ExecuteTokenKeyRef } from './kms.ts';
export type { EnvFileBucket } from './s3.ts';
export type { ExpiryBinding } from './scheduler.ts';
export type { QueueRef } from './sqs.ts';

/** The resources bindings refer to, in one deployment. */
export interface BindingResources {
  readonly table: TableRef;
  readonly idempotencyTable: TableRef;
  readonly runtime: ContainerRuntimeBinding;
  readonly envFiles: EnvFileBucket;
  readonly expiry: ExpiryBinding;
  readonly secretsPrefix: string;
  readonly executeTokenKey: ExecuteTokenKeyRef;
  readonly bus: EventBusRef;
  readonly lifecycleQueue: QueueRef;
  readonly urlMode: UrlMode;
  readonly taskLogGroup: Pick<logs.ILogGroup, 'logGroupName'>;
  readonly execWorker: Pick<lambda.IFunction, 'functionArn' | 'functionName'>;
  /** Clients below it get a 426 (absent: no gate). */
  readonly minClientVersion: string | undefined;
  /** What `GET /healthz` reports. */
  readonly version: string;
}

type Grant<K extends BindingKind> = (
  fn: GrantTarget,
  binding: NonNullable<Bindings[K]>,
  resources: BindingResources,
) => GrantVariables<(typeof bindingConfig)[K]>;

const GRANTS: { readonly [K in BindingKind]: Grant<K> } = {
  table: (fn, binding, r) => grantTable(fn, r.table, binding),
  idempotencyTable: (fn, _, r) => grantIdempotencyTable(fn, r.idempotencyTable),
  clientVersionGate: (_fn, _, r) =>
    r.minClientVersion === undefined ? {} : { MIN_CLIENT_VERSION: r.minClientVersion },
  containers: (fn, operations, r) => grantContainers(fn, r.runtime, operations),
  commandRunner: (fn, _, r) => grantCommandRunner(fn, r.runtime),
  envFiles: (fn, access, r) => grantEnvFiles(fn, r.envFiles, access),
  expiry: (fn, _, r) => grantExpiry(fn, r.expiry),
  secrets: (fn, access, r) => grantSecrets(fn, r.secretsPrefix, access),
  bus: (fn, _, r) => grantBus(fn, r.bus),
  executeTokens: (fn, operations, r) => grantExecuteTokens(fn, r.executeTokenKey, operations),
  execWorker: (fn, _, r) => grantExecWorker(fn, r.execWorker),
  taskLogs: (fn, _, r) => grantTaskLogs(fn, r.taskLogGroup),
  addresses: (fn, _, r) => grantAddresses(fn, r.urlMode),
  lifecycleQueue: (fn, _, r) => grantLifecycleQueue(fn, r.lifecycleQueue),
  version: (_fn, _, r) => ({ TASKENV_VERSION: r.version }),
};

/**
 * Grants every binding of `bindings` to `fn` and answers the variables to set. Two bindings
 * that set one variable (the cluster ARN of `containers` and `expiry`) must agree on it.
 */
export const grantBindings = (
  fn: GrantTarget,
  bindings: Bindings,
  resources: BindingResources,
): Record<string, string> => {
  const variables: Record<string, string> = {};
  for (const kind of bindingKindsOf(bindings)) {
    const grant = GRANTS[kind] as Grant<typeof kind>;
    const binding = bindings[kind] as NonNullable<Bindings[typeof kind]>;
    for (const [name, value] of Object.entries(grant(fn, binding, resources) as Record<string, string>)) {
      if (variables[name] !== undefined && variables[name] !== value) {
        throw new Error(`${fn.node.path}: ${name} is set to two values by its bindings`);
      }
      variables[name] = value;
    }
  }
  return variables;
};
