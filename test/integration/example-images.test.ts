/**
 * The local stack's example images against the real Docker engine: each `build` service of an
 * example is built `FROM scratch` with the host's static busybox added to a copy of its context,
 * only when missing or stale, and a machine that cannot build them is told what is missing.
 * Each test works on a copy of `examples/tasks/hello-http` under a run-unique name, so its tags
 * are its own and are removed afterwards (by their `taskenv.task-ref` label).
 */
import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IMAGE_LABELS } from '#cli/task-images';
import {
  checkStaticBusybox,
  ExampleImagesError,
  LABEL_CONTEXT_DIGEST,
  prepareExampleImages,
  readExamples,
} from '#local/examples';
import { dockerEngine } from '#test/support/docker';
import { makeTempDir } from '#test/support/e2e';
import { copyExampleAs, removeTaskImages, uniqueTaskName } from '#test/support/task-dirs';

const docker = new Docker();
const engine = await dockerEngine('test/integration/example-images.test.ts');
const BUSYBOX = process.env.TASKENV_TEST_BUSYBOX ?? '/bin/busybox';

describe('checkStaticBusybox', () => {
  it('accepts the static busybox the examples are built with', async () => {
    // Act / Assess
    await expect(checkStaticBusybox(BUSYBOX)).resolves.toBeUndefined();
  });

  it('says what to install when there is no busybox, or only a dynamically linked one', async () => {
    // Act
    const missing = checkStaticBusybox('/nonexistent/busybox');
    const dynamic = checkStaticBusybox(process.execPath);

    // Assess
    await expect(missing).rejects.toThrow(
      "no busybox at /nonexistent/busybox: the example tasks' FROM scratch images need a static one (apt-get install busybox-static",
    );
    await expect(dynamic).rejects.toBeInstanceOf(ExampleImagesError);
    await expect(dynamic).rejects.toThrow(`${process.execPath} is dynamically linked`);
  });
});

describe.runIf(engine)('prepareExampleImages', () => {
  let root: Awaited<ReturnType<typeof makeTempDir>>;
  const name = uniqueTaskName('h13-example');
  const tag = `taskenv/local/${name}:1.0.0-web`;

  beforeAll(async () => {
    root = await makeTempDir('example-images');
    await copyExampleAs(root.path, 'hello-http', name);
  });

  afterAll(async () => {
    await removeTaskImages(docker, `local/${name}@1.0.0`);
    await root?.remove();
  });

  it('builds a missing image from a copy of its context with busybox added, and shows its steps', async () => {
    // Prepare
    const { examples } = await readExamples(root.path);
    const lines: string[] = [];

    // Act
    const built = await prepareExampleImages({
      examples,
      org: 'local',
      docker,
      busybox: BUSYBOX,
      progress: (line) => lines.push(line),
    });
    const image = await docker.getImage(tag).inspect();

    // Assess
    expect(built).toEqual([tag]);
    expect(image.Config.Labels?.[IMAGE_LABELS.taskRef]).toBe(`local/${name}@1.0.0`);
    expect(image.Config.Labels?.[LABEL_CONTEXT_DIGEST]).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(lines).toContainEqual(
      expect.stringMatching(new RegExp(`^examples: ${name} building web: Step 1/\\d+ : FROM scratch$`)),
    );
    expect(lines.filter((line) => line.includes(' LABEL '))).toEqual([]);
    // Nothing was written into the example itself.
    expect(await readdir(join(root.path, name, 'image'))).not.toContain('busybox');
  }, 120_000);

  it('builds nothing while the image matches its context, and rebuilds it once the context changes', async () => {
    // Prepare
    const { examples } = await readExamples(root.path);
    const prepare = () =>
      prepareExampleImages({ examples, org: 'local', docker, busybox: BUSYBOX, progress: () => undefined });
    const before = (await docker.getImage(tag).inspect()).Id;

    // Act
    const unchanged = await prepare();
    await writeFile(join(root.path, name, 'image', 'www', 'healthz'), 'changed\n');
    const changed = await prepare();

    // Assess
    expect(unchanged).toEqual([]);
    expect(changed).toEqual([tag]);
    expect((await docker.getImage(tag).inspect()).Id).not.toBe(before);
  }, 120_000);

  it('names the example, the service and busybox-static when a needed build has no static busybox', async () => {
    // Prepare
    await writeFile(join(root.path, name, 'image', 'www', 'healthz'), 'changed again\n');
    const { examples } = await readExamples(root.path);

    // Act
    const prepared = prepareExampleImages({
      examples,
      org: 'local',
      docker,
      busybox: '/nonexistent/busybox',
      progress: () => undefined,
    });

    // Assess
    await expect(prepared).rejects.toBeInstanceOf(ExampleImagesError);
    await expect(prepared).rejects.toThrow('apt-get install busybox-static');
  });

  it('names the example and the service when the engine fails the build', async () => {
    // Prepare
    await writeFile(join(root.path, name, 'image', 'Dockerfile'), 'FROM scratch\nCOPY missing-file /x\n');
    const { examples } = await readExamples(root.path);

    // Act
    const prepared = prepareExampleImages({
      examples,
      org: 'local',
      docker,
      busybox: BUSYBOX,
      progress: () => undefined,
    });

    // Assess
    await expect(prepared).rejects.toBeInstanceOf(ExampleImagesError);
    await expect(prepared).rejects.toThrow(
      new RegExp(`^cannot build the image of .*${name} \\(service web\\): .*missing-file`),
    );
  }, 120_000);
});
