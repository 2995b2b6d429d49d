import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it, vi } from 'vitest';
import { ProcessRuntime } from '#adapters/local/process-runtime';
import { ExecUnavailableError, MAX_EXEC_OUTPUT_BYTES } from '#ports/container-runtime';
import { REPO_ROOT } from '#test/support/example-tasks';
import { customTask, isRunning, runtimeHarness, waitForEvent } from '#test/support/local-runtime';

const harness = runtimeHarness('process-exec');

const NODE_IMAGE = 'public.ecr.aws/docker/library/node:20-alpine';

/** A service that prints `lines` lines, then keeps running. */
const printer = (lines: number) =>
  customTask({
    web: {
      image: NODE_IMAGE,
      env: { GREETING: 'hello' },
      local: {
        command: [
          'node',
          '-e',
          `for (let i = 1; i <= ${lines}; i += 1) console.log('line ' + i); setInterval(() => {}, 1000)`,
        ],
      },
    },
  });

const startRunning = async (lines = 0) => {
  const { runtime, events } = harness.start(
    (onEvent, dir) =>
      new ProcessRuntime({
        onEvent,
        cwd: REPO_ROOT,
        logDir: join(harness.dir(), 'logs'),
        ledgerDir: join(dir, 'ledger'),
      }),
  );
  const launched = await harness.launch(runtime, printer(lines), { SECRET_TOKEN: 's3cret' });
  await waitForEvent(events, 'RUNNING');
  return { runtime, events, ...launched };
};

describe('ProcessRuntime.exec', () => {
  it("runs /bin/sh -c in the commands' directory with the service's environment and the extra env", async () => {
    // Prepare
    const { runtime, taskArn } = await startRunning();

    // Act
    const result = await runtime.exec(
      taskArn,
      'web',
      'echo "$GREETING $SECRET_TOKEN $EXTRA"; pwd; echo to-stderr >&2; exit 3',
      { timeoutSec: 10, env: { EXTRA: 'extra' } },
    );

    // Assess
    expect(result).toMatchObject({ exitCode: 3, timedOut: false, truncated: false });
    expect(result.output).toBe(`hello s3cret extra\n${REPO_ROOT.replace(/\/$/, '')}\nto-stderr\n`);
    expect(result.durationMs).toBeGreaterThanOrEqual(0);
  });

  it('runs in workdir when one is given', async () => {
    // Prepare
    const { runtime, taskArn } = await startRunning();

    // Act
    const result = await runtime.exec(taskArn, 'web', 'pwd', { timeoutSec: 10, workdir: '/tmp' });

    // Assess
    expect(result.output).toBe('/tmp\n');
  });

  it('kills the whole process group at the timeout and answers exit code 124', async () => {
    // Prepare
    const { runtime, taskArn } = await startRunning();
    const pidFile = join(harness.dir(), 'child.pid');

    // Act
    const result = await runtime.exec(taskArn, 'web', `sleep 30 & echo $! > ${pidFile}; echo started; wait`, {
      timeoutSec: 1,
    });
    const child = Number((await readFile(pidFile, 'utf8')).trim());
    await sleep(100);

    // Assess
    expect(result).toMatchObject({ exitCode: 124, timedOut: true, output: 'started\n' });
    expect(result.durationMs).toBeGreaterThanOrEqual(1000);
    expect(result.durationMs).toBeLessThan(5000);
    expect(isRunning(child)).toBe(false);
  });

  it('keeps the first MAX_EXEC_OUTPUT_BYTES of a long output and says so', async () => {
    // Prepare
    const { runtime, taskArn } = await startRunning();

    // Act
    const result = await runtime.exec(taskArn, 'web', "head -c 1100000 /dev/zero | tr '\\0' a", {
      timeoutSec: 20,
    });

    // Assess
    expect(result.exitCode).toBe(0);
    expect(result.truncated).toBe(true);
    expect(result.output.length).toBe(MAX_EXEC_OUTPUT_BYTES);
  });

  it('ends the command when the signal aborts', async () => {
    // Prepare
    const { runtime, taskArn } = await startRunning();
    const abort = new AbortController();

    // Act
    const running = runtime.exec(taskArn, 'web', 'sleep 30', { timeoutSec: 60, signal: abort.signal });
    setTimeout(() => abort.abort(), 200);
    const result = await running;

    // Assess
    expect(result.exitCode).toBe(137);
    expect(result.timedOut).toBe(false);
    expect(result.durationMs).toBeLessThan(5000);
  });

  it('refuses with ExecUnavailableError once the task has stopped, and for an unknown task', async () => {
    // Prepare
    const { runtime, taskArn } = await startRunning();
    await runtime.stop(taskArn, 'taskenv: test');

    // Act
    const afterStop = runtime.exec(taskArn, 'web', 'true', { timeoutSec: 5 });
    const unknown = runtime.exec('arn:aws:ecs:local:000000000000:task/taskenv-local/none', 'web', 'true', {
      timeoutSec: 5,
    });

    // Assess
    await expect(afterStop).rejects.toBeInstanceOf(ExecUnavailableError);
    await expect(unknown).rejects.toBeInstanceOf(ExecUnavailableError);
  });
});

describe('ProcessRuntime logs (TaskLogs)', () => {
  it('reads the last lines of a service, marks a cut, and still reads them after the task stopped', async () => {
    // Prepare
    const { runtime, taskArn, environmentId } = await startRunning(5);

    await vi.waitFor(async () =>
      expect((await runtime.read({ environmentId, taskArn }, 'web', 200)).lines).toHaveLength(5),
    );

    // Act
    const whole = await runtime.read({ environmentId, taskArn }, 'web', 200);
    const tail = await runtime.read({ environmentId, taskArn }, 'web', 2);
    await runtime.stop(taskArn, 'taskenv: test');
    const afterStop = await runtime.read({ environmentId, taskArn }, 'web', 200);

    // Assess
    expect(whole.lines.map((l) => l.message)).toEqual(['line 1', 'line 2', 'line 3', 'line 4', 'line 5']);
    expect(whole.truncated).toBe(false);
    expect(tail).toMatchObject({ lines: [{ message: 'line 4' }, { message: 'line 5' }], truncated: true });
    expect(Number.isNaN(Date.parse(tail.lines[0]?.time ?? ''))).toBe(false);
    expect(afterStop.lines).toHaveLength(5);
  });

  it('answers no lines for a service that wrote nothing', async () => {
    // Prepare
    const { runtime, taskArn, environmentId } = await startRunning(0);

    // Act
    const logs = await runtime.read({ environmentId, taskArn }, 'web', 10);

    // Assess
    expect(logs).toEqual({ lines: [], truncated: false });
  });
});
