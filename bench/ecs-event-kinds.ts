/**
 * The "ECS Task State Change" events of a task's life, as each runtime sends them, for the
 * bench: Fargate's built from the recorded ECS events the tests use (`test/support/ecs-events.ts`,
 * ENI attachment, health reported by a later RUNNING), the local runtimes' by their own emitter
 * (`local-task.ts`: loopback port bindings, RUNNING once probes passed), advanced as
 * `LocalRuntime` advances a task.
 */
import { type LocalTask, newLocalTask, taskStateChangeEvent } from '#adapters/local/local-task';
import type { TaskVersionRecord } from '#domain/task-version';
import { ecsEvent as fixtureEvent } from '#test/support/ecs-events';
import { BENCH_CLUSTER_ARN } from './aws-mocks.ts';
import { taskArnFor } from './fakes.ts';

export type Shape = 'fargate' | 'local';

/** One kind of event in a task's life, as one runtime sends it. */
export interface EventKind {
  /** `RUNNING (health UNKNOWN)` … */
  readonly label: string;
  readonly lastStatus:
    | 'PROVISIONING'
    | 'PENDING'
    | 'RUNNING'
    | 'DEACTIVATING'
    | 'STOPPING'
    | 'DEPROVISIONING'
    | 'STOPPED';
  readonly desiredStatus: 'RUNNING' | 'STOPPED';
  readonly healthStatus?: 'UNKNOWN' | 'HEALTHY';
}

const kind = (
  lastStatus: EventKind['lastStatus'],
  desiredStatus: EventKind['desiredStatus'],
  healthStatus?: EventKind['healthStatus'],
): EventKind => ({
  label: healthStatus === undefined ? lastStatus : `${lastStatus} (health ${healthStatus})`,
  lastStatus,
  desiredStatus,
  ...(healthStatus === undefined ? {} : { healthStatus }),
});

const PROVISIONING = kind('PROVISIONING', 'RUNNING');
const PENDING = kind('PENDING', 'RUNNING');
const RUNNING_HEALTHY = kind('RUNNING', 'RUNNING', 'HEALTHY');
const STOPPING = kind('STOPPING', 'STOPPED');
const STOPPED = kind('STOPPED', 'STOPPED');

export const SEQUENCES: Readonly<Record<Shape, readonly EventKind[]>> = {
  fargate: [
    PROVISIONING,
    PENDING,
    kind('RUNNING', 'RUNNING', 'UNKNOWN'),
    RUNNING_HEALTHY,
    kind('DEACTIVATING', 'STOPPED'),
    STOPPING,
    kind('DEPROVISIONING', 'STOPPED'),
    STOPPED,
  ],
  // What LocalRuntime emits: PROVISIONING at launch, PENDING once its services started, RUNNING
  // (HEALTHY) once every probe passed, STOPPING then STOPPED.
  local: [PROVISIONING, PENDING, RUNNING_HEALTHY, STOPPING, STOPPED],
};

/** Why taskenv stopped the task, with its own prefix (`docs/design.md`, "ECS event → environment state"). */
const STOPPED_BY_TASKENV = { stopCode: 'UserInitiated', stoppedReason: 'taskenv: deleted' } as const;

/** The event of `kind` for the Fargate task of `environmentId`, from the recorded ECS events. */
export const fargateEvent = (environmentId: string, org: string, kind: EventKind, version: number) => {
  const running = kind.lastStatus !== 'PROVISIONING' && kind.lastStatus !== 'PENDING';
  const stopped = kind.lastStatus === 'STOPPED';
  return fixtureEvent(
    kind.lastStatus === 'PROVISIONING' ? 'provisioning-fargate' : 'running-fargate',
    environmentId,
    {
      taskArn: taskArnFor(environmentId),
      clusterArn: BENCH_CLUSTER_ARN,
      group: `taskenv:${org}`,
      version,
      lastStatus: kind.lastStatus,
      desiredStatus: kind.desiredStatus,
      ...(kind.healthStatus === undefined ? {} : { healthStatus: kind.healthStatus }),
      ...(kind.lastStatus === 'PENDING'
        ? { containers: [{ name: 'web', lastStatus: 'PENDING' }] }
        : running
          ? {
              containers: [
                {
                  name: 'web',
                  lastStatus: stopped || kind.lastStatus === 'DEPROVISIONING' ? 'STOPPED' : 'RUNNING',
                  ...(kind.healthStatus === undefined ? {} : { healthStatus: kind.healthStatus }),
                  ...(stopped ? { exitCode: 143 } : {}),
                },
              ],
            }
          : {}),
      ...(kind.desiredStatus === 'STOPPED' ? STOPPED_BY_TASKENV : {}),
      ...(stopped ? { stoppedAt: new Date().toISOString() } : {}),
    },
  );
};

/**
 * A local task of `task` for `environmentId`, as `LocalRuntime` creates it at launch (not yet
 * emitted): its services planned on consecutive host ports from `firstHostPort`.
 */
export const localTask = (
  environmentId: string,
  org: string,
  task: TaskVersionRecord,
  options: { readonly taskArn: string; readonly firstHostPort: number },
): LocalTask<never> => {
  let hostPort = options.firstHostPort;
  const plans = Object.entries(task.manifest.services).map(([name, definition]) => ({
    name,
    definition,
    bindings: definition.ports.map((containerPort) => ({ containerPort, hostPort: hostPort++ })),
  }));
  return newLocalTask({
    taskArn: options.taskArn,
    environmentId,
    group: `taskenv:${org}`,
    createdAt: new Date().toISOString(),
    plans,
    hostPorts: plans.flatMap((p) => p.bindings.map((b) => b.hostPort)),
    delivery: Promise.resolve(),
  });
};

/** Moves `task` to `kind` as `LocalRuntime` does (stopped by taskenv), and answers the event it emits. */
export const localEvent = (task: LocalTask<never>, kind: EventKind) => {
  const now = new Date().toISOString();
  task.lastStatus = kind.lastStatus;
  task.desiredStatus = kind.desiredStatus;
  if (kind.lastStatus === 'RUNNING') {
    task.startedAt = now;
    for (const service of task.services) service.status = 'RUNNING';
  }
  if (kind.desiredStatus === 'STOPPED') {
    task.stopCode = STOPPED_BY_TASKENV.stopCode;
    task.stoppedReason = STOPPED_BY_TASKENV.stoppedReason;
    task.stoppingAt ??= now;
  }
  if (kind.lastStatus === 'STOPPED') {
    task.stoppedAt = now;
    for (const service of task.services) service.status = 'STOPPED';
  }
  task.version += 1;
  return taskStateChangeEvent(task, now);
};

/** `task` advanced to RUNNING as the local runtimes advance it; answers RUNNING's event only. */
export const localRunningEvent = (task: LocalTask<never>) => {
  localEvent(task, PROVISIONING);
  localEvent(task, PENDING);
  return localEvent(task, RUNNING_HEALTHY);
};
