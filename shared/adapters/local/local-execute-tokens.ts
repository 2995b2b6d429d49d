import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { chmod, link, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { executeTokenBytes, executeTokenMessage } from '#domain/execute-token';
import type { ExecuteTokens } from '#ports/execute-tokens';

const KEY_BYTES = 32;

/**
 * {@link ExecuteTokens} with a 32-byte key in a file (the local stack's data dir, mode 0600),
 * made on first use and kept across restarts, so tokens of live environments stay valid.
 */
export class LocalExecuteTokens implements ExecuteTokens {
  readonly #file: string;
  #key: Promise<Buffer> | null = null;

  /** `key`: a key held in memory instead of a file (benchmarks and tests that keep no data dir). */
  constructor(options: { readonly file: string } | { readonly key: Buffer }) {
    if ('key' in options) {
      if (options.key.length !== KEY_BYTES) throw new Error(`An execute-token key has ${KEY_BYTES} bytes`);
      this.#file = '';
      this.#key = Promise.resolve(options.key);
    } else {
      this.#file = resolve(options.file);
    }
  }

  async issue(environmentId: string): Promise<string> {
    return (await this.#mac(environmentId)).toString('base64url');
  }

  async verify(environmentId: string, token: string): Promise<boolean> {
    const given = executeTokenBytes(token);
    const expected = await this.#mac(environmentId);
    // Both are 32 bytes here, as timingSafeEqual needs; a malformed token is compared with a
    // same-length buffer so a wrong and a malformed token take the same time.
    return timingSafeEqual(given ?? Buffer.alloc(expected.length), expected) && given !== null;
  }

  async #mac(environmentId: string): Promise<Buffer> {
    const key = await this.#loadKey();
    return createHmac('sha256', key).update(executeTokenMessage(environmentId), 'utf8').digest();
  }

  #loadKey(): Promise<Buffer> {
    this.#key ??= this.#readOrCreate().catch((error: unknown) => {
      this.#key = null;
      throw error;
    });
    return this.#key;
  }

  async #readOrCreate(): Promise<Buffer> {
    await mkdir(dirname(this.#file), { recursive: true, mode: 0o700 });
    // Written aside, then linked into place: the link fails when a key exists, so two stacks
    // starting on one data dir never replace each other's key, nor read a half-written one.
    const temporary = `${this.#file}.${randomBytes(6).toString('hex')}.tmp`;
    try {
      await writeFile(temporary, randomBytes(KEY_BYTES), { mode: 0o600, flag: 'wx' });
      await link(temporary, this.#file);
    } catch (error) {
      if (!(error instanceof Error && 'code' in error && error.code === 'EEXIST')) throw error;
    } finally {
      await rm(temporary, { force: true });
    }
    await chmod(this.#file, 0o600);
    const key = await readFile(this.#file);
    if (key.length !== KEY_BYTES) {
      throw new Error(
        `${this.#file} must hold exactly ${KEY_BYTES} bytes (found ${key.length}); remove it to make a new key`,
      );
    }
    return key;
  }
}
