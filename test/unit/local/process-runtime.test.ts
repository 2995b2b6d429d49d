import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import type { z } from 'zod';
import { ProcessRuntime, type ProcessRuntimeOptions } from '#adapters/local/process-runtime';
import { ecsTaskStateChangeEventSchema, stopErrorMessage, taskNetwork } from '#domain/ecs-event';
import type { TaskManifestInput } from '#domain/manifest';
import { LaunchFailedError } from '#ports/container-runtime';
import type { Log } from '#ports/log';
import { exampleTask, REPO_ROOT } from '#test/support/example-tasks';
import { customTask, hostPortOf, isRunning, runtimeHarness, waitForEvent } from '#test/support/local-runtime';

const harness = runtimeHarness('process-runtime');
const launch = harness.launch;

/** A runtime that records its events, stopped after the test. */
const startRuntime = (options: Partial<ProcessRuntimeOptions> = {}) =>
  harness.start(
    (onEvent) => new ProcessRuntime({ cwd: REPO_ROOT, readyTimeoutMs: 10_000, onEvent, ...options }),
  );

const NODE_IMAGE = 'public.ecr.aws/docker/library/node:20-alpine';
type ServiceInput = TaskManifestInput['services'][string];

/** A service that runs `node -e script` locally; `fields` adds ports, a health check and so on. */
const nodeScript = (script: string, fields: Omit<ServiceInput, 'image' | 'local'> = {}): ServiceInput => ({
  image: NODE_IMAGE,
  ...fields,
  local: { command: ['node', '-e', script] },
});

const whoami = async (hostPort: number): Promise<{ environment_id: string; pid: number }> => {
  const response = await fetch(`http://127.0.0.1:${hostPort}/whoami`);
  return (await response.json()) as { environment_id: string; pid: number };
};

