/** What the local stack puts in place at start: the org and its admin key, the example tasks. */
import { chmod, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AlreadyExistsError } from '#domain/errors';
import { defaultOrgLimits } from '#domain/org';
import { generateApiKey, hashApiKey } from '#domain/principal';
import { publishTask } from '#use-cases/tasks';
import type { Adapters } from './compose.ts';
import { type Example, publishableExample } from './examples.ts';
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

/**
 * Publishes every example not yet published (versions are immutable), its `build` services
 * under their local image tags (built at start for the Docker runtime; the process runtime
 * runs `local.command` instead).
 */
export const publishExamples = async (
  examples: readonly Example[],
  adapters: Adapters,
  log: (line: string) => void,
): Promise<string[]> => {
  const published: string[] = [];
  for (const example of examples) {
    try {
      const record = await publishTask(
        {
          principal: { keyId: 'local-seed', org: LOCAL_ORG, role: 'admin', workspaces: ['*'] },
          org: LOCAL_ORG,
          manifest: publishableExample(example, LOCAL_ORG),
        },
        adapters,
      );
      published.push(`${record.name}@${record.version}`);
    } catch (error) {
      if (error instanceof AlreadyExistsError) continue;
      log(
        `examples: ${example.dir}/task.yaml was not published: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  }
  return published;
};
