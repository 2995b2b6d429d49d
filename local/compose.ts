/**
 * Builds every handler from one set of adapters, as the Lambda entries do one function at a
 * time, each from the ports its declaration names (`shared/wiring/functions.ts`). The local stack passes local adapters; the API tests pass the AWS adapters over mocked
 * SDK clients. Either way the handlers, middlewares and use cases are the deployed ones.
 */
import type { BasePersistenceLayer } from '@aws-lambda-powertools/idempotency/persistence';
import type { AddressResolver } from '#ports/address-resolver';
import type { TaskLogs } from '#ports/container-runtime';
import type { EnvFileListing } from '#ports/env-file-store';
import type { VerifiedEventPublisher } from '#ports/event-publisher';
import type { ExecutionDispatcher, ExecutionStore, ExecutionTerminator } from '#ports/execution-store';
import type { PoolKeeperTrigger, PoolStore } from '#ports/pool-store';
import { createAdminHandler } from '#shared/handlers/admin';
import { type AuthorizerHandler, createAuthorizerHandler } from '#shared/handlers/authorizer';
import { createEnvironmentsCreateHandler } from '#shared/handlers/environments-create';
import { createEnvironmentsExecHandler } from '#shared/handlers/environments-exec';
import { createEnvironmentsManageHandler } from '#shared/handlers/environments-manage';
import { createEnvironmentsReadHandler } from '#shared/handlers/environments-read';
import { createLifecycleChecksHandler, type LifecycleChecksHandler } from '#shared/handlers/lifecycle-checks';
import { createMetaHandler, type DocsAssets } from '#shared/handlers/meta';
import { createPoolKeeperHandler, type PoolKeeperHandler } from '#shared/handlers/pool-keeper';
import { createReconcilerHandler, type ReconcilerHandler } from '#shared/handlers/reconciler';
import { createSecretsHandler } from '#shared/handlers/secrets';
import { createTaskEventsHandler, type TaskEventsHandler } from '#shared/handlers/task-events';
import { createTasksHandler } from '#shared/handlers/tasks';
import type { ApiHandler } from '#shared/http/http-function';
import { createLogger, createMetrics, type ObservabilityOptions } from '#shared/observability';
import type { HttpFunctionName } from '#shared/routes';
import { type Declarations, functionDeclarations, type Ports } from '#shared/wiring/functions';
import { type PortBag, resolvePorts } from '#shared/wiring/ports';
import type { CreateEnvironmentDeps } from '#use-cases/create-environment';
import type { ReconcileConfig } from '#use-cases/reconcile';

/**
 * Every port the handlers use: what a provision needs (the widest use case) plus the address
 * resolver of the event path and the idempotency persistence of POST environments.
 */
export interface Adapters extends Omit<CreateEnvironmentDeps, 'onDeferredFailure' | 'pools'> {
  readonly addresses: AddressResolver;
  readonly poolStore: PoolStore;
  /** Runs the pool keeper soon; absent, creates never claim and pools are never filled. */
  readonly poolKeeper?: PoolKeeperTrigger;
  /** Lets the reconciler sweep env files of environments never recorded (local only). */
  readonly strayEnvFiles?: EnvFileListing;
  /** Powertools idempotency persistence; null disables `Idempotency-Key`. */
  readonly idempotency: BasePersistenceLayer | null;
  readonly dataPlane: DataPlaneAdapters;
}

/** What execute, executions, verify and logs use besides the stores. */
export interface DataPlaneAdapters {
  readonly executions: ExecutionStore;
  readonly dispatcher: ExecutionDispatcher;
  /** Ends running executions on DELETE where stopping the task does not (the in-process runner). */
  readonly terminator?: ExecutionTerminator;
  readonly logs: TaskLogs;
  readonly verifiedEvents: VerifiedEventPublisher;
  /** @default 20 s */
  readonly syncWindowMs?: number;
}

export interface ComposeOptions {
  readonly version: string;
  readonly minClientVersion?: string;
  readonly docsAssets: () => Promise<DocsAssets>;
  readonly reconcile: ReconcileConfig;
  /** Log level and metrics where no `POWERTOOLS_*` variable says (the local stack). */
  readonly observability?: ObservabilityOptions;
}

