/**
 * The `taskenv` command: parses the command line, runs one command, maps every failure to its
 * exit code (0 ok/ready, 1 failed, 2 usage, 3 wait timed out, 4 API error, 130 interrupted).
 */
import { resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { InputError, UsageError } from './args.ts';
import { ApiClient, ApiError, CLIENT_VERSION, ConnectionError, InterruptedError } from './client.ts';
import { type CliIo, type Command, type CommandContext, Exit, writeJson } from './command.ts';
import {
  ALL_OPTIONS,
  commandHelp,
  commands,
  GLOBAL_OPTIONS,
  groupHelp,
  groups,
  rootHelp,
  toParseArgsOptions,
} from './help.ts';
import { formatEnvelope } from './output.ts';
import { loadSettings, type Settings, SettingsError } from './settings.ts';
import { closest } from './suggest.ts';

export type { CliIo } from './command.ts';

// Running ----------------------------------------------------------------------------------------

const defaultIo = (): CliIo => ({
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  cwd: process.cwd(),
  stdin: process.stdin,
});

const usageFailure = (io: CliIo, error: UsageError, json = false): number => {
  const hint = error.hint ?? "Run 'taskenv --help' for usage.";
  if (json) writeJson(io, { type: 'usage_error', detail: error.message, hint });
  else io.stderr.write(`error: ${error.message}\n${hint}\n`);
  return Exit.usage;
};

const unknownCommand = (typed: string, suggestion: string | undefined, fallbackHint: string): UsageError =>
  new UsageError(
    `unknown command '${typed}'${suggestion === undefined ? '' : `; did you mean '${suggestion}'?`}`,
    fallbackHint,
  );

/** parseArgs explains with a paragraph; one line that names the option is enough. */
const usageErrorFrom = (error: unknown, helpHint: string): UsageError => {
  const message = error instanceof Error ? error.message : String(error);
  const code = error instanceof Error && 'code' in error ? error.code : undefined;
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
    const option = /'([^']+)'/.exec(message)?.[1] ?? message;
    return new UsageError(`unknown option '${option}'`, helpHint);
  }
  return new UsageError(message.split('. ')[0] ?? message, helpHint);
};

const authHint = (settings: Settings | null): string => {
  if (settings?.apiKey === null) {
    return 'hint: no API key is set: pass --api-key, set TASKENV_API_KEY, or start the local stack (npm start)\n';
  }
  const source = settings?.sources.apiKey;
  return source === undefined || source === null
    ? ''
    : `hint: the API key came from ${source === 'stack' ? 'the local stack’s data dir' : source}\n`;
};

/** The one place failures become output and exit codes. */
const reportFailure = (io: CliIo, json: boolean, error: unknown, settings: Settings | null): number => {
  if (error instanceof UsageError) return usageFailure(io, error, json);
  if (error instanceof SettingsError) {
    if (json) writeJson(io, { type: 'settings_error', detail: error.message });
    else io.stderr.write(`error: ${error.message}\n`);
    return Exit.usage;
  }
  if (error instanceof InterruptedError) {
    if (!json) io.stderr.write('interrupted\n');
    return Exit.interrupted;
  }
  if (error instanceof ApiError) {
    if (json) {
      writeJson(io, error.envelope);
    } else {
      io.stderr.write(formatEnvelope(error.envelope));
      if (error.status === 401) io.stderr.write(authHint(settings));
      if (error.status === 426)
        io.stderr.write('hint: this taskenv CLI is older than the server accepts; update it\n');
    }
    return Exit.api;
  }
  if (error instanceof ConnectionError || error instanceof InputError) {
    const type = error instanceof ConnectionError ? 'connection_error' : 'input_error';
    if (json) writeJson(io, { type, detail: error.message });
    else io.stderr.write(`error: ${error.message}\n`);
    return error instanceof ConnectionError ? Exit.api : Exit.failed;
  }
  const message = error instanceof Error ? error.message : String(error);
  if (json) writeJson(io, { type: 'cli_error', detail: message });
  else io.stderr.write(`error: ${message}\n`);
  if (io.env.TASKENV_DEBUG !== undefined && error instanceof Error) io.stderr.write(`${error.stack ?? ''}\n`);
  return Exit.failed;
};

/**
 * Ctrl-C aborts requests and waits so the command can say what it leaves behind (exit 130); a
 * second Ctrl-C exits at once, in case something ignores the signal.
 */
const withInterruptSignal = async (
  io: CliIo,
  run: (signal: AbortSignal) => Promise<number>,
): Promise<number> => {
  if (io.signal !== undefined) return run(io.signal);
  const controller = new AbortController();
  const onSigint = (): void => {
    if (controller.signal.aborted) process.exit(Exit.interrupted);
    controller.abort();
  };
  process.on('SIGINT', onSigint);
  try {
    return await run(controller.signal);
  } finally {
    process.off('SIGINT', onSigint);
  }
};

const isMissingModule = (error: unknown, url: URL): boolean =>
  error instanceof Error &&
  'code' in error &&
  error.code === 'ERR_MODULE_NOT_FOUND' &&
  error.message.includes(fileURLToPath(url));

