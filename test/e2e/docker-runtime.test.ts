/**
 * The Docker runtime end to end: `taskenv dev --runtime docker` as its own process, tasks
 * published and environments created over HTTP, images built `FROM scratch` through the Engine
 * API, and a `kill -9` of the stack with live containers followed by a restart.
 */
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LABEL_ENVIRONMENT_ID, LABEL_STACK } from '#adapters/local/docker-driver';
import { type DevProcess, interruptStack, killStack, startDevProcess } from '#test/support/dev-process';
import {
  buildBusyboxImage,
  containersLabelled,
  docker,
  dockerEngine,
  httpd,
  removeTestContainers,
  removeTestImages,
} from '#test/support/docker';
import {
  type ApiTarget,
  apiRequest,
  createEnvironment,
  environmentsUrl,
  getEnvironment,
  makeTempDir,
  pollStatus,
  serviceUrl,
} from '#test/support/e2e';

const engine = await dockerEngine('test/e2e/docker-runtime.test.ts');

const run = randomBytes(4).toString('hex');
const IMAGE = `taskenv-test/e2e-web:${run}`;
const BAKED = `baked into ${IMAGE}\n`;

/** Publishes a one-off task (a unique name per test) and answers its name. */
const publish = async (target: ApiTarget, services: Record<string, unknown>): Promise<string> => {
  const name = `docker-${randomBytes(3).toString('hex')}`;
  const answer = await apiRequest(`${target.apiUrl}/api/v1/org/${target.org}/tasks`, target.apiKey, {
    method: 'POST',
    json: { name, version: '1.0.0', instruction: 'Use the service.', services },
  });
  if (answer.status !== 201)
    throw new Error(`publish answered ${answer.status}: ${JSON.stringify(answer.body)}`);
  return name;
};

const create = (target: ApiTarget, task: string) =>
  createEnvironment(target, { task_ref: task, project_id: 'docker-e2e', timeout_sec: 600 });

