/**
 * The example tasks the local stack seeds (`examples/tasks/<dir>/task.yaml`). Their services are
 * `build:` services (`FROM scratch` + a static busybox, so they build with no registry): they are
 * published with the tag `taskenv task push` would give them locally, and, for the Docker runtime,
 * their images are built at start (when missing or stale), so no request ever waits for a build.
 */
import { createHash } from 'node:crypto';
import { copyFile, cp, mkdtemp, open, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { ECRClient } from '@aws-sdk/client-ecr';
import type Docker from 'dockerode';
import { parse as parseYaml } from 'yaml';
import { buildTaskImages } from '#cli/task-images';
import { builtImageTag, parseTaskSource, type TaskSource, withBuiltImages } from '#domain/task-source';

/** The label that says which content of its build context an example image was built from. */
export const LABEL_CONTEXT_DIGEST = 'taskenv.context-digest';

/** Where the examples' images look for a static busybox. @default TASKENV_BUSYBOX, else /bin/busybox */
export const defaultBusybox = (): string => process.env.TASKENV_BUSYBOX ?? '/bin/busybox';

/** An example's images cannot be built here: what is missing, and what to do. */
export class ExampleImagesError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ExampleImagesError';
  }
}

/** One example directory whose `task.yaml` passes the API's rules (plus the `build` ones). */
export interface Example {
  readonly dir: string;
  /** The manifest as written (with `build`). */
  readonly json: unknown;
  readonly source: TaskSource;
}

/** A problem with one example directory, for the stack's log. */
export interface ExampleProblem {
  readonly dir: string;
  readonly message: string;
}

/** The examples of `dir` (sorted by directory name), and the ones that could not be read. */
export const readExamples = async (
  dir: string,
): Promise<{ examples: Example[]; problems: ExampleProblem[] }> => {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  const examples: Example[] = [];
  const problems: ExampleProblem[] = [];
  for (const entry of entries.filter((e) => e.isDirectory()).sort((a, b) => a.name.localeCompare(b.name))) {
    const exampleDir = join(dir, entry.name);
    const text = await readFile(join(exampleDir, 'task.yaml'), 'utf8').catch(() => null);
    if (text === null) continue;
    try {
      const json: unknown = parseYaml(text);
      examples.push({ dir: exampleDir, json, source: parseTaskSource(json) });
    } catch (error) {
      problems.push({ dir: entry.name, message: error instanceof Error ? error.message : String(error) });
    }
  }
  return { examples, problems };
};

/** The local tag of each `build` service of an example published by org `org`. */
export const exampleImageTags = (source: TaskSource, org: string): Map<string, string> =>
  new Map(
    [...source.builds.keys()].map((service) => [
      service,
      builtImageTag({ org, name: source.name, version: source.version, service }),
    ]),
  );

/** The manifest the API takes for an example: each `build` replaced by its local image tag. */
export const publishableExample = (example: Example, org: string): unknown =>
  withBuiltImages(example.json, exampleImageTags(example.source, org));

/**
 * Builds, with the engine, every example image that is missing or was built from other content
 * than its context holds now (label {@link LABEL_CONTEXT_DIGEST}); the others are left as they
 * are. Each build context is copied to a temp dir with the static `busybox` added, so nothing is
 * written into the examples. Resolves to the tags built.
 *
 * @throws ExampleImagesError when a build is needed and busybox is missing or not static, or
 *   the engine refuses or fails the build.
 */
export const prepareExampleImages = async (options: {
  readonly examples: readonly Example[];
  readonly org: string;
  readonly docker: Docker;
  /** Path of the static busybox each image gets. */
  readonly busybox: string;
  /** A line of what is happening (`examples: building hello-http web: Step 2/6 …`). */
  readonly progress: (line: string) => void;
}): Promise<string[]> => {
  const built: string[] = [];
  for (const example of options.examples) {
    const tags = exampleImageTags(example.source, options.org);
    const stale = new Map<string, string>();
    for (const [service, build] of example.source.builds) {
      const tag = tags.get(service);
      if (tag === undefined) continue;
      const digest = await contextDigest(resolve(example.dir, build.context), build.dockerfile);
      if ((await labelOf(options.docker, tag, LABEL_CONTEXT_DIGEST)) !== digest) stale.set(service, digest);
    }
    if (stale.size === 0) continue;
    const where = relative(process.cwd(), example.dir) || example.dir;
    await checkStaticBusybox(options.busybox).catch((error: unknown) => {
      const services = [...stale.keys()];
      throw new ExampleImagesError(
        `cannot build the image of ${where} (service${services.length > 1 ? 's' : ''} ${services.join(', ')}): ${error instanceof Error ? error.message : String(error)}`,
        { cause: error },
      );
    });
    const staging = await mkdtemp(join(tmpdir(), 'taskenv-example-image-'));
    try {
      await cp(example.dir, staging, { recursive: true });
      for (const [service, digest] of stale) {
        const build = example.source.builds.get(service);
        if (build === undefined) continue;
        const context = resolve(staging, build.context);
        if ((await stat(join(context, 'busybox')).catch(() => null)) === null) {
          await copyFile(options.busybox, join(context, 'busybox'));
        }
        const images = await buildTaskImages(
          {
            dir: staging,
            org: options.org,
            name: example.source.name,
            version: example.source.version,
            builds: new Map([[service, build]]),
            target: { kind: 'local' },
            labels: { [LABEL_CONTEXT_DIGEST]: digest },
          },
          {
            docker: options.docker,
            ecr: () => new ECRClient({}),
            // The engine's own LABEL steps say nothing to a reader.
            onProgress: (line) => {
              if (!/: Step \d+\/\d+ : LABEL /.test(line))
                options.progress(`examples: ${example.source.name} ${line}`);
            },
          },
        ).catch((error: unknown) => {
          throw new ExampleImagesError(
            `cannot build the image of ${where} (service ${service}): ${error instanceof Error ? error.message : String(error)}`,
            { cause: error },
          );
        });
        built.push(...images.values());
      }
    } finally {
      await rm(staging, { recursive: true, force: true });
    }
  }
  return built;
};

