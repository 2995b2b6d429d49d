/**
 * The lifecycle every local runtime shares, whatever starts the services (a
 * {@link RuntimeDriver}: processes, Docker containers): host ports, readiness probes,
 * ECS-shaped "Task State Change" events, stop bookkeeping, retention of stopped tasks, exec and
 * logs routed to the right service, and the task ledger that lets a restarted stack adopt
 * what is still its own.
 */

import { randomBytes, randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { healthProbe } from '#domain/manifest';
import { slotIdOf } from '#domain/pool';
import { taskNetwork } from '#domain/task-network';
import type { TaskVersionRecord } from '#domain/task-version';
import { type Clock, systemClock } from '#ports/clock';
import {
  type CommandRunner,
  type ContainerRuntime,
  type ExecOptions,
  type ExecResult,
  ExecUnavailableError,
  LaunchFailedError,
  type LaunchRequest,
  type LogLine,
  type RuntimeTask,
  STOP_REASON_PREFIX,
  type TaskLogs,
} from '#ports/container-runtime';
import type { Log } from '#ports/log';
import {
  type EcsContainerDetail,
  type EcsNetworkBinding,
  type EcsTaskStateChangeEvent,
  LOCAL_ACCOUNT,
  LOCAL_CLUSTER_ARN,
  LOCAL_CLUSTER_NAME,
  LOCAL_REGION,
  type TaskEventListener,
} from './ecs-task-events.ts';
import { freePort } from './free-port.ts';
import { readEnvFile } from './local-env-file-store.ts';
import { httpAnswers2xx, tcpAnswers } from './probes.ts';
import {
  type FailedService,
  isStarted,
  type RuntimeDriver,
  type ServiceEnd,
  type ServicePlan,
  type ServiceStart,
  type TaskPlan,
} from './runtime-driver.ts';
import { type LedgerRecord, TaskLedger } from './task-ledger.ts';

/** The variable the ECS runtime sets through overrides; set here too so a task sees the same. */
export const ENVIRONMENT_ID_ENV_VAR = 'TASKENV_ENVIRONMENT_ID';

/** Like ECS, stopped tasks stay describable for a while, then are forgotten. */
const STOPPED_TASK_RETENTION_MS = 60 * 60 * 1000;

/** Environment ids name log directories, ledger files and container names. */
const ENVIRONMENT_ID_PATTERN = /^[A-Za-z0-9_-]+$/;

const FIRST_PROBE_DELAY_MS = 10;
const MAX_PROBE_DELAY_MS = 100;

export interface LocalRuntimeOptions {
  /** The event bus: called once per event; a failure is logged and does not stop the task. */
  readonly onEvent: TaskEventListener;
  /** Timestamps of events and task fields. @default systemClock */
  readonly clock?: Clock;
  /**
   * How long a task may take until every declared port accepts connections (and its health
   * path answers 2xx); past it the task stops with `TaskFailedToStart`. @default 30000
   */
  readonly readyTimeoutMs?: number;
  /** Time between the polite stop and the kill, as ECS's `stopTimeout`. @default 3000 */
  readonly stopTimeoutMs?: number;
  /**
   * Where the runtime records what it started, so {@link LocalRuntime.recover} after a crash
   * adopts what still runs and ends the rest. No ledger when absent.
   */
  readonly ledgerDir?: string;
  /** Where delivery failures and similar go. @default warnings and errors to the console */
  readonly log?: Log;
}

type ContainerStatus = 'PENDING' | 'RUNNING' | 'STOPPED';

interface ServiceState<Ref> {
  readonly plan: ServicePlan;
  /** Set once the driver started it. */
  ref: Ref | null;
  status: ContainerStatus;
  exitCode: number | null;
  reason: string | null;
  /** Settles once the service has ended and its end is recorded (at once when it never started). */
  ended: Promise<void>;
}

interface LocalTask<Ref> {
  readonly taskArn: string;
  readonly environmentId: string;
  readonly group: string;
  readonly createdAt: string;
  readonly services: readonly ServiceState<Ref>[];
  readonly hostPorts: readonly number[];
  lastStatus: string;
  desiredStatus: 'RUNNING' | 'STOPPED';
  version: number;
  stopCode: string | null;
  stoppedReason: string | null;
  startedAt: string | null;
  stoppingAt: string | null;
  stoppedAt: string | null;
  /** The driver's start; a stop waits for it, so nothing it starts is left behind. */
  starting: Promise<void>;
  /** The stop under way or done; set once, so a second stop joins the first. */
  stopping: Promise<void> | null;
  /** True once the driver released the services (their logs are read from what it kept). */
  released: boolean;
  /** Tail of the task's event deliveries, which keeps them in order. */
  delivery: Promise<void>;
}

const consoleLog: Log = {
  debug: () => undefined,
  info: () => undefined,
  warn: (message, attributes) => console.warn(message, attributes ?? {}),
  error: (message, attributes) => console.error(message, attributes ?? {}),
};

export const errorMessage = (error: unknown): string =>
  error instanceof Error ? error.message : String(error);

/**
 * {@link ContainerRuntime}, {@link CommandRunner} and {@link TaskLogs} over a driver. A launch
 * picks a free 127.0.0.1 host port for every declared port, hands the plan to the driver and
 * emits, in order and with `detail.version` 1, 2, 3 …:
 *
 * - `PROVISIONING`, then `PENDING` once the driver started the services;
 * - `RUNNING` with `networkBindings` once every declared port accepts connections and every
 *   health path answers 2xx;
 * - on a stop, an essential service ending, a service that cannot start or a readiness
 *   timeout: `STOPPING` (desiredStatus `STOPPED`, with the stop code and reason), then
 *   `STOPPED` with every container's exit code once all services are gone.
 */
export class LocalRuntime<Ref> implements ContainerRuntime, CommandRunner, TaskLogs {
  readonly #driver: RuntimeDriver<Ref>;
  readonly #onEvent: TaskEventListener;
  readonly #clock: Clock;
  readonly #readyTimeoutMs: number;
  readonly #stopTimeoutMs: number;
  readonly #ledger: TaskLedger | null;
  readonly #log: Log;
  readonly #tasks = new Map<string, LocalTask<Ref>>();
  readonly #byEnvironment = new Map<string, LocalTask<Ref>>();
  /** Launches by environment id, kept after they succeed: a repeat answers the same task. */
  readonly #launches = new Map<string, Promise<{ taskArn: string }>>();
  /** Host ports handed to live tasks, so two concurrent launches never get the same one. */
  readonly #reservedPorts = new Set<number>();
  #closed = false;

  constructor(
    driver: RuntimeDriver<Ref>,
    {
      onEvent,
      clock = systemClock,
      readyTimeoutMs = 30_000,
      stopTimeoutMs = 3000,
      ledgerDir,
      log = consoleLog,
    }: LocalRuntimeOptions,
  ) {
    this.#driver = driver;
    this.#onEvent = onEvent;
    this.#clock = clock;
    this.#readyTimeoutMs = readyTimeoutMs;
    this.#stopTimeoutMs = stopTimeoutMs;
    this.#ledger = ledgerDir === undefined ? null : new TaskLedger(ledgerDir);
    this.#log = log;
  }

  /** The driver's name (`process`, `docker`), for banners and errors. */
  get driverName(): string {
    return this.#driver.name;
  }

  /** Nothing to register locally; what a driver cannot run is refused at launch. */
  async register(_task: Omit<TaskVersionRecord, 'taskDefinitionArn'>): Promise<{ taskDefinitionArn: null }> {
    return { taskDefinitionArn: null };
  }

  /**
   * Prepares the task and returns its ARN; the services start, and the events follow, asynchronously.
   * @throws LaunchFailedError when the driver cannot run the task, the env file cannot be read,
   *   or the runtime is shutting down.
   */
  launch(request: LaunchRequest): Promise<{ taskArn: string }> {
    this.#forgetOldTasks();
    const known = this.#launches.get(request.environmentId);
    if (known !== undefined) {
      return known;
    }
    const launching = this.#prepare(request).then(({ taskArn, releaseEvents }) => {
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

  /** Resolves once every service of the task is gone. Unknown and stopped tasks are fine. */
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
   * Runs `/bin/sh -c <command>` in `service` of a running task.
   * @throws ExecUnavailableError when the task or the service is not running.
   */
  async exec(taskArn: string, service: string, command: string, options: ExecOptions): Promise<ExecResult> {
    const task = this.#tasks.get(taskArn);
    const state = task?.services.find((s) => s.plan.name === service);
    if (task === undefined || task.desiredStatus !== 'RUNNING' || state === undefined) {
      throw new ExecUnavailableError(`task ${taskArn} is not running`);
    }
    if (state.ref === null || state.status === 'STOPPED') {
      throw new ExecUnavailableError(`service ${service} is not running`);
    }
    return this.#driver.exec(state.ref, state.plan, command, options);
  }

  /** The last `tail` lines of `service`, while the task runs and after it stopped. */
  async read(
    task: { readonly environmentId: string; readonly taskArn: string },
    service: string,
    tail: number,
  ): Promise<{ lines: LogLine[]; truncated: boolean }> {
    const local = this.#tasks.get(task.taskArn);
    const ref =
      local === undefined || local.released
        ? null
        : (local.services.find((s) => s.plan.name === service)?.ref ?? null);
    return this.#driver.readLogs(task.environmentId, service, ref, tail);
  }

  /**
   * After a restart on the same ledger: adopts every recorded task whose essential services all
   * still run (they keep their ARN, ports and event counter, and are watched and probed from
   * now on), ends the services of the others, then lets the driver end whatever else of ours
   * it finds. Environments whose task is not adopted are the reconciler's to settle.
   * @returns how many tasks were adopted and how many ended.
   */
  async recover(): Promise<{ adopted: number; ended: number }> {
    if (this.#ledger === null) return { adopted: 0, ended: 0 };
    const kept: Ref[] = [];
    let adopted = 0;
    let ended = 0;
    for (const record of await this.#ledger.list()) {
      if (this.#byEnvironment.has(record.environmentId)) continue;
      const task = await this.#adopt(record);
      if (task === null) {
        ended += 1;
        await this.#ledger.remove(record.environmentId);
        continue;
      }
      adopted += 1;
      for (const service of task.services) if (service.ref !== null) kept.push(service.ref);
    }
    await this.#driver.sweep(kept);
    return { adopted, ended };
  }

  /**
   * Shutdown: refuses new launches, stops every task (`UserInitiated` with `reason`) and
   * resolves once every service is gone and every event has been handed to `onEvent`.
   */
  async stopAll(reason = `${STOP_REASON_PREFIX} local stack stopped`): Promise<void> {
    this.#closed = true;
    await Promise.allSettled(this.#launches.values());
    const tasks = [...this.#tasks.values()];
    await Promise.all(tasks.map((task) => this.#stopTask(task, 'UserInitiated', reason)));
    await Promise.all(tasks.map((task) => task.delivery));
    await this.#ledger?.flush();
  }

  /** Creates the task (PROVISIONING) and starts its services in the background. */
  async #prepare(request: LaunchRequest): Promise<{ taskArn: string; releaseEvents: () => void }> {
    const { environmentId, org, task: version } = request;
    this.#assertOpen();
    const refusal = this.#driver.refusal(version);
    if (refusal !== null) throw new LaunchFailedError(refusal);
    // A pool task's `pool/<30 hex digits>` names the directory `pool/<slot id>`.
    if (!ENVIRONMENT_ID_PATTERN.test(environmentId) && slotIdOf(environmentId) === null) {
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
    try {
      const plans = await Promise.all(
        Object.entries(version.manifest.services).map(
          async ([name, definition]): Promise<ServicePlan> => ({
            name,
            definition,
            bindings: await Promise.all(
              definition.ports.map(async (containerPort) => {
                const hostPort = await this.#reservePort();
                hostPorts.push(hostPort);
                return { containerPort, hostPort };
              }),
            ),
          }),
        ),
      );
      // Shutdown may have begun while the ports were being chosen.
      this.#assertOpen();
      let releaseEvents = (): void => undefined;
      const task = this.#newTask({
        taskArn: `arn:aws:ecs:${LOCAL_REGION}:${LOCAL_ACCOUNT}:task/${LOCAL_CLUSTER_NAME}/${randomBytes(16).toString('hex')}`,
        environmentId,
        group: `taskenv:${org}`,
        createdAt: this.#now(),
        plans,
        hostPorts,
        delivery: new Promise((release) => {
          releaseEvents = release;
        }),
      });
      // Recorded before anything starts, so a crash mid-start leaves a record to adopt from.
      const recorded = this.#emit(task);
      const plan: TaskPlan = {
        taskArn: task.taskArn,
        environmentId,
        org,
        task: version,
        services: plans,
        variables: fileVariables,
      };
      task.starting = recorded.then(() => this.#startServices(task, plan));
      return { taskArn: task.taskArn, releaseEvents };
    } catch (error) {
      for (const port of hostPorts) this.#reservedPorts.delete(port);
      throw error;
    }
  }

  #newTask(fields: {
    taskArn: string;
    environmentId: string;
    group: string;
    createdAt: string;
    plans: readonly ServicePlan[];
    hostPorts: readonly number[];
    delivery: Promise<void>;
  }): LocalTask<Ref> {
    const task: LocalTask<Ref> = {
      taskArn: fields.taskArn,
      environmentId: fields.environmentId,
      group: fields.group,
      createdAt: fields.createdAt,
      services: fields.plans.map((plan) => ({
        plan,
        ref: null,
        status: 'PENDING',
        exitCode: null,
        reason: null,
        ended: Promise.resolve(),
      })),
      hostPorts: fields.hostPorts,
      lastStatus: 'PROVISIONING',
      desiredStatus: 'RUNNING',
      version: 0,
      stopCode: null,
      stoppedReason: null,
      startedAt: null,
      stoppingAt: null,
      stoppedAt: null,
      starting: Promise.resolve(),
      stopping: null,
      released: false,
      delivery: fields.delivery,
    };
    this.#tasks.set(task.taskArn, task);
    this.#byEnvironment.set(task.environmentId, task);
    return task;
  }

  async #startServices(task: LocalTask<Ref>, plan: TaskPlan): Promise<void> {
    let starts: ServiceStart<Ref>[];
    try {
      starts = await this.#driver.start(plan);
    } catch (error) {
      const message = errorMessage(error);
      starts = [
        {
          exitCode: null,
          reason: `CannotStartContainerError: ${message}`,
          stoppedReason: `CannotStartContainerError: the ${this.#driver.name} runtime could not start the task: ${message}`,
        },
      ];
    }
    let failure: FailedService | null = null;
    for (const [index, service] of task.services.entries()) {
      const start = starts[index];
      if (start === undefined) {
        service.status = 'STOPPED';
      } else if (isStarted(start)) {
        service.ref = start.ref;
        service.ended = this.#watch(task, service, start.ended);
      } else {
        service.status = 'STOPPED';
        service.exitCode = start.exitCode;
        service.reason = start.reason;
        failure ??= start;
      }
    }
    if (task.stopping === null) {
      // Ends and start failures arrive as later events, so the task is still starting here.
      task.lastStatus = 'PENDING';
      this.#emit(task);
    }
    if (failure !== null) {
      void this.#stopTask(task, 'TaskFailedToStart', failure.stoppedReason);
    } else if (task.desiredStatus === 'RUNNING') {
      void this.#awaitReady(task);
    }
  }

  #watch(task: LocalTask<Ref>, service: ServiceState<Ref>, ended: Promise<ServiceEnd>): Promise<void> {
    return ended.then(({ exitCode, reason }) => {
      service.status = 'STOPPED';
      service.exitCode = exitCode;
      service.reason = reason;
      // A non-essential container may exit without ending the task, as on ECS.
      if (task.desiredStatus === 'RUNNING' && service.plan.definition.essential) {
        void this.#stopTask(task, 'EssentialContainerExited', 'Essential container in task exited');
      }
    });
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

  async #awaitReady(task: LocalTask<Ref>): Promise<void> {
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
  async #notReady(task: LocalTask<Ref>): Promise<string[]> {
    const probes: Promise<string | null>[] = [];
    // A non-essential service that has exited no longer has anything to wait for.
    for (const service of task.services.filter((s) => s.status !== 'STOPPED')) {
      const { ref, plan } = service;
      if (ref === null) continue;
      for (const binding of plan.bindings) {
        const label = `${plan.name}:${binding.containerPort}`;
        const target = this.#driver.probeTarget(ref, binding);
        probes.push(
          target === null
            ? Promise.resolve(label)
            : tcpAnswers(target.host, target.port).then((ok) => (ok ? null : label)),
        );
      }
      const probe = healthProbe(plan.definition);
      if (probe?.kind === 'command') {
        // Run where the service runs (its container, or its process's directory and environment).
        const label = `${plan.name} health command`;
        probes.push(
          this.#driver
            .exec(ref, plan, probe.command.map(shellQuote).join(' '), {
              timeoutSec: HEALTH_COMMAND_TIMEOUT_SEC,
            })
            .then(
              (result) => (result.exitCode === 0 ? null : label),
              () => label,
            ),
        );
      }
      const healthBinding =
        probe?.kind === 'http' ? plan.bindings.find((b) => b.containerPort === probe.port) : undefined;
      if (probe?.kind === 'http' && healthBinding !== undefined) {
        const label = `${plan.name} GET ${probe.path}`;
        const target = this.#driver.probeTarget(ref, healthBinding);
        probes.push(
          target === null
            ? Promise.resolve(label)
            : httpAnswers2xx(target.host, target.port, probe.path).then((ok) => (ok ? null : label)),
        );
      }
    }
    return (await Promise.all(probes)).filter((label) => label !== null);
  }

  #stopTask(task: LocalTask<Ref>, stopCode: string, stoppedReason: string): Promise<void> {
    if (task.stopping !== null) {
      return task.stopping;
    }
    task.desiredStatus = 'STOPPED';
    task.lastStatus = 'STOPPING';
    task.stopCode = stopCode;
    task.stoppedReason = stoppedReason;
    task.stoppingAt = this.#now();
    this.#emit(task);
    task.stopping = this.#terminate(task).then(async () => {
      for (const service of task.services) service.status = 'STOPPED';
      for (const port of task.hostPorts) this.#reservedPorts.delete(port);
      await this.#release(task);
      task.lastStatus = 'STOPPED';
      task.stoppedAt = this.#now();
      this.#emit(task);
      const ledger = this.#ledger;
      if (ledger !== null) {
        task.delivery = task.delivery.then(() => ledger.remove(task.environmentId).catch(() => undefined));
      }
    });
    return task.stopping;
  }

  /**
   * The polite stop to every service, the kill to what is left after the stop timeout. The kill
   * goes to every service, also those already ended: a crashed command may have left children.
   */
  async #terminate(task: LocalTask<Ref>): Promise<void> {
    await task.starting;
    const refs = task.services.flatMap((s) => (s.ref === null ? [] : [s.ref]));
    const ended = Promise.all(task.services.map((s) => s.ended));
    await Promise.all(refs.map((ref) => this.#signal(task, ref, 'stop')));
    const timeout = new AbortController();
    await Promise.race([
      ended,
      sleep(this.#stopTimeoutMs, undefined, { ref: false, signal: timeout.signal }).catch(() => undefined),
    ]);
    timeout.abort();
    await Promise.all(refs.map((ref) => this.#signal(task, ref, 'kill')));
    await ended;
  }

  async #signal(task: LocalTask<Ref>, ref: Ref, how: 'stop' | 'kill'): Promise<void> {
    try {
      await this.#driver.signal(ref, how);
    } catch (error) {
      this.#log.warn('Local task could not be signalled', {
        taskArn: task.taskArn,
        signal: how,
        error: errorMessage(error),
      });
    }
  }

  async #release(task: LocalTask<Ref>): Promise<void> {
    const services = task.services.flatMap((s) =>
      s.ref === null ? [] : [{ name: s.plan.name, ref: s.ref }],
    );
    try {
      await this.#driver.release(task.environmentId, services);
    } catch (error) {
      this.#log.warn('Local task could not be released', {
        taskArn: task.taskArn,
        error: errorMessage(error),
      });
    }
    task.released = true;
  }

  /** Rebuilds a recorded task around its live services, or ends them and answers null. */
  async #adopt(record: LedgerRecord): Promise<LocalTask<Ref> | null> {
    const services = await Promise.all(
      record.services.map(async (s) => {
        const plan = { name: s.name, definition: s.definition, bindings: s.bindings };
        const ref = this.#driver.refSchema.safeParse(s.ref);
        // Started after the record was written, before the stack could add its ref to it.
        const found = ref.success
          ? ref.data
          : ((await this.#driver.findStarted?.(record.taskArn, plan)) ?? null);
        return { plan, ref: found };
      }),
    );
    const live = await Promise.all(
      services.map(async ({ plan, ref }) => (ref === null ? null : await this.#driver.reattach(ref, plan))),
    );
    const adoptable =
      ['PROVISIONING', 'PENDING', 'RUNNING'].includes(record.lastStatus) &&
      services.every(({ plan }, index) => !plan.definition.essential || live[index] !== null);
    if (!adoptable) {
      for (const started of live) {
        if (started !== null) await this.#driver.signal(started.ref, 'kill').catch(() => undefined);
      }
      await Promise.all(live.map((started) => started?.ended));
      await this.#driver
        .release(
          record.environmentId,
          services.flatMap(({ plan, ref }) => (ref === null ? [] : [{ name: plan.name, ref }])),
        )
        .catch(() => undefined);
      return null;
    }
    for (const binding of record.services.flatMap((s) => s.bindings))
      this.#reservedPorts.add(binding.hostPort);
    const task = this.#newTask({
      taskArn: record.taskArn,
      environmentId: record.environmentId,
      group: record.group,
      createdAt: record.createdAt,
      plans: services.map((s) => s.plan),
      hostPorts: record.services.flatMap((s) => s.bindings.map((b) => b.hostPort)),
      delivery: Promise.resolve(),
    });
    task.lastStatus = record.lastStatus;
    task.version = record.version;
    task.startedAt = record.startedAt;
    // Whatever launched it is gone: a launch for this environment answers the adopted task.
    this.#launches.set(record.environmentId, Promise.resolve({ taskArn: task.taskArn }));
    for (const [index, service] of task.services.entries()) {
      const started = live[index];
      if (started === null || started === undefined) {
        service.status = 'STOPPED';
        continue;
      }
      service.ref = started.ref;
      service.status = record.lastStatus === 'RUNNING' ? 'RUNNING' : 'PENDING';
      service.ended = this.#watch(task, service, started.ended);
    }
    if (task.lastStatus !== 'RUNNING') void this.#awaitReady(task);
    return task;
  }

  /**
   * Snapshots the task as its next event, writes it to the ledger at once (the ledger keeps a
   * task's writes in order) and queues the delivery behind the previous ones and that write: a
   * restarted stack never counts from below an event it sent, and a slow delivery never leaves
   * what was started unrecorded. Resolves once the ledger write has landed (or failed).
   */
  #emit(task: LocalTask<Ref>): Promise<void> {
    task.version += 1;
    const time = this.#now();
    const event: EcsTaskStateChangeEvent = {
      version: '0',
      id: randomUUID(),
      'detail-type': 'ECS Task State Change',
      source: 'aws.ecs',
      account: LOCAL_ACCOUNT,
      time,
      region: LOCAL_REGION,
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
        // RUNNING comes only once every probe passed, so from then on the task is healthy.
        ...(task.startedAt === null ? {} : { healthStatus: 'HEALTHY' }),
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
    const record = this.#ledgerRecord(task);
    const recorded =
      this.#ledger === null || record === null
        ? Promise.resolve()
        : this.#ledger.save(record).catch((error: unknown) =>
            this.#log.warn('Local task ledger write failed', {
              taskArn: task.taskArn,
              error: errorMessage(error),
            }),
          );
    task.delivery = task.delivery.then(() => recorded).then(() => this.#deliver(event));
    return recorded;
  }

  /**
   * The ledger's view of the task; null once it stops. Written from PROVISIONING on, before the
   * driver starts anything: a restart finds what a crash mid-start left through it.
   */
  #ledgerRecord(task: LocalTask<Ref>): LedgerRecord | null {
    if (task.lastStatus === 'STOPPED') return null;
    return {
      taskArn: task.taskArn,
      environmentId: task.environmentId,
      group: task.group,
      createdAt: task.createdAt,
      startedAt: task.startedAt,
      lastStatus: task.lastStatus,
      version: task.version,
      services: task.services.map((s) => ({
        name: s.plan.name,
        definition: s.plan.definition,
        bindings: [...s.plan.bindings],
        ref: s.ref,
      })),
    };
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

