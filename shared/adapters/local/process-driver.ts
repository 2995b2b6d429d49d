/**
 * The process driver: each service of a task is its `local.command`, run as a host process that
 * leads its own process group, with its output appended to a log file in the data dir. Over 400
 * lines because it is one `RuntimeDriver` whose methods (start, signal, exec, logs, restart
 * recovery) share the process-group bookkeeping; what is not that lives in `runtime-driver.ts`,
 * `exec-output.ts` and `host-processes.ts`.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { type FileHandle, mkdir, open, stat } from 'node:fs/promises';
import { constants as osConstants } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import * as z from 'zod';
import type { TaskVersionRecord } from '#domain/task-version';
import {
  type ExecOptions,
  type ExecResult,
  ExecUnavailableError,
  type LogLine,
} from '#ports/container-runtime';
import { awaitExec, CappedOutput, execScript } from './exec-output.ts';
import { processEnvironment, processGroupOf, processIds, processStartTime } from './host-processes.ts';
import {
  errorMessage,
  type PortBinding,
  type RuntimeDriver,
  type ServiceEnd,
  type ServicePlan,
  type ServiceStart,
  type TaskPlan,
} from './runtime-driver.ts';

/**
 * `TASKENV_PORT_<containerPort>` holds the host port a container port is published on. Every
 * service gets all of its task's ports: on ECS the containers of a task share one network
 * namespace and reach each other at `localhost:<containerPort>`; here that port is elsewhere.
 */
const PORT_ENV_PREFIX = 'TASKENV_PORT_';

/**
 * Set on every service (and every command `exec` runs in one) when the driver knows its stack:
 * the id of the data dir. A restarted stack ends every process carrying its id that no task it
 * adopts holds, also one started in the instant before the stack could record it.
 */
const STACK_ENV_VAR = 'TASKENV_LOCAL_STACK';

/**
 * `<task ARN> <service>`, set on each service process (not on `exec` commands): a restarted
 * stack finds by it a service it started but had not recorded yet, and adopts it.
 */
const SERVICE_ENV_VAR = 'TASKENV_LOCAL_SERVICE';

/**
 * The only variables a task inherits from the local stack. The stack's own environment holds
 * AWS settings and credentials that a sandboxed task must not see.
 */
const INHERITED_ENV_VARS = ['PATH', 'HOME'] as const;

/** How often an adopted process (not our child: no exit event) is checked. */
const ADOPTED_POLL_MS = 250;

/** What the logs read of a file at most: its end, where the last lines are. */
const MAX_LOG_READ_BYTES = 8 * 1024 * 1024;

/** A process group leader; `startTime` (from /proc) tells it from a later process with its pid. */
export const processRefSchema = z.object({ pid: z.int(), startTime: z.nullable(z.string()) });
export type ProcessRef = z.infer<typeof processRefSchema>;

export interface ProcessDriverOptions {
  /**
   * Working directory of every command. A published manifest does not know the directory it
   * was pushed from, so commands name their files relative to this one. @default process.cwd()
   */
  readonly cwd?: string;
  /** When set, each service's stdout and stderr go to `<logDir>/<environmentId>/<service>.log`. */
  readonly logDir?: string;
  /**
   * The stack's id (`<data dir>/stack-id`), set on every process as {@link STACK_ENV_VAR}.
   * Without it a restart knows its processes only from the ledger.
   */
  readonly stack?: string;
}

const errorCode = (error: unknown): string | undefined =>
  error instanceof Error && 'code' in error && typeof error.code === 'string' ? error.code : undefined;

/** Shell conventions: 127 for a command that does not exist, 126 for one that cannot run. */
const spawnFailureExitCode = (error: unknown): number => (errorCode(error) === 'ENOENT' ? 127 : 126);

/** A signal's death reported as a container exit code (SIGTERM → 143, SIGKILL → 137), as ECS does. */
const exitCodeOf = (code: number | null, signal: NodeJS.Signals | null): number =>
  code ?? 128 + (signal === null ? 0 : (osConstants.signals[signal] ?? 0));

/** Signals a whole process group; a group that is already gone is what we wanted. */
const signalGroup = (pgid: number, signal: NodeJS.Signals): void => {
  try {
    process.kill(-pgid, signal);
  } catch (error) {
    if (errorCode(error) !== 'ESRCH') throw error;
  }
};

