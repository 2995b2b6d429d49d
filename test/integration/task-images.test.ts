/**
 * `taskenv task push`'s image work against the real Docker engine and a real registry
 * (`docker-registry` with basic auth) standing in for ECR; only ECR's token call is mocked, at
 * the SDK boundary. Images are built `FROM scratch` with the static busybox.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ECRClient, GetAuthorizationTokenCommand } from '@aws-sdk/client-ecr';
import { mockClient } from 'aws-sdk-client-mock';
import Docker from 'dockerode';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { InterruptedError } from '#cli/client';
import {
  buildTaskImages,
  checkBuildContexts,
  IMAGE_LABELS,
  ImageBuildError,
  type ImageTarget,
  repositoryTag,
} from '#cli/task-images';
import { parseTaskSource } from '#domain/task-source';
import { dockerEngine } from '#test/support/docker';
import { type LocalRegistry, startLocalRegistry } from '#test/support/registry';
import { removeTaskImages, uniqueTaskName, writeBusyboxTask } from '#test/support/task-dirs';

const docker = new Docker();
const engine = await dockerEngine('test/integration/task-images.test.ts');
const ecr = new ECRClient({ region: 'eu-west-1' });
const ecrMock = mockClient(ecr);

const ORG = 'acme';
const REPOSITORY_NAME = 'taskenv-tasks';
const CREDENTIALS = { username: 'AWS', password: 'ecr-token-password' };

/** What ECR's GetAuthorizationToken answers: base64 `AWS:<password>` for the registry endpoint. */
const tokenAnswer = (registry: LocalRegistry, password = CREDENTIALS.password) => ({
  authorizationData: [
    {
      authorizationToken: Buffer.from(`AWS:${password}`).toString('base64'),
      proxyEndpoint: `http://${registry.host}`,
      expiresAt: new Date(Date.now() + 12 * 3600_000),
    },
  ],
});

/** Runs `cat <path>` in a throwaway container of `image` and returns what it printed. */
const catInImage = async (image: string, path: string): Promise<string> => {
  const container = await docker.createContainer({
    Image: image,
    Entrypoint: ['/bin/busybox'],
    Cmd: ['cat', path],
    Labels: { [IMAGE_LABELS.taskRef]: 'test-cat' },
    HostConfig: { NetworkMode: 'none' },
  });
  try {
    await container.start();
    await container.wait();
    const logs = await container.logs({ stdout: true, stderr: false });
    // Without a TTY the engine frames each chunk with an 8-byte header.
    return logs.subarray(8).toString('utf8');
  } finally {
    await container.remove({ force: true });
  }
};