describe('ProcessRuntime.launch', () => {
  it('reports PROVISIONING, PENDING, then RUNNING with a host port that answers HTTP 200', async () => {
    // Prepare
    const { runtime, events } = startRuntime();

    // Act
    const { taskArn, environmentId } = await launch(runtime, exampleTask('hello-http'));
    const running = await waitForEvent(events, 'RUNNING');
    const response = await fetch(`http://127.0.0.1:${hostPortOf(running, 'web', 8080)}/`);

    // Assess
    expect(taskArn).toMatch(/^arn:aws:ecs:local:000000000000:task\/taskenv-local\/[0-9a-f]{32}$/);
    expect(events.map((e) => [e.detail.version, e.detail.lastStatus])).toEqual([
      [1, 'PROVISIONING'],
      [2, 'PENDING'],
      [3, 'RUNNING'],
    ]);
    for (const event of events) {
      const parsed = ecsTaskStateChangeEventSchema.parse(event);
      expect(parsed.resources).toEqual([taskArn]);
      expect(parsed.detail).toMatchObject({
        taskArn,
        startedBy: environmentId,
        group: 'taskenv:local',
        desiredStatus: 'RUNNING',
      });
    }
    expect(taskNetwork(ecsTaskStateChangeEventSchema.parse(running).detail).bindings).toEqual([
      {
        containerName: 'web',
        containerPort: 8080,
        hostPort: hostPortOf(running, 'web', 8080),
        bindIp: '127.0.0.1',
      },
    ]);
    expect(response.status).toBe(200);
    expect(await response.text()).toBe('Hello from taskenv!\n');
  });

  it('emits events whose type fits what the ECS event schema accepts', async () => {
    // Prepare
    const { runtime, events } = startRuntime();
    await launch(runtime, exampleTask('hello-http'));

    // Act
    const running = await waitForEvent(events, 'RUNNING');
    const wire: z.input<typeof ecsTaskStateChangeEventSchema> = running;

    // Assess
    expect(ecsTaskStateChangeEventSchema.safeParse(wire).success).toBe(true);
  });

  it('gives a process its env file, service env, local env and ports, and nothing else of the host', async () => {
    // Prepare
    const { runtime, events } = startRuntime();
    const task = customTask({
      web: {
        image: NODE_IMAGE,
        ports: [9000, 9001],
        env: { GREETING: 'from env', MODE: 'ecs' },
        local: {
          command: [
            'node',
            '-e',
            "const h = require('http').createServer((q, s) => s.end(JSON.stringify(process.env))); h.listen(process.env.PORT, '127.0.0.1'); require('http').createServer().listen(process.env.TASKENV_PORT_9001, '127.0.0.1')",
          ],
          env: { MODE: 'local' },
        },
      },
    });
    process.env.TASKENV_TEST_HOST_ONLY = 'must not leak';

    // Act
    const { environmentId } = await launch(runtime, task, { FROM_FILE: 'a=b c' });
    const running = await waitForEvent(events, 'RUNNING');
    const response = await fetch(`http://127.0.0.1:${hostPortOf(running, 'web', 9000)}/`);
    const env = (await response.json()) as Record<string, string>;
    delete process.env.TASKENV_TEST_HOST_ONLY;

    // Assess
    expect(env).toMatchObject({
      GREETING: 'from env',
      MODE: 'local',
      FROM_FILE: 'a=b c',
      TASKENV_ENVIRONMENT_ID: environmentId,
      PORT: String(hostPortOf(running, 'web', 9000)),
      TASKENV_PORT_9000: String(hostPortOf(running, 'web', 9000)),
      TASKENV_PORT_9001: String(hostPortOf(running, 'web', 9001)),
      PATH: process.env.PATH,
    });
    expect(env.TASKENV_TEST_HOST_ONLY).toBeUndefined();
    expect(env.AWS_SECRET_ACCESS_KEY).toBeUndefined();
  });

  it('runs every service of a task, each able to reach the others through TASKENV_PORT_<port>', async () => {
    // Prepare
    const { runtime, events } = startRuntime();

    // Act
    await launch(runtime, exampleTask('two-service'));
    const running = await waitForEvent(events, 'RUNNING');
    const page = await fetch(`http://127.0.0.1:${hostPortOf(running, 'web', 8080)}/`);
    const api = await fetch(`http://127.0.0.1:${hostPortOf(running, 'api', 8081)}/api/message`);

    // Assess
    expect(running.detail.containers.map((c) => [c.name, c.lastStatus])).toEqual([
      ['web', 'RUNNING'],
      ['api', 'RUNNING'],
    ]);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<h1>Hello from the API</h1>');
    expect(await api.json()).toMatchObject({ message: 'Hello from the API' });
  });

  it('starts one task per environment id, however often and concurrently launch is called', async () => {
    // Prepare
    const { runtime, events } = startRuntime();
    const task = exampleTask('hello-http');
    const request = await harness.launchRequest(task);

    // Act
    const [first, second] = await Promise.all([runtime.launch(request), runtime.launch(request)]);
    await waitForEvent(events, 'RUNNING');
    const third = await runtime.launch(request);

    // Assess
    expect(second).toEqual(first);
    expect(third).toEqual(first);
    expect(events.filter((e) => e.detail.lastStatus === 'PROVISIONING')).toHaveLength(1);
    expect(await runtime.listRunning()).toHaveLength(1);
  });

  it('refuses a task with a service that has no local command, and starts nothing', async () => {
    // Prepare
    const { runtime, events } = startRuntime();
    const task = customTask({ web: { image: NODE_IMAGE, ports: [8080] } });

    // Act
    const result = launch(runtime, task);

    // Assess
    await expect(result).rejects.toBeInstanceOf(LaunchFailedError);
    await expect(result).rejects.toThrow(/web .*local\.command/);
    expect(events).toEqual([]);
    expect(await runtime.listRunning()).toEqual([]);
  });

  it('refuses to launch when the env file cannot be read', async () => {
    // Prepare
    const { runtime } = startRuntime();
    const environmentId = randomUUID();

    // Act
    const result = runtime.launch({
      environmentId,
      org: 'local',
      workspace: 'default',
      task: exampleTask('hello-http'),
      envFileRef: join(harness.dir(), 'missing.env'),
    });

    // Assess
    await expect(result).rejects.toBeInstanceOf(LaunchFailedError);
    expect(await runtime.findByEnvironment(environmentId)).toBeNull();
  });

  it('captures each service’s stdout and stderr in <logDir>/<environment id>/<service>.log', async () => {
    // Prepare
    const logDir = join(harness.dir(), 'logs');
    const { runtime, events } = startRuntime({ logDir });
    const task = customTask({
      worker: nodeScript("console.log('to stdout'); console.error('to stderr'); setInterval(() => {}, 1000)"),
    });

    // Act
    const { environmentId } = await launch(runtime, task);
    await waitForEvent(events, 'RUNNING');
    const path = join(logDir, environmentId, 'worker.log');
    await vi.waitFor(async () => expect(await readFile(path, 'utf8')).toContain('to stderr'), {
      interval: 10,
    });

    // Assess
    const log = await readFile(path, 'utf8');
    expect(log).toContain('to stdout\n');
    expect(log).toContain('to stderr\n');
  });
});

