import { mkdir, readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createDocumentClient } from '#adapters/aws/dynamodb/client';
import { dynamoStores } from '#adapters/aws/wiring';
import { type DynamoDbLocal, ensureTables, startDynamoDbLocal } from '#adapters/local/dynamodb-local';
import type { TaskEventListener } from '#adapters/local/ecs-task-events';
import { InProcessPublisher } from '#adapters/local/in-process-publisher';
import { LocalEnvFileStore } from '#adapters/local/local-env-file-store';
import { LocalExecuteTokens } from '#adapters/local/local-execute-tokens';
import { LocalExpiryScheduler } from '#adapters/local/local-expiry-scheduler';
import { LocalLifecycleQueue } from '#adapters/local/local-lifecycle-queue';
import { LocalSecretValueStore } from '#adapters/local/local-secret-store';
import { LoopbackAddressResolver } from '#adapters/local/loopback-address-resolver';
import { randomIds, systemClock } from '#ports/clock';
import type { CommandRunner } from '#ports/container-runtime';
import type { Log } from '#ports/log';
import type { ReconcileConfig } from '#use-cases/reconcile';
import { type Adapters, composeHandlers, type Handlers } from './compose.ts';
import { localDataPlane } from './data-plane.ts';
import { defaultBusybox, readExamples } from './examples.ts';
import { createGateway, lambdaContext, STAGE_THROTTLE, type Throttle } from './gateway.ts';
import { localInvoker } from './invoke.ts';
import {
  localDynamoConfig,
  localLogLevel,
  localSqsEvent,
  pickRuntime,
  singleFlight,
  startLocalRuntime,
} from './local-adapters.ts';
import {
  LOCAL_IDEMPOTENCY_TABLE,
  LOCAL_ORG,
  LOCAL_TABLE,
  LOCAL_WORKSPACE,
  type RuntimeChoice,
} from './local-names.ts';
import { ensureAdminKey, publishExamples } from './seed.ts';
import { startServer } from './server.ts';

const require = createRequire(import.meta.url);
const repoRoot = fileURLToPath(new URL('..', import.meta.url));

export { invocableFunctions } from './invoke.ts';
export {
  LOCAL_IDEMPOTENCY_TABLE,
  LOCAL_ORG,
  LOCAL_TABLE,
  LOCAL_WORKSPACE,
  type RuntimeChoice,
  runtimeChoices,
} from './local-names.ts';
export const DEFAULT_PORT = 8787;

export interface LocalStackOptions {
  /** State that survives restarts: the DynamoDB files, the API key, secrets, env files, logs. */
  readonly dataDir: string;
  /**
   * Which local runtime runs the tasks. `taskenv dev` defaults to `auto`; here the default is
   * the process runtime, which needs nothing but Node. With Docker, the examples' images are
   * built at start when missing. @default 'process'
   */
  readonly runtime?: RuntimeChoice;
  /** The static busybox the examples' `FROM scratch` images get. @default TASKENV_BUSYBOX, else /bin/busybox */
  readonly busybox?: string;
  /** API port; 0 picks a free one. @default 8787 */
  readonly port?: number;
  /** DynamoDB Local port; a free one when absent. */
  readonly dynamodbPort?: number;
  /** Folder of example tasks published at start. @default examples/tasks */
  readonly examplesDir?: string;
  /** @default 30000 */
  readonly reconcileIntervalMs?: number;
  /** The pool keeper's timer (it also runs when nudged: after a claim, a PUT of a pool). @default 60000 */
  readonly poolKeeperIntervalMs?: number;
  /** Where request and lifecycle lines go. */
  readonly log?: (line: string) => void;
  /** Where start-up lines go: image builds, the runtime `auto` picked and why. @default log */
  readonly progress?: (line: string) => void;
  /**
   * Run the `local.command` of every task as a host process, whoever published it. Off: only
   * tasks published by an admin key of org `local` run on the host (`docs/security.md`).
   * @default false
   */
  readonly allowHostCommands?: boolean;
  /**
   * When the reconciler gives up on a launch and leaves young environments alone.
   * @default { launchDeadlineSec: 120, maxLaunchAttempts: 3, graceSec: 10 }
   */
  readonly reconcile?: ReconcileConfig;
  /** How long POST execute waits before answering 202. @default 20000 */
  readonly syncWindowMs?: number;
  /**
   * Decorators applied before the handlers are built, so a test can put faults between the
   * deployed handlers and the ports (the chaos run) without a branch in production code.
   * Absent in normal use.
   */
  readonly decorate?: LocalStackDecorators;
  /** Per-key request rate of the gateway; default the deployed stage's, null for none. */
  readonly throttle?: Throttle | null;
  /**
   * How long the gateway keeps an authorizer result per `Authorization` header, as API Gateway
   * does (the deployed default is 300 s). @default 0: every request asks the authorizer, so a
   * revoked key is refused at once.
   */
  readonly authorizerCacheTtlMs?: number;
}

