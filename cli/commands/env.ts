/** `taskenv env …`: provision, inspect, wait for and tear down environments. */
import type { CreateEnvironmentRequest, EnvironmentResponse } from '#domain/api-schemas';
import { parseInputs, parseInteger, parseSeconds, UsageError } from '../args.ts';
import type { ApiClient } from '../client.ts';
import { InterruptedError } from '../client.ts';
import {
  booleanOption,
  type Command,
  type CommandContext,
  Exit,
  stringOption,
  stringsOption,
  writeJson,
} from '../command.ts';
import { formatEnvironment, formatEnvironmentList } from '../output.ts';
import { forgetToken, saveToken } from '../tokens.ts';
import { createProgress, type WaitOutcome, waitForEnvironment } from '../wait.ts';

const DEFAULT_WAIT_TIMEOUT_SEC = 300;
const DEFAULT_EXTEND_SECONDS = 600;

const waitTimeoutOption = {
  'wait-timeout': {
    type: 'string',
    value: 'SEC',
    description: `give up waiting after SEC seconds (exit 3; default ${DEFAULT_WAIT_TIMEOUT_SEC})`,
  },
} as const;

const show = (context: CommandContext, env: EnvironmentResponse): void => {
  if (context.json) writeJson(context.io, env);
  else context.io.stdout.write(formatEnvironment(env));
};

/**
 * Waits for `id` to settle and reports the end: the full environment on stdout (`ready`, or in
 * `--json` mode any end), the reason on stderr otherwise. `created` is the POST response, whose
 * execute token no later read returns, so it is carried into whatever is printed.
 */
const waitAndReport = async (
  context: CommandContext,
  client: ApiClient,
  id: string,
  timeoutSec: number,
  created?: EnvironmentResponse,
): Promise<number> => {
  const token = created?.execute_token ?? null;
  const withToken = (env: EnvironmentResponse): EnvironmentResponse =>
    token === null ? env : { ...env, execute_token: token };

  const progress = createProgress(context.io.stderr);
  let outcome: WaitOutcome;
  try {
    outcome = await waitForEnvironment(client, id, {
      timeoutMs: timeoutSec * 1000,
      signal: context.signal,
      onStatus: (status) => progress.update(status.state),
    });
  } catch (error) {
    progress.stop();
    if (!(error instanceof InterruptedError)) throw error;
    // Ctrl-C leaves the environment running; print what only the creation returned.
    if (created !== undefined) show(context, created);
    context.io.stderr.write(`interrupted; ${id} keeps running (taskenv env delete ${id} to tear it down)\n`);
    return Exit.interrupted;
  }
  progress.stop();

  const env = withToken(await client.getEnvironment(id));
  const stderr = context.io.stderr;
  switch (outcome.kind) {
    case 'ready':
      show(context, env);
      return Exit.ok;
    case 'failed':
      if (context.json) writeJson(context.io, env);
      else stderr.write(`error: environment ${id} failed: ${env.error ?? 'no reason given'}\n`);
      return Exit.failed;
    case 'torn_down':
      if (context.json) writeJson(context.io, env);
      else stderr.write(`error: environment ${id} was torn down before it became ready\n`);
      return Exit.failed;
    case 'timeout':
      show(context, env);
      stderr.write(
        `error: gave up after ${timeoutSec}s waiting for ${id} (still ${outcome.status.state}); ` +
          `it keeps going: taskenv env wait ${id}\n`,
      );
      return Exit.waitTimeout;
  }
};

const requireId = (context: CommandContext): string => context.args[0] ?? '';

/** Read before any request, so a typo fails before an environment is launched. */
const waitTimeoutSec = (context: CommandContext): number => {
  const raw = stringOption(context.options, 'wait-timeout');
  return raw === undefined ? DEFAULT_WAIT_TIMEOUT_SEC : parseSeconds('wait-timeout', raw);
};