describe('ProcessRuntime readiness', () => {
  it('stops a task whose ports do not open in time with TaskFailedToStart', async () => {
    // Prepare
    const { runtime, events } = startRuntime({ readyTimeoutMs: 300 });
    const task = customTask({ web: nodeScript('setInterval(() => {}, 1000)', { ports: [8080] }) });

    // Act
    const { taskArn } = await launch(runtime, task);
    const stopped = await waitForEvent(events, 'STOPPED');

    // Assess
    expect(events.map((e) => e.detail.lastStatus)).toEqual([
      'PROVISIONING',
      'PENDING',
      'STOPPING',
      'STOPPED',
    ]);
    expect(stopped.detail.stopCode).toBe('TaskFailedToStart');
    expect(stopped.detail.stoppedReason).toMatch(/^Timed out waiting for ports .*web:8080/);
    expect(await runtime.describe([taskArn])).toMatchObject([
      { lastStatus: 'STOPPED', desiredStatus: 'STOPPED' },
    ]);
  });

  it('waits for the health path to answer 2xx, not only for the port to open', async () => {
    // Prepare
    const { runtime, events } = startRuntime({ readyTimeoutMs: 500 });
    const task = customTask({
      web: nodeScript(
        "require('http').createServer((q, s) => { s.statusCode = 503; s.end(); }).listen(process.env.PORT, '127.0.0.1')",
        { ports: [8080], health: { path: '/healthz', port: 8080 } },
      ),
    });

    // Act
    await launch(runtime, task);
    const stopped = await waitForEvent(events, 'STOPPED');

    // Assess
    expect(events.map((e) => e.detail.lastStatus)).not.toContain('RUNNING');
    expect(stopped.detail.stoppedReason).toContain('web GET /healthz');
    expect(stopped.detail.stoppedReason).not.toContain('web:8080');
  });

  it('runs a health command as the probe: RUNNING (and HEALTHY) only once it exits 0', async () => {
    // Prepare: the command passes once the service has written its marker file.
    const { runtime, events } = startRuntime();
    const marker = join(tmpdir(), `taskenv-ready-${randomUUID()}`);
    const task = customTask({
      worker: {
        image: NODE_IMAGE,
        health: {
          command: [
            'node',
            '-e',
            `process.exit(require('fs').existsSync(${JSON.stringify(marker)}) ? 0 : 1)`,
          ],
          grace_sec: 10,
        },
        local: {
          command: [
            'node',
            '-e',
            `setTimeout(() => require('fs').writeFileSync(${JSON.stringify(marker)}, ''), 300); setInterval(() => {}, 1000)`,
          ],
        },
      },
    });

    // Act
    const launched = Date.now();
    await launch(runtime, task);
    const running = await waitForEvent(events, 'RUNNING');

    // Assess
    expect(Date.now() - launched).toBeGreaterThanOrEqual(300);
    expect(running.detail.healthStatus).toBe('HEALTHY');
    await rm(marker, { force: true });
  });

  it('reports RUNNING at once for a task without ports', async () => {
    // Prepare
    const { runtime, events } = startRuntime();
    const task = customTask({ worker: nodeScript('setInterval(() => {}, 1000)') });

    // Act
    await launch(runtime, task);
    const running = await waitForEvent(events, 'RUNNING');

    // Assess
    expect(running.detail.containers).toEqual([
      expect.objectContaining({ name: 'worker', lastStatus: 'RUNNING', networkBindings: [] }),
    ]);
  });
});

