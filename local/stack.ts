/**
 * The whole service on one machine: DynamoDB Local, the deployed handlers behind a local API
 * gateway, a local runtime (Docker or processes) feeding ECS-shaped events into the task-events handler, a timer
 * scheduler for expiry, and the reconciler on an interval.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { chmod, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import type { Duplex } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { parse as parseYaml } from 'yaml';
import { createDocumentClient } from '#adapters/aws/dynamodb/client';
import { dynamoStores } from '#adapters/aws/wiring';
import { dockerAnswers } from '#adapters/local/docker-driver';
import { DockerRuntime } from '#adapters/local/docker-runtime';
import { type DynamoDbLocal, ensureTables, startDynamoDbLocal } from '#adapters/local/dynamodb-local';
import type { TaskEventListener } from '#adapters/local/ecs-task-events';
import { gateHostCommands } from '#adapters/local/host-command-gate';
import { InProcessPublisher } from '#adapters/local/in-process-publisher';
import { LocalEnvFileStore } from '#adapters/local/local-env-file-store';
import { LocalExecuteTokens } from '#adapters/local/local-execute-tokens';
import { LocalExpiryScheduler } from '#adapters/local/local-expiry-scheduler';
import { LocalLifecycleQueue } from '#adapters/local/local-lifecycle-queue';
import type { LocalRuntime } from '#adapters/local/local-runtime';
import { LocalSecretValueStore } from '#adapters/local/local-secret-store';
import { LoopbackAddressResolver } from '#adapters/local/loopback-address-resolver';
import { ProcessRuntime } from '#adapters/local/process-runtime';
import { AlreadyExistsError, AuthenticationError } from '#domain/errors';
import { defaultOrgLimits } from '#domain/org';
import { generateApiKey, hashApiKey, type Principal } from '#domain/principal';
import { randomIds, systemClock } from '#ports/clock';
import type { CommandRunner } from '#ports/container-runtime';
import type { Log } from '#ports/log';
import { MAX_BODY_BYTES } from '#shared/http/http-function';
import { type HttpFunctionName, httpFunctionNames } from '#shared/routes';
import { authenticate } from '#use-cases/authenticate';
import type { ReconcileConfig } from '#use-cases/reconcile';
import { publishTask } from '#use-cases/tasks';
import { type Adapters, composeHandlers, type Handlers } from './compose.ts';
import { localDataPlane } from './data-plane.ts';
import { createGateway, lambdaContext, STAGE_THROTTLE, type Throttle } from './gateway.ts';

const require = createRequire(import.meta.url);
const repoRoot = fileURLToPath(new URL('..', import.meta.url));

export const LOCAL_ORG = 'local';
export const LOCAL_WORKSPACE = 'default';
export const LOCAL_TABLE = 'taskenv';
export const LOCAL_IDEMPOTENCY_TABLE = 'taskenv-idempotency';
export const DEFAULT_PORT = 8787;

/** `--runtime`: `auto` is Docker when an engine answers, else the process runtime. */
export const runtimeChoices = ['auto', 'docker', 'process'] as const;
export type RuntimeChoice = (typeof runtimeChoices)[number];

