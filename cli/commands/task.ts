/** `taskenv task …`: publish, list, inspect and check task manifests (`task.yaml`). */
import { stat } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { ValidationError } from '#domain/errors';
import type { TaskSource } from '#domain/task-source';
import { InputError, readUserFile, UsageError } from '../args.ts';
import { type ApiClient, ApiError } from '../client.ts';
import { type Command, type CommandContext, Exit, stringOption, writeJson } from '../command.ts';
import { indent, keyValues, table } from '../output.ts';
import { isLoopbackUrl } from '../settings.ts';
import { createProgress } from '../wait.ts';

const MANIFEST_FILE = 'task.yaml';

/** Relative to the working directory when inside it, else absolute: whichever a reader can find. */
const displayPath = (path: string, cwd: string): string => {
  const rel = relative(cwd, path);
  return rel === '' || rel.startsWith('..') || isAbsolute(rel) ? path : rel;
};

/** `<dir>/task.yaml`, or the file itself when the argument names one. */
const manifestPath = async (target: string, cwd: string): Promise<string> => {
  const full = resolve(cwd, target);
  const info = await stat(full).catch(() => null);
  return info?.isFile() === true ? full : join(full, MANIFEST_FILE);
};

/** The manifest as the API takes it: the YAML document as plain JSON data. */
const readManifest = async (target: string, cwd: string): Promise<{ path: string; manifest: unknown }> => {
  const path = await manifestPath(target, cwd);
  const text = await readUserFile(path, cwd);
  // Loaded here, not at start-up: the YAML parser is most of the CLI's code, and only task commands read YAML.
  const { parse: parseYaml } = await import('yaml');
  try {
    return { path, manifest: parseYaml(text) };
  } catch (error) {
    throw new InputError(
      `${displayPath(path, cwd)} is not valid YAML: ${error instanceof Error ? error.message.trimEnd() : String(error)}`,
      {
        cause: error,
      },
    );
  }
};

/**
 * `org/name@version` → its parts, split but not judged: a malformed ref still goes to the API,
 * whose answer (404/422 with a detail) is the one the user should see.
 */
const splitRef = (ref: string): { org?: string; name: string; version?: string } => {
  const slash = ref.indexOf('/');
  const org = slash < 0 ? undefined : ref.slice(0, slash);
  const rest = slash < 0 ? ref : ref.slice(slash + 1);
  const at = rest.lastIndexOf('@');
  return {
    ...(org === undefined ? {} : { org }),
    name: at < 0 ? rest : rest.slice(0, at),
    ...(at < 0 ? {} : { version: rest.slice(at + 1) }),
  };
};

interface Problem {
  readonly loc: readonly (string | number)[];
  readonly msg: string;
}

const problemLines = (problems: readonly Problem[]): string =>
  problems.map(({ loc, msg }) => `  ${loc.join('.') || '(root)'}: ${msg}\n`).join('');

type Checked =
  | { readonly valid: true; readonly source: TaskSource }
  | { readonly valid: false; readonly errors: Problem[] };

/**
 * The API's rules plus the task directory's own (`build` services: one of image and build,
 * contexts that exist and hold their Dockerfile), problems located within the file.
 */
const checkSource = async (path: string, manifest: unknown): Promise<Checked> => {
  // Loaded here only: it brings the template engine, which no other command needs.
  const { parseTaskSource } = await import('#domain/task-source');
  let source: TaskSource;
  try {
    source = parseTaskSource(manifest);
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error;
    // The schema locates problems in a request body; in a file, the body is the whole file.
    const errors = error.errors.map(({ loc, msg }) => ({ loc: loc[0] === 'body' ? loc.slice(1) : loc, msg }));
    return { valid: false, errors };
  }
  const { checkBuildContexts } = await import('../task-images.ts');
  const errors = await checkBuildContexts(dirname(path), source.builds);
  return errors.length === 0 ? { valid: true, source } : { valid: false, errors };
};

/**
 * Builds the task's `build` services and returns the manifest to publish, with their image
 * references. Checked first, so a mistake costs no build; a version the API already has is
 * refused before building too (versions are immutable).
 */