/** The value of `label` on image `tag`, or null when the engine has no such image. */
const labelOf = async (docker: Docker, tag: string, label: string): Promise<string | null> => {
  try {
    const info = await docker.getImage(tag).inspect();
    return info.Config.Labels?.[label] ?? null;
  } catch (error) {
    if (error instanceof Error && 'statusCode' in error && error.statusCode === 404) return null;
    throw new ExampleImagesError(
      `the Docker engine did not answer for image ${tag}: ${error instanceof Error ? error.message : String(error)}`,
      { cause: error },
    );
  }
};

/** A digest of every file of a build context (path, executable bit, content) and the Dockerfile's name. */
const contextDigest = async (context: string, dockerfile: string | undefined): Promise<string> => {
  const hash = createHash('sha256').update(`dockerfile ${dockerfile ?? 'Dockerfile'}\n`);
  const walk = async (dir: string): Promise<void> => {
    const entries = (await readdir(dir, { withFileTypes: true })).sort((a, b) =>
      a.name.localeCompare(b.name),
    );
    for (const entry of entries) {
      const path = join(dir, entry.name);
      const name = relative(context, path);
      // A busybox copied into the context by hand (for `task push`) is the one the build uses,
      // so its bytes count too.
      if (entry.isDirectory()) {
        hash.update(`dir ${name}\n`);
        await walk(path);
      } else if (entry.isFile()) {
        const executable = ((await stat(path)).mode & 0o111) !== 0;
        hash.update(`file ${name} ${executable ? 'x' : '-'}\n`).update(await readFile(path));
      }
    }
  };
  await walk(context);
  return `sha256:${hash.digest('hex')}`;
};

/** ELF program header type of the dynamic loader's path: present in every dynamically linked binary. */
const PT_INTERP = 3;

/**
 * The examples' images are `FROM scratch`: the busybox copied in must need no shared library.
 *
 * @throws ExampleImagesError when `path` is missing, not an ELF executable, or dynamically linked.
 */
export const checkStaticBusybox = async (path: string): Promise<void> => {
  const install = 'apt-get install busybox-static, or point TASKENV_BUSYBOX at a static busybox';
  const file = await open(path, 'r').catch(() => null);
  if (file === null) {
    throw new ExampleImagesError(
      `no busybox at ${path}: the example tasks' FROM scratch images need a static one (${install})`,
    );
  }
  try {
    const header = Buffer.alloc(64);
    await file.read(header, 0, 64, 0);
    if (header.readUInt32BE(0) !== 0x7f454c46) {
      throw new ExampleImagesError(
        `${path} is not an ELF executable; the example images need a static busybox (${install})`,
      );
    }
    const is64 = header[4] === 2;
    const little = header[5] === 1;
    const u16 = (buffer: Buffer, at: number) => (little ? buffer.readUInt16LE(at) : buffer.readUInt16BE(at));
    const u32 = (buffer: Buffer, at: number) => (little ? buffer.readUInt32LE(at) : buffer.readUInt32BE(at));
    const phoff = is64
      ? Number(little ? header.readBigUInt64LE(0x20) : header.readBigUInt64BE(0x20))
      : u32(header, 0x1c);
    const phentsize = u16(header, is64 ? 0x36 : 0x2a);
    const phnum = u16(header, is64 ? 0x38 : 0x2c);
    const table = Buffer.alloc(phentsize * phnum);
    await file.read(table, 0, table.length, phoff);
    for (let i = 0; i < phnum; i++) {
      if (u32(table, i * phentsize) === PT_INTERP) {
        throw new ExampleImagesError(
          `${path} is dynamically linked (Debian's busybox package); the example tasks' FROM scratch images need a static one (${install})`,
        );
      }
    }
  } finally {
    await file.close();
  }
};
