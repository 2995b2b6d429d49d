import type { TaskVersionRecord } from '#domain/task-version';
import type { TaskNetwork } from '#ports/address-resolver';

/** What the runtime needs to start one environment's task. Holds no secret values. */
export interface LaunchRequest {
  readonly environmentId: string;
  readonly org: string;
  readonly workspace: string;
  readonly task: TaskVersionRecord;
  /** Where the environment's variables (secrets, execute token) are, from {@link EnvFileStore}. */
  readonly envFileRef: string;
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
  }[];
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

/** Starts and stops task containers: ECS Fargate on AWS, processes or Docker locally. */
export interface ContainerRuntime {
  /** Prepares a published version to be launched (registers the ECS task definition). */
  register(task: Omit<TaskVersionRecord, 'taskDefinitionArn'>): Promise<{ taskDefinitionArn: string | null }>;

  /**
   * Starts the task. Calling it again for the same environment id never starts a second task
   * (the id is the idempotency token).
   * @throws LaunchFailedError when the platform refuses.
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

/** `stoppedReason` prefix of every stop taskenv asks for. */
export const STOP_REASON_PREFIX = 'taskenv:';
