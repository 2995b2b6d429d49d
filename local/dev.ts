/**
 * `taskenv dev` (= `npm start`): runs the local stack until Ctrl-C, and
 * `taskenv dev invoke <function> --event <file.json>`: runs one handler once inside it.
 */
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { JavaMissingError } from '#adapters/local/dynamodb-local';
import {
  DEFAULT_PORT,
  invocableFunctions,
  type LocalStack,
  type RuntimeChoice,
  runtimeChoices,
  startLocalStack,
} from './stack.ts';

export const DEFAULT_DATA_DIR = '.taskenv';

const USAGE = `Usage:
  taskenv dev [--port 8787] [--data-dir .taskenv] [--dynamodb-port N] [--runtime auto|docker|process]
              [--allow-host-commands] [--quiet]
  taskenv dev invoke <function> --event <file.json> [--data-dir .taskenv]

  --allow-host-commands  run every task's local.command on this host, not only the tasks an
                         admin key of org 'local' published (see docs/security.md)

--runtime (or TASKENV_RUNTIME): auto (default) runs tasks in Docker containers when a Docker
engine answers (the example tasks' images are built at start from examples/tasks/*/image with
the host's static busybox), else as host processes (each service's local.command); docker
insists on containers, process on host processes.

Functions: ${invocableFunctions.join(', ')}`;

/** What a running stack writes so `dev invoke` (and tools) can find it. */
const stackFileSchema = z.object({ apiUrl: z.string(), pid: z.number() });

