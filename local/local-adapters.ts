/**
 * The local stack's adapters: the runtime it picked (Docker or processes, behind the host
 * command gate), the AWS SDK configuration for DynamoDB Local (passed to each client, never set
 * in `process.env`), and the in-process stand-ins for SQS, EventBridge and the pool keeper's timer.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import Docker from 'dockerode';
import { dockerAnswers } from '#adapters/local/docker-driver';
import { DockerRuntime } from '#adapters/local/docker-runtime';
import type { TaskEventListener } from '#adapters/local/ecs-task-events';
import { gateHostCommands } from '#adapters/local/host-command-gate';
import type { LocalRuntime } from '#adapters/local/local-runtime';
import { ProcessRuntime } from '#adapters/local/process-runtime';
import type { ContainerRuntime } from '#ports/container-runtime';
import type { Log } from '#ports/log';
import type { LogLevel } from '#shared/observability';
import type { Handlers } from './compose.ts';
import { type Example, ExampleImagesError, prepareExampleImages } from './examples.ts';
import { LOCAL_ORG, type RuntimeChoice } from './local-names.ts';
import { sqsRecord } from './sqs-record.ts';

const repoRoot = fileURLToPath(new URL('..', import.meta.url));

/**
 * How every SDK client of the stack reaches DynamoDB Local. DynamoDB Local accepts any
 * credentials; fixed ones keep a developer's real ones out of it.
 */
export const localDynamoConfig = (endpoint: string): DynamoDBClientConfig => ({
  endpoint,
  region: process.env.AWS_REGION ?? 'us-east-1',
  credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
});

/** The handlers' log level: `POWERTOOLS_LOG_LEVEL` when set, else WARN. */
export const localLogLevel = (): LogLevel => {
  const level = process.env.POWERTOOLS_LOG_LEVEL?.toUpperCase();
  return level === 'DEBUG' || level === 'INFO' || level === 'WARN' || level === 'ERROR' ? level : 'WARN';
};

/**
 * Starts the runtime `name` (see {@link pickRuntime}) on `dataDir` and puts the host command gate in front of a
 * process runtime. `local` is the runtime itself (its exec, logs, recovery, shutdown);
 * `runtime` is the port the handlers launch through.
 */
export const startLocalRuntime = async (options: {
  readonly name: 'docker' | 'process';
  readonly dataDir: string;
  readonly onEvent: TaskEventListener;
  readonly log: Log;
  readonly allowHostCommands: boolean;
}): Promise<{ name: 'docker' | 'process'; local: LocalRuntime<unknown>; runtime: ContainerRuntime }> => {
  const { dataDir, name } = options;
  const runtimeOptions = {
    onEvent: options.onEvent,
    logDir: join(dataDir, 'logs'),
    // What the runtime started, so a restart after a crash adopts it or ends it.
    ledgerDir: join(dataDir, 'runtime'),
    // On every container (a label) or process (a variable): what a restart may end as its own.
    stack: await stackId(dataDir),
    log: options.log,
  };
  const local: LocalRuntime<unknown> =
    name === 'docker'
      ? new DockerRuntime(runtimeOptions)
      : new ProcessRuntime({
          ...runtimeOptions,
          // Example commands are relative to the repo root, wherever `taskenv dev` was started.
          cwd: repoRoot,
        });
  // The trust boundary: host processes only for the stack's own admins' tasks (or when allowed);
  // a container runs nothing on the host.
  const runtime =
    name === 'process'
      ? gateHostCommands(local, { trustedOrg: LOCAL_ORG, allowHostCommands: options.allowHostCommands })
      : local;
  return { name, local, runtime };
};

/**
 * The runtime `choice` names. Docker needs an engine, and the examples' images, built here when
 * missing so no request waits for a build: `docker` fails without either, `auto` falls back to
 * the process runtime with a one-line notice.
 */
export const pickRuntime = async (
  choice: RuntimeChoice,
  images: {
    readonly examples: readonly Example[];
    readonly busybox: string;
    readonly progress: (line: string) => void;
  },
): Promise<'docker' | 'process'> => {
  if (choice === 'process') return 'process';
  const docker = new Docker();
  if (!(await dockerAnswers(docker))) {
    if (choice === 'docker') {
      throw new Error(
        '--runtime docker: no Docker engine answers (DOCKER_HOST or /var/run/docker.sock); start dockerd or use --runtime process',
      );
    }
    images.progress(
      'runtime auto: no Docker engine answers (DOCKER_HOST or /var/run/docker.sock); using the process runtime',
    );
    return 'process';
  }
  try {
    await prepareExampleImages({ ...images, org: LOCAL_ORG, docker });
  } catch (error) {
    if (!(error instanceof ExampleImagesError)) throw error;
    if (choice === 'docker') {
      throw new Error(`--runtime docker: ${error.message}; or use --runtime process`, { cause: error });
    }
    images.progress(`runtime auto: ${error.message}; using the process runtime`);
    return 'process';
  }
  return 'docker';
};

/**
 * This data dir's id (`<dataDir>/stack-id`): the `taskenv.stack` label of its containers, the
 * `TASKENV_LOCAL_STACK` of its processes.
 */
const stackId = async (dataDir: string): Promise<string> => {
  const file = join(dataDir, 'stack-id');
  const existing = (await readFile(file, 'utf8').catch(() => '')).trim();
  if (/^[0-9a-f]{16}$/.test(existing)) return existing;
  const id = randomBytes(8).toString('hex');
  await writeFile(file, `${id}\n`, { mode: 0o600 });
  return id;
};

/** One queued check as the SQS event source hands it to the consumer. */
export const localSqsEvent = (check: unknown): Parameters<Handlers['lifecycleChecks']>[0] => ({
  Records: [
    sqsRecord({
      messageId: randomUUID(),
      body: check,
      sender: 'local',
      queueArn: 'arn:aws:sqs:local:000000000000:lifecycle-checks',
      region: 'local',
    }),
  ],
});

/**
 * Runs `task` one at a time. `run()` during a run schedules exactly one more run after it and
 * resolves when that one is done, so a nudge is never lost and runs never overlap.
 */
export const singleFlight = (task: () => Promise<void>, onError: (error: unknown) => void) => {
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