export interface Handlers {
  readonly authorizer: AuthorizerHandler;
  readonly http: Readonly<Record<HttpFunctionName, ApiHandler>>;
  readonly taskEvents: TaskEventsHandler;
  readonly reconciler: ReconcilerHandler;
  readonly poolKeeper: PoolKeeperHandler;
  readonly lifecycleChecks: LifecycleChecksHandler;
}

export const composeHandlers = (adapters: Adapters, options: ComposeOptions): Handlers => {
  const logger = (name: string) => createLogger(name, options.observability);
  const observed = (name: string) => ({
    logger: logger(name),
    metrics: createMetrics(name, options.observability),
  });
  const api = (name: string) => ({
    ...observed(name),
    ...(options.minClientVersion === undefined ? {} : { minClientVersion: options.minClientVersion }),
  });
  // One bag of ports; each handler gets the ones its declaration names (shared/wiring/functions.ts).
  const keeper = adapters.poolKeeper;
  const bag: PortBag = {
    ...adapters,
    ...adapters.dataPlane,
    poolKeeper: keeper ?? noNudge,
    runner: noRunner,
  };
  const ports = <N extends keyof Declarations>(name: N): Ports<N> =>
    resolvePorts(functionDeclarations[name].ports, bag) as Ports<N>;
  const { dataPlane } = adapters;
  // Without a keeper nothing fills the pools, so a create does not look for a warm slot.
  const { pools, ...createPorts } = ports('environments-create');
  const meta = ports('meta');
  return {
    authorizer: createAuthorizerHandler({ ...ports('authorizer'), logger: logger('authorizer') }),
    http: {
      'environments-create': createEnvironmentsCreateHandler({
        ...api('environments-create'),
        deps: {
          ...createPorts,
          ...(keeper === undefined ? {} : { pools }),
          ...(adapters.launchPolicy === undefined ? {} : { launchPolicy: adapters.launchPolicy }),
        },
        idempotency: adapters.idempotency,
      }),
      'environments-read': createEnvironmentsReadHandler({
        ...api('environments-read'),
        ...ports('environments-read'),
      }),
      'environments-manage': createEnvironmentsManageHandler({
        ...api('environments-manage'),
        deps: {
          ...ports('environments-manage'),
          // The in-process runner's executions end with the environment (a stopped task ends them on ECS).
          ...(dataPlane.terminator === undefined ? {} : { executions: dataPlane.terminator }),
        },
      }),
      'environments-exec': createEnvironmentsExecHandler({
        ...api('environments-exec'),
        deps: {
          ...ports('environments-exec'),
          ...(dataPlane.syncWindowMs === undefined ? {} : { syncWindowMs: dataPlane.syncWindowMs }),
        },
      }),
      tasks: createTasksHandler({ ...api('tasks'), deps: ports('tasks') }),
      secrets: createSecretsHandler({ ...api('secrets'), deps: ports('secrets') }),
      admin: createAdminHandler({ ...api('admin'), deps: ports('admin') }),
      meta: createMetaHandler({
        logger: logger('meta'),
        version: options.version,
        docsAssets: options.docsAssets,
        probeDatabase: () => meta.access.ping(),
      }),
    },
    taskEvents: createTaskEventsHandler({ ...observed('task-events'), deps: ports('task-events') }),
    reconciler: createReconcilerHandler({
      ...observed('reconciler'),
      deps: {
        ...ports('reconciler'),
        config: options.reconcile,
        // Env files of environments never recorded are swept (local only: S3's lifecycle rule does it on AWS).
        ...(adapters.strayEnvFiles === undefined ? {} : { strayEnvFiles: adapters.strayEnvFiles }),
      },
    }),
    poolKeeper: createPoolKeeperHandler({ ...observed('pool-keeper'), deps: ports('pool-keeper') }),
    lifecycleChecks: createLifecycleChecksHandler({
      ...observed('lifecycle-checks'),
      deps: {
        ...ports('lifecycle-checks'),
        ...(adapters.launchPolicy === undefined ? {} : { launchPolicy: adapters.launchPolicy }),
      },
    }),
  };
};

const noNudge: PortBag['poolKeeper'] = { nudge: async () => undefined };

/** Locally commands run in-process (the data plane's dispatcher): no exec-worker, no runner. */
const noRunner: PortBag['runner'] = {
  exec: async () => {
    throw new Error('The local stack runs executions in-process; there is no exec-worker');
  },
};
