/**
 * Task directories as an author writes them, with a `build:` service whose Dockerfile is
 * `FROM scratch` plus the machine's static busybox (no registry access needed), serving a
 * file baked into the image. Images the tests build carry `taskenv.task-ref`, so they can be
 * removed by that label and nothing else.
 */
import { copyFile, cp, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type Docker from 'dockerode';
import { stringify } from 'yaml';
import { IMAGE_LABELS } from '#cli/task-images';

/** The port busybox httpd listens on inside the image. */
export const BAKED_PORT = 8080;

export interface BusyboxTask {
  readonly name: string;
  readonly version: string;
  /** The content of `/www/baked.txt` in the image. */
  readonly baked: string;
  /** Dockerfile lines after `FROM scratch` and the busybox copy (default: the web server). */
  readonly dockerfile?: readonly string[];
}

/** Writes `<dir>/task.yaml` and `<dir>/image/{Dockerfile,busybox,www/baked.txt}`; returns the manifest. */
export const writeBusyboxTask = async (dir: string, task: BusyboxTask): Promise<Record<string, unknown>> => {
  const context = join(dir, 'image');
  await mkdir(join(context, 'www'), { recursive: true });
  await copyFile('/bin/busybox', join(context, 'busybox'));
  await writeFile(join(context, 'www', 'baked.txt'), task.baked);
  await writeFile(
    join(context, 'Dockerfile'),
    [
      'FROM scratch',
      'COPY busybox /bin/busybox',
      ...(task.dockerfile ?? [
        'COPY www /www',
        'ENTRYPOINT ["/bin/busybox"]',
        `CMD ["httpd", "-f", "-p", "${BAKED_PORT}", "-h", "/www"]`,
      ]),
      '',
    ].join('\n'),
  );
  const manifest = {
    name: task.name,
    version: task.version,
    description: 'A file baked into a FROM scratch busybox image',
    instruction: 'Read {{ web_url }}/baked.txt.',
    services: {
      web: {
        build: { context: 'image' },
        ports: [BAKED_PORT],
        health: { path: '/baked.txt', port: BAKED_PORT },
      },
    },
  };
  await writeFile(join(dir, 'task.yaml'), stringify(manifest));
  return manifest;
};

/** Removes every image built for `<org>/<name>@<version>` (all its tags), and only those. */
export const removeTaskImages = async (docker: Docker, taskRef: string): Promise<void> => {
  const images = await docker.listImages({ filters: { label: [`${IMAGE_LABELS.taskRef}=${taskRef}`] } });
  for (const image of images) await docker.getImage(image.Id).remove({ force: true });
};

/** A run-unique task name, so parallel files and reruns never share images. */
export const uniqueTaskName = (label: string): string =>
  `${label}-${Date.now().toString(36)}-${Math.floor(Math.random() * 1e6).toString(36)}`;

/** A copy of `examples/tasks/<example>` named `name`, in `root/<name>`; answers its directory. */
export const copyExampleAs = async (root: string, example: string, name: string): Promise<string> => {
  const dir = join(root, name);
  await cp(join(import.meta.dirname, '..', '..', 'examples', 'tasks', example), dir, { recursive: true });
  const manifest = await readFile(join(dir, 'task.yaml'), 'utf8');
  await writeFile(
    join(dir, 'task.yaml'),
    manifest.replace(new RegExp(`^name: ${example}$`, 'm'), `name: ${name}`),
  );
  return dir;
};
