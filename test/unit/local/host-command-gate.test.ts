/**
 * The local trust boundary in front of the process runtime (the real one: it spawns host
 * processes): a task's `local.command` runs on the host only when an admin key of the stack's
 * org published it, or when the stack allows host commands. The marker file is what the
 * command would write: it must never appear for a refused task.
 */
import { randomUUID } from 'node:crypto';
import { access, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { gateHostCommands } from '#adapters/local/host-command-gate';
import { LocalEnvFileStore } from '#adapters/local/local-env-file-store';
import { ProcessRuntime } from '#adapters/local/process-runtime';
import { parseManifest } from '#domain/manifest';
import type { TaskPublisher, TaskVersionRecord } from '#domain/task-version';
import { LaunchFailedError } from '#ports/container-runtime';
import { markerManifest, REPO_ROOT, taskVersionOf } from '#test/support/example-tasks';

let workDir: string;
let envFiles: LocalEnvFileStore;
let processes: ProcessRuntime;

beforeEach(async () => {
  workDir = await mkdtemp(join(tmpdir(), 'taskenv-host-gate-'));
  envFiles = new LocalEnvFileStore({ dir: join(workDir, 'env') });
  processes = new ProcessRuntime({ cwd: REPO_ROOT, readyTimeoutMs: 10_000, onEvent: async () => undefined });
});

afterEach(async () => {
  await processes.stopAll();
  await rm(workDir, { recursive: true, force: true });
});

const exists = (path: string) =>
  access(path).then(
    () => true,
    () => false,
  );

/** A task whose only service writes `marker` and then waits. */
const markerTask = (marker: string, org: string, publishedBy?: TaskPublisher): TaskVersionRecord => ({
  ...taskVersionOf(parseManifest(markerManifest('marker', marker)), org),
  ...(publishedBy === undefined ? {} : { publishedBy }),
});

const launch = async (runtime: ReturnType<typeof gateHostCommands>, task: TaskVersionRecord) => {
  const environmentId = randomUUID();
  const envFileRef = await envFiles.put(environmentId, { TASKENV_ENVIRONMENT_ID: environmentId });
  return runtime.launch({ environmentId, org: task.org, workspace: 'default', task, envFileRef });
};

const localAdmin: TaskPublisher = { org: 'local', role: 'admin', keyId: 'admin' };

describe('gateHostCommands', () => {
  it.each([
    ['a member key of the stack org', 'local', { org: 'local', role: 'member', keyId: 'member' } as const],
    ['an admin key of another org', 'acme', { org: 'acme', role: 'admin', keyId: 'acme-admin' } as const],
    ['an unknown publisher (published before publishers were recorded)', 'local', undefined],
  ])('never spawns the local.command of a task published by %s, and says why', async (_, org, publisher) => {
    // Prepare
    const marker = join(workDir, 'marker');
    const runtime = gateHostCommands(processes, { trustedOrg: 'local', allowHostCommands: false });

    // Act
    const launched = launch(runtime, markerTask(marker, org, publisher));

    // Assess
    const error = await launched.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LaunchFailedError);
    expect((error as LaunchFailedError).reason).toContain("published by an admin key of org 'local'");
    expect((error as LaunchFailedError).reason).toContain('--runtime docker');
    expect((error as LaunchFailedError).reason).toContain('--allow-host-commands');
    // Long enough for a spawned node to have written it.
    await new Promise((r) => setTimeout(r, 1_000));
    expect(await exists(marker)).toBe(false);
    expect(await processes.listRunning()).toEqual([]);
  });

  it("runs the local.command of a task an admin key of the stack's org published", async () => {
    const marker = join(workDir, 'marker');
    const runtime = gateHostCommands(processes, { trustedOrg: 'local', allowHostCommands: false });

    await launch(runtime, markerTask(marker, 'local', localAdmin));

    await vi.waitFor(async () => expect(await exists(marker)).toBe(true), { timeout: 10_000, interval: 50 });
  });

  it('runs any task with --allow-host-commands', async () => {
    const marker = join(workDir, 'marker');
    const runtime = gateHostCommands(processes, { trustedOrg: 'local', allowHostCommands: true });

    await launch(runtime, markerTask(marker, 'acme', { org: 'acme', role: 'admin', keyId: 'acme-admin' }));

    await vi.waitFor(async () => expect(await exists(marker)).toBe(true), { timeout: 10_000, interval: 50 });
  });
});
