/**
 * The execute tokens the CLI was given (only the 201 of a create carries one), kept in a 0600
 * file next to the config file, keyed by environment id, so `env exec` works right after
 * `env create`.
 */
import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { z } from 'zod';
import { configLocation, type Environment } from './settings.ts';

const fileSchema = z.record(z.string(), z.string());

/** `<config dir>/execute-tokens.json`. */
const tokensFile = (env: Environment): string =>
  join(dirname(configLocation(env).path), 'execute-tokens.json');

const readAll = async (file: string): Promise<Record<string, string>> => {
  const text = await readFile(file, 'utf8').catch(() => null);
  if (text === null) return {};
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return {};
  }
  const parsed = fileSchema.safeParse(json);
  return parsed.success ? parsed.data : {};
};

const writeAll = async (file: string, tokens: Record<string, string>): Promise<void> => {
  await mkdir(dirname(file), { recursive: true, mode: 0o700 });
  const temporary = `${file}.${process.pid}.tmp`;
  await writeFile(temporary, `${JSON.stringify(tokens, null, 2)}\n`, { mode: 0o600 });
  await chmod(temporary, 0o600);
  await rename(temporary, file);
};

export const saveToken = async (env: Environment, environmentId: string, token: string): Promise<void> => {
  const file = tokensFile(env);
  await writeAll(file, { ...(await readAll(file)), [environmentId]: token });
};

export const loadToken = async (env: Environment, environmentId: string): Promise<string | null> =>
  (await readAll(tokensFile(env)))[environmentId] ?? null;

export const forgetToken = async (env: Environment, environmentId: string): Promise<void> => {
  const file = tokensFile(env);
  const tokens = await readAll(file);
  if (!(environmentId in tokens)) return;
  delete tokens[environmentId];
  await writeAll(file, tokens);
};
