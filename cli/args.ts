/** Turning command-line strings into request values; every refusal is a usage error (exit 2). */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';

/** The command line itself is wrong; `hint` names the help to read. */
export class UsageError extends Error {
  readonly hint: string | undefined;

  constructor(message: string, hint?: string) {
    super(message);
    this.name = 'UsageError';
    this.hint = hint;
  }
}

/** A local input (file, manifest) the user must fix; exit 1, no request was made. */
export class InputError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'InputError';
  }
}

/**
 * An input value as typed: JSON when it parses (`3`, `true`, `"3"` for a string of digits),
 * else the text itself, so `name=world` needs no quoting.
 */
export const parseInputValue = (raw: string): unknown => {
  try {
    return JSON.parse(raw);
  } catch {
    return raw;
  }
};

/** Reads a file named on the command line, relative to the CLI's working directory. */
export const readUserFile = async (path: string, cwd: string): Promise<string> => {
  const full = resolve(cwd, path);
  try {
    return await readFile(full, 'utf8');
  } catch (error) {
    const reason = error instanceof Error && 'code' in error ? String(error.code) : String(error);
    throw new InputError(`cannot read ${full} (${reason})`, { cause: error });
  }
};

/**
 * `--input k=v` assignments → the request's `inputs`. `k=@file` takes the file's text verbatim
 * (never JSON-parsed: a file holds text). A key given twice is refused rather than silently
 * overwritten.
 */
export const parseInputs = async (
  assignments: readonly string[],
  cwd: string,
): Promise<Record<string, unknown> | undefined> => {
  if (assignments.length === 0) return undefined;
  const inputs: Record<string, unknown> = {};
  for (const assignment of assignments) {
    const eq = assignment.indexOf('=');
    if (eq <= 0) {
      throw new UsageError(`--input '${assignment}' must be key=value (or key=@file)`);
    }
    const key = assignment.slice(0, eq);
    const raw = assignment.slice(eq + 1);
    if (Object.hasOwn(inputs, key)) throw new UsageError(`--input '${key}' is given more than once`);
    inputs[key] = raw.startsWith('@') ? await readUserFile(raw.slice(1), cwd) : parseInputValue(raw);
  }
  return inputs;
};

/** A whole number within bounds, e.g. `--timeout-sec 600`. */
export const parseInteger = (
  option: string,
  raw: string,
  min: number,
  max = Number.MAX_SAFE_INTEGER,
): number => {
  const value = Number(raw);
  if (!/^\s*-?\d+\s*$/.test(raw) || !Number.isSafeInteger(value) || value < min || value > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `≥ ${min}` : `between ${min} and ${max}`;
    throw new UsageError(`--${option} must be a whole number ${range}, got '${raw}'`);
  }
  return value;
};

/** Positive seconds, fractions allowed (`--wait-timeout 0.5`). */
export const parseSeconds = (option: string, raw: string): number => {
  const value = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(value) || value <= 0) {
    throw new UsageError(`--${option} must be a positive number of seconds, got '${raw}'`);
  }
  return value;
};

/** One trailing newline is what `echo` and editors add; a secret almost never ends with one. */
export const stripFinalNewline = (text: string): string => text.replace(/\r?\n$/, '');