const toRuntimeTask = <Ref>(task: LocalTask<Ref>): RuntimeTask => ({
  taskArn: task.taskArn,
  startedBy: task.environmentId,
  group: task.group,
  lastStatus: task.lastStatus,
  desiredStatus: task.desiredStatus,
  stopCode: task.stopCode,
  stoppedReason: task.stoppedReason,
  containers: task.services.map((s) => ({ name: s.plan.name, exitCode: s.exitCode, reason: s.reason })),
  // The counter and the bindings the task's latest event carried, read as the event path reads them.
  version: task.version,
  healthStatus: task.startedAt === null ? null : 'HEALTHY',
  network: taskNetwork({ containers: task.services.map((s) => containerDetail(task, s)) }),
});

const HEALTH_COMMAND_TIMEOUT_SEC = 5;

/** A word the shell reads back as exactly `text`. */
const shellQuote = (text: string): string => `'${text.replaceAll("'", `'\\''`)}'`;

const containerDetail = <Ref>(task: LocalTask<Ref>, service: ServiceState<Ref>): EcsContainerDetail => ({
  name: service.plan.name,
  image: service.plan.definition.image,
  taskArn: task.taskArn,
  lastStatus: service.status,
  ...(service.exitCode === null ? {} : { exitCode: service.exitCode }),
  ...(service.reason === null ? {} : { reason: service.reason }),
  ...(service.status === 'RUNNING'
    ? {
        networkBindings: service.plan.bindings.map(
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
