/** What the local stack puts in place at start: the org and its admin key, the example tasks. */
import { chmod, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { AlreadyExistsError } from '#domain/errors';
import { defaultOrgLimits } from '#domain/org';
import { generateApiKey, hashApiKey } from '#domain/principal';
import { publishTask } from '#use-cases/tasks';
import type { Adapters } from './compose.ts';
import { LOCAL_ORG } from './local-names.ts';

/** Reuses the key in `<dataDir>/api-key` while it is still valid; else issues and writes a new one. */
export const ensureAdminKey = async (dataDir: string, access: Adapters['access']): Promise<string> => {
  const file = join(dataDir, 'api-key');
  await access.putOrg({
    org: LOCAL_ORG,
    ...defaultOrgLimits,
    createdAt: new Date().toISOString(),
  });
  const existing = (await readFile(file, 'utf8').catch(() => '')).trim();
  if (existing !== '') {
    const record = await access.getApiKey(hashApiKey(existing));
    if (record !== null && !record.revoked) return existing;
  }
  const generated = generateApiKey();
  await access.putApiKey({
    keyHash: generated.keyHash,
    keyId: generated.keyId,
    org: LOCAL_ORG,
    role: 'admin',
    workspaces: ['*'],
    createdAt: new Date().toISOString(),
    revoked: false,
  });
  await writeFile(file, `${generated.key}\n`, { mode: 0o600 });
  await chmod(file, 0o600);
  return generated.key;
};

/** Publishes every `examples/tasks/<dir>/task.yaml` not yet published (versions are immutable). */
export const publishExamples = async (
  dir: string,
  adapters: Adapters,
  log: (line: string) => void,
): Promise<string[]> => {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  const published: string[] = [];
  for (const entry of entries.filter((e) => e.isDirectory()).sort((a, b) => a.name.localeCompare(b.name))) {
    const text = await readFile(join(dir, entry.name, 'task.yaml'), 'utf8').catch(() => null);
    if (text === null) continue;
    try {
      const record = await publishTask(
        {
          principal: { keyId: 'local-seed', org: LOCAL_ORG, role: 'admin', workspaces: ['*'] },
          org: LOCAL_ORG,
          manifest: parseYaml(text),
        },
        adapters,
      );
      published.push(`${record.name}@${record.version}`);
    } catch (error) {
      if (error instanceof AlreadyExistsError) continue;
      log(
        `examples: ${entry.name}/task.yaml was not published: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  }
  return published;
};
