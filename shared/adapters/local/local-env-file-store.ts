import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseEnvFile, renderEnvFile } from '#domain/env-file';
import type { EnvFileListing, EnvFileStore } from '#ports/env-file-store';

/** Environment ids are UUIDs; anything else must not become a path (`../`). */
const ENVIRONMENT_ID_PATTERN = /^[A-Za-z0-9_-]+$/;

const fileName = (environmentId: string): string => {
  if (!ENVIRONMENT_ID_PATTERN.test(environmentId)) {
    throw new Error(`Environment id '${environmentId}' cannot name an env file`);
  }
  return `${environmentId}.env`;
};

/** Reads an env file as ECS does (see {@link parseEnvFile}). */
export const readEnvFile = async (path: string): Promise<Record<string, string>> =>
  parseEnvFile(await readFile(path, 'utf8'), path);

/**
 * {@link EnvFileStore} on the local disk: `<dir>/<environmentId>.env`, readable by the owner
 * only (file 0600, directory 0700), because it holds secret values and the execute token.
 * The returned reference is the file's absolute path, which the local runtimes read.
 */
export class LocalEnvFileStore implements EnvFileStore, EnvFileListing {
  readonly #dir: string;

  constructor({ dir }: { dir: string }) {
    this.#dir = resolve(dir);
  }

  refFor(environmentId: string): string {
    return join(this.#dir, fileName(environmentId));
  }

  async put(environmentId: string, variables: Readonly<Record<string, string>>): Promise<string> {
    const path = this.refFor(environmentId);
    const content = renderEnvFile(variables);
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

  async writtenBefore(before: Date): Promise<string[]> {
    let names: string[];
    try {
      names = await readdir(this.#dir);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
    const ids = names.flatMap((name) => {
      const id = name.endsWith('.env') ? name.slice(0, -'.env'.length) : '';
      return ENVIRONMENT_ID_PATTERN.test(id) ? [id] : [];
    });
    const old = await Promise.all(
      ids.map(async (id) => {
        const info = await stat(this.refFor(id)).catch(() => null);
        return info !== null && info.mtime.getTime() < before.getTime() ? id : null;
      }),
    );
    return old.filter((id) => id !== null);
  }
}
