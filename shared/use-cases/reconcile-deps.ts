/** What a reconciliation run needs and what it reports, shared by `reconcile*.ts`. */
import type { AddressResolver } from '#ports/address-resolver';
import type { Clock } from '#ports/clock';
import type { ContainerRuntime } from '#ports/container-runtime';
import type { EnvFileListing, EnvFileStore } from '#ports/env-file-store';
import type { EnvironmentStore } from '#ports/environment-store';
import type { EventPublisher } from '#ports/event-publisher';
import type { ExpiryScheduler } from '#ports/expiry-scheduler';
import type { LifecycleQueue } from '#ports/lifecycle-queue';
import type { Log } from '#ports/log';
import type { PoolStore } from '#ports/pool-store';
import type { TaskRegistry } from '#ports/task-registry';

export interface ReconcileConfig {
  /** A launch that has not produced a task this long after `created_at` is given up. */
  readonly launchDeadlineSec: number;
  /** Launch attempts (the first included) before giving up. */
  readonly maxLaunchAttempts: number;
  /**
   * Environments younger than this are left alone: their create request may still be between
   * the record and RunTask, and a just-started task may not be visible to DescribeTasks yet.
   * @default 60
   */
  readonly graceSec?: number;
  /**
   * An env file this old whose environment was never recorded (or is final) is deleted. Longer
   * than any create request, which writes the file before it records the environment.
   * @default 600
   */
  readonly strayEnvFileGraceSec?: number;
}

export interface ReconcileDeps {
  readonly store: EnvironmentStore;
  readonly runtime: ContainerRuntime;
  /** Finds the host of a running task whose RUNNING event was lost, as the event path would. */
  readonly addresses: AddressResolver;
  /** Relaunches read the env file's ref from here (`refFor`); final states delete the file. */
  readonly envFiles: EnvFileStore;
  /**
   * Where env files can be listed (the local store). Absent on AWS, where the bucket's lifecycle
   * rule removes the files of environments that were never recorded.
   */
  readonly strayEnvFiles?: EnvFileListing;
  readonly expiry: ExpiryScheduler;
  /** Finds the task version to relaunch. */
  readonly tasks: TaskRegistry;
  readonly publisher: EventPublisher;
  /** Launch retries and readiness checks are queued here, as on the request and event paths. */
  readonly checks: LifecycleQueue;
  readonly clock: Clock;
  readonly config: ReconcileConfig;
  readonly logger?: Log;
  /** Warm pools: dead waiting slots are retired, and pool tasks without a slot are orphans. */
  readonly pools?: PoolStore;
}

/** What one run did: environment ids per action, task ARNs for orphans. */
export interface ReconcileSummary {
  /** Building environments launched again (no task had been started). */
  readonly relaunched: string[];
  /** Building environments whose started task was found and recorded. */
  readonly adopted: string[];
  /** Building environments given up on (deadline, attempts, refused launch, task version gone). */
  readonly failed: string[];
  /** Environments ended because their task stopped or vanished without the event arriving. */
  readonly finalised: string[];
  /** Environments past `expires_at` whose task was asked to stop. */
  readonly expired: string[];
  /**
   * Building or provisioning environments whose task runs, made `ready` as their lost RUNNING
   * event would have (or `failed`, as it would have, when the instruction cannot be rendered).
   */
  readonly promoted: string[];
  /** Task ARNs stopped because no live environment owns them. */
  readonly orphansStopped: string[];
  /** Pool slots retired because their task stopped or vanished without the event arriving. */
  readonly slotsRetired: string[];
  /** Env files deleted because their environment was never recorded, or is final. */
  readonly envFilesSwept: string[];
  /** Environments or tasks an action failed for; the next run tries again. */
  readonly errors: { readonly subject: string; readonly message: string }[];
}

/** Marks an environment that is final after (or was found final during) its reconciliation. */
export const ENDED = Symbol('ended');

/** The task an environment owns after its reconciliation: an ARN, null while it has none, or {@link ENDED}. */
export type Ownership = string | null | typeof ENDED;

export const messageOf = (error: unknown): string =>
  error instanceof Error ? `${error.name}: ${error.message}` : String(error);