export interface LocalStackDecorators {
  /** Wraps the adapters every handler, the expiry timers and the reconciler use. */
  readonly adapters?: (adapters: Adapters) => Adapters;
  /** Wraps the delivery of the runtime's ECS-shaped events into the task-events handler (the "bus"). */
  readonly taskEvents?: (deliver: TaskEventListener) => TaskEventListener;
}

export interface LocalStack {
  readonly apiUrl: string;
  readonly apiKey: string;
  readonly org: string;
  readonly workspace: string;
  readonly dynamodbEndpoint: string;
  readonly tableName: string;
  readonly dataDir: string;
  /** The runtime the stack picked: `docker` or `process`. */
  readonly runtime: 'docker' | 'process';
  /** What it found of a previous run on this data dir: tasks adopted, tasks ended. */
  readonly recovered: { readonly adopted: number; readonly ended: number };
  readonly handlers: Handlers;
  /** The runtime's own exec, under the data plane (the execute benchmark's baseline). */
  readonly commands: CommandRunner;
  readonly publishedTasks: readonly string[];
  /** Whether every task's `local.command` runs on the host (`--allow-host-commands`). */
  readonly allowHostCommands: boolean;
  /** Runs the reconciler once now. */
  reconcile(): Promise<Record<string, number>>;
  /** Runs the pool keeper once now (after any run in progress). */
  keepPools(): Promise<void>;
  stop(): Promise<void>;
}