describe('ProcessRuntime.stop', () => {
  it('emits STOPPING then STOPPED with UserInitiated and the reason, and the process is gone', async () => {
    // Prepare
    const { runtime, events } = startRuntime();
    const { taskArn } = await launch(runtime, exampleTask('hello-http'));
    const running = await waitForEvent(events, 'RUNNING');
    const { pid } = await whoami(hostPortOf(running, 'web', 8080));

    // Act
    await runtime.stop(taskArn, 'taskenv: deleted');

    // Assess
    await waitForEvent(events, 'STOPPED');
    expect(
      events.slice(3).map((e) => [e.detail.version, e.detail.lastStatus, e.detail.desiredStatus]),
    ).toEqual([
      [4, 'STOPPING', 'STOPPED'],
      [5, 'STOPPED', 'STOPPED'],
    ]);
    expect(events[4]?.detail).toMatchObject({
      stopCode: 'UserInitiated',
      stoppedReason: 'taskenv: deleted',
      containers: [expect.objectContaining({ name: 'web', lastStatus: 'STOPPED', exitCode: 0 })],
    });
    expect(() => process.kill(pid, 0)).toThrow(expect.objectContaining({ code: 'ESRCH' }));
    expect(await runtime.describe([taskArn])).toEqual([
      {
        taskArn,
        startedBy: expect.any(String),
        group: 'taskenv:local',
        lastStatus: 'STOPPED',
        desiredStatus: 'STOPPED',
        stopCode: 'UserInitiated',
        stoppedReason: 'taskenv: deleted',
        containers: [{ name: 'web', exitCode: 0, reason: null }],
        // It passed its probes before RUNNING; health stays as it was when the task ran.
        healthStatus: 'HEALTHY',
        // The STOPPED event's version; a stopped task publishes no port any more.
        version: 5,
        network: { eniId: null, privateIp: null, bindings: [] },
      },
    ]);
  });

  it('does nothing for a task already stopped or unknown', async () => {
    // Prepare
    const { runtime, events } = startRuntime();
    const { taskArn } = await launch(runtime, exampleTask('hello-http'));
    await waitForEvent(events, 'RUNNING');
    await runtime.stop(taskArn, 'taskenv: deleted');
    await waitForEvent(events, 'STOPPED');
    const count = events.length;

    // Act
    await runtime.stop(taskArn, 'taskenv: expired');
    await runtime.stop('arn:aws:ecs:local:000000000000:task/taskenv-local/unknown', 'taskenv: deleted');

    // Assess
    expect(events).toHaveLength(count);
    expect(await runtime.describe([taskArn])).toMatchObject([{ stoppedReason: 'taskenv: deleted' }]);
  });

  it('kills the children a command started, not only the command', async () => {
    // Prepare
    const { runtime, events } = startRuntime();
    const pidFile = join(harness.dir(), 'sleep.pid');
    const task = customTask({
      web: {
        image: NODE_IMAGE,
        ports: [8080],
        local: {
          command: [
            'sh',
            '-c',
            `sleep 300 & echo $! > '${pidFile}'; exec node examples/tasks/hello-http/server.mjs`,
          ],
        },
      },
    });
    const { taskArn } = await launch(runtime, task);
    await waitForEvent(events, 'RUNNING');
    const sleepPid = Number(await readFile(pidFile, 'utf8'));
    expect(isRunning(sleepPid)).toBe(true);

    // Act
    await runtime.stop(taskArn, 'taskenv: deleted');

    // Assess
    expect(isRunning(sleepPid)).toBe(false);
  });

  it('kills a process that ignores SIGTERM once the stop timeout has passed', async () => {
    // Prepare
    const { runtime, events } = startRuntime({ stopTimeoutMs: 200 });
    const task = customTask({
      web: nodeScript(
        "process.on('SIGTERM', () => {}); require('http').createServer((q, s) => s.end()).listen(process.env.PORT, '127.0.0.1')",
        { ports: [8080] },
      ),
    });
    const { taskArn } = await launch(runtime, task);
    await waitForEvent(events, 'RUNNING');

    // Act
    await runtime.stop(taskArn, 'taskenv: deleted');

    // Assess
    const stopped = await waitForEvent(events, 'STOPPED');
    expect(stopped.detail.containers).toEqual([expect.objectContaining({ name: 'web', exitCode: 137 })]);
  });

  it('stopAll stops every task, delivers the STOPPED events and refuses later launches', async () => {
    // Prepare
    const { runtime, events } = startRuntime();
    const first = await launch(runtime, exampleTask('hello-http'));
    const second = await launch(runtime, exampleTask('two-service'));

    // Act
    await runtime.stopAll();

    // Assess
    const stopped = events.filter((e) => e.detail.lastStatus === 'STOPPED');
    expect(stopped.map((e) => e.detail.taskArn).sort()).toEqual([first.taskArn, second.taskArn].sort());
    expect(stopped.map((e) => e.detail.stoppedReason)).toEqual([
      'taskenv: local stack stopped',
      'taskenv: local stack stopped',
    ]);
    expect(await runtime.listRunning()).toEqual([]);
    await expect(launch(runtime, exampleTask('hello-http'))).rejects.toBeInstanceOf(LaunchFailedError);
  });
});

