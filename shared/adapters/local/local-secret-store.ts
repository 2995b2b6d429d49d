import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import type { SecretValueStore } from '#ports/secret-store';

const REF_PREFIX = 'local:';

const isMissingFile = (error: unknown): boolean =>
  error instanceof Error && 'code' in error && error.code === 'ENOENT';

const isStringRecord = (value: unknown): value is Record<string, string> =>
  typeof value === 'object' &&
  value !== null &&
  !Array.isArray(value) &&
  Object.values(value).every((v) => typeof v === 'string');

/**
 * {@link SecretValueStore} in one JSON file readable by the owner only (0600), mapping each
 * value reference `local:<org>/<workspace>/<id>` to its value. Every write replaces the file
 * atomically (temporary file + rename), and writes are serialised, so concurrent puts never
 * lose one another and a crash never leaves half a file.
 */
export class LocalSecretValueStore implements SecretValueStore {
  readonly #file: string;
  /** The tail of the write queue; each read-modify-write runs after the previous one. */
  #writes: Promise<void> = Promise.resolve();

  constructor({ file }: { file: string }) {
    this.#file = resolve(file);
  }

  async put(org: string, workspace: string, id: string, value: string): Promise<string> {
    const valueRef = `${REF_PREFIX}${org}/${workspace}/${id}`;
    await this.#modify((values) => {
      values[valueRef] = value;
    });
    return valueRef;
  }

  async get(valueRef: string): Promise<string> {
    const value = (await this.#read())[valueRef];
    if (value === undefined) {
      throw new Error(`Secret ${valueRef} not found`);
    }
    return value;
  }

  async delete(valueRef: string): Promise<void> {
    await this.#modify((values) => {
      delete values[valueRef];
    });
  }

  async #read(): Promise<Record<string, string>> {
    let text: string;
    try {
      text = await readFile(this.#file, 'utf8');
    } catch (error) {
      if (isMissingFile(error)) return {};
      throw error;
    }
    const parsed: unknown = JSON.parse(text);
    if (!isStringRecord(parsed)) {
      // Never quote the content: it is made of secret values.
      throw new Error(`Secret file ${this.#file} is not a JSON object of strings`);
    }
    return parsed;
  }

  #modify(change: (values: Record<string, string>) => void): Promise<void> {
    const run = this.#writes.then(async () => {
      const values = await this.#read();
      change(values);
      await this.#write(values);
    });
    // A failed write must not wedge the queue; its caller still sees the failure through `run`.
    this.#writes = run.catch(() => undefined);
    return run;
  }

  async #write(values: Record<string, string>): Promise<void> {
    await mkdir(dirname(this.#file), { recursive: true, mode: 0o700 });
    const temporary = `${this.#file}.${randomBytes(6).toString('hex')}.tmp`;
    try {
      await writeFile(temporary, `${JSON.stringify(values, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
      await rename(temporary, this.#file);
    } catch (error) {
      await rm(temporary, { force: true });
      throw error;
    }
  }
}