export const runDev = async (argv: string[]): Promise<number> => {
  if (argv[0] === 'invoke') return runInvoke(argv.slice(1));
  let values: {
    port?: string;
    'data-dir'?: string;
    'dynamodb-port'?: string;
    'allow-host-commands'?: boolean;
    runtime?: string;
    quiet?: boolean;
    help?: boolean;
  };
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        port: { type: 'string' },
        'data-dir': { type: 'string' },
        'dynamodb-port': { type: 'string' },
        'allow-host-commands': { type: 'boolean' },
        runtime: { type: 'string' },
        quiet: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }));
  } catch (error) {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n${USAGE}\n`);
    return 2;
  }
  if (values.help === true) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const port = portOption(values.port, DEFAULT_PORT);
  const dynamodbPort =
    values['dynamodb-port'] === undefined ? undefined : portOption(values['dynamodb-port'], 0);
  if (port === null || dynamodbPort === null) {
    process.stderr.write(`--port and --dynamodb-port take a port number (0-65535)\n${USAGE}\n`);
    return 2;
  }
  const runtime = values.runtime ?? process.env.TASKENV_RUNTIME ?? 'auto';
  if (!isRuntimeChoice(runtime)) {
    process.stderr.write(`--runtime takes one of ${runtimeChoices.join(', ')}; got '${runtime}'\n${USAGE}\n`);
    return 2;
  }
  const dataDir = resolve(values['data-dir'] ?? process.env.TASKENV_DATA_DIR ?? DEFAULT_DATA_DIR);
  const quiet = values.quiet === true;

  process.stderr.write(`Starting taskenv (DynamoDB Local, API, runtime ${runtime})…\n`);
  // This command's own process: the SDK's notice about Node 22 is known (README) and only noise here.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  let stack: LocalStack;
  try {
    stack = await startLocalStack({
      dataDir,
      port,
      runtime,
      ...(dynamodbPort === undefined ? {} : { dynamodbPort }),
      allowHostCommands: values['allow-host-commands'] === true,
      log: (line) => {
        if (!quiet) process.stdout.write(`${line}\n`);
      },
      // Image builds and the runtime auto picked: shown even with --quiet, as the start line is.
      progress: (line) => process.stderr.write(`${line}\n`),
    });
  } catch (error) {
    process.stderr.write(`error: ${startError(error, port)}\n`);
    return 1;
  }
  const stackFile = join(dataDir, 'stack.json');
  await writeFile(stackFile, JSON.stringify({ apiUrl: stack.apiUrl, pid: process.pid }), { mode: 0o600 });
  process.stdout.write(banner(stack));

  return new Promise<number>((resolveExit) => {
    let stopping = false;
    const shutdown = (signal: string) => {
      // A Ctrl-C reaches every process of the terminal's group: under `npm start` this one
      // gets it from the terminal and again from its parents. Only the first one counts; the
      // others must not end the process (Node's default) halfway through the shutdown.
      if (stopping) return;
      stopping = true;
      process.stderr.write(`\n${signal}: stopping environments, the API and DynamoDB Local…\n`);
      void stack
        .stop()
        .catch((error: unknown) =>
          process.stderr.write(
            `error while stopping: ${error instanceof Error ? error.message : String(error)}\n`,
          ),
        )
        .then(() => rm(stackFile, { force: true }))
        .then(() => {
          process.removeListener('SIGINT', onSigint);
          process.removeListener('SIGTERM', onSigterm);
          resolveExit(0);
        });
    };
    const onSigint = () => shutdown('SIGINT');
    const onSigterm = () => shutdown('SIGTERM');
    process.on('SIGINT', onSigint);
    process.on('SIGTERM', onSigterm);
  });
};

const isRuntimeChoice = (value: string): value is RuntimeChoice =>
  (runtimeChoices as readonly string[]).includes(value);

const portOption = (value: string | undefined, fallback: number): number | null => {
  if (value === undefined) return fallback;
  const port = Number(value);
  return Number.isInteger(port) && port >= 0 && port <= 65535 ? port : null;
};

const startError = (error: unknown, port: number): string => {
  if (error instanceof JavaMissingError) return error.message;
  if (error instanceof Error && 'code' in error && error.code === 'EADDRINUSE') {
    return `port ${port} is in use; pick another with --port (is another 'npm start' running?)`;
  }
  return error instanceof Error ? error.message : String(error);
};

const banner = (stack: LocalStack): string => {
  const url = `${stack.apiUrl}/api/v1/org/${stack.org}/ws/${stack.workspace}/environments`;
  return `
taskenv is running locally.

  API            ${stack.apiUrl}
  Runtime        ${runtimeLine(stack)}
  API key        ${stack.apiKey}
                 (also in ${join(stack.dataDir, 'api-key')})
  Org/workspace  ${stack.org} / ${stack.workspace}
  Docs           ${stack.apiUrl}/docs
  DynamoDB Local ${stack.dynamodbEndpoint}  table ${stack.tableName}
                 (e.g. aws dynamodb scan --table-name ${stack.tableName} --endpoint-url ${stack.dynamodbEndpoint})
                 WARNING: DynamoDB Local cannot bind one address: it listens on every interface
                 and accepts any credentials. Keep port ${new URL(stack.dynamodbEndpoint).port} unreachable from other hosts.
  Tasks          ${stack.publishedTasks.length > 0 ? stack.publishedTasks.join(', ') : 'examples already published'}
  Host commands  ${
    stack.allowHostCommands
      ? "EVERY task's local.command runs on this host as you (--allow-host-commands)"
      : "only tasks published by an admin key of org 'local' run on this host"
  }

Try it:

  curl --request POST \\
    --url ${url} \\
    --header 'Authorization: Bearer ${stack.apiKey}' \\
    --header 'Content-Type: application/json' \\
    --data '{ "inputs": { "name": "world" }, "project_id": "example", "task_ref": "hello-http", "timeout_sec": 600 }'

  then poll ${url}/<id>/status until "ready" and open service_urls.web.url.
  Or with the CLI: npx taskenv env create hello-http --input name=world --wait

Ctrl-C stops everything.
`;
};

const runtimeLine = (stack: LocalStack): string =>
  stack.runtime === 'docker'
    ? 'docker (one container per service, ports on 127.0.0.1; --runtime process for host processes)'
    : "process (each service's local.command as a host process; --runtime docker for containers)";

const runInvoke = async (argv: string[]): Promise<number> => {
  let parsed: { values: { event?: string; 'data-dir'?: string; help?: boolean }; positionals: string[] };
  try {
    parsed = parseArgs({
      args: argv,
      options: {
        event: { type: 'string' },
        'data-dir': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      allowPositionals: true,
      strict: true,
    });
  } catch (error) {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n${USAGE}\n`);
    return 2;
  }
  const [fn] = parsed.positionals;
  if (parsed.values.help === true) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (fn === undefined || parsed.values.event === undefined || parsed.positionals.length > 1) {
    process.stderr.write(`dev invoke needs one function and --event <file.json>\n${USAGE}\n`);
    return 2;
  }
  if (!(invocableFunctions as readonly string[]).includes(fn)) {
    process.stderr.write(`unknown function '${fn}'; one of: ${invocableFunctions.join(', ')}\n`);
    return 2;
  }
  const dataDir = resolve(parsed.values['data-dir'] ?? process.env.TASKENV_DATA_DIR ?? DEFAULT_DATA_DIR);
  const stackText = await readFile(join(dataDir, 'stack.json'), 'utf8').catch(() => null);
  const key = (await readFile(join(dataDir, 'api-key'), 'utf8').catch(() => '')).trim();
  const stack = stackText === null ? null : stackFileSchema.safeParse(JSON.parse(stackText));
  if (stack === null || !stack.success || key === '') {
    process.stderr.write(`no running local stack found in ${dataDir}; start it with 'npm start'\n`);
    return 1;
  }
  let event: string;
  try {
    event = await readFile(parsed.values.event, 'utf8');
    JSON.parse(event);
  } catch (error) {
    process.stderr.write(
      `cannot read the event: ${error instanceof Error ? error.message : String(error)}\n`,
    );
    return 2;
  }
  let response: Response;
  try {
    response = await fetch(`${stack.data.apiUrl}/_local/invoke/${fn}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: event,
    });
  } catch {
    process.stderr.write(`cannot reach ${stack.data.apiUrl}; is 'npm start' still running?\n`);
    return 1;
  }
  const payload = (await response.json()) as { result?: unknown; error?: { name: string; message: string } };
  if (payload.error !== undefined) {
    process.stdout.write(
      `${JSON.stringify({ errorType: payload.error.name, errorMessage: payload.error.message }, null, 2)}\n`,
    );
    return 1;
  }
  process.stdout.write(`${JSON.stringify(payload.result ?? null, null, 2)}\n`);
  return response.ok ? 0 : 1;
};