/**
 * Process groups this process started or adopted and has not yet seen end. Commands run
 * detached (their own group, so a stop reaches their children), which also means they outlive
 * a parent that exits without stopping them; this last-chance hook kills them whenever Node
 * exits normally. (A `kill -9` of the stack skips it: the task ledger covers that case.)
 */
const liveGroups = new Set<number>();
let exitHookInstalled = false;
const trackGroup = (pgid: number): void => {
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.once('exit', () => {
      for (const group of liveGroups) signalGroup(group, 'SIGKILL');
    });
  }
  liveGroups.add(pgid);
};

/**
 * A service's environment: `PATH` and `HOME`, its `env`, its `local.env`, the environment's
 * variables, every port of the task as `TASKENV_PORT_<containerPort>`, and `PORT` for its
 * first port.
 */
const serviceEnvironment = (
  plan: TaskPlan,
  service: ServicePlan,
  stack: string | null,
): Record<string, string> => {
  const portVariables = (bindings: readonly PortBinding[]) =>
    Object.fromEntries(bindings.map((b) => [`${PORT_ENV_PREFIX}${b.containerPort}`, String(b.hostPort)]));
  const inherited = Object.fromEntries(
    INHERITED_ENV_VARS.flatMap((name) => {
      const value = process.env[name];
      return value === undefined ? [] : [[name, value]];
    }),
  );
  const first = service.bindings[0];
  return {
    ...inherited,
    ...service.definition.env,
    ...service.definition.local?.env,
    ...plan.variables,
    ...portVariables(plan.services.flatMap(({ bindings }) => bindings)),
    // Where two services declare the same container port, each one's own wins.
    ...portVariables(service.bindings),
    ...(first === undefined ? {} : { PORT: String(first.hostPort) }),
    ...(stack === null
      ? {}
      : { [STACK_ENV_VAR]: stack, [SERVICE_ENV_VAR]: `${plan.taskArn} ${service.name}` }),
  };
};

/** {@link RuntimeDriver} of host processes (no isolation, no limits: see docs/runtimes.md). */
export class ProcessDriver implements RuntimeDriver<ProcessRef> {
  readonly name = 'process';
  readonly refSchema = processRefSchema;
  readonly #cwd: string;
  readonly #logDir: string | null;
  readonly #stack: string | null;
  /** Each started group's environment, for exec (it holds secrets: memory only). */
  readonly #environments = new Map<number, Readonly<Record<string, string>>>();

  constructor({ cwd = process.cwd(), logDir, stack }: ProcessDriverOptions = {}) {
    this.#cwd = resolve(cwd);
    this.#logDir = logDir === undefined ? null : resolve(logDir);
    this.#stack = stack ?? null;
  }

  refusal(task: TaskVersionRecord): string | null {
    const withoutCommand = Object.entries(task.manifest.services)
      .filter(([, service]) => service.local === undefined)
      .map(([name]) => name);
    return withoutCommand.length === 0
      ? null
      : `service ${withoutCommand.join(', ')} of ${task.org}/${task.name}@${task.version} has no ` +
          'local.command, and the process runtime can only run services that declare one';
  }

  async start(plan: TaskPlan): Promise<ServiceStart<ProcessRef>[]> {
    const logs = await this.#openLogs(plan);
    const starts: ServiceStart<ProcessRef>[] = [];
    try {
      for (const [index, service] of plan.services.entries()) {
        const start = await this.#spawn(
          service,
          serviceEnvironment(plan, service, this.#stack),
          logs[index]?.fd ?? 'ignore',
        );
        starts.push(start);
        if (!('ref' in start)) break;
      }
    } finally {
      // Each child holds its own copy of the descriptors.
      await Promise.all(logs.map((handle) => handle?.close()));
    }
    return starts;
  }

  probeTarget(_ref: ProcessRef, binding: PortBinding): { host: string; port: number } {
    return { host: '127.0.0.1', port: binding.hostPort };
  }

  async signal(ref: ProcessRef, how: 'stop' | 'kill'): Promise<void> {
    signalGroup(ref.pid, how === 'stop' ? 'SIGTERM' : 'SIGKILL');
  }