const buildAndPush = async (context: CommandContext, path: string, manifest: unknown): Promise<unknown> => {
  const { io } = context;
  const checked = await checkSource(path, manifest);
  if (!checked.valid) {
    throw new InputError(
      `${displayPath(path, io.cwd)} is not a valid task manifest:\n${problemLines(checked.errors).trimEnd()}`,
    );
  }
  const { source } = checked;
  const settings = await context.settings();
  const repository = stringOption(context.options, 'repository') ?? nonEmpty(io.env.TASKENV_IMAGE_REPOSITORY);
  if (repository === undefined && !isLoopbackUrl(settings.apiUrl)) {
    throw new UsageError(
      `the API at ${settings.apiUrl} runs its tasks from a registry: pass --repository <ImageRepositoryUri> (an output of the TaskenvData stack)`,
      "Run 'taskenv task push --help' for usage.",
    );
  }
  const client = await context.client();
  if (await isPublished(client, settings.org, source)) {
    throw new InputError(
      `${settings.org}/${source.name}@${source.version} is already published and versions are immutable: raise version in ${displayPath(path, io.cwd)}`,
    );
  }

  const { buildTaskImages, defaultTaskImagesDeps } = await import('../task-images.ts');
  const { withBuiltImages } = await import('#domain/task-source');
  const progress = context.json ? null : createProgress(io.stderr);
  let images: Map<string, string>;
  try {
    images = await buildTaskImages(
      {
        dir: dirname(path),
        org: settings.org,
        name: source.name,
        version: source.version,
        builds: source.builds,
        target: repository === undefined ? { kind: 'local' } : { kind: 'repository', repository },
      },
      { ...defaultTaskImagesDeps(), onProgress: (state) => progress?.update(state), signal: context.signal },
    );
  } finally {
    progress?.stop();
  }
  if (!context.json) {
    for (const [service, image] of images) io.stderr.write(`built ${service}: ${image}\n`);
  }
  return withBuiltImages(manifest, images);
};

const nonEmpty = (value: string | undefined): string | undefined =>
  value === undefined || value.trim() === '' ? undefined : value.trim();

/** Whether the org has this version already; a public task of another org by that name does not count. */
const isPublished = async (client: ApiClient, org: string, source: TaskSource): Promise<boolean> => {
  try {
    const task = await client.getTask(source.name, { version: source.version });
    return task.org === org;
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) return false;
    throw error;
  }
};

export const taskCommands: readonly Command[] = [
  {
    name: 'task push',
    args: ['dir'],
    summary: `build the task's images and publish <dir>/${MANIFEST_FILE} (versions are immutable)`,
    options: {
      repository: {
        type: 'string',
        value: 'URI',
        description:
          'push built images to this ECR repository (TaskenvData output ImageRepositoryUri; env TASKENV_IMAGE_REPOSITORY)',
      },
    },
    details: [
      'A service with `build: {context, dockerfile}` instead of `image` is built with the Docker',
      'engine and published with the built image: the local image for a local API, or, with',
      '--repository, <repository>@sha256:<digest> after pushing it there.',
    ].join('\n'),
    async run(context) {
      const { io } = context;
      const { path, manifest } = await readManifest(context.args[0] ?? '.', io.cwd);
      const { servicesWithBuild } = await import('#domain/service-manifest');
      const toPublish =
        servicesWithBuild(manifest).length === 0 ? manifest : await buildAndPush(context, path, manifest);
      const published = await (await context.client()).publishTask(toPublish);
      if (context.json) writeJson(io, published);
      else io.stdout.write(`published ${published.task_ref}\n`);
      return Exit.ok;
    },
  },
  {
    name: 'task list',
    args: [],
    summary: 'list the org’s tasks and the public tasks',
    options: {},
    async run(context) {
      const { tasks } = await (await context.client()).listTasks();
      if (context.json) {
        writeJson(context.io, { tasks });
      } else if (tasks.length === 0) {
        context.io.stdout.write('no tasks\n');
      } else {
        context.io.stdout.write(
          table(
            ['TASK', 'LATEST', 'PUBLIC', 'DESCRIPTION'],
            tasks.map((t) => [
              `${t.org}/${t.name}`,
              t.latest_version,
              t.public ? 'yes' : 'no',
              t.description ?? '',
            ]),
          ),
        );
      }
      return Exit.ok;
    },
  },
  {
    name: 'task inspect',
    args: ['ref'],
    summary: 'show a task version and its manifest ([org/]name[@version])',
    options: {},
    async run(context) {
      const { org, name, version } = splitRef(context.args[0] ?? '');
      const task = await (await context.client()).getTask(name, { org, version });
      if (context.json) {
        writeJson(context.io, task);
        return Exit.ok;
      }
      context.io.stdout.write(
        keyValues([
          ['task', task.task_ref],
          ['public', task.public ? 'yes' : 'no'],
          ['description', task.description ?? '-'],
          ['published', task.created_at],
        ]),
      );
      const { stringify: stringifyYaml } = await import('yaml');
      context.io.stdout.write(`manifest:\n${indent(stringifyYaml(task.manifest))}`);
      return Exit.ok;
    },
  },
  {
    name: 'task validate',
    args: ['dir'],
    summary: `check <dir>/${MANIFEST_FILE} locally, with the same rules the API applies`,
    options: {},
    async run(context) {
      const { io } = context;
      const { path, manifest } = await readManifest(context.args[0] ?? '.', io.cwd);
      const shown = displayPath(path, io.cwd);
      const checked = await checkSource(path, manifest);
      if (checked.valid) {
        const { name, version } = checked.source;
        if (context.json) writeJson(io, { valid: true, name, version });
        else io.stdout.write(`${shown}: valid (${name}@${version})\n`);
        return Exit.ok;
      }
      if (context.json) {
        writeJson(io, { valid: false, errors: checked.errors });
      } else {
        io.stderr.write(`error: ${shown} is not a valid task manifest\n`);
        io.stderr.write(problemLines(checked.errors));
      }
      return Exit.failed;
    },
  },
];
