import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { EnvFileStore } from '#ports/env-file-store';

/** The same rule the ECS env file format imposes: no quoting, so a name is a plain identifier. */
const ENV_NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Environment ids are UUIDs; anything else must not become a path (`../`). */
const ENVIRONMENT_ID_PATTERN = /^[A-Za-z0-9_-]+$/;

const fileName = (environmentId: string): string => {
  if (!ENVIRONMENT_ID_PATTERN.test(environmentId)) {
    throw new Error(`Environment id '${environmentId}' cannot name an env file`);
  }
  return `${environmentId}.env`;
};

/**
 * One `NAME=value` line per variable, sorted. The S3 adapter renders the same format; it is
 * not imported from there so the local stack never loads the S3 client.
 */
const render = (variables: Readonly<Record<string, string>>): string =>
  Object.entries(variables)
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([name, value]) => {
      if (!ENV_NAME_PATTERN.test(name)) {
        throw new Error(`Env file variable name '${name}' is not a valid identifier`);
      }
      if (/[\r\n]/.test(value)) {
        // The value is likely a secret: name the variable, never echo the value.
        throw new Error(
          `Env file variable '${name}' contains a line break, which the env file format cannot hold`,
        );
      }
      return `${name}=${value}\n`;
    })
    .join('');

/**
 * Reads an env file as ECS does: `NAME=value` per line, split at the first `=`, the value kept
 * verbatim (no quotes, no escapes); blank lines and `#` comments are skipped.
 */
export const readEnvFile = async (path: string): Promise<Record<string, string>> => {
  const text = await readFile(path, 'utf8');
  const variables: Record<string, string> = {};
  for (const line of text.split('\n')) {
    if (line.trim() === '' || line.startsWith('#')) continue;
    const separator = line.indexOf('=');
    if (separator <= 0) {
      // Say where, not what: the line may hold a secret.
      throw new Error(`Env file ${path} has a line without NAME=value`);
    }
    variables[line.slice(0, separator)] = line.slice(separator + 1);
  }
  return variables;
};

/**
 * {@link EnvFileStore} on the local disk: `<dir>/<environmentId>.env`, readable by the owner
 * only (file 0600, directory 0700), because it holds secret values and the execute token.
 * The returned reference is the file's absolute path, which the local runtimes read.
 */
export class LocalEnvFileStore implements EnvFileStore {
  readonly #dir: string;

  constructor({ dir }: { dir: string }) {
    this.#dir = resolve(dir);
  }

  refFor(environmentId: string): string {
    return join(this.#dir, fileName(environmentId));
  }

  async put(environmentId: string, variables: Readonly<Record<string, string>>): Promise<string> {
    const path = this.refFor(environmentId);
    const content = render(variables);
    await mkdir(this.#dir, { recursive: true, mode: 0o700 });
    // mkdir leaves an existing directory's mode alone.
    await chmod(this.#dir, 0o700);
    // Written aside and renamed so a runtime never reads half a file, and so the 0600 mode
    // applies even when the file already existed (writeFile's mode only applies on creation).
    const temporary = `${path}.${randomBytes(6).toString('hex')}.tmp`;
    try {
      await writeFile(temporary, content, { mode: 0o600, flag: 'wx' });
      await rename(temporary, path);
    } catch (error) {
      await rm(temporary, { force: true });
      throw error;
    }
    return path;
  }

  async delete(environmentId: string): Promise<void> {
    await rm(join(this.#dir, fileName(environmentId)), { force: true });
  }
}