describe('ProcessRuntime when a process exits on its own', () => {
  it('stops the task with EssentialContainerExited and the exit code', async () => {
    // Prepare
    const { runtime, events } = startRuntime();

    // Act
    const { taskArn } = await launch(runtime, exampleTask('crash-on-start'));
    const stopped = await waitForEvent(events, 'STOPPED');

    // Assess
    expect(events.map((e) => e.detail.lastStatus)).toEqual([
      'PROVISIONING',
      'PENDING',
      'STOPPING',
      'STOPPED',
    ]);
    expect(stopped.detail).toMatchObject({
      desiredStatus: 'STOPPED',
      stopCode: 'EssentialContainerExited',
      stoppedReason: 'Essential container in task exited',
      containers: [expect.objectContaining({ name: 'app', lastStatus: 'STOPPED', exitCode: 3 })],
    });
    expect(stopErrorMessage(ecsTaskStateChangeEventSchema.parse(stopped).detail)).toBe(
      'Task stopped (EssentialContainerExited): Essential container in task exited; container app exited with code 3',
    );
    expect(await runtime.listRunning()).toEqual([]);
    expect(await runtime.describe([taskArn])).toMatchObject([{ stopCode: 'EssentialContainerExited' }]);
  });

  it('stops the other services of the task too', async () => {
    // Prepare: the sidecar exits with 5 once the test says so (a file appears), not after a fixed delay
    const { runtime, events } = startRuntime();
    const signalDir = await mkdtemp(join(tmpdir(), 'taskenv-sidecar-'));
    const exitNow = join(signalDir, 'exit-now');
    const task = customTask({
      web: {
        image: NODE_IMAGE,
        ports: [8080],
        local: { command: ['node', 'examples/tasks/hello-http/server.mjs'] },
      },
      sidecar: {
        image: NODE_IMAGE,
        local: {
          command: [
            'node',
            '-e',
            'const fs = require("node:fs"); setInterval(() => fs.existsSync(process.argv[1]) && process.exit(5), 20)',
            exitNow,
          ],
        },
      },
    });
    await launch(runtime, task);
    const running = await waitForEvent(events, 'RUNNING');
    const { pid } = await whoami(hostPortOf(running, 'web', 8080));

    // Act
    await writeFile(exitNow, '');
    const stopped = await waitForEvent(events, 'STOPPED');
    await rm(signalDir, { recursive: true, force: true });

    // Assess
    expect(stopped.detail.stopCode).toBe('EssentialContainerExited');
    expect(stopped.detail.containers.map((c) => [c.name, c.exitCode])).toEqual([
      ['web', 0],
      ['sidecar', 5],
    ]);
    expect(() => process.kill(pid, 0)).toThrow(expect.objectContaining({ code: 'ESRCH' }));
  });

  it('keeps the task running when a non-essential service exits', async () => {
    // Prepare
    const { runtime, events } = startRuntime();
    const task = customTask({
      web: {
        image: NODE_IMAGE,
        ports: [8080],
        local: { command: ['node', 'examples/tasks/hello-http/server.mjs'] },
      },
      setup: { image: NODE_IMAGE, essential: false, local: { command: ['node', '-e', 'process.exit(0)'] } },
    });

    // Act
    const { taskArn } = await launch(runtime, task);
    await waitForEvent(events, 'RUNNING');
    await vi.waitFor(async () =>
      expect((await runtime.describe([taskArn]))[0]?.containers).toContainEqual({
        name: 'setup',
        exitCode: 0,
        reason: null,
      }),
    );

    // Assess
    expect(await runtime.describe([taskArn])).toMatchObject([
      { lastStatus: 'RUNNING', desiredStatus: 'RUNNING' },
    ]);
    expect(events.map((e) => e.detail.lastStatus)).not.toContain('STOPPING');
  });

  it('stops a task whose command does not exist with TaskFailedToStart', async () => {
    // Prepare
    const { runtime, events } = startRuntime();
    const task = customTask({
      web: { image: NODE_IMAGE, ports: [8080], local: { command: ['taskenv-no-such-command-xyz'] } },
    });

    // Act
    await launch(runtime, task);
    const stopped = await waitForEvent(events, 'STOPPED');

    // Assess
    expect(stopped.detail.stopCode).toBe('TaskFailedToStart');
    expect(stopped.detail.stoppedReason).toMatch(
      /^CannotStartContainerError: service web could not start \(ENOENT\)/,
    );
    expect(stopped.detail.containers).toEqual([
      expect.objectContaining({ name: 'web', exitCode: 127, reason: expect.stringMatching(/ENOENT/) }),
    ]);
  });

  it('never quotes an env value it could not pass (a NUL byte) in the events or the stop error', async () => {
    // Prepare: an env file written before values with control characters were refused.
    const { runtime, events } = startRuntime();
    const task = customTask({ web: nodeScript('setInterval(() => {}, 1000)', { ports: [8080] }) });

    // Act
    await launch(runtime, task, { API_TOKEN: 'sk-plaintext-\u0000-4242' });
    const stopped = await waitForEvent(events, 'STOPPED');

    // Assess
    expect(stopped.detail.stopCode).toBe('TaskFailedToStart');
    expect(JSON.stringify(events)).not.toContain('sk-plaintext');
    const error = stopErrorMessage(ecsTaskStateChangeEventSchema.parse(stopped).detail);
    expect(error).toContain('container web');
    expect(error).not.toContain('sk-plaintext');
  });
});

