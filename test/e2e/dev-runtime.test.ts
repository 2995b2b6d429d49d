/**
 * What `taskenv dev`'s default runtime (`auto`) does on a machine that cannot run the examples in
 * Docker: with no engine, or with an engine but no static busybox to build the examples' images,
 * it runs host processes after a one-line notice, and the example request works; `--runtime
 * docker` refuses to start instead, saying what is missing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalStack } from '#local/stack';
import { type DevProcess, interruptStack, startDevProcess } from '#test/support/dev-process';
import { dockerEngine } from '#test/support/docker';
import { createEnvironment, makeTempDir, pollStatus, serviceUrl } from '#test/support/e2e';
import { copyExampleAs, uniqueTaskName } from '#test/support/task-dirs';

const engine = await dockerEngine('test/e2e/dev-runtime.test.ts');

describe('taskenv dev where no Docker engine answers', () => {
  let dataDir: Awaited<ReturnType<typeof makeTempDir>>;
  let dev: DevProcess | null = null;

  beforeAll(async () => {
    dataDir = await makeTempDir('dev-no-engine');
    const env = Object.fromEntries(
      Object.entries(process.env).filter(([name]) => name !== 'TASKENV_RUNTIME'),
    );
    dev = await startDevProcess(dataDir.path, ['--quiet'], {
      env: { ...env, DOCKER_HOST: 'unix:///nonexistent/docker.sock' },
      timeoutMs: 120_000,
    });
  }, 130_000);

  afterAll(async () => {
    if (dev !== null && dev.child.exitCode === null) await interruptStack(dev).catch(() => undefined);
    await dataDir?.remove();
  }, 30_000);

  it('says in one line that it runs host processes, and the example request becomes ready', async () => {
    // Prepare
    if (dev === null) throw new Error('the stack is not running');
    const notices = dev
      .output()
      .split('\n')
      .filter((line) => line.startsWith('runtime auto:'));

    // Act
    const created = await createEnvironment(dev, {
      inputs: { name: 'world' },
      project_id: 'example',
      task_ref: 'hello-http',
      timeout_sec: 600,
    });
    const ready = await pollStatus(dev, created.id, ['ready'], { timeoutMs: 15_000 });
    const greeting = await (await fetch(serviceUrl(ready.status, 'web'))).text();

    // Assess
    expect(notices).toEqual([
      'runtime auto: no Docker engine answers (DOCKER_HOST or /var/run/docker.sock); using the process runtime',
    ]);
    expect(dev.output()).toMatch(/^\s+Runtime\s+process \(/m);
    expect(greeting).toBe('Hello from taskenv!\n');
  }, 30_000);
});

describe.runIf(engine)(
  'the local stack where the examples’ images cannot be built (no static busybox)',
  () => {
    let root: Awaited<ReturnType<typeof makeTempDir>>;
    // A run-unique example, so its image is surely missing and has to be built.
    const name = uniqueTaskName('h13-unbuildable');

    beforeAll(async () => {
      root = await makeTempDir('unbuildable');
      await copyExampleAs(root.path, 'hello-http', name);
    });

    afterAll(async () => {
      await root?.remove();
    });

    it('falls back from auto to host processes, with a notice naming what to install', async () => {
      // Prepare
      const dataDir = await makeTempDir('unbuildable-auto');
      const lines: string[] = [];

      // Act
      const stack = await startLocalStack({
        dataDir: dataDir.path,
        port: 0,
        runtime: 'auto',
        examplesDir: root.path,
        busybox: '/nonexistent/busybox',
        log: () => undefined,
        progress: (line) => lines.push(line),
      });

      // Assess
      try {
        expect(stack.runtime).toBe('process');
        expect(stack.publishedTasks).toEqual([`${name}@1.0.0`]);
        expect(lines).toHaveLength(1);
        expect(lines[0]).toMatch(
          new RegExp(
            `^runtime auto: cannot build the image of \\S*${name} \\(service web\\): no busybox at /nonexistent/busybox: .*apt-get install busybox-static.*; using the process runtime$`,
          ),
        );
      } finally {
        await stack.stop();
        await dataDir.remove();
      }
    }, 120_000);

    it('refuses to start with --runtime docker, naming busybox-static and --runtime process', async () => {
      // Prepare
      const dataDir = await makeTempDir('unbuildable-docker');

      // Act
      const started = startLocalStack({
        dataDir: dataDir.path,
        port: 0,
        runtime: 'docker',
        examplesDir: root.path,
        busybox: '/nonexistent/busybox',
        log: () => undefined,
        progress: () => undefined,
      });

      // Assess
      try {
        await expect(started).rejects.toThrow(
          new RegExp(
            `^--runtime docker: cannot build the image of \\S*${name} \\(service web\\): no busybox at /nonexistent/busybox: .*apt-get install busybox-static.*; or use --runtime process$`,
          ),
        );
      } finally {
        await dataDir.remove();
      }
    }, 120_000);
  },
);
