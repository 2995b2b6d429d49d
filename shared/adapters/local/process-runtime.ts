/**
 * The process runtime: runs each service of a task as a local process (its `local.command`) on
 * free 127.0.0.1 ports, and reports the task's life as "ECS Task State Change" events, so the
 * local stack drives the same `task-events` handler ECS drives on AWS.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { type FileHandle, mkdir, open } from 'node:fs/promises';
import { get as httpGet } from 'node:http';
import { connect } from 'node:net';
import { constants as osConstants } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ServiceDefinition } from '#domain/manifest';
import { slotIdOf } from '#domain/pool';
import { taskNetwork } from '#domain/task-network';
import type { TaskVersionRecord } from '#domain/task-version';
import { type Clock, systemClock } from '#ports/clock';
import {
  type ContainerRuntime,
  LaunchFailedError,
  type LaunchRequest,
  type RuntimeTask,
  STOP_REASON_PREFIX,
} from '#ports/container-runtime';
import type { Log } from '#ports/log';
import { freePort } from './free-port.ts';
import { readEnvFile } from './local-env-file-store.ts';

const ACCOUNT = '000000000000';
const REGION = 'local';
const CLUSTER_NAME = 'taskenv-local';

/** The cluster every local task reports; its shape is a real ECS cluster ARN. */
export const LOCAL_CLUSTER_ARN = `arn:aws:ecs:${REGION}:${ACCOUNT}:cluster/${CLUSTER_NAME}`;

/** The variable the ECS runtime sets through overrides; set here too so a task sees the same. */
const ENVIRONMENT_ID_ENV_VAR = 'TASKENV_ENVIRONMENT_ID';

/**
 * `TASKENV_PORT_<containerPort>` holds the host port a container port is published on. Every
 * service gets all of its task's ports: on ECS the containers of a task share one network
 * namespace and reach each other at `localhost:<containerPort>`; here that port is elsewhere.
 */
export const PORT_ENV_PREFIX = 'TASKENV_PORT_';

/**
 * The only variables a task inherits from the local stack. The stack's own environment holds
 * AWS settings and credentials that a sandboxed task must not see.
 */
const INHERITED_ENV_VARS = ['PATH', 'HOME'] as const;

/** Like ECS, stopped tasks stay describable for a while, then are forgotten. */
const STOPPED_TASK_RETENTION_MS = 60 * 60 * 1000;

/** Environment ids become directory names under `logDir`. */
const ENVIRONMENT_ID_PATTERN = /^[A-Za-z0-9_-]+$/;

const PROBE_TIMEOUT_MS = 1000;
const FIRST_PROBE_DELAY_MS = 10;
const MAX_PROBE_DELAY_MS = 100;

/** A host port a container port is published on, as ECS reports it (bridge mode). */
export type EcsNetworkBinding = {
  bindIP: string;
  containerPort: number;
  hostPort: number;
  protocol: 'tcp';
};

/** One container (service) of a local task in an event. */
export type EcsContainerDetail = {
  name: string;
  image: string;
  taskArn: string;
  lastStatus: string;
  /** Present once the process has exited. */
  exitCode?: number;
  /** Why the container could not start, when it could not. */
  reason?: string;
  /** Present while the container runs. */
  networkBindings?: EcsNetworkBinding[];
};

/** `detail` of the events the process runtime emits: the subset of ECS fields taskenv reads. */
export type LocalTaskDetail = {
  /** Grows by one with every event of the task. */
  version: number;
  taskArn: string;
  clusterArn: string;
  lastStatus: string;
  desiredStatus: string;
  /** The environment id. */
  startedBy: string;
  /** `taskenv:<org>`. */
  group: string;
  containers: EcsContainerDetail[];
  /** Always empty: local tasks have no ENI. */
  attachments: never[];
  createdAt: string;
  updatedAt: string;
  startedAt?: string;
  stoppingAt?: string;
  stoppedAt?: string;
  stopCode?: string;
  stoppedReason?: string;
};

/**
 * An "ECS Task State Change" event as EventBridge delivers it. A plain type rather than the
 * zod output of `#domain/ecs-event`: the emitter writes the wire shape, and the consumer parses it.
 */
