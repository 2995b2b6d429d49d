import type { TaskNetwork } from '#domain/task-network';
import type { TaskVersionRecord } from '#domain/task-version';

export { STOP_REASON_PREFIX } from '#domain/stop-reason';

/** What the runtime needs to start one environment's task. Holds no secret values. */
export interface LaunchRequest {
  /**
   * The task's `startedBy` and idempotency token: the environment id, or `pool/<slot id>` for
   * a pool task (`#domain/pool`), which no environment owns until a create claims it.
   */
  readonly environmentId: string;
  readonly org: string;
  /** Null for a pool task (pools are org-scoped). */
  readonly workspace: string | null;
  readonly task: TaskVersionRecord;
  /**
   * Where the environment's variables (secrets, execute token) are, from {@link EnvFileStore}.
   * Null for a pool task: it starts with no env file at all, so it holds no secret and no token.
   */
  readonly envFileRef: string | null;
}

/** A task as the runtime reports it (DescribeTasks shape, trimmed to what taskenv reads). */
export interface RuntimeTask {
  readonly taskArn: string;
  /** The environment id for tasks taskenv started. */
  readonly startedBy: string | null;
  readonly group: string | null;
  readonly lastStatus: string;
  readonly desiredStatus: string;
  readonly stopCode: string | null;
  readonly stoppedReason: string | null;
  readonly containers: readonly {
    readonly name: string;
    readonly exitCode: number | null;
    readonly reason: string | null;
    /** HEALTHY, UNHEALTHY or UNKNOWN; absent where the runtime does not report it. */
    readonly healthStatus?: string | null;
  }[];
  /**
   * The task's health: HEALTHY once the health checks of its essential containers pass (the
   * local runtimes: once their probes passed), UNHEALTHY, UNKNOWN; absent where not reported.
   */
  readonly healthStatus?: string | null;
  /**
   * Grows with every change of the task: the counter of the task's state change events
   * (`detail.version`), so a state read here and one from an event are ordered alike. Null
   * when the platform did not report it.
   */
  readonly version: number | null;
  /** Where the task listens (its ENI, private IP, host port bindings); null when not reported. */
  readonly network: TaskNetwork | null;
}

/** The container platform refused or failed a launch; `reason` is safe to show a client. */
export class LaunchFailedError extends Error {
  readonly reason: string;
  constructor(reason: string, options?: { cause?: unknown }) {
    super(`Launch failed: ${reason}`, options);
    this.name = 'LaunchFailedError';
    this.reason = reason;
  }
}

/**
 * The platform refused the launch for now (no capacity, ENI or API rate pressure, throttling, a
 * server error): the same launch, with the same environment id as its idempotency token, may
 * succeed a little later (`docs/design.md`, "Launch retries"). `reason` is safe to show a client.
 */
export class TransientLaunchError extends Error {
  readonly reason: string;
  constructor(reason: string, options?: { cause?: unknown }) {
    super(`Launch refused for now: ${reason}`, options);
    this.name = 'TransientLaunchError';
    this.reason = reason;
  }
}

/** The platform refused a task version's definition (a client mistake); `reason` is the platform's message. */
export class RegistrationRefusedError extends Error {
  readonly reason: string;
  constructor(reason: string, options?: { cause?: unknown }) {
    super(`Task definition refused: ${reason}`, options);
    this.name = 'RegistrationRefusedError';
    this.reason = reason;
  }
}

/** Starts and stops task containers: ECS Fargate on AWS, processes or Docker locally. */
export interface ContainerRuntime {
  /**
   * Prepares a published version to be launched (registers the ECS task definition).
   * @throws RegistrationRefusedError when the platform refuses the definition.
   */
  register(task: Omit<TaskVersionRecord, 'taskDefinitionArn'>): Promise<{ taskDefinitionArn: string | null }>;

  /**
   * Starts the task. Calling it again for the same environment id never starts a second task
   * (the id is the idempotency token).
   * @throws LaunchFailedError when the platform refuses for good.
   * @throws TransientLaunchError when it refuses for now (retry later with the same id).
   */
  launch(request: LaunchRequest): Promise<{ taskArn: string }>;

  /** Asks the task to stop; `reason` is echoed in the STOPPED event. Stopping a stopped task is fine. */
  stop(taskArn: string, reason: string): Promise<void>;

  /** Tasks by ARN; unknown ARNs are omitted. */
  describe(taskArns: readonly string[]): Promise<RuntimeTask[]>;

  /** The task started for one environment, if any (running or recently stopped). */
  findByEnvironment(environmentId: string): Promise<RuntimeTask | null>;

  /** Every running task taskenv started (group `taskenv:*`), for orphan detection. */
  listRunning(): Promise<RuntimeTask[]>;
}

/** How to run one command inside a running task's service (`ContainerRuntime.exec`). */
export interface ExecOptions {
  /** Killed after this many seconds: exit code 124 and `timedOut`. */
  readonly timeoutSec: number;
  /** Extra variables for this command only, on top of the service's own environment. */
  readonly env?: Readonly<Record<string, string>>;
  /** Absolute path; default: the service's working directory. */
  readonly workdir?: string;
  /** Aborting it kills the command (a DELETE of the environment ends its executions). */
  readonly signal?: AbortSignal;
}

/** What one command left: its exit code and its output, stdout and stderr interleaved. */
export interface ExecResult {
  readonly exitCode: number;
  /** UTF-8 (invalid bytes replaced), at most {@link MAX_EXEC_OUTPUT_BYTES} bytes. */
  readonly output: string;
  /** True when the command wrote more than {@link MAX_EXEC_OUTPUT_BYTES}; the first bytes are kept. */
  readonly truncated: boolean;
  readonly timedOut: boolean;
  readonly durationMs: number;
}

/** `output` keeps at most this many bytes of what a command wrote (`docs/api.md`, Execute). */
export const MAX_EXEC_OUTPUT_BYTES = 1024 * 1024;

/** The exit code of a command killed by its timeout, as coreutils' `timeout` reports it. */
export const TIMED_OUT_EXIT_CODE = 124;

/** The platform could not start the command (agent not running, container gone): a 502. */
export class ExecUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ExecUnavailableError';
  }
}

/**
 * Runs commands inside running tasks: ECS Exec on AWS, `docker exec` or `sh -c` locally. A
 * separate port from {@link ContainerRuntime} so the functions that only launch and stop never
 * carry the exec machinery (cold start, IAM).
 */
export interface CommandRunner {
  /**
   * Runs `command` as `/bin/sh -c <command>` in `service` (a manifest service = a container) of
   * the task, streaming its output into one capped buffer.
   * @throws ExecUnavailableError when the platform cannot run it.
   */
  exec(taskArn: string, service: string, command: string, options: ExecOptions): Promise<ExecResult>;
}

/** One line a service wrote. */
export interface LogLine {
  /** ISO 8601. */
  readonly time: string;
  readonly message: string;
}

/** A service's output from the platform's log store (CloudWatch Logs on AWS, the runtime locally). */
export interface TaskLogs {
  /**
   * The last `tail` lines `service` of the task wrote, oldest first; also after the task stopped
   * (for the log retention). `truncated` when there were more.
   */
  read(
    task: {
      readonly environmentId: string;
      readonly taskArn: string;
      /** `org/name@version`; where the platform's log names carry the task (awslogs stream prefix). */
      readonly taskRef?: string;
    },
    service: string,
    tail: number,
  ): Promise<{ lines: LogLine[]; truncated: boolean }>;
}
