/**
 * Finding a running local stack (`npm start`) from anywhere inside the project: the stack writes
 * `<data dir>/stack.json` (`{apiUrl, pid}`) and `<data dir>/api-key`; this walks up from the
 * working directory to the nearest `.taskenv` that has either. Used by the CLI and both SDKs'
 * defaults, so a non-default `--port` or a subdirectory needs no flags.
 */
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

export const DATA_DIR_NAME = '.taskenv';

export interface LocalStackFound {
  /** The data dir the files were read from. */
  readonly dataDir: string;
  /** The API of the stack, when its `stack.json` names a process that is still alive. */
  readonly apiUrl: string | null;
  readonly apiKey: string | null;
}

const readText = (path: string): string | null => {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    if (error instanceof Error && 'code' in error && (error.code === 'ENOENT' || error.code === 'ENOTDIR')) {
      return null;
    }
    throw error;
  }
};

/** True while a process with this pid exists (signal 0 only checks). */
const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return error instanceof Error && 'code' in error && error.code === 'EPERM';
  }
};

/** `{apiUrl, pid}` of a live stack, else null (absent, unreadable, or left behind by a crash). */
const runningApiUrl = (text: string | null): string | null => {
  if (text === null) return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof parsed !== 'object' || parsed === null) return null;
  const { apiUrl, pid } = parsed as { apiUrl?: unknown; pid?: unknown };
  if (typeof apiUrl !== 'string' || typeof pid !== 'number' || !Number.isInteger(pid)) return null;
  return alive(pid) ? apiUrl : null;
};

const readDataDir = (dataDir: string): LocalStackFound | null => {
  const stackText = readText(join(dataDir, 'stack.json'));
  const keyText = readText(join(dataDir, 'api-key'));
  if (stackText === null && keyText === null) return null;
  return { dataDir, apiUrl: runningApiUrl(stackText), apiKey: keyText?.trim() || null };
};

/**
 * `$TASKENV_DATA_DIR` (relative to `cwd`) when set, else the nearest `.taskenv` in `cwd` or
 * one of its parents that holds a `stack.json` or an `api-key`; null when there is none.
 */
export const findLocalStack = (
  cwd: string,
  env: Readonly<Record<string, string | undefined>>,
): LocalStackFound | null => {
  const explicit = env.TASKENV_DATA_DIR?.trim();
  if (explicit !== undefined && explicit !== '') return readDataDir(resolve(cwd, explicit));
  for (let dir = resolve(cwd); ; dir = dirname(dir)) {
    const found = readDataDir(join(dir, DATA_DIR_NAME));
    if (found !== null) return found;
    if (dirname(dir) === dir) return null;
  }
};
