/**
 * What a local runtime driver does: start, watch, stop and exec into the services of one task.
 * The lifecycle around it (ports, readiness, events, retention, restart adoption) is
 * {@link LocalRuntime}'s, shared by every driver, so a new driver is only this interface.
 */
import type * as z from 'zod';
import type { ServiceDefinition } from '#domain/service-manifest';
import type { TaskVersionRecord } from '#domain/task-version';
import type { ExecOptions, ExecResult, LogLine } from '#ports/container-runtime';

/** A container port and the 127.0.0.1 host port it is published on. */
export interface PortBinding {
  readonly containerPort: number;
  readonly hostPort: number;
}

/** One service of a task to start, with its host ports already chosen. */
export interface ServicePlan {
  readonly name: string;
  readonly definition: ServiceDefinition;
  readonly bindings: readonly PortBinding[];
}

/** One task to start. */
export interface TaskPlan {
  readonly taskArn: string;
  readonly environmentId: string;
  readonly org: string;
  readonly task: TaskVersionRecord;
  readonly services: readonly ServicePlan[];
  /**
   * The environment's variables (its env file and `TASKENV_ENVIRONMENT_ID`). They hold secret
   * values: they go into the services' environment and nowhere else (no label, name, log or error).
   */
  readonly variables: Readonly<Record<string, string>>;
}

/** How a service ended. */
export interface ServiceEnd {
  /** Null when the runtime could not learn it (a process that ended while the stack was down). */
  readonly exitCode: number | null;
  /** Why it ended, when that was not its own doing ("OutOfMemoryError: …"). */
  readonly reason: string | null;
}

/** A service that is running: its durable handle, and a promise of its end. */
export interface StartedService<Ref> {
  readonly ref: Ref;
  /** Settles once the service has ended, whatever ended it; never rejects. */
  readonly ended: Promise<ServiceEnd>;
}

/** A service that could not start; the task fails with `TaskFailedToStart` and `stoppedReason`. */
export interface FailedService {
  readonly exitCode: number | null;
  /** The container's reason, e.g. `CannotPullContainerError: …`. */
  readonly reason: string;
  /** The task's stop reason. */
  readonly stoppedReason: string;
}

export type ServiceStart<Ref> = StartedService<Ref> | FailedService;

/** The message of a thrown value, for logs and stop reasons. */
export const errorMessage = (error: unknown): string =>
  error instanceof Error ? error.message : String(error);

export const isStarted = <Ref>(start: ServiceStart<Ref>): start is StartedService<Ref> => 'ref' in start;

export interface RuntimeDriver<Ref> {
  /** Shown in the banner and in errors. */
  readonly name: string;
  /** Parses a {@link Ref} back from the task ledger. */
  readonly refSchema: z.ZodType<Ref>;

  /** Why this driver cannot run `task` at all (checked before anything starts), or null. */
  refusal(task: TaskVersionRecord): string | null;

  /**
   * Starts the services in order. Stops at the first that cannot start: the result then ends
   * with its {@link FailedService}, and the core stops the ones before it.
   */
  start(plan: TaskPlan): Promise<ServiceStart<Ref>[]>;

  /** Where a readiness probe of a started service's `binding` connects; null: nowhere (not ready). */
  probeTarget(ref: Ref, binding: PortBinding): { readonly host: string; readonly port: number } | null;

  /**
   * `stop`: the polite signal (SIGTERM); `kill`: the end (SIGKILL). A service that is already
   * gone is fine. Its `ended` settles once it is gone.
   */
  signal(ref: Ref, how: 'stop' | 'kill'): Promise<void>;

  /** After the task stopped: frees what its services still hold (a container: logs kept, then removed). */
  release(
    environmentId: string,
    services: readonly { readonly name: string; readonly ref: Ref }[],
  ): Promise<void>;

  /**
   * Runs `/bin/sh -c <command>` in a running service; its output into one capped buffer.
   * @throws ExecUnavailableError when the service cannot run it.
   */
  exec(ref: Ref, service: ServicePlan, command: string, options: ExecOptions): Promise<ExecResult>;

  /** The last `tail` lines of a service, while it runs (`ref`) or after it was released (null). */
  readLogs(
    environmentId: string,
    service: string,
    ref: Ref | null,
    tail: number,
  ): Promise<{ lines: LogLine[]; truncated: boolean }>;

  /** After a restart of the stack: the service, watched from now on, if it still runs and is ours. */
  reattach(ref: Ref, service: ServicePlan): Promise<StartedService<Ref> | null>;

  /**
   * After a restart: a service of `taskArn` that was started, but whose ref the ledger did not
   * get (the stack died in between), or null. Optional: without it such a service is not
   * adopted, and {@link sweep} must end it.
   */
  findStarted?(taskArn: string, service: ServicePlan): Promise<Ref | null>;

  /** After a restart, once adoption is done: ends whatever this stack started that is not in `kept`. */
  sweep(kept: readonly Ref[]): Promise<void>;
}
