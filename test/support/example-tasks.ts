import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { parseManifest, type TaskManifest } from '#domain/manifest';
import { parseTaskSource } from '#domain/task-source';
import type { TaskVersionRecord } from '#domain/task-version';
import { publishableExample } from '#local/examples';

/** The repository root: the working directory the examples' `local.command`s expect. */
export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));

const EXAMPLES_DIR = new URL('../../examples/tasks/', import.meta.url);

/** Every example task directory name (`hello-http`, …). */
export const exampleTaskNames = (): string[] =>
  readdirSync(EXAMPLES_DIR, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort();

/** The raw YAML document of an example's `task.yaml`, as written (its services have `build`). */
export const readExampleManifest = (name: string): unknown =>
  parse(readFileSync(new URL(`${name}/task.yaml`, EXAMPLES_DIR), 'utf8'));

/** An example's manifest as the local stack publishes it: each `build` as its local image tag. */
export const publishedExampleManifest = (name: string, org = 'local'): unknown => {
  const json = readExampleManifest(name);
  return publishableExample(
    { dir: fileURLToPath(new URL(name, EXAMPLES_DIR)), json, source: parseTaskSource(json) },
    org,
  );
};

/** A published version of `manifest` in org `local`, as the task registry would return it. */
export const taskVersionOf = (manifest: TaskManifest, org = 'local'): TaskVersionRecord => ({
  org,
  name: manifest.name,
  version: manifest.version,
  public: manifest.public,
  description: manifest.description ?? null,
  manifest,
  taskDefinitionArn: null,
  createdAt: '2025-01-01T00:00:00.000Z',
});

/** An example task, parsed and published in org `local`. */
export const exampleTask = (name: string): TaskVersionRecord =>
  taskVersionOf(parseManifest(publishedExampleManifest(name)));

/**
 * A manifest whose one service, `main`, writes `marker` on the host as it starts, then waits:
 * what a hostile `local.command` would do. The trust tests assert the file never appears for a
 * refused task.
 */
export const markerManifest = (name: string, marker: string, instruction = 'Writes a marker') => ({
  name,
  version: '1.0.0',
  instruction,
  services: {
    main: {
      image: 'public.ecr.aws/docker/library/node:20-alpine',
      local: {
        command: [
          'node',
          '-e',
          `require('node:fs').writeFileSync(${JSON.stringify(marker)}, 'ran'); setInterval(() => {}, 1000)`,
        ],
      },
    },
  },
});