  async release(_environmentId: string, services: readonly { readonly ref: ProcessRef }[]): Promise<void> {
    for (const { ref } of services) {
      liveGroups.delete(ref.pid);
      this.#environments.delete(ref.pid);
    }
  }

  /**
   * `/bin/sh -c <command>` in the commands' working directory (or `workdir`), with the
   * service's environment plus `env`, in a process group of its own: the timeout and the abort
   * kill the whole group.
   */
  async exec(
    ref: ProcessRef,
    _service: ServicePlan,
    command: string,
    options: ExecOptions,
  ): Promise<ExecResult> {
    const started = performance.now();
    // The command is the stack's (it carries the stack's id), but it is not the service.
    const environment = { ...this.#environments.get(ref.pid) };
    delete environment[SERVICE_ENV_VAR];
    let child: ChildProcess;
    try {
      child = spawn('/bin/sh', ['-c', execScript(command)], {
        cwd: options.workdir ?? this.#cwd,
        env: { ...environment, ...options.env },
        detached: true,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
    } catch (error) {
      throw new ExecUnavailableError(`the command could not start: ${errorMessage(error)}`, { cause: error });
    }
    const output = new CappedOutput();
    child.stdout?.on('data', (chunk: Buffer) => output.write(chunk));
    child.stderr?.on('data', (chunk: Buffer) => output.write(chunk));
    const killGroup = () => {
      if (child.pid !== undefined) signalGroup(child.pid, 'SIGKILL');
      // A process that left the group may still hold the pipes: stop reading them soon after.
      setTimeout(() => {
        child.stdout?.destroy();
        child.stderr?.destroy();
      }, 500).unref();
    };
    try {
      return await awaitExec(
        options,
        output,
        started,
        killGroup,
        () =>
          new Promise<number>((resolveExit, reject) => {
            child.once('error', reject);
            child.once('close', (code, signal) => resolveExit(exitCodeOf(code, signal)));
          }),
      );
    } catch (error) {
      throw new ExecUnavailableError(`the command could not start: ${errorMessage(error)}`, { cause: error });
    }
  }

  /**
   * The last lines of the service's log file. Processes write it directly (so they outlive a
   * crash of the stack), which leaves no time on a line: each carries the file's last write.
   */
  async readLogs(
    environmentId: string,
    service: string,
    _ref: ProcessRef | null,
    tail: number,
  ): Promise<{ lines: LogLine[]; truncated: boolean }> {
    if (this.#logDir === null) return { lines: [], truncated: false };
    const file = join(this.#logDir, environmentId, `${service}.log`);
    const info = await stat(file).catch(() => null);
    if (info === null) return { lines: [], truncated: false };
    const handle = await open(file, 'r');
    let text: string;
    try {
      const length = Math.min(info.size, MAX_LOG_READ_BYTES);
      const buffer = Buffer.alloc(length);
      await handle.read(buffer, 0, length, info.size - length);
      text = buffer.toString('utf8');
    } finally {
      await handle.close();
    }
    const all = text.split('\n');
    if (all.at(-1) === '') all.pop();
    // A read that starts mid-file starts mid-line: that partial line is not shown.
    if (info.size > MAX_LOG_READ_BYTES) all.shift();
    const time = info.mtime.toISOString();
    const kept = all.slice(-tail);
    return {
      lines: kept.map((message) => ({ time, message })),
      truncated: all.length > kept.length || info.size > MAX_LOG_READ_BYTES,
    };
  }

  /** The group leader if it still runs with the start time recorded; watched by polling /proc. */
  async reattach(ref: ProcessRef): Promise<{ ref: ProcessRef; ended: Promise<ServiceEnd> } | null> {
    if (ref.startTime === null || (await processStartTime(ref.pid)) !== ref.startTime) return null;
    const environment = await processEnvironment(ref.pid);
    if (environment !== null) this.#environments.set(ref.pid, environment);
    trackGroup(ref.pid);
    const ended = (async (): Promise<ServiceEnd> => {
      while ((await processStartTime(ref.pid)) === ref.startTime) {
        await sleep(ADOPTED_POLL_MS, undefined, { ref: false });
      }
      // Not our child, so its exit status went to init.
      return { exitCode: null, reason: 'the process ended; a restarted stack cannot learn its exit code' };
    })();
    return { ref, ended };
  }

  /**
   * The service process of `taskArn` the stack started but did not get to record: the oldest
   * process group leader carrying this stack's id and the service's {@link SERVICE_ENV_VAR}.
   */
  async findStarted(taskArn: string, service: ServicePlan): Promise<ProcessRef | null> {
    if (this.#stack === null) return null;
    let found: { ref: ProcessRef; ticks: number } | null = null;
    for (const pid of await processIds()) {
      if ((await processGroupOf(pid)) !== pid) continue;
      const environment = await processEnvironment(pid);
      if (
        environment?.[STACK_ENV_VAR] !== this.#stack ||
        environment[SERVICE_ENV_VAR] !== `${taskArn} ${service.name}`
      ) {
        continue;
      }
      const startTime = await processStartTime(pid);
      if (startTime !== null && (found === null || Number(startTime) < found.ticks)) {
        found = { ref: { pid, startTime }, ticks: Number(startTime) };
      }
    }
    return found?.ref ?? null;
  }

  /**
   * Kills the process group of every process that carries this stack's id and is in no kept
   * group: services of tasks that were not adopted, whatever they started, and `exec` commands
   * of the previous run. Without a stack id, only the ledger names our processes.
   */
  async sweep(kept: readonly ProcessRef[]): Promise<void> {
    if (this.#stack === null) return;
    // Never the stack's own group, whatever joined it.
    const keptGroups = new Set([...kept.map((ref) => ref.pid), await processGroupOf(process.pid)]);
    const stray = new Set<number>();
    for (const pid of await processIds()) {
      const group = await processGroupOf(pid);
      if (group === null || keptGroups.has(group)) continue;
      if ((await processEnvironment(pid))?.[STACK_ENV_VAR] === this.#stack) stray.add(group);
    }
    for (const group of stray) signalGroup(group, 'SIGKILL');
  }

  /** One append-only log file per service (0600: a process may print its secrets), or none. */
  async #openLogs(plan: TaskPlan): Promise<(FileHandle | null)[]> {
    if (this.#logDir === null) return plan.services.map(() => null);
    const dir = join(this.#logDir, plan.environmentId);
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const handles: FileHandle[] = [];
    try {
      for (const service of plan.services) {
        handles.push(await open(join(dir, `${service.name}.log`), 'a', 0o600));
      }
    } catch (error) {
      await Promise.all(handles.map((handle) => handle.close()));
      throw error;
    }
    return handles;
  }

  /** Spawns one service and waits until it runs or could not start. */
  async #spawn(
    service: ServicePlan,
    environment: Record<string, string>,
    output: number | 'ignore',
  ): Promise<ServiceStart<ProcessRef>> {
    const failed = (error: unknown): ServiceStart<ProcessRef> => ({
      exitCode: spawnFailureExitCode(error),
      // The code, not the message: Node quotes the env value it refuses (a NUL byte) in it.
      reason: `CannotStartContainerError: ${errorCode(error) ?? 'spawn failed'}`,
      stoppedReason: `CannotStartContainerError: service ${service.name} could not start (${errorCode(error) ?? 'spawn failed'})`,
    });
    // The launch refuses services without `local` before it gets here.
    const [file, ...args] = service.definition.local?.command ?? [];
    if (file === undefined) return failed(new Error('empty command'));
    let child: ChildProcess;
    try {
      // Detached: the command leads its own process group, so a stop reaches its children too.
      child = spawn(file, args, {
        cwd: this.#cwd,
        env: environment,
        detached: true,
        stdio: ['ignore', output, output],
      });
    } catch (error) {
      return failed(error);
    }
    const ended = new Promise<ServiceEnd>((settle) => {
      child.once('exit', (code, signal) => settle({ exitCode: exitCodeOf(code, signal), reason: null }));
    });
    // Node reports most spawn failures (ENOENT, EACCES) as an 'error' event on the next tick.
    const spawned = await new Promise<unknown>((settle) => {
      child.once('spawn', () => settle(null));
      child.once('error', (error) => settle(error));
    });
    const pid = child.pid;
    if (spawned !== null || pid === undefined) return failed(spawned);
    child.on('error', () => undefined);
    trackGroup(pid);
    this.#environments.set(pid, environment);
    return { ref: { pid, startTime: await processStartTime(pid) }, ended };
  }
}
