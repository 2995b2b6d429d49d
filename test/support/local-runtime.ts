/**
 * Helpers of the local runtime tests (process and Docker): a runtime that records its events and
 * is stopped after the test, launches with a real env file, waits for a given event, and tells
 * whether a process still runs.
 */
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, vi } from 'vitest';
import type { EcsTaskStateChangeEvent, TaskEventListener } from '#adapters/local/ecs-task-events';
import { LocalEnvFileStore } from '#adapters/local/local-env-file-store';
import type { LocalRuntime } from '#adapters/local/local-runtime';
import { parseManifest, type TaskManifestInput } from '#domain/manifest';
import type { TaskVersionRecord } from '#domain/task-version';
import type { LaunchRequest } from '#ports/container-runtime';
import { taskVersionOf } from './example-tasks.ts';

export interface RuntimeHarness {
  /** A fresh temp dir of the current test. */
  readonly dir: () => string;
  /** Builds a runtime with `onEvent` recording into `events`; stopped (stopAll) after the test. */
  readonly start: <R extends LocalRuntime<unknown>>(
    create: (onEvent: TaskEventListener, dir: string) => R,
  ) => { runtime: R; events: EcsTaskStateChangeEvent[] };
  /** A launch request of `task` for a new environment id, its env file written with `variables`. */
  readonly launchRequest: (
    task: TaskVersionRecord,
    variables?: Record<string, string>,
  ) => Promise<LaunchRequest>;
  /** Launches `task` for a new environment id with an env file holding `variables`. */
  readonly launch: (
    runtime: LocalRuntime<unknown>,
    task: TaskVersionRecord,
    variables?: Record<string, string>,
  ) => Promise<{ taskArn: string; environmentId: string }>;
}

export const runtimeHarness = (label: string): RuntimeHarness => {
  let dir = '';
  let envFiles: LocalEnvFileStore;
  let runtimes: LocalRuntime<unknown>[] = [];
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), `taskenv-${label}-`));
    envFiles = new LocalEnvFileStore({ dir: join(dir, 'env') });
    runtimes = [];
  });
  afterEach(async () => {
    await Promise.all(runtimes.map((runtime) => runtime.stopAll()));
    await rm(dir, { recursive: true, force: true });
  });
  const launchRequest = async (
    task: TaskVersionRecord,
    variables: Record<string, string> = {},
  ): Promise<LaunchRequest> => {
    const environmentId = randomUUID();
    const envFileRef = await envFiles.put(environmentId, {
      TASKENV_ENVIRONMENT_ID: environmentId,
      ...variables,
    });
    return { environmentId, org: 'local', workspace: 'default', task, envFileRef };
  };
  return {
    dir: () => dir,
    start: (create) => {
      const events: EcsTaskStateChangeEvent[] = [];
      const runtime = create(async (event) => {
        events.push(event);
      }, dir);
      runtimes.push(runtime);
      return { runtime, events };
    },
    launchRequest,
    launch: async (runtime, task, variables = {}) => {
      const request = await launchRequest(task, variables);
      const { taskArn } = await runtime.launch(request);
      return { taskArn, environmentId: request.environmentId };
    },
  };
};

/** A published task made of the given services; fields the test does not care about are filled in. */
export const customTask = (
  services: TaskManifestInput['services'],
  extra: Partial<TaskManifestInput> = {},
): TaskVersionRecord =>
  taskVersionOf(
    parseManifest({ name: 'custom', version: '1.0.0', instruction: 'Test task', services, ...extra }),
  );

/** Waits until the events include one with `lastStatus`, and returns the first such. */
export const waitForEvent = async (
  events: readonly EcsTaskStateChangeEvent[],
  lastStatus: string,
  timeout = 15_000,
): Promise<EcsTaskStateChangeEvent> => {
  await vi.waitFor(() => expect(events.map((e) => e.detail.lastStatus)).toContain(lastStatus), {
    timeout,
    interval: 20,
  });
  const event = events.find((e) => e.detail.lastStatus === lastStatus);
  if (event === undefined) throw new Error(`no ${lastStatus} event`);
  return event;
};

/** The host port a RUNNING event reports for `service`'s `containerPort`. */
export const hostPortOf = (
  event: EcsTaskStateChangeEvent,
  service: string,
  containerPort: number,
): number => {
  const binding = event.detail.containers
    .find((c) => c.name === service)
    ?.networkBindings?.find((b) => b.containerPort === containerPort);
  if (binding === undefined) throw new Error(`no binding for ${service}:${containerPort}`);
  return binding.hostPort;
};

/**
 * Whether a process still runs. An orphan killed with its group is a zombie until init reaps
 * it, which some container inits do only every few seconds; a zombie runs nothing.
 */
export const isRunning = (pid: number): boolean => {
  try {
    return !execFileSync('ps', ['-o', 'stat=', '-p', String(pid)], { encoding: 'utf8' })
      .trim()
      .startsWith('Z');
  } catch {
    // ps exits non-zero when there is no such process.
    return false;
  }
};
