/**
 * `taskenv task push` on a task directory whose service is `build:` (a `FROM scratch` busybox
 * Dockerfile), against a local stack on the Docker runtime and the real engine: published with
 * the local image, which the stack then runs (its URL serves the file baked into the image);
 * with `--repository`, pushed for real to a registry standing in for ECR (ECR's token call
 * mocked at the SDK boundary) and published with the digest the registry returned.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ECRClient, GetAuthorizationTokenCommand } from '@aws-sdk/client-ecr';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { LABEL_ENVIRONMENT_ID } from '#adapters/local/docker-driver';
import { type CliIo, main } from '#cli/main';
import { repositoryTag } from '#cli/task-images';
import { taskVersionResponseSchema } from '#domain/api-schemas';
import { taskManifestSchema } from '#domain/manifest';
import { type LocalStack, startLocalStack } from '#local/stack';
import { containersLabelled, docker, dockerEngine } from '#test/support/docker';
import {
  apiRequest,
  createEnvironment,
  environmentsUrl,
  makeTempDir,
  parseBody,
  pollStatus,
  runCli,
  serviceUrl,
} from '#test/support/e2e';
import { type LocalRegistry, startLocalRegistry } from '#test/support/registry';
import { removeTaskImages, uniqueTaskName, writeBusyboxTask } from '#test/support/task-dirs';

const engine = await dockerEngine('test/e2e/task-push.test.ts');

let stackDir: Awaited<ReturnType<typeof makeTempDir>> | undefined;
let stack: LocalStack | undefined;
const runningStack = (): LocalStack => {
  if (stack === undefined) throw new Error('the stack of this file has not started');
  return stack;
};
// Every ECRClient the CLI builds answers from this mock: ECR has no emulator.
const ecrMock = mockClient(ECRClient);

/** Each CLI run is a fresh Node process that loads TypeScript through tsx, plus a build. */
const PUSH_TIMEOUT_MS = 90_000;

const CREDENTIALS = { username: 'AWS', password: 'ecr-token-password' };

const taskRefs: string[] = [];
let dir: string;

/** A busybox task in `dir` with a run-unique name. */
const newTask = async (baked: string) => {
  const stack = runningStack();
  const name = uniqueTaskName('push');
  taskRefs.push(`${stack.org}/${name}@1.0.0`);
  await writeBusyboxTask(dir, { name, version: '1.0.0', baked });
  return name;
};

/** The published version as the API serves it. */
const publishedTask = async (name: string) => {
  const stack = runningStack();
  const answer = await apiRequest(
    `${stack.apiUrl}/api/v1/org/${stack.org}/tasks/${name}@1.0.0`,
    stack.apiKey,
  );
  expect(answer.status).toBe(200);
  const task = parseBody(taskVersionResponseSchema, answer.body);
  return { ...task, manifest: parseBody(taskManifestSchema(), task.manifest) };
};

/** `main` in this process (so the ECR mock applies), pointed at the stack, output captured. */
const runInProcess = async (args: string[], env: Record<string, string> = {}, isTTY = false) => {
  const stack = runningStack();
  const out = { stdout: '', stderr: '' };
  const io: CliIo = {
    stdout: { write: (chunk: string) => (out.stdout += chunk) },
    stderr: { write: (chunk: string) => (out.stderr += chunk), isTTY },
    env: {
      PATH: process.env.PATH,
      HOME: dir,
      TASKENV_API_URL: stack.apiUrl,
      TASKENV_API_KEY: stack.apiKey,
      TASKENV_ORG: stack.org,
      TASKENV_WORKSPACE: stack.workspace,
      ...env,
    },
    cwd: dir,
  };
  const code = await main(args, io);
  return { code, ...out };
};

