import { randomUUID } from 'node:crypto';
import { chmod, mkdtemp, readdir, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LocalEnvFileStore, readEnvFile } from '#adapters/local/local-env-file-store';

let root: string;
let dir: string;
let store: LocalEnvFileStore;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'taskenv-env-files-'));
  dir = join(root, 'env');
  store = new LocalEnvFileStore({ dir });
});

afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

const modeOf = async (path: string): Promise<number> => (await stat(path)).mode & 0o777;

describe('LocalEnvFileStore.put', () => {
  it('writes <dir>/<id>.env, readable by the owner only, and returns its path', async () => {
    // Prepare
    const id = randomUUID();

    // Act
    const ref = await store.put(id, { TASKENV_EXECUTE_TOKEN: 'tok_123', API_KEY: 'sk-a=b c#d', EMPTY: '' });

    // Assess
    expect(ref).toBe(join(dir, `${id}.env`));
    expect(await readFile(ref, 'utf8')).toBe('API_KEY=sk-a=b c#d\nEMPTY=\nTASKENV_EXECUTE_TOKEN=tok_123\n');
    expect(await modeOf(ref)).toBe(0o600);
    expect(await modeOf(dir)).toBe(0o700);
  });

  it('round-trips through readEnvFile, values verbatim', async () => {
    // Prepare
    const variables = { API_KEY: 'sk-a=b c#d', QUOTED: '"kept"', SPACES: '  both ends  ', EMPTY: '' };

    // Act
    const ref = await store.put(randomUUID(), variables);

    // Assess
    expect(await readEnvFile(ref)).toEqual(variables);
  });

  it('keeps a rewritten file at 0600 and leaves no temporary file behind', async () => {
    // Prepare
    const id = randomUUID();
    const ref = await store.put(id, { A: '1' });
    await chmod(ref, 0o644);
    await chmod(dir, 0o755);

    // Act
    await store.put(id, { A: '2' });

    // Assess
    expect(await readEnvFile(ref)).toEqual({ A: '2' });
    expect(await modeOf(ref)).toBe(0o600);
    expect(await modeOf(dir)).toBe(0o700);
    expect(await readdir(dir)).toEqual([`${id}.env`]);
  });

  it.each([
    ['a line feed', 'first\nINJECTED=1'],
    ['a carriage return', 'first\rsecond'],
  ])('refuses a value containing %s without writing or echoing it', async (_, value) => {
    // Prepare
    const id = randomUUID();

    // Act
    const result = store.put(id, { API_KEY: value });

    // Assess
    await expect(result).rejects.toThrow(/API_KEY.*line break/);
    await expect(result).rejects.not.toThrow(value);
    await expect(stat(join(dir, `${id}.env`))).rejects.toThrow(/ENOENT/);
  });

  it('refuses a variable name the format cannot carry', async () => {
    // Act
    const result = store.put(randomUUID(), { 'BAD=NAME': 'x' });

    // Assess
    await expect(result).rejects.toThrow(/not a valid identifier/);
  });

  it('refuses an environment id that would leave the directory', async () => {
    // Act
    const result = store.put('../escape', { A: '1' });

    // Assess
    await expect(result).rejects.toThrow(/cannot name an env file/);
    await expect(stat(join(root, 'escape.env'))).rejects.toThrow(/ENOENT/);
  });
});

describe('LocalEnvFileStore.delete', () => {
  it('removes the file, and accepts a file that is already gone', async () => {
    // Prepare
    const id = randomUUID();
    const ref = await store.put(id, { A: '1' });

    // Act
    await store.delete(id);
    await store.delete(id);

    // Assess
    await expect(stat(ref)).rejects.toThrow(/ENOENT/);
  });
});

describe('LocalEnvFileStore.writtenBefore', () => {
  it('lists the ids of env files last written before the given time, and nothing else in the directory', async () => {
    // Prepare
    const [old, fresh] = [randomUUID(), randomUUID()];
    await store.put(old, { A: '1' });
    await store.put(fresh, { A: '2' });
    const hourAgo = new Date(Date.now() - 3600_000);
    await utimes(store.refFor(old), hourAgo, hourAgo);
    await writeFile(join(dir, 'notes.txt'), 'not an env file');

    // Act
    const listed = await store.writtenBefore(new Date(Date.now() - 600_000));

    // Assess
    expect(listed).toEqual([old]);
  });

  it('lists nothing before the first env file is written', async () => {
    expect(await store.writtenBefore(new Date())).toEqual([]);
  });
});

describe('readEnvFile', () => {
  it('skips blank lines and comments, and splits at the first =', async () => {
    // Prepare
    const path = join(root, 'hand-written.env');
    await writeFile(path, '# comment\n\nURL=https://x.test/?a=b\nEMPTY=\n');

    // Act
    const variables = await readEnvFile(path);

    // Assess
    expect(variables).toEqual({ URL: 'https://x.test/?a=b', EMPTY: '' });
  });

  it('refuses a line without NAME=value, without quoting it', async () => {
    // Prepare
    const path = join(root, 'broken.env');
    await writeFile(path, 'A=1\nsecret-without-name\n');

    // Act
    const result = readEnvFile(path);

    // Assess
    await expect(result).rejects.toThrow(/without NAME=value/);
    await expect(result).rejects.not.toThrow(/secret-without-name/);
  });
});
