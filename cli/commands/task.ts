/** `taskenv task …`: publish, list, inspect and check task manifests (`task.yaml`). */
import { stat } from 'node:fs/promises';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { ValidationError } from '#domain/errors';
import { InputError, readUserFile } from '../args.ts';
import { type Command, Exit, writeJson } from '../command.ts';
import { indent, keyValues, table } from '../output.ts';

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

export const taskCommands: readonly Command[] = [
  {
    name: 'task push',
    args: ['dir'],
    summary: `publish the task in <dir>/${MANIFEST_FILE} (versions are immutable)`,
    options: {},
    async run(context) {
      const { manifest } = await readManifest(context.args[0] ?? '.', context.io.cwd);
      const published = await (await context.client()).publishTask(manifest);
      if (context.json) writeJson(context.io, published);
      else context.io.stdout.write(`published ${published.task_ref}\n`);
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
      // Loaded here only: it brings the template engine, which no other command needs.
      const { parseManifest } = await import('#domain/manifest');
      try {
        const valid = parseManifest(manifest);
        if (context.json) writeJson(io, { valid: true, name: valid.name, version: valid.version });
        else io.stdout.write(`${shown}: valid (${valid.name}@${valid.version})\n`);
        return Exit.ok;
      } catch (error) {
        if (!(error instanceof ValidationError)) throw error;
        // The schema locates problems in a request body; in a file, the body is the whole file.
        const errors = error.errors.map(({ loc, msg }) => ({
          loc: loc[0] === 'body' ? loc.slice(1) : loc,
          msg,
        }));
        if (context.json) {
          writeJson(io, { valid: false, errors });
        } else {
          io.stderr.write(`error: ${shown} is not a valid task manifest\n`);
          for (const { loc, msg } of errors) io.stderr.write(`  ${loc.join('.') || '(root)'}: ${msg}\n`);
        }
        return Exit.failed;
      }
    },
  },
];
