import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkBuildContexts } from '#cli/task-images';
import { parseManifest } from '#domain/manifest';
import { parseTaskSource } from '#domain/task-source';
import {
  exampleTaskNames,
  publishedExampleManifest,
  REPO_ROOT,
  readExampleManifest,
} from '#test/support/example-tasks';

const names = exampleTaskNames();

describe('examples/tasks', () => {
  it('holds the examples the local stack seeds and documents', () => {
    // Assess
    expect(names).toEqual(expect.arrayContaining(['crash-on-start', 'hello-http', 'two-service']));
  });

  describe.each(names)('%s/task.yaml', (name) => {
    it('is a valid manifest named after its directory', () => {
      // Act
      const manifest = parseManifest(publishedExampleManifest(name));

      // Assess
      expect(manifest.name).toBe(name);
    });

    it('gives every service a local command whose files exist, relative to the repository root', () => {
      // Prepare
      const manifest = parseManifest(publishedExampleManifest(name));

      // Act
      const services = Object.entries(manifest.services).map(([service, definition]) => ({
        service,
        command: definition.local?.command ?? [],
      }));

      // Assess
      for (const { service, command } of services) {
        expect(command, service).not.toHaveLength(0);
        for (const path of command.filter((arg) => arg.startsWith('examples/'))) {
          expect(existsSync(join(REPO_ROOT, path)), `${service}: ${path}`).toBe(true);
        }
      }
    });

    it('builds every service from a FROM scratch Dockerfile in the task directory, so no registry is needed', async () => {
      // Prepare
      const dir = join(REPO_ROOT, 'examples', 'tasks', name);
      const source = parseTaskSource(readExampleManifest(name));

      // Act
      const problems = await checkBuildContexts(dir, source.builds);
      const bases = [...source.builds.values()].flatMap((build) =>
        readFileSync(join(dir, build.context, build.dockerfile ?? 'Dockerfile'), 'utf8')
          .split('\n')
          .filter((line) => /^\s*FROM\s/i.test(line))
          .map((line) => line.trim()),
      );

      // Assess
      expect([...source.builds.keys()].sort()).toEqual(
        Object.keys(parseManifest(publishedExampleManifest(name)).services).sort(),
      );
      expect(problems).toEqual([]);
      expect(bases.length).toBeGreaterThan(0);
      expect(new Set(bases)).toEqual(new Set(['FROM scratch']));
    });

    it('is published with the local tag task push gives each built service', () => {
      // Act
      const manifest = parseManifest(publishedExampleManifest(name));

      // Assess
      for (const [service, definition] of Object.entries(manifest.services)) {
        expect(definition.image).toBe(`taskenv/local/${name}:${manifest.version}-${service}`);
      }
    });
  });
});