describe('ProcessRuntime event delivery', () => {
  it('keeps the task and later events going when onEvent fails, and logs the failure', async () => {
    // Prepare
    const delivered: string[] = [];
    const log: Log = { debug: vi.fn(), info: vi.fn(), warn: vi.fn(), error: vi.fn() };
    const { runtime } = startRuntime({
      log,
      onEvent: async (event) => {
        if (event.detail.version === 1) throw new Error('bus down');
        delivered.push(event.detail.lastStatus);
      },
    });

    // Act
    const { taskArn } = await launch(runtime, exampleTask('hello-http'));
    await vi.waitFor(() => expect(delivered).toContain('RUNNING'), { timeout: 15_000, interval: 10 });

    // Assess
    expect(delivered).toEqual(['PENDING', 'RUNNING']);
    expect(log.error).toHaveBeenCalledWith(
      'Local task event delivery failed',
      expect.objectContaining({ taskArn, version: 1, error: 'bus down' }),
    );
    expect(await runtime.listRunning()).toMatchObject([{ taskArn, lastStatus: 'RUNNING' }]);
  });

  it('hands out the task ARN before delivering the task’s first event', async () => {
    // Prepare
    let launched = false;
    const seenBeforeLaunch: boolean[] = [];
    // Writing the service logs makes launch wait on file I/O after the task exists.
    const { runtime } = startRuntime({
      logDir: join(harness.dir(), 'logs'),
      onEvent: async () => {
        seenBeforeLaunch.push(!launched);
      },
    });

    // Act
    await launch(runtime, exampleTask('hello-http'));
    launched = true;
    await vi.waitFor(() => expect(seenBeforeLaunch.length).toBeGreaterThanOrEqual(3), { interval: 10 });

    // Assess
    expect(seenBeforeLaunch).not.toContain(true);
  });
});

describe('ProcessRuntime task table', () => {
  it('finds a task by environment id and lists it while it runs, with the version and ports of its RUNNING event', async () => {
    // Prepare
    const { runtime, events } = startRuntime();
    const { taskArn, environmentId } = await launch(runtime, exampleTask('hello-http'));
    const running = await waitForEvent(events, 'RUNNING');

    // Act
    const found = await runtime.findByEnvironment(environmentId);
    const described = await runtime.describe([
      taskArn,
      'arn:aws:ecs:local:000000000000:task/taskenv-local/gone',
    ]);

    // Assess
    expect(found).toEqual({
      taskArn,
      startedBy: environmentId,
      group: 'taskenv:local',
      lastStatus: 'RUNNING',
      desiredStatus: 'RUNNING',
      stopCode: null,
      stoppedReason: null,
      containers: [{ name: 'web', exitCode: null, reason: null }],
      // RUNNING comes only after the probes passed.
      healthStatus: 'HEALTHY',
      // What a reconciler needs to apply this state as the event would: the same version and bindings.
      version: running.detail.version,
      network: {
        eniId: null,
        privateIp: null,
        bindings: [
          {
            containerName: 'web',
            containerPort: 8080,
            hostPort: hostPortOf(running, 'web', 8080),
            bindIp: '127.0.0.1',
          },
        ],
      },
    });
    expect(found?.version).toBe(3);
    expect(await runtime.listRunning()).toEqual([found]);
    expect(described).toEqual([found]);
    expect(await runtime.findByEnvironment(randomUUID())).toBeNull();
  });

  it('registers nothing: a local task needs no task definition', async () => {
    // Prepare
    const { runtime } = startRuntime();
    const { taskDefinitionArn: _, ...version } = exampleTask('hello-http');

    // Act
    const registered = await runtime.register(version);

    // Assess
    expect(registered).toEqual({ taskDefinitionArn: null });
  });
});