export const startLocalStack = async (options: LocalStackOptions): Promise<LocalStack> => {
  const log = options.log ?? ((line: string) => process.stdout.write(`${line}\n`));
  const progress = options.progress ?? log;
  const dataDir = resolve(options.dataDir);
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const cleanups: (() => Promise<void>)[] = [];
  // Once: a second stop (Ctrl-C twice, a test's cleanup after the test stopped it) waits for the first.
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
    })();
    return stopping;
  };
  try {
    const examples = await readExamples(options.examplesDir ?? join(repoRoot, 'examples/tasks'));
    for (const problem of examples.problems) {
      log(`examples: ${problem.dir}/task.yaml was not published: ${problem.message}`);
    }
    // The runtime (and, for Docker, the examples' images) while DynamoDB Local starts.
    const picking = pickRuntime(options.runtime ?? 'process', {
      examples: examples.examples,
      busybox: options.busybox ?? defaultBusybox(),
      progress,
    });
    // Awaited below; until then a failure must not surface as an unhandled rejection.
    picking.catch(() => undefined);
    const ddb: DynamoDbLocal = await startDynamoDbLocal({
      dataDir: join(dataDir, 'dynamodb'),
      pidFile: join(dataDir, 'dynamodb.pid'),
      ...(options.dynamodbPort === undefined ? {} : { port: options.dynamodbPort }),
    });
    cleanups.push(() => ddb.stop());
    const dynamo = localDynamoConfig(ddb.endpoint);
    await ensureTables(ddb.endpoint, { table: LOCAL_TABLE, idempotencyTable: LOCAL_IDEMPOTENCY_TABLE });

    const documentClient = createDocumentClient(dynamo);
    const stores = dynamoStores(documentClient, { TABLE_NAME: LOCAL_TABLE });
    const background: Log = {
      debug: () => undefined,
      info: () => undefined,
      warn: (message, ...attrs) => log(`warn: ${message} ${attrs.map((a) => JSON.stringify(a)).join(' ')}`),
      error: (message, ...attrs) => log(`error: ${message} ${attrs.map((a) => JSON.stringify(a)).join(' ')}`),
    };
    let handlers: Handlers | null = null;
    const deliver: TaskEventListener = async (event) => {
      if (handlers === null) return;
      await handlers.taskEvents(event, lambdaContext('task-events'));
    };
    const {
      name: runtimeName,
      local,
      runtime,
    } = await startLocalRuntime({
      name: await picking,
      dataDir,
      onEvent: options.decorate?.taskEvents?.(deliver) ?? deliver,
      log: background,
      allowHostCommands: options.allowHostCommands === true,
    });
    cleanups.push(() => local.stopAll());
    // Expiry stops go through the (possibly decorated) runtime port, as every other stop does.
    const expiry = new LocalExpiryScheduler({
      stop: (arn, reason) => adapters.runtime.stop(arn, reason),
      log: background,
    });
    cleanups.push(async () => expiry.dispose());
    // The keeper runs one at a time, as the deployed function (reserved concurrency 1) does: a
    // nudge during a run asks for one more run after it.
    const keeper = singleFlight(
      async () => {
        if (handlers === null) return;
        await handlers.poolKeeper({}, lambdaContext('pool-keeper', 60_000));
      },
      (error) => log(`pool keeper: ${error instanceof Error ? error.message : String(error)}`),
    );

    const publisher = new InProcessPublisher({
      onEvent: (e) =>
        log(
          `event  ${e.environment_id} ${e.previous_state ?? '-'} → ${e.state}${e.error ? ` (${e.error})` : ''}`,
        ),
    });
    const dataPlane = localDataPlane({
      client: documentClient,
      tableName: LOCAL_TABLE,
      // The runtime itself: the gate decides what launches, and only a launched task can be run in.
      runtime: local,
      verifiedEvents: publisher,
      clock: systemClock,
      ...(options.syncWindowMs === undefined ? {} : { syncWindowMs: options.syncWindowMs }),
      onError: (error) => background.error('Execution failed', { error: String(error) }),
    });
    cleanups.push(() => dataPlane.dispatcher.endAll());
    // Launch retries and readiness checks, through the deployed queue consumer. The process
    // runtime refuses no launch "for now" and probes before RUNNING, so locally the queue
    // carries checks only when a decorated runtime (the tests') asks for them.
    const checks = new LocalLifecycleQueue({
      deliver: async (check) => {
        if (handlers === null) return;
        const { batchItemFailures } = await handlers.lifecycleChecks(
          localSqsEvent(check),
          lambdaContext('lifecycle-checks'),
        );
        if (batchItemFailures.length > 0) throw new Error('lifecycle check failed (see the log above)');
      },
      log: background,
    });
    cleanups.push(async () => checks.dispose());
    const envFiles = new LocalEnvFileStore({ dir: join(dataDir, 'env') });
    const undecorated: Adapters = {
      ...stores,
      poolKeeper: {
        nudge: async () => {
          void keeper.run();
        },
      },
      secretValues: new LocalSecretValueStore({ file: join(dataDir, 'secrets.json') }),
      envFiles,
      // The reconciler sweeps the files of environments that were never recorded.
      strayEnvFiles: envFiles,
      runtime,
      expiry,
      publisher,
      dataPlane,
      addresses: new LoopbackAddressResolver(),
      checks,
      clock: systemClock,
      ids: randomIds,
      executeTokens: new LocalExecuteTokens({ file: join(dataDir, 'execute-token.key') }),
      idempotency: new DynamoDBPersistenceLayer({
        tableName: LOCAL_IDEMPOTENCY_TABLE,
        awsSdkV3Client: new DynamoDBClient(dynamo),
      }),
    };
    const adapters = options.decorate?.adapters?.(undecorated) ?? undecorated;
    const composed = composeHandlers(adapters, {
      version: packageVersion(),
      docsAssets: loadDocsAssets,
      // Locally a task starts in well under a second; give up on a launch after two minutes.
      reconcile: options.reconcile ?? { launchDeadlineSec: 120, maxLaunchAttempts: 3, graceSec: 10 },
      // No CloudWatch to read EMF, and the handlers' own lines only above WARN unless asked.
      observability: { logLevel: localLogLevel(), metrics: false },
    });
    handlers = composed;
    // Before anything launches: adopt what a crashed run left running, end the rest.
    const recovered = await local.recover();
    if (recovered.adopted + recovered.ended > 0) {
      log(
        `runtime: adopted ${recovered.adopted} running task(s) of the previous run, ended ${recovered.ended}`,
      );
    }

    const apiKey = await ensureAdminKey(dataDir, stores.access);
    const publishedTasks = await publishExamples(examples.examples, adapters, log);

    const gateway = createGateway({
      authorizer: composed.authorizer,
      handlers: composed.http,
      ...(options.throttle === null ? {} : { throttle: options.throttle ?? STAGE_THROTTLE }),
      ...(options.authorizerCacheTtlMs === undefined
        ? {}
        : { authorizerCacheTtlMs: options.authorizerCacheTtlMs }),
    });
    const invoke = localInvoker(composed, adapters.access);
    const server = await startServer(gateway, invoke, options.port ?? DEFAULT_PORT, log);
    cleanups.push(() => server.close());
    const apiUrl = `http://127.0.0.1:${server.port}`;

    const reconcile = async () => composed.reconciler({}, lambdaContext('reconciler', 60_000));
    const timer = setInterval(() => {
      reconcile().catch((error: unknown) =>
        log(`reconciler: ${error instanceof Error ? error.message : String(error)}`),
      );
    }, options.reconcileIntervalMs ?? 30_000);
    timer.unref();
    cleanups.push(async () => clearInterval(timer));
    const keeperTimer = setInterval(() => void keeper.run(), options.poolKeeperIntervalMs ?? 60_000);
    keeperTimer.unref();
    cleanups.push(async () => {
      clearInterval(keeperTimer);
      keeper.close();
      await keeper.idle();
    });
    // Environments left live by a previous run lost their processes with it: settle them now.
    await reconcile().catch(() => undefined);
    void keeper.run();

    return {
      apiUrl,
      apiKey,
      org: LOCAL_ORG,
      workspace: LOCAL_WORKSPACE,
      dynamodbEndpoint: ddb.endpoint,
      tableName: LOCAL_TABLE,
      dataDir,
      runtime: runtimeName,
      recovered,
      handlers: composed,
      commands: local,
      publishedTasks,
      allowHostCommands: options.allowHostCommands === true,
      reconcile,
      keepPools: () => keeper.run(),
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
};

const loadDocsAssets = async () => {
  const dir = join(require.resolve('swagger-ui-dist/package.json'), '..');
  const [script, stylesheet] = await Promise.all([
    readFile(join(dir, 'swagger-ui-bundle.js'), 'utf8'),
    readFile(join(dir, 'swagger-ui.css'), 'utf8'),
  ]);
  return { script, stylesheet };
};

const packageVersion = (): string => {
  const pkg = require('../package.json') as { version?: unknown };
  return typeof pkg.version === 'string' ? pkg.version : '0.0.0';
};