export const envCommands: readonly Command[] = [
  {
    name: 'env create',
    args: ['ref'],
    summary: 'provision an environment for a task ([org/]name[@version])',
    options: {
      input: {
        type: 'string',
        multiple: true,
        value: 'k=v',
        description: 'bind a task input (JSON value or text; k=@file reads a file)',
      },
      secret: {
        type: 'string',
        multiple: true,
        value: 'id',
        description: 'inject a secret of the workspace by id',
      },
      'project-id': {
        type: 'string',
        value: 'P',
        description: 'grouping key inside the workspace (default "default")',
      },
      'timeout-sec': { type: 'string', value: 'N', description: 'lifetime in seconds (default: the task’s)' },
      'idempotency-key': {
        type: 'string',
        value: 'K',
        description: 'retry-safe key: the same key and body launch once',
      },
      wait: {
        type: 'boolean',
        description: 'wait until the environment is ready (exit 0), failed (1) or timed out (3)',
      },
      ...waitTimeoutOption,
    },
    details: 'Example: taskenv env create hello-http --input name=world --wait',
    async run(context) {
      const { options, io } = context;
      const wait = booleanOption(options, 'wait');
      if (!wait && stringOption(options, 'wait-timeout') !== undefined) {
        throw new UsageError('--wait-timeout only applies with --wait');
      }
      const timeout = waitTimeoutSec(context);
      const inputs = await parseInputs(stringsOption(options, 'input'), io.cwd);
      const secretIds = stringsOption(options, 'secret');
      const projectId = stringOption(options, 'project-id');
      const timeoutSec = stringOption(options, 'timeout-sec');
      const body: CreateEnvironmentRequest = {
        task_ref: context.args[0] ?? '',
        ...(inputs === undefined ? {} : { inputs }),
        ...(secretIds.length === 0 ? {} : { secret_ids: secretIds }),
        ...(projectId === undefined ? {} : { project_id: projectId }),
        ...(timeoutSec === undefined ? {} : { timeout_sec: parseInteger('timeout-sec', timeoutSec, 1) }),
      };
      const client = await context.client();
      const created = await client.createEnvironment(body, stringOption(options, 'idempotency-key'));
      // Only this answer carries the token: keep it so `env exec` works next.
      if (created.execute_token !== null) await saveToken(io.env, created.id, created.execute_token);
      if (!wait) {
        show(context, created);
        return Exit.ok;
      }
      return waitAndReport(context, client, created.id, timeout, created);
    },
  },
  {
    name: 'env list',
    args: [],
    summary: 'list the workspace’s environments, newest first',
    options: {
      state: { type: 'string', multiple: true, value: 'S', description: 'only this state (repeatable)' },
      'project-id': { type: 'string', value: 'P', description: 'only this project' },
      page: { type: 'string', value: 'N', description: 'page number, from 1' },
      limit: { type: 'string', value: 'N', description: 'page size, 1..200 (default 50)' },
    },
    async run(context) {
      const { options, io } = context;
      const page = stringOption(options, 'page');
      const limit = stringOption(options, 'limit');
      const projectId = stringOption(options, 'project-id');
      const query = {
        states: stringsOption(options, 'state'),
        ...(projectId === undefined ? {} : { projectId }),
        ...(page === undefined ? {} : { page: parseInteger('page', page, 1) }),
        ...(limit === undefined ? {} : { limit: parseInteger('limit', limit, 1, 200) }),
      };
      const list = await (await context.client()).listEnvironments(query);
      if (context.json) {
        writeJson(io, list);
      } else if (list.environments.length === 0) {
        io.stdout.write(list.total === 0 ? 'no environments\n' : `no environments on page ${list.page}\n`);
      } else {
        io.stdout.write(formatEnvironmentList(list.environments));
        io.stdout.write(
          `page ${list.page} of ${list.total_pages}, ${list.total} environment${list.total === 1 ? '' : 's'}\n`,
        );
      }
      return Exit.ok;
    },
  },
  {
    name: 'env get',
    args: ['id'],
    summary: 'show an environment: state, service URLs, instruction',
    options: {},
    async run(context) {
      show(context, await (await context.client()).getEnvironment(requireId(context)));
      return Exit.ok;
    },
  },
  {
    name: 'env status',
    args: ['id'],
    summary: 'show an environment’s state (cheap; what --wait polls)',
    options: {},
    async run(context) {
      const status = await (await context.client()).getEnvironmentStatus(requireId(context));
      if (context.json) writeJson(context.io, status);
      else context.io.stdout.write(formatEnvironment(status));
      return Exit.ok;
    },
  },
  {
    name: 'env wait',
    args: ['id'],
    summary: 'wait until an environment is ready (exit 0), failed (1) or the wait times out (3)',
    options: { ...waitTimeoutOption },
    async run(context) {
      const timeout = waitTimeoutSec(context);
      return waitAndReport(context, await context.client(), requireId(context), timeout);
    },
  },
  {
    name: 'env delete',
    args: ['id'],
    summary: 'tear an environment down (safe to repeat)',
    options: {},
    async run(context) {
      const env = await (await context.client()).deleteEnvironment(requireId(context));
      await forgetToken(context.io.env, env.id);
      if (context.json) writeJson(context.io, env);
      else context.io.stdout.write(`${env.id} ${env.state}\n`);
      return Exit.ok;
    },
  },
  {
    name: 'env keepalive',
    args: ['id'],
    summary: 'push an environment’s expiry further out',
    options: {
      'extend-seconds': {
        type: 'string',
        value: 'N',
        description: `seconds to extend by, 60..3600 (default ${DEFAULT_EXTEND_SECONDS})`,
      },
    },
    async run(context) {
      const raw = stringOption(context.options, 'extend-seconds');
      const seconds =
        raw === undefined ? DEFAULT_EXTEND_SECONDS : parseInteger('extend-seconds', raw, 60, 3600);
      const result = await (await context.client()).keepalive(requireId(context), seconds);
      if (context.json) writeJson(context.io, result);
      else context.io.stdout.write(`${result.id} expires at ${result.expires_at}\n`);
      return Exit.ok;
    },
  },
];
