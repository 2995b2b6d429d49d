import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Script } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { parseManifest } from '#domain/manifest';
import { exampleTaskNames, REPO_ROOT, readExampleManifest } from '#test/support/example-tasks';

const names = exampleTaskNames();

describe('examples/tasks', () => {
  it('holds the examples the local stack seeds and documents', () => {
    // Assess
    expect(names).toEqual(expect.arrayContaining(['crash-on-start', 'hello-http', 'two-service']));
  });

  describe.each(names)('%s/task.yaml', (name) => {
    it('is a valid manifest named after its directory', () => {
      // Act
      const manifest = parseManifest(readExampleManifest(name));

      // Assess
      expect(manifest.name).toBe(name);
    });

    it('gives every service a local command whose files exist, relative to the repository root', () => {
      // Prepare
      const manifest = parseManifest(readExampleManifest(name));

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

    it('gives every service an image, and inline `node -e` code that compiles', () => {
      // Prepare
      const manifest = parseManifest(readExampleManifest(name));

      // Act
      const inline = Object.values(manifest.services).flatMap((definition) =>
        [definition.command, definition.local?.command].flatMap((command) =>
          command?.[0] === 'node' && command[1] === '-e' && command[2] !== undefined ? [command[2]] : [],
        ),
      );

      // Assess
      for (const definition of Object.values(manifest.services)) {
        expect(definition.image).toMatch(/^public\.ecr\.aws\//);
      }
      for (const code of inline) {
        // Compiling is enough to catch a YAML folding mistake; running is the e2e suite's job.
        expect(() => new Script(code), code).not.toThrow();
      }
    });
  });
});
