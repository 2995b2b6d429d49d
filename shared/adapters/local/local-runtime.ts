/**
 * The lifecycle every local runtime shares, whatever starts the services (a
 * {@link RuntimeDriver}: processes, Docker containers): the task table, launch, stop, exec and
 * logs routed to the right service, restart recovery and shutdown. Its parts live beside it:
 * `local-task.ts` (the task and its event/ledger views), `port-reservations.ts` (host ports),
 * `launch-variables.ts`, `readiness.ts` (probes), `task-termination.ts`, `event-delivery.ts`,
 * `task-adoption.ts` (restart adoption). Over 400 lines because it is one state machine over
 * private task state (a launch, a stop and an adoption mutate the same tables); what is not
 * that state machine has been moved out.
 */

import { randomBytes } from 'node:crypto';
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
  LOCAL_ACCOUNT,
  LOCAL_CLUSTER_NAME,
  LOCAL_REGION,
  type TaskEventListener,
} from './ecs-task-events.ts';
import { queueEvent } from './event-delivery.ts';
import { launchVariables } from './launch-variables.ts';
import {
  type LocalTask,
  newLocalTask,
  type ServiceState,
  taskStateChangeEvent,
  toRuntimeTask,
} from './local-task.ts';
import { PortReservations } from './port-reservations.ts';
import { untilReady } from './readiness.ts';
import {
  errorMessage,
  type FailedService,
  isStarted,
  type RuntimeDriver,
  type ServiceEnd,
  type ServiceStart,
  type TaskPlan,
} from './runtime-driver.ts';
import { reattachRecorded } from './task-adoption.ts';
import { type LedgerRecord, TaskLedger } from './task-ledger.ts';
import { release, terminate } from './task-termination.ts';

/** Like ECS, stopped tasks stay describable for a while, then are forgotten. */
const STOPPED_TASK_RETENTION_MS = 60 * 60 * 1000;

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

const consoleLog: Log = {
  debug: () => undefined,
  info: () => undefined,
  warn: (message, attributes) => console.warn(message, attributes ?? {}),
  error: (message, attributes) => console.error(message, attributes ?? {}),
};

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
  readonly #ports = new PortReservations();
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
    const fileVariables = await launchVariables(this.#driver, request);
    const hostPorts: number[] = [];
    try {
      const plans = await this.#ports.planServices(version.manifest.services, hostPorts);
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
      this.#ports.release(hostPorts);
      throw error;
    }
  }

  /** Creates the task and files it under its ARN and its environment. */
  #newTask(fields: Parameters<typeof newLocalTask>[0]): LocalTask<Ref> {
    const task = newLocalTask<Ref>(fields);
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

  async #awaitReady(task: LocalTask<Ref>): Promise<void> {
    const waiting = await untilReady(this.#driver, task, this.#readyTimeoutMs);
    if (waiting === null) return;
    if (waiting.length === 0) {
      task.lastStatus = 'RUNNING';
      task.startedAt = this.#now();
      for (const service of task.services) {
        if (service.status === 'PENDING') service.status = 'RUNNING';
      }
      this.#emit(task);
      return;
    }
    void this.#stopTask(
      task,
      'TaskFailedToStart',
      `Timed out waiting for ports to accept connections after ${this.#readyTimeoutMs} ms: ${waiting.join(', ')}`,
    );
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
    task.stopping = terminate(this.#driver, task, this.#stopTimeoutMs, this.#log).then(async () => {
      for (const service of task.services) service.status = 'STOPPED';
      this.#ports.release(task.hostPorts);
      await release(this.#driver, task, this.#log);
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

  /** Rebuilds a recorded task around its live services, or ends them and answers null. */
  async #adopt(record: LedgerRecord): Promise<LocalTask<Ref> | null> {
    const found = await reattachRecorded(this.#driver, record);
    if (found === null) return null;
    const { services, live } = found;
    this.#ports.hold(record.services.flatMap((s) => s.bindings.map((b) => b.hostPort)));
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
   * Snapshots the task as its next event and queues it behind the previous ones (`queueEvent`).
   * Resolves once its ledger write has landed.
   */
  #emit(task: LocalTask<Ref>): Promise<void> {
    task.version += 1;
    return queueEvent(task, taskStateChangeEvent(task, this.#now()), {
      ledger: this.#ledger,
      onEvent: this.#onEvent,
      log: this.#log,
    });
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
