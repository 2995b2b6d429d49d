import { execFile } from 'node:child_process';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const root = join(import.meta.dirname, '..', '..');
const biome = join(root, 'node_modules', '.bin', 'biome');

/**
 * Lints a probe module placed in a layer's folder and returns the restricted-import messages.
 * The probe lives next to real modules because Biome's layer overrides match by path.
 */
const lintProbe = async (folder: string, source: string): Promise<string[]> => {
  const file = join(root, folder, `layer-probe-${process.pid}.ts`);
  await writeFile(file, source);
  try {
    await run(biome, ['lint', '--colors=off', '--max-diagnostics=50', file], { cwd: root });
    return [];
  } catch (error) {
    const output =
      String((error as { stdout?: unknown }).stdout ?? '') +
      String((error as { stderr?: unknown }).stderr ?? '');
    return output
      .split('\n')
      .filter((line) => line.includes('imports nothing above') || line.includes('never import'));
  } finally {
    await rm(file, { force: true });
  }
};

describe('layer rules (biome noRestrictedImports, run by npm run lint in CI)', () => {
  it('fails a domain module that imports a port', async () => {
    // Act
    const problems = await lintProbe(
      'shared/domain',
      "import type { Clock } from '#ports/clock';\n\nexport type Probe = Clock;\n",
    );
    // Assess
    expect(problems).toHaveLength(1);
  });

  it('fails a domain module that climbs out with a relative path', async () => {
    const problems = await lintProbe(
      'shared/domain/api',
      "import type { Clock } from '../../ports/clock.ts';\n\nexport type Probe = Clock;\n",
    );
    expect(problems).toHaveLength(1);
  });

  it('fails a use case that imports an adapter', async () => {
    const problems = await lintProbe(
      'shared/use-cases',
      "import { systemClock } from '#adapters/aws/wiring';\n\nexport const probe = systemClock;\n",
    );
    expect(problems).toHaveLength(1);
  });

  it('lets a domain module import the domain and zod', async () => {
    const problems = await lintProbe(
      'shared/domain',
      "import * as z from '#shared/zod';\nimport type { Role } from './principal.ts';\n\nexport const probe: z.ZodMiniType<Role> | null = null;\n",
    );
    expect(problems).toEqual([]);
  });
});
