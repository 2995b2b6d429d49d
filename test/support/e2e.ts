/**
 * Shared helpers of the end-to-end tests: a local stack on free ports in a temp data dir, typed
 * requests to its API over real HTTP, status polling with timings, the `taskenv` CLI as a child
 * process, and probes that tell whether something still listens on a port or a process lives.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll } from 'vitest';
import {
  type EnvironmentResponse,
  type EnvironmentStatusResponse,
  environmentResponseSchema,
  environmentStatusResponseSchema,
} from '#domain/api-schemas';
import type { EnvironmentState } from '#domain/environment';
import { type LocalStack, type RuntimeChoice, startLocalStack } from '#local/stack';
import * as z from '#shared/zod';

/** The repository root: the CLI, the examples and `node_modules/.bin` are found from here. */
export const REPO_ROOT = resolve(import.meta.dirname, '..', '..');

/** A fresh directory under the OS temp dir; `remove` deletes it and everything in it. */
export const makeTempDir = async (label: string): Promise<{ path: string; remove: () => Promise<void> }> => {
  const path = await mkdtemp(join(tmpdir(), `taskenv-e2e-${label}-`));
  return { path, remove: () => rm(path, { recursive: true, force: true }) };
};

/** A running stack plus the lines it logged, kept for failure messages instead of flooding the run. */
export interface E2eStack {
  readonly stack: LocalStack;
  readonly logs: string[];
}

/** Starts the whole local stack on free ports (API and DynamoDB Local) over `dataDir`. */
export const startE2eStack = async (
  dataDir: string,
  { runtime = 'process' }: { readonly runtime?: RuntimeChoice } = {},
): Promise<E2eStack> => {
  const logs: string[] = [];
  const stack = await startLocalStack({
    dataDir,
    port: 0,
    runtime,
    examplesDir: join(REPO_ROOT, 'examples', 'tasks'),
    log: (line) => logs.push(line),
  });
  return { stack, logs };
};

/**
 * `startE2eStack` for one test file, which stops every stack it started after the file's tests:
 * also one whose start outlived the hook or test that asked for it (a timeout on a loaded
 * machine), whose DynamoDB Local, in its own process group, would otherwise outlive the run.
 */
export const stacksOfFile = (): typeof startE2eStack => {
  const starts: Promise<E2eStack>[] = [];
  afterAll(async () => {
    for (const start of starts) {
      const running = await start.catch(() => undefined);
      await running?.stack.stop();
    }
  }, 180_000);
  return (dataDir, options) => {
    const start = startE2eStack(dataDir, options);
    starts.push(start);
    return start;
  };
};

/**
 * One stack for the whole test file: started in a fresh temp dir before its tests, stopped and
 * the dir removed after them. Returns the running stack (for use inside tests).
 */
export const stackPerFile = (
  label: string,
  options: { readonly runtime?: RuntimeChoice } = {},
): (() => LocalStack) => {
  let dataDir: Awaited<ReturnType<typeof makeTempDir>> | undefined;
  let running: E2eStack | undefined;
  // Registered first, so its cleanup (stop every stack) runs before the dir is removed.
  afterAll(async () => {
    await dataDir?.remove();
  });
  const start = stacksOfFile();
  // With Docker, the first start on a machine builds the examples' images.
  beforeAll(async () => {
    dataDir = await makeTempDir(label);
    running = await start(dataDir.path, options);
  }, 120_000);
  return () => {
    if (running === undefined) throw new Error('the stack of this file has not started');
    return running.stack;
  };
};

/** Where and as whom to call the API: a started stack, or what `taskenv dev` printed. */
export type ApiTarget = Pick<LocalStack, 'apiUrl' | 'apiKey' | 'org' | 'workspace'>;

/** `<apiUrl>/api/v1/org/<org>/ws/<workspace>/environments`. */
export const environmentsUrl = (stack: ApiTarget): string =>
  `${stack.apiUrl}/api/v1/org/${stack.org}/ws/${stack.workspace}/environments`;

export interface ApiAnswer {
  readonly status: number;
  readonly body: unknown;
}

/** One authenticated JSON request; the body is parsed whatever the status. */
export const apiRequest = async (
  url: string,
  apiKey: string,
  init: { readonly method?: string; readonly json?: unknown } = {},
): Promise<ApiAnswer> => {
  const response = await fetch(url, {
    method: init.method ?? 'GET',
    headers: {
      Authorization: `Bearer ${apiKey}`,
      ...(init.json === undefined ? {} : { 'Content-Type': 'application/json' }),
    },
    ...(init.json === undefined ? {} : { body: JSON.stringify(init.json) }),
  });
  const text = await response.text();
  return { status: response.status, body: text === '' ? null : (JSON.parse(text) as unknown) };
};

/** Parses a response body, failing with the body in the message when it does not fit. */
export const parseBody = <S extends z.core.$ZodType>(schema: S, body: unknown): z.infer<S> => {
  const result = z.safeParse(schema, body);
  if (!result.success) {
    throw new Error(`unexpected response body ${JSON.stringify(body)}: ${result.error.message}`);
  }
  return result.data;
};

/** POSTs a create request and returns the 201's environment; any other status throws. */
export const createEnvironment = async (stack: ApiTarget, json: unknown): Promise<EnvironmentResponse> => {
  const answer = await apiRequest(environmentsUrl(stack), stack.apiKey, { method: 'POST', json });
  if (answer.status !== 201)
    throw new Error(`create answered ${answer.status}: ${JSON.stringify(answer.body)}`);
  return parseBody(environmentResponseSchema, answer.body);
};