export type EcsTaskStateChangeEvent = {
  version: '0';
  id: string;
  'detail-type': 'ECS Task State Change';
  source: 'aws.ecs';
  account: string;
  time: string;
  region: string;
  resources: string[];
  detail: LocalTaskDetail;
};

/** Receives each event of every task, in order per task. */
export type TaskEventListener = (event: EcsTaskStateChangeEvent) => Promise<void>;

export interface ProcessRuntimeOptions {
  /** The event bus: called once per event; a failure is logged and does not stop the task. */
  readonly onEvent: TaskEventListener;
  /** Timestamps of events and task fields. @default systemClock */
  readonly clock?: Clock;
  /**
   * How long a task may take until every declared port accepts connections (and its health
   * path answers 2xx); past it the task stops with `TaskFailedToStart`. @default 30000
   */
  readonly readyTimeoutMs?: number;
  /** When set, each service's stdout and stderr go to `<logDir>/<environmentId>/<service>.log`. */
  readonly logDir?: string;
  /**
   * Working directory of every command. A published manifest does not know the directory it
   * was pushed from, so commands name their files relative to this one (the examples use
   * `examples/tasks/<name>/…`, relative to the repository root). @default process.cwd()
   */
  readonly cwd?: string;
  /** Time between SIGTERM and SIGKILL, as ECS's `stopTimeout`. @default 3000 */
  readonly stopTimeoutMs?: number;
  /** Where delivery failures and similar go. @default warnings and errors to the console */
  readonly log?: Log;
}

type ContainerStatus = 'PENDING' | 'RUNNING' | 'STOPPED';

interface ServiceProcess {
  readonly name: string;
  readonly image: string;
  readonly essential: boolean;
  readonly command: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  readonly bindings: readonly { readonly containerPort: number; readonly hostPort: number }[];
  readonly health: { readonly path: string; readonly hostPort: number } | null;
  /** Also the process group id: every command leads its own group. */
  pid: number | null;
  status: ContainerStatus;
  exitCode: number | null;
  reason: string | null;
  /** Settles once the process has exited or failed to start. */
  exited: Promise<void>;
}

interface LocalTask {
  readonly taskArn: string;
  readonly environmentId: string;
  readonly group: string;
  readonly createdAt: string;
  readonly services: readonly ServiceProcess[];
  readonly hostPorts: readonly number[];
  lastStatus: string;
  desiredStatus: 'RUNNING' | 'STOPPED';
  version: number;
  stopCode: string | null;
  stoppedReason: string | null;
  startedAt: string | null;
  stoppingAt: string | null;
  stoppedAt: string | null;
  /** The stop under way or done; set once, so a second stop joins the first. */
  stopping: Promise<void> | null;
  /** Tail of the task's event deliveries, which keeps them in order. */
  delivery: Promise<void>;
}

const consoleLog: Log = {
  debug: () => undefined,
  info: () => undefined,
  warn: (message, attributes) => console.warn(message, attributes ?? {}),
  error: (message, attributes) => console.error(message, attributes ?? {}),
};

const errorMessage = (error: unknown): string => (error instanceof Error ? error.message : String(error));

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
 * Process groups this process started and has not yet seen end. Commands run detached (their
 * own group, so a stop reaches their children), which also means they outlive a parent that
 * exits without stopping them; this last-chance hook kills them whenever Node exits normally.
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

