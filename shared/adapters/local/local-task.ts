/**
 * A local task as the runtime core keeps it, and the pure views of it: the ECS-shaped event it
 * emits, the `RuntimeTask` it describes as, and the record the ledger keeps.
 */
import { randomUUID } from 'node:crypto';
import { taskNetwork } from '#domain/task-network';
import type { RuntimeTask } from '#ports/container-runtime';
import {
  type EcsContainerDetail,
  type EcsNetworkBinding,
  type EcsTaskStateChangeEvent,
  LOCAL_ACCOUNT,
  LOCAL_CLUSTER_ARN,
  LOCAL_REGION,
} from './ecs-task-events.ts';
import type { ServicePlan } from './runtime-driver.ts';
import type { LedgerRecord } from './task-ledger.ts';

type ContainerStatus = 'PENDING' | 'RUNNING' | 'STOPPED';

export interface ServiceState<Ref> {
  readonly plan: ServicePlan;
  /** Set once the driver started it. */
  ref: Ref | null;
  status: ContainerStatus;
  exitCode: number | null;
  reason: string | null;
  /** Settles once the service has ended and its end is recorded (at once when it never started). */
  ended: Promise<void>;
}

export interface LocalTask<Ref> {
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

export const newLocalTask = <Ref>(fields: {
  taskArn: string;
  environmentId: string;
  group: string;
  createdAt: string;
  plans: readonly ServicePlan[];
  hostPorts: readonly number[];
  delivery: Promise<void>;
}): LocalTask<Ref> => ({
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
});

/** The task as its next "Task State Change" event (`task.version` already counted). */
export const taskStateChangeEvent = <Ref>(task: LocalTask<Ref>, time: string): EcsTaskStateChangeEvent => ({
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
});

/**
 * The ledger's view of the task; null once it stops. Written from PROVISIONING on, before the
 * driver starts anything: a restart finds what a crash mid-start left through it.
 */
export const ledgerRecordOf = <Ref>(task: LocalTask<Ref>): LedgerRecord | null => {
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
};

export const toRuntimeTask = <Ref>(task: LocalTask<Ref>): RuntimeTask => ({
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
