/**
 * The Docker side of the tests: whether an engine answers (under CI a missing engine fails the
 * run; elsewhere the Docker suites say loudly that they did not run), and test images built
 * through the Engine API `FROM scratch` with the host's static busybox, with nothing pulled.
 */
import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import Docker from 'dockerode';
import { dockerAnswers, LABEL_STACK } from '#adapters/local/docker-driver';

export const docker = new Docker();

/** Every image and container a test creates carries this label, and only those are removed. */
export const TEST_LABEL = 'taskenv.test';
export const TEST_LABEL_VALUE = 'local-runtimes';

const BUSYBOX = process.env.TASKENV_TEST_BUSYBOX ?? '/bin/busybox';

/**
 * True when an engine answers. Under CI (`CI=true`) a missing engine throws: the Docker suite
 * must run there. Elsewhere it prints why the suite does not run.
 */
export const dockerEngine = async (suite: string): Promise<boolean> => {
  if (await dockerAnswers(docker)) return true;
  const message = `${suite}: no Docker engine answers (DOCKER_HOST or /var/run/docker.sock)`;
  if (process.env.CI === 'true') throw new Error(`${message}; under CI the Docker suite must run`);
  console.warn(
    `\n!!! ${message}: THE DOCKER TESTS DID NOT RUN. Start dockerd, or run .ci/run, to run them.\n`,
  );
  return false;
};

/**
 * Builds `tag` from `FROM scratch` + the static busybox (as `/bin/busybox` and `/bin/sh`,
 * entrypoint busybox) + `files` (path in the image → content), through the Engine API.
 */
export const buildBusyboxImage = async (tag: string, files: Record<string, string> = {}): Promise<string> => {
  const context = await mkdtemp(join(tmpdir(), 'taskenv-image-'));
  try {
    await copyFile(BUSYBOX, join(context, 'busybox'));
    const lines = ['FROM scratch', 'COPY busybox /bin/busybox', 'COPY busybox /bin/sh'];
    for (const [index, [path, content]] of Object.entries(files).entries()) {
      const local = join(context, 'files', String(index), path);
      await mkdir(dirname(local), { recursive: true });
      await writeFile(local, content);
      lines.push(`COPY files/${index}${path} ${path}`);
    }
    lines.push('ENTRYPOINT ["/bin/busybox"]');
    await writeFile(join(context, 'Dockerfile'), `${lines.join('\n')}\n`);
    const stream = await docker.buildImage(
      { context, src: ['Dockerfile', 'busybox', ...(Object.keys(files).length > 0 ? ['files'] : [])] },
      { t: tag, labels: { [TEST_LABEL]: TEST_LABEL_VALUE }, rm: true, forcerm: true },
    );
    await new Promise<void>((settle, reject) => {
      docker.modem.followProgress(stream, (error: Error | null, output: unknown[]) => {
        const failed = output.find(
          (entry): entry is { error: string } =>
            typeof entry === 'object' && entry !== null && 'error' in entry,
        );
        if (error !== null) reject(error);
        else if (failed !== undefined) reject(new Error(failed.error));
        else settle();
      });
    });
    return tag;
  } finally {
    await rm(context, { recursive: true, force: true });
  }
};

/** A busybox httpd serving the image's `/www` on `port`, in the foreground, after the shell command `before`. */
export const httpd = (port: number, before = 'true'): string[] => [
  'sh',
  '-c',
  `${before}; exec httpd -f -p ${port} -h /www`,
];

/** Ids of the containers (running or not) that carry `label=value`. */
export const containersLabelled = async (label: string, value: string): Promise<string[]> =>
  (await docker.listContainers({ all: true, filters: { label: [`${label}=${value}`] } })).map((c) => c.Id);

/** Removes every container of a test stack id and the test images (only ours: by label). */
export const removeTestContainers = async (stack: string): Promise<void> => {
  for (const id of await containersLabelled(LABEL_STACK, stack)) {
    await docker
      .getContainer(id)
      .remove({ force: true })
      .catch(() => undefined);
  }
};

/** Removes test images by tag (each test file builds its own tags). */
export const removeTestImages = async (tags: readonly string[]): Promise<void> => {
  for (const tag of tags) {
    await docker
      .getImage(tag)
      .remove({ force: true })
      .catch(() => undefined);
  }
};
