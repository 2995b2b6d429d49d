import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { LABEL_ENVIRONMENT_ID, LABEL_STACK, LABEL_TASK_ARN } from '#adapters/local/docker-driver';
import { DockerRuntime } from '#adapters/local/docker-runtime';
import type { TaskEventListener } from '#adapters/local/ecs-task-events';
import { TaskLedger } from '#adapters/local/task-ledger';
import { stopErrorMessage } from '#domain/ecs-event';
import { ExecUnavailableError, MAX_EXEC_OUTPUT_BYTES } from '#ports/container-runtime';
import {
  buildBusyboxImage,
  containersLabelled,
  docker,
  dockerEngine,
  httpd,
  removeTestContainers,
  removeTestImages,
} from '#test/support/docker';
import { customTask, hostPortOf, runtimeHarness, waitForEvent } from '#test/support/local-runtime';

const engine = await dockerEngine('test/integration/docker-runtime.test.ts');

const run = randomBytes(4).toString('hex');
const IMAGE = `taskenv-test/busybox-web:${run}`;
const BAKED = 'baked into the image\n';
const STACK = `test-${run}`;

describe.runIf(engine)('DockerRuntime', () => {
  const harness = runtimeHarness('docker-runtime');
  const startDocker = (stack = STACK, ledger = 'ledger') =>
    harness.start(
      (onEvent: TaskEventListener, dir: string) =>
        new DockerRuntime({
          onEvent,
          stack,
          logDir: join(dir, 'logs'),
          ledgerDir: join(dir, ledger),
          stopTimeoutMs: 1000,
          readyTimeoutMs: 15_000,
        }),
    );

  beforeAll(async () => {
    await buildBusyboxImage(IMAGE, { '/www/index.html': BAKED });
  }, 120_000);

  afterAll(async () => {
    await removeTestContainers(STACK);
    await removeTestImages([IMAGE]);
  });

  it('runs a service from its image: ready, serving the baked file on 127.0.0.1, limited, hardened, labelled', async () => {
    // Prepare
    const { runtime, events } = startDocker();
    const task = customTask({ web: { image: IMAGE, ports: [8080], command: httpd(8080) } });

    // Act
    const { taskArn, environmentId } = await harness.launch(runtime, task, { API_SECRET: 'do-not-label-me' });
    const running = await waitForEvent(events, 'RUNNING');
    const port = hostPortOf(running, 'web', 8080);
    const served = await (await fetch(`http://127.0.0.1:${port}/index.html`)).text();
    const [id] = await containersLabelled(LABEL_ENVIRONMENT_ID, environmentId);
    const info = await docker.getContainer(id ?? '').inspect();

    // Assess
    expect(events.map((e) => e.detail.lastStatus)).toEqual(['PROVISIONING', 'PENDING', 'RUNNING']);
    expect(served).toBe(BAKED);
    expect(info.Config.Labels).toMatchObject({
      [LABEL_ENVIRONMENT_ID]: environmentId,
      [LABEL_TASK_ARN]: taskArn,
      [LABEL_STACK]: STACK,
    });
    expect(info.Config.Env).toContain('API_SECRET=do-not-label-me');
    expect(JSON.stringify(info.Config.Labels)).not.toContain('do-not-label-me');
    expect(info.Name).not.toContain('do-not-label-me');
    expect(info.HostConfig.PortBindings).toEqual({
      '8080/tcp': [{ HostIp: '127.0.0.1', HostPort: String(port) }],
    });
    expect(info.HostConfig).toMatchObject({
      Memory: 512 * 1024 * 1024,
      MemorySwap: 512 * 1024 * 1024,
      NanoCpus: 250_000_000,
      PidsLimit: 512,
      SecurityOpt: ['no-new-privileges:true'],
      Privileged: false,
    });
    expect(info.Mounts).toEqual([]);
  });

  it('removes the containers of a stopped task, and STOPPED says UserInitiated', async () => {
    // Prepare
    const { runtime, events } = startDocker();
    const task = customTask({ web: { image: IMAGE, ports: [8080], command: httpd(8080) } });
    const { taskArn, environmentId } = await harness.launch(runtime, task);
    await waitForEvent(events, 'RUNNING');

    // Act
    await runtime.stop(taskArn, 'taskenv: deleted');
    const stopped = await waitForEvent(events, 'STOPPED');

    // Assess
    expect(stopped.detail).toMatchObject({ stopCode: 'UserInitiated', stoppedReason: 'taskenv: deleted' });
    expect(await containersLabelled(LABEL_ENVIRONMENT_ID, environmentId)).toEqual([]);
  });

  it('puts the services of a task in one network namespace: B reaches A on 127.0.0.1:<A port>', async () => {
    // Prepare
    const { runtime, events } = startDocker();
    const task = customTask({
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
    const { environmentId } = await harness.launch(runtime, task);
    const running = await waitForEvent(events, 'RUNNING');
    const fromA = await (await fetch(`http://127.0.0.1:${hostPortOf(running, 'b', 8081)}/from-a`)).text();

    // Assess
    expect(fromA).toBe(BAKED);
    expect(await containersLabelled(LABEL_ENVIRONMENT_ID, environmentId)).toHaveLength(2);
  });

  it('fails a task whose container exits non-zero with its exit code', async () => {
    // Prepare
    const { runtime, events } = startDocker();
    const task = customTask({ web: { image: IMAGE, command: ['sh', '-c', 'sleep 0.3; exit 7'] } });

    // Act
    await harness.launch(runtime, task);
    const stopped = await waitForEvent(events, 'STOPPED');

    // Assess
    expect(stopped.detail.stopCode).toBe('EssentialContainerExited');
    expect(stopped.detail.containers[0]?.exitCode).toBe(7);
  });

  it('names an OOM kill, with the memory limit', async () => {
    // Prepare
    const { runtime, events } = startDocker();
    const task = customTask({
      web: { image: IMAGE, command: ['dd', 'if=/dev/zero', 'of=/dev/null', 'bs=600M', 'count=1'] },
    });

    // Act
    await harness.launch(runtime, task);
    const stopped = await waitForEvent(events, 'STOPPED');

    // Assess
    expect(stopped.detail.containers[0]).toMatchObject({
      exitCode: 137,
      reason: 'OutOfMemoryError: container web was killed: out of memory (limit 512 MiB)',
    });
    expect(
      stopErrorMessage({
        stopCode: stopped.detail.stopCode,
        stoppedReason: stopped.detail.stoppedReason,
        containers: stopped.detail.containers,
      }),
    ).toContain('container web was killed: out of memory (limit 512 MiB)');
  });

  it('fails, without hanging, a task whose image does not exist and cannot be pulled', async () => {
    // Prepare
    const { runtime, events } = startDocker();
    const task = customTask({ web: { image: `taskenv-test/does-not-exist:${run}`, ports: [8080] } });
    const started = Date.now();

    // Act
    const { environmentId } = await harness.launch(runtime, task);
    const stopped = await waitForEvent(events, 'STOPPED');

    // Assess
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(stopped.detail.stopCode).toBe('TaskFailedToStart');
    expect(stopped.detail.stoppedReason).toMatch(
      new RegExp(
        `^CannotPullContainerError: service web: image 'taskenv-test/does-not-exist:${run}' is not on this machine`,
      ),
    );
    expect(await containersLabelled(LABEL_ENVIRONMENT_ID, environmentId)).toEqual([]);
  });

  it('runs a command inside a container: its env, exit code, interleaved output, timeout and cap', async () => {
    // Prepare
    const { runtime, events } = startDocker();
    const task = customTask({ web: { image: IMAGE, ports: [8080], command: httpd(8080) } });
    const { taskArn } = await harness.launch(runtime, task, { API_SECRET: 'from-env-file' });
    await waitForEvent(events, 'RUNNING');

    // Act
    const plain = await runtime.exec(
      taskArn,
      'web',
      'echo "$API_SECRET $EXTRA"; sleep 0.2; echo oops >&2; sleep 0.2; pwd; exit 4',
      {
        timeoutSec: 10,
        env: { EXTRA: 'extra' },
        workdir: '/www',
      },
    );
    const slow = await runtime.exec(taskArn, 'web', 'sleep 30 & sleep 30', { timeoutSec: 1 });
    const sleepers = await runtime.exec(taskArn, 'web', 'ps -o args | grep -c "^sleep 30"', {
      timeoutSec: 5,
    });
    const big = await runtime.exec(taskArn, 'web', 'head -c 1100000 /dev/zero | tr "\\0" a', {
      timeoutSec: 20,
    });

    // Assess
    expect(plain).toMatchObject({
      exitCode: 4,
      output: 'from-env-file extra\noops\n/www\n',
      truncated: false,
    });
    expect(slow).toMatchObject({ exitCode: 124, timedOut: true });
    expect(slow.durationMs).toBeLessThan(5000);
    expect(sleepers.output.trim()).toBe('0');
    expect(big.truncated).toBe(true);
    expect(big.output.length).toBe(MAX_EXEC_OUTPUT_BYTES);
  });

  it('refuses exec with ExecUnavailableError once the task has stopped', async () => {
    // Prepare
    const { runtime, events } = startDocker();
    const task = customTask({ web: { image: IMAGE, ports: [8080], command: httpd(8080) } });
    const { taskArn } = await harness.launch(runtime, task);
    await waitForEvent(events, 'RUNNING');
    await runtime.stop(taskArn, 'taskenv: test');

    // Act
    const exec = runtime.exec(taskArn, 'web', 'true', { timeoutSec: 5 });

    // Assess
    await expect(exec).rejects.toBeInstanceOf(ExecUnavailableError);
  });

  it('reads a service’s logs with their times, while it runs and after its container is gone', async () => {
    // Prepare
    const { runtime, events } = startDocker();
    const task = customTask({
      web: {
        image: IMAGE,
        ports: [8080],
        command: httpd(8080, 'echo one; sleep 0.1; echo two >&2; sleep 0.1; echo three'),
      },
    });
    const { taskArn, environmentId } = await harness.launch(runtime, task);
    await waitForEvent(events, 'RUNNING');
    const before = Date.now();

    // Act
    const live = await runtime.read({ environmentId, taskArn }, 'web', 2);
    await runtime.stop(taskArn, 'taskenv: test');
    await waitForEvent(events, 'STOPPED');
    const kept = await runtime.read({ environmentId, taskArn }, 'web', 10);

    // Assess
    expect(live).toMatchObject({ lines: [{ message: 'two' }, { message: 'three' }], truncated: true });
    expect(Math.abs(Date.parse(live.lines[0]?.time ?? '') - before)).toBeLessThan(60_000);
    expect(kept).toMatchObject({
      lines: [{ message: 'one' }, { message: 'two' }, { message: 'three' }],
      truncated: false,
    });
    expect(await containersLabelled(LABEL_ENVIRONMENT_ID, environmentId)).toEqual([]);
  });

  it('after a restart, adopts the live tasks of its ledger and removes the containers of the rest', async () => {
    // Prepare: a live task of a first runtime, and what a crashed stack leaves behind: a ledger
    // record whose container has exited, and a container of the stack the ledger does not name.
    const stack = `${STACK}-restart`;
    const first = startDocker(stack);
    const task = customTask({ web: { image: IMAGE, ports: [8080], command: httpd(8080) } });
    const webDefinition = task.manifest.services.web;
    if (webDefinition === undefined) throw new Error('the task has no web service');
    const live = await harness.launch(first.runtime, task);
    const running = await waitForEvent(first.events, 'RUNNING');
    const livePort = hostPortOf(running, 'web', 8080);
    const labels = { [LABEL_STACK]: stack, [LABEL_ENVIRONMENT_ID]: 'env-dead', 'taskenv.service': 'web' };
    const dead = await docker.createContainer({ Image: IMAGE, Cmd: ['true'], Labels: labels });
    await dead.start();
    await dead.wait();
    await new TaskLedger(join(harness.dir(), 'ledger')).save({
      taskArn: 'arn:aws:ecs:local:000000000000:task/taskenv-local/dead',
      environmentId: 'env-dead',
      group: 'taskenv:local',
      createdAt: new Date().toISOString(),
      startedAt: new Date().toISOString(),
      lastStatus: 'RUNNING',
      version: 3,
      services: [
        {
          name: 'web',
          definition: webDefinition,
          bindings: [],
          ref: { containerId: dead.id, ip: '10.0.0.1' },
        },
      ],
    });
    const stray = await docker.createContainer({
      Image: IMAGE,
      Cmd: ['sleep', '60'],
      Labels: { [LABEL_STACK]: stack },
    });

    // Act: a second runtime on the same ledger, as a restarted stack.
    const second = startDocker(stack);
    const recovered = await second.runtime.recover();
    const adopted = await second.runtime.findByEnvironment(live.environmentId);
    const answer = await fetch(`http://127.0.0.1:${livePort}/index.html`);
    const left = await containersLabelled(LABEL_STACK, stack);

    // Assess
    expect(recovered).toEqual({ adopted: 1, ended: 1 });
    expect(adopted).toMatchObject({ taskArn: live.taskArn, lastStatus: 'RUNNING', version: 3 });
    expect(await answer.text()).toBe(BAKED);
    expect(await second.runtime.findByEnvironment('env-dead')).toBeNull();
    expect(left).toHaveLength(1);
    expect(left).not.toContain(dead.id);
    expect(left).not.toContain(stray.id);
    await second.runtime.stop(live.taskArn, 'taskenv: test');
    // The first runtime, alive here unlike a crashed stack's, removes the same container at once.
    await vi.waitFor(async () => expect(await containersLabelled(LABEL_STACK, stack)).toEqual([]));
  });
});