export const getEnvironment = async (stack: ApiTarget, id: string): Promise<EnvironmentResponse> => {
  const answer = await apiRequest(`${environmentsUrl(stack)}/${id}`, stack.apiKey);
  if (answer.status !== 200) throw new Error(`get answered ${answer.status}: ${JSON.stringify(answer.body)}`);
  return parseBody(environmentResponseSchema, answer.body);
};

export interface Settled {
  readonly status: EnvironmentStatusResponse;
  /** Milliseconds from the start of polling to the first answer in one of the awaited states. */
  readonly elapsedMs: number;
  /** When (epoch ms) that answer arrived. */
  readonly observedAt: number;
}

/**
 * Polls `GET …/{id}/status` every `intervalMs` until the state is one of `states`. Fails after
 * `timeoutMs` with the last status seen, or at once when the environment settles elsewhere
 * (a final state that is not awaited cannot change any more).
 */
export const pollStatus = async (
  stack: ApiTarget,
  id: string,
  states: readonly EnvironmentState[],
  { timeoutMs = 10_000, intervalMs = 50, startedAt = performance.now() } = {},
): Promise<Settled> => {
  const url = `${environmentsUrl(stack)}/${id}/status`;
  let last: EnvironmentStatusResponse | null = null;
  while (performance.now() - startedAt < timeoutMs) {
    const answer = await apiRequest(url, stack.apiKey);
    if (answer.status !== 200)
      throw new Error(`status answered ${answer.status}: ${JSON.stringify(answer.body)}`);
    last = parseBody(environmentStatusResponseSchema, answer.body);
    if (states.includes(last.state)) {
      return { status: last, elapsedMs: performance.now() - startedAt, observedAt: Date.now() };
    }
    if (last.state === 'failed' || last.state === 'torn_down') {
      throw new Error(
        `environment ${id} settled ${JSON.stringify(last)} while waiting for ${states.join('/')}`,
      );
    }
    await sleep(intervalMs);
  }
  throw new Error(
    `environment ${id} not ${states.join('/')} after ${timeoutMs} ms; last ${JSON.stringify(last)}`,
  );
};

/** The `url` of one service of a ready environment; throws when it has none. */
export const serviceUrl = (env: Pick<EnvironmentResponse, 'service_urls'>, service: string): string => {
  const url = env.service_urls?.[service]?.url;
  if (url === undefined) throw new Error(`no service_urls.${service} in ${JSON.stringify(env.service_urls)}`);
  return url;
};

/** Resolves to the connection error code (`ECONNREFUSED` …), or `null` when the port accepts. */
export const connectError = (url: string): Promise<string | null> =>
  new Promise((resolveProbe) => {
    const { hostname, port } = new URL(url);
    const socket = connect({ host: hostname, port: Number(port) });
    const done = (code: string | null) => {
      socket.destroy();
      resolveProbe(code);
    };
    socket.setTimeout(1_000, () => done('ETIMEDOUT'));
    socket.once('connect', () => done(null));
    socket.once('error', (error: NodeJS.ErrnoException) => done(error.code ?? 'ERROR'));
  });

/** True once connecting to `url` is refused, polled until `withinMs` has passed. */
export const refusesWithin = async (url: string, withinMs: number): Promise<boolean> => {
  const deadline = performance.now() + withinMs;
  for (;;) {
    if ((await connectError(url)) === 'ECONNREFUSED') return true;
    if (performance.now() >= deadline) return false;
    await sleep(50);
  }
};

/** True while a process with this pid exists (signal 0 only checks). */
export const processExists = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/** True once no process with this pid exists, polled until `withinMs` has passed. */
export const goneWithin = async (pid: number, withinMs: number): Promise<boolean> => {
  const deadline = performance.now() + withinMs;
  while (processExists(pid)) {
    if (performance.now() >= deadline) return false;
    await sleep(50);
  }
  return true;
};

export interface CliRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * The CLI's config dir of the test run (its kept execute tokens land there), never the user's.
 */
export const CLI_CONFIG_HOME = join(tmpdir(), `taskenv-e2e-config-${process.pid}`);

/**
 * Runs `node bin/taskenv.js <args>` from the repository root, pointed at `stack` through the
 * `TASKENV_*` variables (which win over any config file of the machine running the tests).
 */
export const runCli = (
  args: readonly string[],
  stack: ApiTarget,
  timeoutMs = 30_000,
  env: Readonly<Record<string, string>> = {},
): Promise<CliRun> =>
  new Promise((resolveRun, reject) => {
    const child = spawn(process.execPath, [join(REPO_ROOT, 'bin', 'taskenv.js'), ...args], {
      cwd: REPO_ROOT,
      env: {
        ...process.env,
        XDG_CONFIG_HOME: CLI_CONFIG_HOME,
        ...env,
        TASKENV_API_URL: stack.apiUrl,
        TASKENV_API_KEY: stack.apiKey,
        TASKENV_ORG: stack.org,
        TASKENV_WORKSPACE: stack.workspace,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`taskenv ${args.join(' ')} ran over ${timeoutMs} ms; stderr: ${stderr}`));
    }, timeoutMs);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      resolveRun({ code, stdout, stderr });
    });
  });