describe.runIf(engine)('building and pushing task images', () => {
  let registry: LocalRegistry;
  let dir: string;
  const taskRefs: string[] = [];

  beforeAll(async () => {
    registry = await startLocalRegistry(CREDENTIALS);
  });
  afterAll(async () => {
    for (const taskRef of taskRefs) await removeTaskImages(docker, taskRef);
    await registry.stop();
  });
  beforeEach(async () => {
    ecrMock.reset();
    dir = await mkdtemp(join(tmpdir(), 'taskenv-task-images-'));
    return () => rm(dir, { recursive: true, force: true });
  });

  /** A fresh busybox task in `dir`, parsed as `task push` parses it. */
  const busyboxTask = async (baked: string, dockerfile?: readonly string[]) => {
    const name = uniqueTaskName('images');
    const version = '1.0.0';
    await writeBusyboxTask(dir, {
      name,
      version,
      baked,
      ...(dockerfile === undefined ? {} : { dockerfile }),
    });
    taskRefs.push(`${ORG}/${name}@${version}`);
    const { builds } = parseTaskSource(parseYaml(await readFile(join(dir, 'task.yaml'), 'utf8')));
    return { name, version, builds };
  };

  const build = (
    task: Awaited<ReturnType<typeof busyboxTask>>,
    target: ImageTarget,
    progress: string[] = [],
  ) =>
    buildTaskImages(
      { dir, org: ORG, ...task, target },
      { docker, ecr: () => ecr, onProgress: (state) => progress.push(state) },
    );

  it('builds for the local stack: the local tag, labelled, holding the baked file; no ECR call', async () => {
    // Prepare
    const task = await busyboxTask('baked for the local stack\n');
    const progress: string[] = [];

    // Act
    const images = await build(task, { kind: 'local' }, progress);

    // Assess
    const tag = `taskenv/${ORG}/${task.name}:1.0.0-web`;
    expect(images).toEqual(new Map([['web', tag]]));
    const inspected = await docker.getImage(tag).inspect();
    expect(inspected.Config.Labels).toMatchObject({
      [IMAGE_LABELS.taskRef]: `${ORG}/${task.name}@1.0.0`,
      [IMAGE_LABELS.service]: 'web',
    });
    expect(await catInImage(tag, '/www/baked.txt')).toBe('baked for the local stack\n');
    // One line per Dockerfile step (the engine counts the label step it adds too).
    expect(progress[0]).toMatch(/^building web: Step 1\/\d+ : FROM scratch$/);
    expect(progress[1]).toMatch(/^building web: Step 2\/\d+ : COPY busybox \/bin\/busybox$/);
    expect(ecrMock.calls()).toHaveLength(0);
  });

  it('pushes to the repository with ECR’s token and returns the digest the registry holds', async () => {
    // Prepare
    const task = await busyboxTask('baked for ECR\n');
    ecrMock.on(GetAuthorizationTokenCommand).resolves(tokenAnswer(registry));
    const repository = `${registry.host}/${REPOSITORY_NAME}`;
    const progress: string[] = [];

    // Act
    const images = await build(task, { kind: 'repository', repository }, progress);

    // Assess: the reference is pinned to the digest the registry answered for the pushed tag
    const tag = repositoryTag({ org: ORG, name: task.name, version: '1.0.0', service: 'web' });
    const digest = await registry.digestOf(REPOSITORY_NAME, tag);
    expect(digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(images).toEqual(new Map([['web', `${repository}@${digest}`]]));
    expect(ecrMock.commandCalls(GetAuthorizationTokenCommand).map((call) => call.args[0].input)).toEqual([
      {},
    ]);
    expect(progress).toContain('pushing web: authenticating');
    expect(progress.at(-1)).toMatch(/^pushing web: (\d+)\/\1 layers$/);
  });

  it('builds and pushes every build service, asking ECR for a token once', async () => {
    // Prepare: two services built from the same context with different Dockerfiles
    const task = await busyboxTask('two services\n');
    await writeFile(
      join(dir, 'image', 'api.Dockerfile'),
      'FROM scratch\nCOPY busybox /bin/busybox\nCOPY www /srv\n',
    );
    const builds = new Map([...task.builds, ['api', { context: 'image', dockerfile: 'api.Dockerfile' }]]);
    ecrMock.on(GetAuthorizationTokenCommand).resolves(tokenAnswer(registry));
    const repository = `${registry.host}/${REPOSITORY_NAME}`;

    // Act
    const images = await build({ ...task, builds }, { kind: 'repository', repository });

    // Assess: one reference per service, each the digest of its own pushed tag
    const digests = await Promise.all(
      ['web', 'api'].map((service) =>
        registry.digestOf(
          REPOSITORY_NAME,
          repositoryTag({ org: ORG, name: task.name, version: '1.0.0', service }),
        ),
      ),
    );
    expect(images).toEqual(
      new Map([
        ['web', `${repository}@${digests[0]}`],
        ['api', `${repository}@${digests[1]}`],
      ]),
    );
    expect(digests[0]).not.toBe(digests[1]);
    expect(ecrMock.commandCalls(GetAuthorizationTokenCommand)).toHaveLength(1);
  });

  it('fails readably when the registry refuses the token', async () => {
    // Prepare
    const task = await busyboxTask('never pushed\n');
    ecrMock.on(GetAuthorizationTokenCommand).resolves(tokenAnswer(registry, 'an-expired-token'));
    const repository = `${registry.host}/${REPOSITORY_NAME}`;

    // Act
    const pushing = build(task, { kind: 'repository', repository });

    // Assess
    await expect(pushing).rejects.toThrow(ImageBuildError);
    await expect(pushing).rejects.toThrow(`pushing to ${repository} failed`);
    const tag = repositoryTag({ org: ORG, name: task.name, version: '1.0.0', service: 'web' });
    expect(await registry.digestOf(REPOSITORY_NAME, tag)).toBeNull();
  });

  it('fails with the engine’s message when the Dockerfile does not build', async () => {
    // Prepare
    const task = await busyboxTask('unused\n', ['COPY no-such-file /x']);

    // Act
    const building = build(task, { kind: 'local' });

    // Assess
    await expect(building).rejects.toThrow(ImageBuildError);
    await expect(building).rejects.toThrow(/no-such-file/);
  });
});

describe.runIf(engine)('without a Docker engine, or interrupted', () => {
  it('says that no engine answers and how to point at one', async () => {
    // Prepare
    const dir = await mkdtemp(join(tmpdir(), 'taskenv-no-engine-'));
    await writeBusyboxTask(dir, { name: 'no-engine', version: '1.0.0', baked: 'x' });
    const nowhere = new Docker({ socketPath: join(dir, 'no-docker.sock') });

    // Act
    const building = buildTaskImages(
      {
        dir,
        org: ORG,
        name: 'no-engine',
        version: '1.0.0',
        builds: new Map([['web', { context: 'image' }]]),
        target: { kind: 'local' },
      },
      { docker: nowhere, ecr: () => ecr, onProgress: () => {} },
    );

    // Assess
    await expect(building).rejects.toThrow(ImageBuildError);
    await expect(building).rejects.toThrow(
      /^no Docker engine answers \(ENOENT\): start one, or point DOCKER_HOST at it/,
    );
    await rm(dir, { recursive: true, force: true });
  });

  it('stops at Ctrl-C with InterruptedError', async () => {
    // Prepare
    const dir = await mkdtemp(join(tmpdir(), 'taskenv-interrupt-'));
    await writeBusyboxTask(dir, { name: 'interrupted', version: '1.0.0', baked: 'x' });
    const controller = new AbortController();
    controller.abort();

    // Act
    const building = buildTaskImages(
      {
        dir,
        org: ORG,
        name: 'interrupted',
        version: '1.0.0',
        builds: new Map([['web', { context: 'image' }]]),
        target: { kind: 'local' },
      },
      { docker, ecr: () => ecr, onProgress: () => {}, signal: controller.signal },
    );

    // Assess
    await expect(building).rejects.toThrow(InterruptedError);
    await rm(dir, { recursive: true, force: true });
  });
});

describe('checkBuildContexts', () => {
  it('names a missing context and a context without its Dockerfile', async () => {
    // Prepare
    const dir = await mkdtemp(join(tmpdir(), 'taskenv-contexts-'));
    await writeBusyboxTask(dir, { name: 'contexts', version: '1.0.0', baked: 'x' });

    // Act
    const problems = await checkBuildContexts(
      dir,
      new Map([
        ['web', { context: 'image' }],
        ['api', { context: 'missing' }],
        ['db', { context: 'image', dockerfile: 'db.Dockerfile' }],
      ]),
    );

    // Assess
    expect(problems).toEqual([
      { loc: ['services', 'api', 'build', 'context'], msg: 'No directory missing in the task directory' },
      {
        loc: ['services', 'db', 'build', 'dockerfile'],
        msg: 'No file db.Dockerfile in the build context image',
      },
    ]);
    await rm(dir, { recursive: true, force: true });
  });
});
