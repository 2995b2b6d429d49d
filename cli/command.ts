/** What every command is made of, and what it is handed when it runs. */
import type { ApiClient } from './client.ts';
import type { Settings } from './settings.ts';
import type { ProgressStream } from './wait.ts';

export interface OutputStream {
  write(chunk: string): unknown;
}

/** Everything the CLI touches of its process; tests pass their own. */
export interface CliIo {
  readonly stdout: OutputStream;
  readonly stderr: ProgressStream;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
  /** Read only by `secret set --from-stdin`. */
  readonly stdin?: AsyncIterable<string | Uint8Array>;
  /** Aborts requests and waits (Ctrl-C); when absent, `main` wires SIGINT itself. */
  readonly signal?: AbortSignal;
}

export interface OptionSpec {
  readonly type: 'string' | 'boolean';
  readonly multiple?: boolean;
  readonly short?: string;
  /** Placeholder shown in help, e.g. `k=v`. */
  readonly value?: string;
  readonly description: string;
}

export type OptionSpecs = Readonly<Record<string, OptionSpec>>;

export type OptionValues = Readonly<Record<string, string | boolean | (string | boolean)[] | undefined>>;

export interface CommandContext {
  readonly io: CliIo;
  /** Positionals after the command words, checked against {@link Command.args}. */
  readonly args: readonly string[];
  /** Everything after `--`, for commands with {@link Command.rest}. */
  readonly rest: readonly string[];
  readonly options: OptionValues;
  readonly json: boolean;
  readonly signal: AbortSignal | undefined;
  settings(): Promise<Settings>;
  client(): Promise<ApiClient>;
}

export interface Command {
  /** Command words, e.g. `env create`. */
  readonly name: string;
  /** Required positionals, e.g. `['ref']`. */
  readonly args: readonly string[];
  /** Name of the words after `--` (`command…`), required when set; absent: `--` is not taken. */
  readonly rest?: string;
  readonly summary: string;
  readonly options: OptionSpecs;
  /** Extra help text after the options (examples, notes). */
  readonly details?: string;
  run(context: CommandContext): Promise<number>;
}

export const stringOption = (options: OptionValues, name: string): string | undefined => {
  const value = options[name];
  return typeof value === 'string' ? value : undefined;
};

export const stringsOption = (options: OptionValues, name: string): string[] => {
  const value = options[name];
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
};

export const booleanOption = (options: OptionValues, name: string): boolean => options[name] === true;

/** Pretty-printed, one document, newline-terminated: what `--json` writes to stdout. */
export const writeJson = (io: CliIo, value: unknown): void => {
  io.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
};

/** `Exit` codes of the CLI (`issues show 5`). */
export const Exit = {
  ok: 0,
  failed: 1,
  usage: 2,
  waitTimeout: 3,
  api: 4,
  interrupted: 130,
} as const;
