/**
 * Builds every handler from one set of adapters, as the Lambda entries do one function at a
 * time. The local stack passes local adapters; the API tests pass the AWS adapters over mocked
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
  const metrics = (name: string) => createMetrics(name, options.observability);
  const api = (name: string) => ({
    logger: logger(name),
    metrics: metrics(name),
    ...(options.minClientVersion === undefined ? {} : { minClientVersion: options.minClientVersion }),
  });
  const { store, tasks, access, runtime, expiry, envFiles, publisher, checks, clock, poolStore } = adapters;
  const keeper = adapters.poolKeeper;
  const pools = keeper === undefined ? {} : { pools: { store: poolStore, keeper } };
  const noNudge: PoolKeeperTrigger = { nudge: async () => undefined };
  return {
    authorizer: createAuthorizerHandler({ access, logger: logger('authorizer') }),
    http: {
      'environments-create': createEnvironmentsCreateHandler({
        ...api('environments-create'),
        deps: { ...adapters, ...pools },
        idempotency: adapters.idempotency,
      }),
      'environments-read': createEnvironmentsReadHandler({ ...api('environments-read'), store }),
      'environments-manage': createEnvironmentsManageHandler({
        ...api('environments-manage'),
        deps: {
          store,
          access,
          runtime,
          expiry,
          envFiles,
          publisher,
          clock,
          ...(adapters.dataPlane.terminator === undefined
            ? {}
            : { executions: adapters.dataPlane.terminator }),
        },
      }),
      'environments-exec': createEnvironmentsExecHandler({
        ...api('environments-exec'),
        deps: {
          store,
          tasks,
          clock,
          ids: adapters.ids,
          tokens: adapters.executeTokens,
          ...adapters.dataPlane,
        },
      }),
      tasks: createTasksHandler({ ...api('tasks'), deps: { tasks, runtime, clock } }),
      secrets: createSecretsHandler({
        ...api('secrets'),
        deps: { metadata: adapters.secretMetadata, values: adapters.secretValues, clock },
      }),
      admin: createAdminHandler({
        ...api('admin'),
        deps: { pools: poolStore, tasks, access, runtime, keeper: keeper ?? noNudge, clock },
      }),
      meta: createMetaHandler({
        logger: logger('meta'),
        version: options.version,
        docsAssets: options.docsAssets,
        probeDatabase: () => access.ping(),
      }),
    },
    taskEvents: createTaskEventsHandler({
      deps: { store, addresses: adapters.addresses, publisher, envFiles, checks, clock, pools: poolStore },
      logger: logger('task-events'),
      metrics: metrics('task-events'),
    }),
    reconciler: createReconcilerHandler({
      deps: {
        store,
        runtime,
        addresses: adapters.addresses,
        envFiles,
        expiry,
        tasks,
        publisher,
        checks,
        clock,
        config: options.reconcile,
        pools: poolStore,
        ...(adapters.strayEnvFiles === undefined ? {} : { strayEnvFiles: adapters.strayEnvFiles }),
      },
      logger: logger('reconciler'),
      metrics: metrics('reconciler'),
    }),
    poolKeeper: createPoolKeeperHandler({
      deps: { pools: poolStore, tasks, runtime, clock, ids: adapters.ids },
      logger: logger('pool-keeper'),
      metrics: metrics('pool-keeper'),
    }),
    lifecycleChecks: createLifecycleChecksHandler({
      deps: {
        store,
        tasks,
        runtime,
        addresses: adapters.addresses,
        envFiles,
        expiry,
        publisher,
        checks,
        clock,
        ...(adapters.launchPolicy === undefined ? {} : { launchPolicy: adapters.launchPolicy }),
      },
      logger: logger('lifecycle-checks'),
      metrics: metrics('lifecycle-checks'),
    }),
  };
};