describe.runIf(engine)('task push on the Docker runtime', () => {
  beforeAll(async () => {
    stackDir = await makeTempDir('task-push');
    stack = await startLocalStack({
      dataDir: stackDir.path,
      port: 0,
      runtime: 'docker',
      log: () => undefined,
    });
  }, 120_000);
  afterAll(async () => {
    await stack?.stop();
    await stackDir?.remove();
    for (const taskRef of taskRefs) await removeTaskImages(docker, taskRef);
  });
  beforeEach(async () => {
    ecrMock.reset();
    dir = await mkdtemp(join(tmpdir(), 'taskenv-e2e-push-'));
    return () => rm(dir, { recursive: true, force: true });
  });

  describe('taskenv task push against the local stack', () => {
    it(
      'builds the build: service, publishes it with the local image, and the stack runs that image',
      async () => {
        // Prepare
        const stack = runningStack();
        const name = await newTask('baked into the image\n');

        // Act
        const push = await runCli(['task', 'push', dir], stack, PUSH_TIMEOUT_MS);

        // Assess: published, and the progress went to stderr, one line per step off a terminal
        expect(push.code, push.stderr).toBe(0);
        const image = `taskenv/${stack.org}/${name}:1.0.0-web`;
        expect(push.stdout).toBe(`published ${stack.org}/${name}@1.0.0\n`);
        expect(push.stderr).toMatch(/^building web: Step 1\/\d+ : FROM scratch… \d+\.\ds$/m);
        expect(push.stderr).toContain(`built web: ${image}\n`);
        const task = await publishedTask(name);
        expect(task.manifest.services.web).toMatchObject({ image, ports: [8080] });
        expect(task.manifest.services.web).not.toHaveProperty('build');
        expect((await docker.getImage(image).inspect()).Config.Labels).toMatchObject({
          'taskenv.task-ref': `${stack.org}/${name}@1.0.0`,
        });

        // Act: the stack runs the built image
        const created = await createEnvironment(stack, { task_ref: `${name}@1.0.0` });
        const ready = await pollStatus(stack, created.id, ['ready'], { timeoutMs: 30_000 });

        // Assess: its URL serves the file baked into the image
        const baked = await fetch(`${serviceUrl(ready.status, 'web')}/baked.txt`);
        expect(baked.status).toBe(200);
        expect(await baked.text()).toBe('baked into the image\n');

        // Act: delete
        const deleted = await apiRequest(`${environmentsUrl(stack)}/${created.id}`, stack.apiKey, {
          method: 'DELETE',
        });
        await pollStatus(stack, created.id, ['torn_down'], { timeoutMs: 30_000 });

        // Assess: no container with its label remains
        expect(deleted.status).toBe(200);
        expect(await containersLabelled(LABEL_ENVIRONMENT_ID, created.id)).toEqual([]);
      },
      PUSH_TIMEOUT_MS,
    );

    it(
      'refuses to build a version that is already published',
      async () => {
        // Prepare
        const name = await newTask('first\n');
        expect((await runInProcess(['task', 'push', '.', '--json'])).code).toBe(0);

        // Act
        const again = await runInProcess(['task', 'push', '.']);

        // Assess
        expect(again.code).toBe(1);
        expect(again.stderr).toContain(`${runningStack().org}/${name}@1.0.0 is already published`);
        expect(again.stderr).not.toContain('building');
      },
      PUSH_TIMEOUT_MS,
    );

    it(
      'shows the build on one live line on a terminal, cleared before the result',
      async () => {
        // Prepare
        const name = await newTask('on a terminal\n');
        const clear = '\r\u001b[2K';

        // Act
        const push = await runInProcess(['task', 'push', '.'], {}, true);

        // Assess: redrawn in place (no newline while it runs), then the line is cleared
        expect(push.code, push.stderr).toBe(0);
        const result = `built web: taskenv/${runningStack().org}/${name}:1.0.0-web\n`;
        expect(push.stderr.endsWith(`${clear}${result}`)).toBe(true);
        const live = push.stderr.slice(0, -result.length);
        expect(live).toContain(`${clear}⠙ building web: Step 1/`);
        expect(live).not.toContain('\n');
      },
      PUSH_TIMEOUT_MS,
    );

    it('validate checks that every build context exists', async () => {
      // Prepare
      await newTask('unused\n');
      await rm(join(dir, 'image'), { recursive: true });

      // Act
      const validate = await runInProcess(['task', 'validate', '.']);
      const push = await runInProcess(['task', 'push', '.']);

      // Assess: the same problem, and nothing built or published
      expect(validate.code).toBe(1);
      expect(validate.stderr).toBe(
        'error: task.yaml is not a valid task manifest\n  services.web.build.context: No directory image in the task directory\n',
      );
      expect(push.code).toBe(1);
      expect(push.stderr).toContain('services.web.build.context: No directory image in the task directory');
    });

    it('asks for --repository when the API is not local', async () => {
      // Prepare
      await newTask('unused\n');

      // Act
      const push = await runInProcess(['task', 'push', '.'], {
        TASKENV_API_URL: 'https://taskenv.example.com',
      });

      // Assess
      expect(push.code).toBe(2);
      expect(push.stderr).toContain('pass --repository <ImageRepositoryUri>');
    });
  });

  describe('taskenv task push --repository (ECR, with a local registry standing in)', () => {
    let registry: LocalRegistry;
    beforeAll(async () => {
      registry = await startLocalRegistry(CREDENTIALS);
    });
    afterAll(async () => {
      await registry.stop();
    });

    it(
      'pushes with ECR’s token and publishes <repository>@<the digest the registry returned>',
      async () => {
        // Prepare
        const name = await newTask('baked for ECR\n');
        ecrMock.on(GetAuthorizationTokenCommand).resolves({
          authorizationData: [
            {
              authorizationToken: Buffer.from(`AWS:${CREDENTIALS.password}`).toString('base64'),
              proxyEndpoint: `http://${registry.host}`,
            },
          ],
        });
        const repository = `${registry.host}/taskenv-tasks`;

        // Act
        const push = await runInProcess(['task', 'push', '.', '--repository', repository, '--json'], {
          AWS_REGION: 'eu-west-1',
        });

        // Assess: quiet JSON (the API's answer only), the token asked for once, the digest pinned
        expect(push.code, push.stderr).toBe(0);
        expect(push.stderr).toBe('');
        expect(JSON.parse(push.stdout)).toMatchObject({ task_ref: `${runningStack().org}/${name}@1.0.0` });
        expect(ecrMock.commandCalls(GetAuthorizationTokenCommand).map((call) => call.args[0].input)).toEqual([
          {},
        ]);
        const tag = repositoryTag({ org: runningStack().org, name, version: '1.0.0', service: 'web' });
        const digest = await registry.digestOf('taskenv-tasks', tag);
        expect(digest).toMatch(/^sha256:[0-9a-f]{64}$/);
        const task = await publishedTask(name);
        expect(task.manifest.services.web?.image).toBe(`${repository}@${digest}`);
      },
      PUSH_TIMEOUT_MS,
    );
  });
});
