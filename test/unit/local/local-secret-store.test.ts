import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LocalSecretValueStore } from '#adapters/local/local-secret-store';

let root: string;
let file: string;
let store: LocalSecretValueStore;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'taskenv-secrets-'));
  file = join(root, 'data', 'secrets.json');
  store = new LocalSecretValueStore({ file });
});

afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('LocalSecretValueStore', () => {
  it('stores a value under local:<org>/<workspace>/<id> in a file only the owner can read', async () => {
    // Act
    const ref = await store.put('acme', 'default', 'openai', 'sk-123');

    // Assess
    expect(ref).toBe('local:acme/default/openai');
    expect(await store.get(ref)).toBe('sk-123');
    expect(JSON.parse(await readFile(file, 'utf8'))).toEqual({ 'local:acme/default/openai': 'sk-123' });
    expect((await stat(file)).mode & 0o777).toBe(0o600);
  });

  it('replaces the value of an existing id and keeps the same reference', async () => {
    // Prepare
    const first = await store.put('acme', 'default', 'openai', 'sk-old');

    // Act
    const second = await store.put('acme', 'default', 'openai', 'sk-new');

    // Assess
    expect(second).toBe(first);
    expect(await store.get(second)).toBe('sk-new');
  });

  it('loses no write when many puts run at once, and leaves no temporary file', async () => {
    // Prepare
    const ids = Array.from({ length: 40 }, (_, i) => `secret-${i}`);

    // Act
    const refs = await Promise.all(ids.map((id) => store.put('acme', 'default', id, `value-${id}`)));

    // Assess
    const values = await Promise.all(refs.map((ref) => store.get(ref)));
    expect(values).toEqual(ids.map((id) => `value-${id}`));
    expect(await readdir(join(root, 'data'))).toEqual(['secrets.json']);
  });

  it('keeps values across instances on the same file', async () => {
    // Prepare
    const ref = await store.put('acme', 'default', 'token', 'abc');

    // Act
    const value = await new LocalSecretValueStore({ file }).get(ref);

    // Assess
    expect(value).toBe('abc');
  });

  it('deletes a value, and accepts deleting one that is gone', async () => {
    // Prepare
    const ref = await store.put('acme', 'default', 'token', 'abc');
    const other = await store.put('acme', 'default', 'other', 'def');

    // Act
    await store.delete(ref);
    await store.delete(ref);

    // Assess
    await expect(store.get(ref)).rejects.toThrow(/not found/);
    expect(await store.get(other)).toBe('def');
  });

  it('rejects a get of an unknown reference without a file', async () => {
    // Act
    const result = store.get('local:acme/default/missing');

    // Assess
    await expect(result).rejects.toThrow('Secret local:acme/default/missing not found');
  });

  it('refuses a corrupted file without quoting its content', async () => {
    // Prepare
    await store.put('acme', 'default', 'token', 'abc');
    await writeFile(file, '{"local:acme/default/token": 42, "leak": "sk-live-123"}');

    // Act
    const result = store.get('local:acme/default/token');

    // Assess
    await expect(result).rejects.toThrow(/not a JSON object of strings/);
    await expect(result).rejects.not.toThrow(/sk-live-123/);
  });
});
