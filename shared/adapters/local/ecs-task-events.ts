/**
 * The wire shape of the "ECS Task State Change" events the local runtimes emit, so the local
 * stack drives the same `task-events` handler EventBridge drives on AWS.
 */

export const LOCAL_ACCOUNT = '000000000000';
export const LOCAL_REGION = 'local';
export const LOCAL_CLUSTER_NAME = 'taskenv-local';

/** The cluster every local task reports; its shape is a real ECS cluster ARN. */
export const LOCAL_CLUSTER_ARN = `arn:aws:ecs:${LOCAL_REGION}:${LOCAL_ACCOUNT}:cluster/${LOCAL_CLUSTER_NAME}`;

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
  /** Present once the container has exited. */
  exitCode?: number;
  /** Why the container could not start or was killed, when it was. */
  reason?: string;
  /** Present while the container runs. */
  networkBindings?: EcsNetworkBinding[];
};

/** `detail` of the events the local runtimes emit: the subset of ECS fields taskenv reads. */
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
  /** HEALTHY from RUNNING on: the runtime probed every service before it said RUNNING. */
  healthStatus?: string;
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