/** `taskenv dev …` hands its arguments, unparsed, to the local stack, which owns its own flags. */
const runDev = async (args: string[], io: CliIo): Promise<number> => {
  // A computed specifier: the local stack is optional to the CLI, and its dependencies (DynamoDB
  // Local, Docker) should load only for this command.
  const url = new URL('../local/dev.ts', import.meta.url);
  let module: unknown;
  try {
    // The compiled CLI (dist/) runs as JavaScript; the local stack is TypeScript, so only this
    // command registers tsx's loader (from source, tsx is already running).
    if (!import.meta.url.endsWith('.ts')) {
      const { register } = await import('tsx/esm/api');
      register();
    }
    module = await import(url.href);
  } catch (error) {
    if (!isMissingModule(error, url)) throw error;
    io.stderr.write(
      `error: the local stack is not part of this installation (${fileURLToPath(url)} is missing)\n`,
    );
    return Exit.failed;
  }
  if (
    typeof module !== 'object' ||
    module === null ||
    !('runDev' in module) ||
    typeof module.runDev !== 'function'
  ) {
    io.stderr.write(`error: ${fileURLToPath(url)} does not export runDev(argv)\n`);
    return Exit.failed;
  }
  const code: unknown = await module.runDev(args);
  return typeof code === 'number' ? code : Exit.ok;
};

interface Resolved {
  readonly command: Command;
  /** How many leading positionals are command words rather than arguments. */
  readonly wordCount: number;
}

/**
 * Finds the command from the words on the line, wherever options sit between them. Returns an
 * exit code when the line asks for help or names no runnable command.
 */
const resolveCommand = (argv: string[], io: CliIo): Resolved | number => {
  // Not strict: unknown options are reported by the strict parse, with the command's help named.
  const scan = parseArgs({ args: argv, options: ALL_OPTIONS, strict: false, allowPositionals: true });
  const words = scan.positionals;
  const help = scan.values.help === true;
  const json = scan.values.json === true;
  const [group, sub] = words;

  if (group === undefined) {
    if (scan.values.version === true) {
      io.stdout.write(`${CLIENT_VERSION}\n`);
      return Exit.ok;
    }
    (help ? io.stdout : io.stderr).write(rootHelp());
    return help ? Exit.ok : Exit.usage;
  }
  if (group === 'dev') {
    return usageFailure(io, new UsageError("'dev' must come first: taskenv dev [options]"), json);
  }
  if (!(groups as readonly string[]).includes(group)) {
    const suggestion = closest(group, [...groups, 'dev']);
    return usageFailure(io, unknownCommand(group, suggestion, "Run 'taskenv --help' for usage."), json);
  }
  const command = sub === undefined ? undefined : commands.find((c) => c.name === `${group} ${sub}`);
  if (command === undefined) {
    if (help || sub === undefined) {
      (help ? io.stdout : io.stderr).write(groupHelp(group));
      return help ? Exit.ok : Exit.usage;
    }
    const subs = commands
      .filter((c) => c.name.startsWith(`${group} `))
      .map((c) => c.name.slice(group.length + 1));
    const suggestion = closest(sub, subs);
    return usageFailure(
      io,
      unknownCommand(
        `${group} ${sub}`,
        suggestion === undefined ? undefined : `${group} ${suggestion}`,
        `Run 'taskenv ${group} --help' for its commands.`,
      ),
      json,
    );
  }
  if (help) {
    io.stdout.write(commandHelp(command));
    return Exit.ok;
  }
  return { command, wordCount: 2 };
};

const runCommand = async (argv: string[], io: CliIo, { command, wordCount }: Resolved): Promise<number> => {
  const helpHint = `Run 'taskenv ${command.name} --help' for usage.`;
  // A command that takes a command line keeps everything after `--` as it is.
  const dash = command.rest === undefined ? -1 : argv.indexOf('--');
  const own = dash === -1 ? argv : argv.slice(0, dash);
  const rest = dash === -1 ? [] : argv.slice(dash + 1);
  if (command.rest !== undefined && rest.length === 0) {
    return usageFailure(io, new UsageError(`missing -- <${command.rest}…>`, helpHint));
  }
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args: own,
      options: toParseArgsOptions({ ...GLOBAL_OPTIONS, ...command.options }),
      strict: true,
      allowPositionals: true,
    });
  } catch (error) {
    return usageFailure(io, usageErrorFrom(error, helpHint), argv.includes('--json'));
  }
  const { values } = parsed;
  const args = parsed.positionals.slice(wordCount);
  const json = values.json === true;
  const missing = command.args[args.length];
  if (missing !== undefined) return usageFailure(io, new UsageError(`missing <${missing}>`, helpHint), json);
  const extra = args[command.args.length];
  if (extra !== undefined)
    return usageFailure(io, new UsageError(`unexpected argument '${extra}'`, helpHint), json);

  const text = (name: string): string | undefined => {
    const value = values[name];
    return typeof value === 'string' ? value : undefined;
  };
  let settings: Settings | null = null;
  const loadOnce = async (): Promise<Settings> => {
    settings ??= await loadSettings(
      { apiUrl: text('api-url'), apiKey: text('api-key'), org: text('org'), workspace: text('workspace') },
      io.env,
      io.cwd,
    );
    return settings;
  };
  return withInterruptSignal(io, async (signal) => {
    const context: CommandContext = {
      io,
      args,
      rest,
      options: values,
      json,
      signal,
      settings: loadOnce,
      client: async () => new ApiClient({ settings: await loadOnce(), signal }),
    };
    try {
      return await command.run(context);
    } catch (error) {
      return reportFailure(io, json, error, settings);
    }
  });
};

/** Runs one `taskenv` command line and resolves to its exit code; never calls `process.exit`. */
export async function main(argv: string[], io: CliIo = defaultIo()): Promise<number> {
  if (argv[0] === 'dev') return runDev(argv.slice(1), io);
  const resolved = resolveCommand(argv, io);
  if (typeof resolved === 'number') return resolved;
  return runCommand(argv, io, resolved);
}

const invokedDirectly =
  process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href;
if (invokedDirectly) {
  process.exitCode = await main(process.argv.slice(2));
}