export interface LocalStackOptions {
  /** State that survives restarts: the DynamoDB files, the API key, secrets, env files, logs. */
  readonly dataDir: string;
  /**
   * Which local runtime runs the tasks. `taskenv dev` defaults to `auto`; here the default is
   * the process runtime, which needs nothing but Node. @default 'process'
   */
  readonly runtime?: RuntimeChoice;
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

/** The environment the handlers read on Lambda, pointed at the local emulator. */
const lambdaEnvironment = (endpoint: string): Record<string, string> => ({
  AWS_ENDPOINT_URL_DYNAMODB: endpoint,
  AWS_REGION: process.env.AWS_REGION ?? 'us-east-1',
  // DynamoDB Local accepts any credentials; fixed ones keep a developer's real ones out of it.
  AWS_ACCESS_KEY_ID: 'local',
  AWS_SECRET_ACCESS_KEY: 'local',
  TABLE_NAME: LOCAL_TABLE,
  IDEMPOTENCY_TABLE_NAME: LOCAL_IDEMPOTENCY_TABLE,
  POWERTOOLS_METRICS_DISABLED: 'true',
  POWERTOOLS_LOG_LEVEL: process.env.POWERTOOLS_LOG_LEVEL ?? 'WARN',
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
});

export const startLocalStack = async (options: LocalStackOptions): Promise<LocalStack> => {
  const log = options.log ?? ((line: string) => process.stdout.write(`${line}\n`));
  const dataDir = resolve(options.dataDir);
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const cleanups: (() => Promise<void>)[] = [];
  const stop = async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  };
  try {
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
    const ddb: DynamoDbLocal = await startDynamoDbLocal({
      dataDir: join(dataDir, 'dynamodb'),
      pidFile: join(dataDir, 'dynamodb.pid'),
      ...(options.dynamodbPort === undefined ? {} : { port: options.dynamodbPort }),
    });
    cleanups.push(() => ddb.stop());
    Object.assign(process.env, lambdaEnvironment(ddb.endpoint));
    await ensureTables(ddb.endpoint, { table: LOCAL_TABLE, idempotencyTable: LOCAL_IDEMPOTENCY_TABLE });

    const documentClient = createDocumentClient();
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
    const runtimeName = await pickRuntime(options.runtime ?? 'process');
    const runtimeOptions = {
      onEvent: options.decorate?.taskEvents?.(deliver) ?? deliver,
      logDir: join(dataDir, 'logs'),
      // What the runtime started, so a restart after a crash adopts it or ends it.
      ledgerDir: join(dataDir, 'runtime'),
      // On every container (a label) or process (a variable): what a restart may end as its own.
      stack: await stackId(dataDir),
      log: background,
    };
    const local: LocalRuntime<unknown> =
      runtimeName === 'docker'
        ? new DockerRuntime(runtimeOptions)
        : new ProcessRuntime({
            ...runtimeOptions,
            // Example commands are relative to the repo root, wherever `taskenv dev` was started.
            cwd: repoRoot,
          });
    cleanups.push(() => local.stopAll());
    // The trust boundary: host processes only for the stack's own admins' tasks (or when allowed);
    // a container runs nothing on the host.
    const runtime =
      runtimeName === 'process'
        ? gateHostCommands(local, {
            trustedOrg: LOCAL_ORG,
            allowHostCommands: options.allowHostCommands === true,
          })
        : local;
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
        awsSdkV3Client: new DynamoDBClient({}),
      }),
    };
    const adapters = options.decorate?.adapters?.(undecorated) ?? undecorated;
    const composed = composeHandlers(adapters, {
      version: packageVersion(),
      docsAssets: loadDocsAssets,
      // Locally a task starts in well under a second; give up on a launch after two minutes.
      reconcile: options.reconcile ?? { launchDeadlineSec: 120, maxLaunchAttempts: 3, graceSec: 10 },
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
    const publishedTasks = await publishExamples(
      options.examplesDir ?? join(repoRoot, 'examples/tasks'),
      adapters,
      log,
    );

    const gateway = createGateway({
      authorizer: composed.authorizer,
      handlers: composed.http,
      ...(options.throttle === null ? {} : { throttle: options.throttle ?? STAGE_THROTTLE }),
    });
    const invoke = localInvoker(composed, adapters.access);
    const server = createServer((req, res) => {
      void serve(gateway, invoke, req, res, log);
    });
    server.on('clientError', answerUnparsable);
    const port = await listen(server, options.port ?? DEFAULT_PORT);
    cleanups.push(() => close(server));
    const apiUrl = `http://127.0.0.1:${port}`;

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

/** The runtime `choice` names; `docker` fails when no engine answers. */
const pickRuntime = async (choice: RuntimeChoice): Promise<'docker' | 'process'> => {
  if (choice === 'process') return 'process';
  const engine = await dockerAnswers();
  if (choice === 'docker' && !engine) {
    throw new Error(
      '--runtime docker: no Docker engine answers (DOCKER_HOST or /var/run/docker.sock); start dockerd or use --runtime process',
    );
  }
  return engine ? 'docker' : 'process';
};

/** This data dir's id (`<dataDir>/stack-id`): the `taskenv.stack` label of its containers, `TASKENV_LOCAL_STACK` of its processes. */
const stackId = async (dataDir: string): Promise<string> => {
  const file = join(dataDir, 'stack-id');
  const existing = (await readFile(file, 'utf8').catch(() => '')).trim();
  if (/^[0-9a-f]{16}$/.test(existing)) return existing;
  const id = randomBytes(8).toString('hex');
  await writeFile(file, `${id}\n`, { mode: 0o600 });
  return id;
};

/** Reuses the key in `<dataDir>/api-key` while it is still valid; else issues and writes a new one. */
const ensureAdminKey = async (dataDir: string, access: Adapters['access']): Promise<string> => {
  const file = join(dataDir, 'api-key');
  await access.putOrg({
    org: LOCAL_ORG,
    ...defaultOrgLimits,
    createdAt: new Date().toISOString(),
  });
  const existing = (await readFile(file, 'utf8').catch(() => '')).trim();
  if (existing !== '') {
    const record = await access.getApiKey(hashApiKey(existing));
    if (record !== null && !record.revoked) return existing;
  }
  const generated = generateApiKey();
  await access.putApiKey({
    keyHash: generated.keyHash,
    keyId: generated.keyId,
    org: LOCAL_ORG,
    role: 'admin',
    workspaces: ['*'],
    createdAt: new Date().toISOString(),
    revoked: false,
  });
  await writeFile(file, `${generated.key}\n`, { mode: 0o600 });
  await chmod(file, 0o600);
  return generated.key;
};

/** Publishes every `examples/tasks/<dir>/task.yaml` not yet published (versions are immutable). */
const publishExamples = async (
  dir: string,
  adapters: Adapters,
  log: (line: string) => void,
): Promise<string[]> => {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  const published: string[] = [];
  for (const entry of entries.filter((e) => e.isDirectory()).sort((a, b) => a.name.localeCompare(b.name))) {
    const text = await readFile(join(dir, entry.name, 'task.yaml'), 'utf8').catch(() => null);
    if (text === null) continue;
    try {
      const record = await publishTask(
        {
          principal: { keyId: 'local-seed', org: LOCAL_ORG, role: 'admin', workspaces: ['*'] },
          org: LOCAL_ORG,
          manifest: parseYaml(text),
        },
        adapters,
      );
      published.push(`${record.name}@${record.version}`);
    } catch (error) {
      if (error instanceof AlreadyExistsError) continue;
      log(
        `examples: ${entry.name}/task.yaml was not published: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  }
  return published;
};

/**
 * What the server reads of a body before it gives up: the API's limit plus room for the
 * handler to answer a body just over it with its own 400. Anything larger is dropped unread,
 * before authentication, rather than buffered.
 */
const MAX_REQUEST_BYTES = MAX_BODY_BYTES + 16 * 1024;

/** One queued check as the SQS event source hands it to the consumer. */
const localSqsEvent = (check: unknown): Parameters<Handlers['lifecycleChecks']>[0] => ({
  Records: [
    {
      messageId: randomUUID(),
      receiptHandle: 'local',
      body: JSON.stringify(check),
      attributes: {
        ApproximateReceiveCount: '1',
        SentTimestamp: String(Date.now()),
        SenderId: 'local',
        ApproximateFirstReceiveTimestamp: String(Date.now()),
      },
      messageAttributes: {},
      md5OfBody: '',
      eventSource: 'aws:sqs',
      eventSourceARN: 'arn:aws:sqs:local:000000000000:lifecycle-checks',
      awsRegion: 'local',
    },
  ],
});

/** Functions `taskenv dev invoke` can run, by the names of `functions/`. */
export const invocableFunctions = [
  ...httpFunctionNames,
  'authorizer',
  'task-events',
  'reconciler',
  'pool-keeper',
] as const;
type Invoker = (fn: string, event: unknown) => Promise<unknown>;

/** The refusal of an invocation: status and envelope. */
class InvokeRefused extends Error {
  constructor(
    readonly status: 401 | 403,
    readonly type: 'authentication_error' | 'permission_error',
    detail: string,
  ) {
    super(detail);
  }
}

/**
 * Runs one handler inside the running stack with a given event (`taskenv dev invoke`), so it
 * shares the stack's runtime, tables and timers, as `sam local invoke` runs a function with the
 * deployed configuration. Every call authenticates its key against the access store (a revoked
 * key is a 401) and needs an admin key. An HTTP function runs as the caller: whatever principal
 * the event claims is replaced by the caller's, so it never acts for another org. The system
 * functions (task events, the reconciler) act on every org's environments: only an admin key of
 * the stack's own org may run them.
 */
const localInvoker =
  (handlers: Handlers, access: Adapters['access']) =>
  async (authorization: string | undefined): Promise<Invoker> => {
    let principal: Principal;
    try {
      principal = await authenticate(authorization, { access });
    } catch (error) {
      // Only a refused key is a 401; a store that cannot be reached is the caller's 500.
      if (error instanceof AuthenticationError) {
        throw new InvokeRefused(401, 'authentication_error', 'Authentication failed');
      }
      throw error;
    }
    if (principal.role !== 'admin') {
      throw new InvokeRefused(403, 'permission_error', 'dev invoke needs an admin API key');
    }
    return async (fn, event) => {
      const context = lambdaContext(fn);
      const system = fn === 'task-events' || fn === 'reconciler';
      if (system && principal.org !== LOCAL_ORG) {
        throw new InvokeRefused(
          403,
          'permission_error',
          `${fn} acts on every org: it needs an admin key of org '${LOCAL_ORG}'`,
        );
      }
      if (fn === 'task-events') return (await handlers.taskEvents(event, context)) ?? null;
      if (fn === 'reconciler') return handlers.reconciler(event, context);
      if (fn === 'pool-keeper') return handlers.poolKeeper(event, context);
      if (fn === 'authorizer') return handlers.authorizer(event as Parameters<Handlers['authorizer']>[0]);
      const http = handlers.http[fn as HttpFunctionName];
      if (http === undefined)
        throw new Error(`Unknown function '${fn}'; one of: ${invocableFunctions.join(', ')}`);
      return http(asCaller(event, principal) as Parameters<typeof http>[0], context);
    };
  };

/** The proxy event with the caller as its authorizer context, as the deployed authorizer sets it. */
const asCaller = (event: unknown, principal: Principal): unknown => {
  const proxy = typeof event === 'object' && event !== null ? (event as Record<string, unknown>) : {};
  const requestContext =
    typeof proxy.requestContext === 'object' && proxy.requestContext !== null
      ? (proxy.requestContext as Record<string, unknown>)
      : {};
  return {
    ...proxy,
    requestContext: {
      ...requestContext,
      authorizer: {
        keyId: principal.keyId,
        org: principal.org,
        role: principal.role,
        workspaces: JSON.stringify(principal.workspaces),
      },
    },
  };
};

const INVOKE_PATH = /^\/_local\/invoke\/([a-z-]+)$/;

const serve = async (
  gateway: ReturnType<typeof createGateway>,
  invoker: ReturnType<typeof localInvoker>,
  req: IncomingMessage,
  res: ServerResponse,
  log: (line: string) => void,
): Promise<void> => {
  const started = performance.now();
  const url = targetUrl(req.url);
  let status = 500;
  try {
    const body = await readBody(req);
    if (url === null) {
      status = 400;
      res.writeHead(400, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({ code: 400, detail: 'Malformed request target', type: 'invalid_request_error' }),
      );
      return;
    }
    const invokeMatch = req.method === 'POST' ? INVOKE_PATH.exec(url.pathname) : null;
    if (invokeMatch?.[1] !== undefined) {
      status = await serveInvoke(() => invoker(req.headers.authorization), invokeMatch[1], body, res);
      return;
    }
    const response = await gateway.handle({
      method: req.method ?? 'GET',
      path: url.pathname,
      query: url.searchParams,
      headers: Object.fromEntries(
        Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : v]),
      ),
      body: body === null ? null : body.toString('utf8'),
    });
    status = response.statusCode;
    res.writeHead(status, response.headers);
    res.end(response.body);
  } catch {
    // Only a body over the gateway limit or a broken connection lands here.
    status = 400;
    res.writeHead(400, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify({ code: 400, detail: 'Request body is too large', type: 'invalid_request_error' }),
    );
  } finally {
    log(`${req.method} ${url?.pathname ?? req.url} ${status} ${(performance.now() - started).toFixed(0)}ms`);
  }
};

/**
 * The request target as a URL. An origin-form target is a path even when it starts with `//`
 * (`new URL('//', base)` would read a host there, and throw on an empty one); any other form
 * that does not parse is null.
 */
const targetUrl = (target: string | undefined): URL | null => {
  const raw = target ?? '/';
  try {
    return new URL(raw.startsWith('/') ? `http://127.0.0.1${raw}` : raw);
  } catch {
    return null;
  }
};

const serveInvoke = async (
  authorize: () => Promise<Invoker>,
  fn: string,
  body: Buffer | null,
  res: ServerResponse,
): Promise<number> => {
  const reply = (status: number, payload: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(payload));
    return status;
  };
  const refused = (error: unknown) => {
    if (error instanceof InvokeRefused) {
      return reply(error.status, { code: error.status, detail: error.message, type: error.type });
    }
    return reply(500, { code: 500, detail: 'Internal server error', type: 'internal_error' });
  };
  let invoke: Invoker;
  try {
    invoke = await authorize();
  } catch (error) {
    return refused(error);
  }
  let event: unknown;
  try {
    event = JSON.parse(body?.toString('utf8') ?? 'null');
  } catch {
    return reply(400, { code: 400, detail: 'The event is not valid JSON', type: 'invalid_request_error' });
  }
  try {
    return reply(200, { result: (await invoke(fn, event)) ?? null });
  } catch (error) {
    if (error instanceof InvokeRefused) return refused(error);
    // Like `sam local invoke`: a failed invocation reports its error, it is not a server fault.
    return reply(200, {
      error: {
        name: error instanceof Error ? error.name : 'Error',
        message: error instanceof Error ? error.message : String(error),
      },
    });
  }
};

/**
 * The body, or a rejection once it is over the limit. The rest of an oversized body is read and
 * dropped rather than cut off: a client still sending would see a reset connection instead of
 * its 400.
 */
const readBody = (req: IncomingMessage): Promise<Buffer | null> =>
  new Promise((resolveBody, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_REQUEST_BYTES) chunks.push(chunk);
    });
    req.on('end', () => {
      if (size > MAX_REQUEST_BYTES) reject(new Error('too large'));
      else resolveBody(chunks.length === 0 ? null : Buffer.concat(chunks));
    });
    req.on('error', reject);
  });

/**
 * Requests Node's parser refuses (an unknown method, a broken request line or header) never
 * reach `serve`; they get the envelope too, as every other error does, instead of Node's bare 400.
 */
const answerUnparsable = (_error: Error, socket: Duplex): void => {
  if (!socket.writable) return;
  const body = JSON.stringify({ code: 400, detail: 'Malformed HTTP request', type: 'invalid_request_error' });
  socket.end(
    `HTTP/1.1 400 Bad Request\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
  );
};

const listen = (server: Server, port: number): Promise<number> =>
  new Promise((resolveListen, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      const address = server.address();
      resolveListen(typeof address === 'object' && address !== null ? address.port : port);
    });
  });

const close = (server: Server): Promise<void> =>
  new Promise((resolveClose) => {
    server.close(() => resolveClose());
    server.closeAllConnections();
  });

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

/**
 * Runs `task` one at a time. `run()` during a run schedules exactly one more run after it and
 * resolves when that one is done, so a nudge is never lost and runs never overlap.
 */
const singleFlight = (task: () => Promise<void>, onError: (error: unknown) => void) => {
  let current: Promise<void> | null = null;
  let next: Promise<void> | null = null;
  let closed = false;
  const start = (): Promise<void> => {
    const running = (async () => {
      try {
        if (!closed) await task();
      } catch (error) {
        onError(error);
      }
    })().finally(() => {
      if (current === running) current = null;
    });
    current = running;
    return running;
  };
  return {
    run: (): Promise<void> => {
      if (current === null) return start();
      if (next === null) {
        next = current.then(() => {
          next = null;
          return start();
        });
      }
      return next;
    },
    close: () => {
      closed = true;
    },
    idle: async () => {
      await next;
      await current;
    },
  };
};
