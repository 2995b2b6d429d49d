import { createHmac, randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LocalExecuteTokens } from '#adapters/local/local-execute-tokens';

let dir: string;
let file: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'taskenv-execute-tokens-'));
  file = join(dir, 'data', 'execute-token.key');
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('LocalExecuteTokens', () => {
  it('makes a 32-byte key file readable by the owner only, and issues HMAC-SHA-256 tokens with it', async () => {
    // Prepare
    const id = randomUUID();

    // Act
    const token = await new LocalExecuteTokens({ file }).issue(id);

    // Assess
    const key = await readFile(file);
    expect(key).toHaveLength(32);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    const expected = createHmac('sha256', key).update(`taskenv:execute-token:v1:${id}`).digest('base64url');
    expect(token).toBe(expected);
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it('gives the same token for the same id across restarts (the key file is kept), another for another id', async () => {
    // Prepare
    const id = randomUUID();
    const first = await new LocalExecuteTokens({ file }).issue(id);

    // Act
    const restarted = new LocalExecuteTokens({ file });
    const again = await restarted.issue(id);
    const other = await restarted.issue(randomUUID());

    // Assess
    expect(again).toBe(first);
    expect(other).not.toBe(first);
  });

  it('verifies its own tokens and refuses wrong, malformed and other-environment tokens', async () => {
    // Prepare
    const tokens = new LocalExecuteTokens({ file });
    const id = randomUUID();
    const token = await tokens.issue(id);
    const flipped = `${token.slice(0, 10)}${token[10] === 'A' ? 'B' : 'A'}${token.slice(11)}`;

    // Act
    const results = await Promise.all([
      tokens.verify(id, token),
      tokens.verify(id, flipped),
      tokens.verify(id, ''),
      tokens.verify(id, `${token}A`),
      tokens.verify(randomUUID(), token),
    ]);

    // Assess
    expect(results).toEqual([true, false, false, false, false]);
  });

  it('refuses tokens of another stack (another key file)', async () => {
    const id = randomUUID();
    const token = await new LocalExecuteTokens({ file }).issue(id);

    const other = new LocalExecuteTokens({ file: join(dir, 'other', 'execute-token.key') });

    await expect(other.verify(id, token)).resolves.toBe(false);
  });

  it('fails on a key file that is not 32 bytes instead of deriving tokens from it', async () => {
    await writeFile(join(dir, 'short.key'), 'too short');

    await expect(
      new LocalExecuteTokens({ file: join(dir, 'short.key') }).issue(randomUUID()),
    ).rejects.toThrow('must hold exactly 32 bytes');
  });

  it('makes one key when several instances start at once on the same data dir', async () => {
    const id = randomUUID();

    const tokens = await Promise.all(
      Array.from({ length: 5 }, () => new LocalExecuteTokens({ file }).issue(id)),
    );

    expect(new Set(tokens).size).toBe(1);
  });
});