const tcpAnswers = (port: number): Promise<boolean> =>
  new Promise((resolvePromise) => {
    const socket = connect({ host: '127.0.0.1', port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolvePromise(ok);
    };
    socket.setTimeout(PROBE_TIMEOUT_MS, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });

const httpAnswers2xx = (port: number, path: string): Promise<boolean> =>
  new Promise((resolvePromise) => {
    const request = httpGet({ host: '127.0.0.1', port, path, timeout: PROBE_TIMEOUT_MS }, (response) => {
      response.resume();
      const status = response.statusCode ?? 0;
      resolvePromise(status >= 200 && status < 300);
    });
    request.once('timeout', () => request.destroy());
    request.once('error', () => resolvePromise(false));
  });

/** A service with the host ports its container ports are published on. */
interface AllocatedService {
  readonly name: string;
  readonly service: ServiceDefinition;
  readonly bindings: readonly { readonly containerPort: number; readonly hostPort: number }[];
}

/**
 * The processes of a task, not yet spawned, each with its environment: `PATH` and `HOME`, the
 * service's `env`, its `local.env`, the environment's variables, every port of the task as
 * `TASKENV_PORT_<containerPort>`, and `PORT` for the service's first port.
 */
const serviceProcesses = (
  allocated: readonly AllocatedService[],
  environmentVariables: Readonly<Record<string, string>>,
): ServiceProcess[] => {
  const portVariables = (bindings: AllocatedService['bindings']) =>
    Object.fromEntries(bindings.map((b) => [`${PORT_ENV_PREFIX}${b.containerPort}`, String(b.hostPort)]));
  const taskPorts = portVariables(allocated.flatMap(({ bindings }) => bindings));
  const inherited = Object.fromEntries(
    INHERITED_ENV_VARS.flatMap((name) => {
      const value = process.env[name];
      return value === undefined ? [] : [[name, value]];
    }),
  );
  return allocated.map(({ name, service, bindings }): ServiceProcess => {
    const first = bindings[0];
    const healthPort = bindings.find((b) => b.containerPort === service.health?.port)?.hostPort;
    return {
      name,
      image: service.image,
      essential: service.essential,
      // The launch refuses services without `local` before it gets here.
      command: service.local?.command ?? [],
      env: {
        ...inherited,
        ...service.env,
        ...service.local?.env,
        ...environmentVariables,
        ...taskPorts,
        // Where two services declare the same container port, each one's own wins.
        ...portVariables(bindings),
        ...(first === undefined ? {} : { PORT: String(first.hostPort) }),
      },
      bindings,
      health:
        service.health === undefined || healthPort === undefined
          ? null
          : { path: service.health.path, hostPort: healthPort },
      pid: null,
      status: 'PENDING',
      exitCode: null,
      reason: null,
      exited: Promise.resolve(),
    };
  });
};

const toRuntimeTask = (task: LocalTask): RuntimeTask => ({
  taskArn: task.taskArn,
  startedBy: task.environmentId,
  group: task.group,
  lastStatus: task.lastStatus,
  desiredStatus: task.desiredStatus,
  stopCode: task.stopCode,
  stoppedReason: task.stoppedReason,
  containers: task.services.map((s) => ({ name: s.name, exitCode: s.exitCode, reason: s.reason })),
  // The counter and the bindings the task's latest event carried, read as the event path reads them.
  version: task.version,
  network: taskNetwork({ containers: task.services.map((s) => containerDetail(task, s)) }),
});

/**
 * {@link ContainerRuntime} that runs each service of a task as a local process, the runtime of
 * the local stack when no Docker engine answers.
 *
 * A launch spawns every service's `local.command` (in its own process group, cwd
 * {@link ProcessRuntimeOptions.cwd}) with `PATH`, `HOME`, the service's `env` and `local.env`,
 * the environment's env file, `TASKENV_ENVIRONMENT_ID`, `PORT` (the host port of the service's
 * first declared port) and `TASKENV_PORT_<containerPort>` for every port of the task, each on a
 * free 127.0.0.1 port. It then emits, in order and with `detail.version` 1, 2, 3 …:
 *
 * - `PROVISIONING`, then `PENDING` once the processes are spawned;
 * - `RUNNING` with `networkBindings` once every declared port accepts connections and every
 *   health path answers 2xx;
 * - on a stop, an essential process exiting, a command that cannot start or a readiness
 *   timeout: `STOPPING` (desiredStatus `STOPPED`, with the stop code and reason), then
 *   `STOPPED` with every container's exit code once all processes are gone.
 */
export class ProcessRuntime implements ContainerRuntime {
  readonly #onEvent: TaskEventListener;
  readonly #clock: Clock;
  readonly #readyTimeoutMs: number;
  readonly #logDir: string | null;
  readonly #cwd: string;
  readonly #stopTimeoutMs: number;
  readonly #log: Log;
  readonly #tasks = new Map<string, LocalTask>();
  readonly #byEnvironment = new Map<string, LocalTask>();
  /** Launches by environment id, kept after they succeed: a repeat answers the same task. */
  readonly #launches = new Map<string, Promise<{ taskArn: string }>>();
  /** Host ports handed to live tasks, so two concurrent launches never get the same one. */
  readonly #reservedPorts = new Set<number>();
  #closed = false;

  constructor({
    onEvent,
    clock = systemClock,
    readyTimeoutMs = 30_000,
    logDir,
    cwd = process.cwd(),
    stopTimeoutMs = 3000,
    log = consoleLog,
  }: ProcessRuntimeOptions) {
    this.#onEvent = onEvent;
    this.#clock = clock;
    this.#readyTimeoutMs = readyTimeoutMs;
    this.#logDir = logDir === undefined ? null : resolve(logDir);
    this.#cwd = resolve(cwd);
    this.#stopTimeoutMs = stopTimeoutMs;
    this.#log = log;
  }

  /** Nothing to register locally; services without `local.command` are refused at launch. */
  async register(_task: Omit<TaskVersionRecord, 'taskDefinitionArn'>): Promise<{ taskDefinitionArn: null }> {
    return { taskDefinitionArn: null };
  }

  /**
   * Spawns the task's processes and returns; readiness and the events follow asynchronously.
   * @throws LaunchFailedError when a service has no `local.command`, the env file cannot be
   *   read, or the runtime is shutting down.
   */
  launch(request: LaunchRequest): Promise<{ taskArn: string }> {
    this.#forgetOldTasks();
    const known = this.#launches.get(request.environmentId);
    if (known !== undefined) {
      return known;
    }
    const launching = this.#start(request).then(({ taskArn, releaseEvents }) => {
      // After the caller's continuation, so it knows the task ARN before the first event.
      setImmediate(releaseEvents);
      return { taskArn };
    });
    this.#launches.set(request.environmentId, launching);
    // A launch that failed before starting anything may be retried, as RunTask may.
    launching.catch(() => {
      if (this.#launches.get(request.environmentId) === launching) {
        this.#launches.delete(request.environmentId);
      }
    });
    return launching;
  }

  /** Resolves once every process of the task is gone. Unknown and stopped tasks are fine. */
  async stop(taskArn: string, reason: string): Promise<void> {
    const task = this.#tasks.get(taskArn);
    if (task !== undefined) {
      await this.#stopTask(task, 'UserInitiated', reason);
    }
  }

  async describe(taskArns: readonly string[]): Promise<RuntimeTask[]> {
    return taskArns.flatMap((arn) => {
      const task = this.#tasks.get(arn);
      return task === undefined ? [] : [toRuntimeTask(task)];
    });
  }

  async findByEnvironment(environmentId: string): Promise<RuntimeTask | null> {
    const task = this.#byEnvironment.get(environmentId);
    return task === undefined ? null : toRuntimeTask(task);
  }

  async listRunning(): Promise<RuntimeTask[]> {
    return [...this.#tasks.values()].filter((t) => t.desiredStatus === 'RUNNING').map(toRuntimeTask);
  }

  /**
   * Shutdown: refuses new launches, stops every task (`UserInitiated` with `reason`) and
   * resolves once every process is gone and every event has been handed to `onEvent`.
   */
  async stopAll(reason = `${STOP_REASON_PREFIX} local stack stopped`): Promise<void> {
    this.#closed = true;
    await Promise.allSettled(this.#launches.values());
    const tasks = [...this.#tasks.values()];
    await Promise.all(tasks.map((task) => this.#stopTask(task, 'UserInitiated', reason)));
    await Promise.all(tasks.map((task) => task.delivery));
  }

  /** Starts the task; its events wait until `releaseEvents` is called. */
  async #start(request: LaunchRequest): Promise<{ taskArn: string; releaseEvents: () => void }> {
    const { environmentId, org, task: version } = request;
    this.#assertOpen();
    const services = Object.entries(version.manifest.services);
    const withoutCommand = services
      .filter(([, service]) => service.local === undefined)
      .map(([name]) => name);
    if (withoutCommand.length > 0) {
      throw new LaunchFailedError(
        `service ${withoutCommand.join(', ')} of ${version.org}/${version.name}@${version.version} has no ` +
          'local.command, and the process runtime can only run services that declare one',
      );
    }
    // A pool task's `pool/<slot id>` names the directory `pool-<slot id>`.
    const logName = slotIdOf(environmentId) === null ? environmentId : environmentId.replace('/', '-');
    if (this.#logDir !== null && !ENVIRONMENT_ID_PATTERN.test(logName)) {
      throw new LaunchFailedError(`environment id '${environmentId}' cannot name a log directory`);
    }
    let fileVariables: Record<string, string>;
    try {
      // A pool task has no env file: no secrets, no token, and no environment yet.
      fileVariables =
        request.envFileRef === null
          ? {}
          : { ...(await readEnvFile(request.envFileRef)), [ENVIRONMENT_ID_ENV_VAR]: environmentId };
    } catch (error) {
      throw new LaunchFailedError("the environment's env file could not be read", { cause: error });
    }

    const hostPorts: number[] = [];
    const logs: FileHandle[] = [];
    try {
      const allocated = await Promise.all(
        services.map(async ([name, service]) => ({
          name,
          service,
          bindings: await Promise.all(
            service.ports.map(async (containerPort) => {
              const hostPort = await this.#reservePort();
              hostPorts.push(hostPort);
              return { containerPort, hostPort };
            }),
          ),
        })),
      );
      const processes = serviceProcesses(allocated, fileVariables);
      const stdio = await this.#openLogs(logName, processes, logs);
      // Shutdown may have begun while the ports and logs were being prepared.
      this.#assertOpen();

      const now = this.#now();
      let releaseEvents = (): void => undefined;
      const task: LocalTask = {
        taskArn: `arn:aws:ecs:${REGION}:${ACCOUNT}:task/${CLUSTER_NAME}/${randomBytes(16).toString('hex')}`,
        environmentId,
        group: `taskenv:${org}`,
        createdAt: now,
        services: processes,
        hostPorts,
        lastStatus: 'PROVISIONING',
        desiredStatus: 'RUNNING',
        version: 0,
        stopCode: null,
        stoppedReason: null,
        startedAt: null,
        stoppingAt: null,
        stoppedAt: null,
        stopping: null,
        delivery: new Promise((release) => {
          releaseEvents = release;
        }),
      };
      this.#tasks.set(task.taskArn, task);
      this.#byEnvironment.set(environmentId, task);
      this.#emit(task);
      for (const [index, service] of processes.entries()) {
        this.#spawn(task, service, stdio[index] ?? 'ignore');
      }
      // Exits and spawn failures arrive as later events, so the task is still starting here.
      task.lastStatus = 'PENDING';
      this.#emit(task);
      void this.#awaitReady(task);
      return { taskArn: task.taskArn, releaseEvents };
    } catch (error) {
      for (const port of hostPorts) this.#reservedPorts.delete(port);
      throw error;
    } finally {
      // Each child holds its own copy of the descriptors.
      await Promise.all(logs.map((handle) => handle.close()));
    }
  }

  #assertOpen(): void {
    if (this.#closed) {
      throw new LaunchFailedError('the local runtime is shutting down');
    }
  }

  async #reservePort(): Promise<number> {
    for (let attempt = 0; attempt < 20; attempt += 1) {
      const port = await freePort();
      if (!this.#reservedPorts.has(port)) {
        this.#reservedPorts.add(port);
        return port;
      }
    }
    throw new LaunchFailedError('no free port on 127.0.0.1');
  }

  /** One append-only log file per service (0600: a process may print its secrets), or `ignore`. */
  async #openLogs(
    environmentId: string,
    processes: readonly ServiceProcess[],
    handles: FileHandle[],
  ): Promise<(number | 'ignore')[]> {
    if (this.#logDir === null) {
      return processes.map(() => 'ignore');
    }
    const dir = join(this.#logDir, environmentId);
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const descriptors: number[] = [];
    for (const service of processes) {
      const handle = await open(join(dir, `${service.name}.log`), 'a', 0o600);
      handles.push(handle);
      descriptors.push(handle.fd);
    }
    return descriptors;
  }

  #spawn(task: LocalTask, service: ServiceProcess, output: number | 'ignore'): void {
    let child: ChildProcess;
    try {
      const [file, ...args] = service.command;
      if (file === undefined) throw new Error('empty command');
      // Detached: the command leads its own process group, so a stop reaches its children too.
      child = spawn(file, args, {
        cwd: this.#cwd,
        env: service.env,
        detached: true,
        stdio: ['ignore', output, output],
      });
    } catch (error) {
      service.exited = Promise.resolve().then(() => this.#onSpawnFailure(task, service, error));
      return;
    }
    const pid = child.pid;
    if (pid === undefined) {
      // Node reports most spawn failures (ENOENT, EACCES) as an 'error' event on the next tick.
      service.exited = new Promise((settle) => {
        child.once('error', (error) => {
          settle();
          this.#onSpawnFailure(task, service, error);
        });
      });
      return;
    }
    service.pid = pid;
    trackGroup(pid);
    service.exited = new Promise((settle) => {
      child.once('exit', (code, signal) => {
        settle();
        this.#onExit(task, service, exitCodeOf(code, signal));
      });
    });
    child.on('error', (error) => {
      this.#log.warn('Local task process error', {
        taskArn: task.taskArn,
        service: service.name,
        error: errorMessage(error),
      });
    });
  }

  #onExit(task: LocalTask, service: ServiceProcess, exitCode: number): void {
    service.status = 'STOPPED';
    service.exitCode = exitCode;
    // A non-essential container may exit without ending the task, as on ECS.
    if (task.desiredStatus === 'RUNNING' && service.essential) {
      void this.#stopTask(task, 'EssentialContainerExited', 'Essential container in task exited');
    }
  }

  #onSpawnFailure(task: LocalTask, service: ServiceProcess, error: unknown): void {
    service.status = 'STOPPED';
    service.exitCode = spawnFailureExitCode(error);
    service.reason = `CannotStartContainerError: ${errorMessage(error)}`;
    void this.#stopTask(
      task,
      'TaskFailedToStart',
      `CannotStartContainerError: service ${service.name} could not start (${errorCode(error) ?? 'spawn failed'})`,
    );
  }

  async #awaitReady(task: LocalTask): Promise<void> {
    const deadline = Date.now() + this.#readyTimeoutMs;
    let delay = FIRST_PROBE_DELAY_MS;
    while (task.desiredStatus === 'RUNNING') {
      const waiting = await this.#notReady(task);
      if (task.desiredStatus !== 'RUNNING') return;
      if (waiting.length === 0) {
        task.lastStatus = 'RUNNING';
        task.startedAt = this.#now();
        for (const service of task.services) {
          if (service.status === 'PENDING') service.status = 'RUNNING';
        }
        this.#emit(task);
        return;
      }
      if (Date.now() >= deadline) {
        void this.#stopTask(
          task,
          'TaskFailedToStart',
          `Timed out waiting for ports to accept connections after ${this.#readyTimeoutMs} ms: ${waiting.join(', ')}`,
        );
        return;
      }
      await sleep(delay, undefined, { ref: false });
      delay = Math.min(delay * 2, MAX_PROBE_DELAY_MS);
    }
  }

  /** Labels (`web:8080`, `web GET /health`) of the probes that do not pass yet. */
  async #notReady(task: LocalTask): Promise<string[]> {
    const probes: Promise<string | null>[] = [];
    // A non-essential service that has exited no longer has anything to wait for.
    for (const service of task.services.filter((s) => s.status !== 'STOPPED')) {
      for (const { containerPort, hostPort } of service.bindings) {
        const label = `${service.name}:${containerPort}`;
        probes.push(tcpAnswers(hostPort).then((ok) => (ok ? null : label)));
      }
      const { health } = service;
      if (health !== null) {
        const label = `${service.name} GET ${health.path}`;
        probes.push(httpAnswers2xx(health.hostPort, health.path).then((ok) => (ok ? null : label)));
      }
    }
    return (await Promise.all(probes)).filter((label) => label !== null);
  }

  #stopTask(task: LocalTask, stopCode: string, stoppedReason: string): Promise<void> {
    if (task.stopping !== null) {
      return task.stopping;
    }
    task.desiredStatus = 'STOPPED';
    task.lastStatus = 'STOPPING';
    task.stopCode = stopCode;
    task.stoppedReason = stoppedReason;
    task.stoppingAt = this.#now();
    this.#emit(task);
    task.stopping = this.#terminate(task).then(() => {
      for (const service of task.services) service.status = 'STOPPED';
      for (const port of task.hostPorts) this.#reservedPorts.delete(port);
      task.lastStatus = 'STOPPED';
      task.stoppedAt = this.#now();
      this.#emit(task);
    });
    return task.stopping;
  }

  /**
   * SIGTERM to every group, SIGKILL to what is left after the stop timeout. Groups whose leader
   * already exited are signalled too: a crashed command may have left children behind. Done
   * once every command has exited; its orphaned children are dead after the SIGKILL, but who
   * reaps them (init) and when is not ours to wait for.
   */
  async #terminate(task: LocalTask): Promise<void> {
    const groups = task.services.flatMap((s) => (s.pid === null ? [] : [s.pid]));
    const exited = Promise.all(task.services.map((s) => s.exited));
    for (const group of groups) signalGroup(group, 'SIGTERM');
    const timeout = new AbortController();
    await Promise.race([
      exited,
      sleep(this.#stopTimeoutMs, undefined, { ref: false, signal: timeout.signal }).catch(() => undefined),
    ]);
    timeout.abort();
    for (const group of groups) signalGroup(group, 'SIGKILL');
    await exited;
    for (const group of groups) liveGroups.delete(group);
  }

  /** Snapshots the task as its next event and queues the delivery behind the previous ones. */
  #emit(task: LocalTask): void {
    task.version += 1;
    const time = this.#now();
    const event: EcsTaskStateChangeEvent = {
      version: '0',
      id: randomUUID(),
      'detail-type': 'ECS Task State Change',
      source: 'aws.ecs',
      account: ACCOUNT,
      time,
      region: REGION,
      resources: [task.taskArn],
      detail: {
        version: task.version,
        taskArn: task.taskArn,
        clusterArn: LOCAL_CLUSTER_ARN,
        lastStatus: task.lastStatus,
        desiredStatus: task.desiredStatus,
        startedBy: task.environmentId,
        group: task.group,
        containers: task.services.map((service) => containerDetail(task, service)),
        attachments: [],
        createdAt: task.createdAt,
        updatedAt: time,
        ...(task.startedAt === null ? {} : { startedAt: task.startedAt }),
        ...(task.stoppingAt === null ? {} : { stoppingAt: task.stoppingAt }),
        ...(task.stoppedAt === null ? {} : { stoppedAt: task.stoppedAt }),
        ...(task.stopCode === null ? {} : { stopCode: task.stopCode }),
        ...(task.stoppedReason === null ? {} : { stoppedReason: task.stoppedReason }),
      },
    };
    task.delivery = task.delivery.then(() => this.#deliver(event));
  }

  async #deliver(event: EcsTaskStateChangeEvent): Promise<void> {
    try {
      await this.#onEvent(event);
    } catch (error) {
      // The bus is not the task: a handler failure must neither stop it nor block later events
      // (the reconciler repairs what a lost event leaves behind).
      this.#log.error('Local task event delivery failed', {
        taskArn: event.detail.taskArn,
        version: event.detail.version,
        lastStatus: event.detail.lastStatus,
        error: errorMessage(error),
      });
    }
  }

  #forgetOldTasks(): void {
    const cutoff = this.#clock.now().getTime() - STOPPED_TASK_RETENTION_MS;
    for (const task of this.#tasks.values()) {
      if (task.stoppedAt !== null && Date.parse(task.stoppedAt) < cutoff) {
        this.#tasks.delete(task.taskArn);
        if (this.#byEnvironment.get(task.environmentId) === task) {
          this.#byEnvironment.delete(task.environmentId);
          this.#launches.delete(task.environmentId);
        }
      }
    }
  }

  #now(): string {
    return this.#clock.now().toISOString();
  }
}

const containerDetail = (task: LocalTask, service: ServiceProcess): EcsContainerDetail => ({
  name: service.name,
  image: service.image,
  taskArn: task.taskArn,
  lastStatus: service.status,
  ...(service.exitCode === null ? {} : { exitCode: service.exitCode }),
  ...(service.reason === null ? {} : { reason: service.reason }),
  ...(service.status === 'RUNNING'
    ? {
        networkBindings: service.bindings.map(
          (b): EcsNetworkBinding => ({
            bindIP: '127.0.0.1',
            containerPort: b.containerPort,
            hostPort: b.hostPort,
            protocol: 'tcp',
          }),
        ),
      }
    : {}),
});