describe.runIf(engine)('taskenv dev --runtime docker', () => {
  let dataDir: Awaited<ReturnType<typeof makeTempDir>>;
  let dev: DevProcess | null = null;
  let stack = '';
  const current = (): DevProcess => {
    if (dev === null) throw new Error('the stack is not running');
    return dev;
  };

  beforeAll(async () => {
    await buildBusyboxImage(IMAGE, { '/www/index.html': BAKED });
    dataDir = await makeTempDir('docker');
    dev = await startDevProcess(dataDir.path, ['--runtime', 'docker', '--quiet']);
    stack = (await readFile(join(dataDir.path, 'stack-id'), 'utf8')).trim();
  }, 120_000);

  afterAll(async () => {
    if (dev !== null && dev.child.exitCode === null) await interruptStack(dev).catch(() => undefined);
    await removeTestContainers(stack);
    await removeTestImages([IMAGE]);
    await dataDir?.remove();
  }, 60_000);

  it('names the Docker runtime in its banner', () => {
    expect(current().output()).toMatch(/Runtime\s+docker \(one container per service/);
  });

  it('serves the file baked into the image, and DELETE leaves no container with its label', async () => {
    // Prepare
    const target = current();
    const task = await publish(target, { web: { image: IMAGE, ports: [8080], command: httpd(8080) } });

    // Act
    const created = await create(target, task);
    const ready = await pollStatus(target, created.id, ['ready'], { timeoutMs: 20_000 });
    const served = await (await fetch(`${serviceUrl(ready.status, 'web')}/index.html`)).text();
    const whileReady = await containersLabelled(LABEL_ENVIRONMENT_ID, created.id);
    const deleted = await apiRequest(`${environmentsUrl(target)}/${created.id}`, target.apiKey, {
      method: 'DELETE',
    });
    await pollStatus(target, created.id, ['torn_down'], { timeoutMs: 20_000 });

    // Assess
    console.info(`docker e2e: ready ${ready.elapsedMs.toFixed(0)} ms after create`);
    expect(served).toBe(BAKED);
    expect(whileReady).toHaveLength(1);
    expect(deleted.status).toBeLessThan(300);
    expect(await containersLabelled(LABEL_ENVIRONMENT_ID, created.id)).toEqual([]);
  }, 60_000);

  it('lets service B reach service A on 127.0.0.1:<A port> inside the task', async () => {
    // Prepare
    const target = current();
    const task = await publish(target, {
      a: { image: IMAGE, ports: [8080], command: httpd(8080) },
      b: {
        image: IMAGE,
        ports: [8081],
        command: httpd(
          8081,
          'until wget -q -O /www/from-a http://127.0.0.1:8080/index.html; do sleep 0.1; done',
        ),
      },
    });

    // Act
    const created = await create(target, task);
    const ready = await pollStatus(target, created.id, ['ready'], { timeoutMs: 20_000 });
    const fromA = await (await fetch(`${serviceUrl(ready.status, 'b')}/from-a`)).text();

    // Assess
    expect(fromA).toBe(BAKED);
  }, 60_000);

  it('fails an environment whose container exits non-zero, with the exit code', async () => {
    // Prepare
    const target = current();
    const task = await publish(target, {
      web: { image: IMAGE, ports: [8080], command: ['sh', '-c', 'exit 7'] },
    });

    // Act
    const created = await create(target, task);
    const failed = await pollStatus(target, created.id, ['failed'], { timeoutMs: 20_000 });

    // Assess
    expect(failed.status.error).toContain('container web exited with code 7');
    expect(failed.status.error).toContain(`/environments/${created.id}/logs?service=web`);
  }, 60_000);

  it('fails an environment whose container runs out of memory, naming the OOM kill', async () => {
    // Prepare
    const target = current();
    const task = await publish(target, {
      web: {
        image: IMAGE,
        ports: [8080],
        command: ['dd', 'if=/dev/zero', 'of=/dev/null', 'bs=600M', 'count=1'],
      },
    });

    // Act
    const created = await create(target, task);
    const failed = await pollStatus(target, created.id, ['failed'], { timeoutMs: 20_000 });

    // Assess
    expect(failed.status.error).toContain('container web was killed: out of memory (limit 512 MiB)');
    expect(failed.status.error).toContain(`/environments/${created.id}/logs?service=web`);
  }, 60_000);

  it('fails, without hanging, an environment whose image does not exist', async () => {
    // Prepare
    const target = current();
    const task = await publish(target, { web: { image: `taskenv-test/missing:${run}`, ports: [8080] } });

    // Act
    const created = await create(target, task);
    const failed = await pollStatus(target, created.id, ['failed'], { timeoutMs: 15_000 });

    // Assess
    expect(failed.status.error).toContain(
      `CannotPullContainerError: service web: image 'taskenv-test/missing:${run}'`,
    );
  }, 60_000);

  it('after kill -9 and a restart, live environments keep their containers and final ones have none', async () => {
    // Prepare: one environment that stays live, one whose container dies while the stack is down.
    const target = current();
    const task = await publish(target, { web: { image: IMAGE, ports: [8080], command: httpd(8080) } });
    const live = await create(target, task);
    const dies = await create(target, task);
    const liveReady = await pollStatus(target, live.id, ['ready'], { timeoutMs: 20_000 });
    await pollStatus(target, dies.id, ['ready'], { timeoutMs: 20_000 });
    const liveContainers = await containersLabelled(LABEL_ENVIRONMENT_ID, live.id);

    // Act
    await killStack(target);
    dev = null;
    for (const id of await containersLabelled(LABEL_ENVIRONMENT_ID, dies.id))
      await docker.getContainer(id).kill();
    dev = await startDevProcess(dataDir.path, ['--runtime', 'docker', '--quiet']);
    const restarted = current();
    // The reconciler leaves young environments to its next pass (every 30 s).
    const failed = await pollStatus(restarted, dies.id, ['failed'], { timeoutMs: 45_000, intervalMs: 250 });
    const stillLive = await getEnvironment(restarted, live.id);
    const answer = await fetch(`${serviceUrl(liveReady.status, 'web')}/index.html`);

    // Assess
    expect(stillLive.state).toBe('ready');
    expect(serviceUrl(stillLive, 'web')).toBe(serviceUrl(liveReady.status, 'web'));
    expect(await answer.text()).toBe(BAKED);
    expect(await containersLabelled(LABEL_ENVIRONMENT_ID, live.id)).toEqual(liveContainers);
    expect(failed.status.state).toBe('failed');
    expect(await containersLabelled(LABEL_ENVIRONMENT_ID, dies.id)).toEqual([]);
  }, 120_000);

  it('on Ctrl-C stops every container of the stack and leaves no stack.json', async () => {
    // Act
    const code = await interruptStack(current());

    // Assess
    expect(code).toBe(0);
    expect(await containersLabelled(LABEL_STACK, stack)).toEqual([]);
    await expect(readFile(join(dataDir.path, 'stack.json'), 'utf8')).rejects.toMatchObject({
      code: 'ENOENT',
    });
  }, 60_000);
});
