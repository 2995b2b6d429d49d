/** `taskenv env exec | verify | logs`: the environment's data plane. */
import type { ExecutionResponse, LogsResponse } from '#domain/api-schemas';
import { isFinal } from '#domain/environment';
import { parseInteger, UsageError } from '../args.ts';
import type { ApiClient, ExecuteRequestBody } from '../client.ts';
import {
  type Command,
  type CommandContext,
  Exit,
  stringOption,
  stringsOption,
  writeJson,
} from '../command.ts';
import { loadToken } from '../tokens.ts';

const POLL_MS = 500;
const FOLLOW_MS = 2_000;

const sleep = (ms: number, signal: AbortSignal | undefined) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve();
    });
  });

const envPairs = (pairs: readonly string[]): Record<string, string> => {
  const env: Record<string, string> = {};
  for (const pair of pairs) {
    const at = pair.indexOf('=');
    if (at <= 0) throw new UsageError(`--env expects K=V, got '${pair}'`);
    env[pair.slice(0, at)] = pair.slice(at + 1);
  }
  return env;
};

/** The token: `--token`, `$TASKENV_EXECUTE_TOKEN`, or the one kept from `env create`. */
const tokenFor = async (context: CommandContext, id: string): Promise<string> => {
  const token =
    stringOption(context.options, 'token') ??
    context.io.env.TASKENV_EXECUTE_TOKEN ??
    (await loadToken(context.io.env, id));
  if (token === null || token === '') {
    throw new UsageError(
      `no execute token for ${id}`,
      'Only `taskenv env create` receives it (kept for this machine); pass --token or set TASKENV_EXECUTE_TOKEN.',
    );
  }
  return token;
};

/** Polls a 202's execution until it completes. */
const untilCompleted = async (
  client: ApiClient,
  id: string,
  executionId: string,
  signal: AbortSignal | undefined,
): Promise<ExecutionResponse> => {
  for (;;) {
    const execution = await client.getExecution(id, executionId);
    if (execution.state === 'completed' || signal?.aborted === true) return execution;
    await sleep(POLL_MS, signal);
  }
};

const printLines = (context: CommandContext, lines: LogsResponse['lines']) => {
  for (const line of lines) context.io.stdout.write(`${line.time}  ${line.message}\n`);
};

export const envDataCommands: readonly Command[] = [
  {
    name: 'env exec',
    args: ['id'],
    rest: 'command',
    summary: 'run a command inside a ready environment; exits with its exit code',
    options: {
      service: { type: 'string', value: 'S', description: 'the service to run in (default: the first)' },
      timeout: {
        type: 'string',
        value: 'N',
        description: 'kill it after N seconds, 1..600 (default 30; exit 124)',
      },
      env: { type: 'string', multiple: true, value: 'K=V', description: 'a variable for this command only' },
      token: {
        type: 'string',
        value: 'T',
        description: 'the execute token (default: the one kept from env create)',
      },
    },
    details: "Example: taskenv env exec <id> -- sh -c 'ls /; id'",
    async run(context) {
      const id = context.args[0] ?? '';
      const timeout = stringOption(context.options, 'timeout');
      const service = stringOption(context.options, 'service');
      const env = envPairs(stringsOption(context.options, 'env'));
      const body: ExecuteRequestBody = {
        command: context.rest.join(' '),
        ...(timeout === undefined ? {} : { timeout_sec: parseInteger('timeout', timeout, 1, 600) }),
        ...(service === undefined ? {} : { service }),
        ...(Object.keys(env).length === 0 ? {} : { env }),
      };
      const token = await tokenFor(context, id);
      const client = await context.client();
      const answer = await client.execute(id, body, token);
      const result =
        answer.status === 202
          ? await untilCompleted(client, id, answer.body.id, context.signal)
          : answer.body;
      if (context.json) {
        writeJson(context.io, result);
      } else if ('output' in result) {
        context.io.stdout.write(result.output ?? '');
        if (result.truncated === true) context.io.stderr.write('(output truncated at 1 MiB)\n');
        if (result.timed_out === true) context.io.stderr.write('(killed: timed out)\n');
      }
      if (!('exit_code' in result) || result.exit_code === null) return Exit.interrupted;
      return result.exit_code;
    },
  },
  {
    name: 'env verify',
    args: ['id'],
    summary: "run the task's verification; exits 0 when it passes, 1 when not",
    options: {
      answer: { type: 'string', value: 'A', description: 'the answer (flag tasks without a path)' },
    },
    async run(context) {
      const result = await (await context.client()).verify(
        context.args[0] ?? '',
        stringOption(context.options, 'answer'),
      );
      if (context.json) writeJson(context.io, result);
      else {
        context.io.stdout.write(`${result.passed ? 'passed' : 'failed'} (${result.method})\n`);
        if (result.output !== null && result.output !== '') context.io.stdout.write(result.output);
      }
      return result.passed ? Exit.ok : Exit.failed;
    },
  },
  {
    name: 'env logs',
    args: ['id'],
    summary: "a service's output (also after the environment failed)",
    options: {
      service: { type: 'string', value: 'S', description: 'the service (default: the first)' },
      tail: { type: 'string', value: 'N', description: 'the last N lines, 1..10000 (default 200)' },
      follow: {
        type: 'boolean',
        description: 'keep printing new lines until the environment ends or Ctrl-C',
      },
    },
    async run(context) {
      const id = context.args[0] ?? '';
      const tail = stringOption(context.options, 'tail');
      const options = {
        service: stringOption(context.options, 'service'),
        tail: tail === undefined ? undefined : parseInteger('tail', tail, 1, 10_000),
      };
      const client = await context.client();
      const first = await client.logs(id, options);
      if (context.json) {
        writeJson(context.io, first);
        return Exit.ok;
      }
      printLines(context, first.lines);
      if (context.options.follow !== true) return Exit.ok;
      let seen = first.lines;
      for (;;) {
        await sleep(FOLLOW_MS, context.signal);
        if (context.signal?.aborted === true) return Exit.interrupted;
        const next = await client.logs(id, { ...options, tail: 10_000 });
        printLines(context, newLines(seen, next.lines));
        seen = next.lines;
        if (isFinal((await client.getEnvironmentStatus(id)).state)) return Exit.ok;
      }
    },
  },
];

/** The lines of `next` after the last one of `seen` (matched by time and text). */
const newLines = (seen: LogsResponse['lines'], next: LogsResponse['lines']): LogsResponse['lines'] => {
  const last = seen.at(-1);
  if (last === undefined) return next;
  for (let i = next.length - 1; i >= 0; i--) {
    const line = next[i];
    if (line !== undefined && line.time === last.time && line.message === last.message)
      return next.slice(i + 1);
  }
  return next;
};
