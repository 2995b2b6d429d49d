/**
 * The "ECS Task State Change" events of a task's life, as each runtime sends them, for the
 * event-path figure: Fargate's (ENI attachment, health reported by a later RUNNING) and the local
 * runtimes' (loopback port bindings, RUNNING once probes passed).
 */
import { randomUUID } from 'node:crypto';
import { BENCH_CLUSTER_ARN } from './aws-mocks.ts';
import { taskArnFor } from './fakes.ts';
import { BENCH_ORG } from './world.ts';

export type Shape = 'fargate' | 'local';

/** One kind of event in a task's life, as one runtime sends it. */
export interface EventKind {
  /** `RUNNING (UNKNOWN health)` … */
  readonly label: string;
  readonly lastStatus: string;
  readonly desiredStatus: 'RUNNING' | 'STOPPED';
  readonly healthStatus?: string;
  readonly containerStatus: string;
}

export const SEQUENCES: Readonly<Record<Shape, readonly EventKind[]>> = {
  fargate: [
    {
      label: 'PROVISIONING',
      lastStatus: 'PROVISIONING',
      desiredStatus: 'RUNNING',
      containerStatus: 'PENDING',
    },
    { label: 'PENDING', lastStatus: 'PENDING', desiredStatus: 'RUNNING', containerStatus: 'PENDING' },
    {
      label: 'RUNNING (health UNKNOWN)',
      lastStatus: 'RUNNING',
      desiredStatus: 'RUNNING',
      healthStatus: 'UNKNOWN',
      containerStatus: 'RUNNING',
    },
    {
      label: 'RUNNING (HEALTHY)',
      lastStatus: 'RUNNING',
      desiredStatus: 'RUNNING',
      healthStatus: 'HEALTHY',
      containerStatus: 'RUNNING',
    },
    {
      label: 'DEACTIVATING',
      lastStatus: 'DEACTIVATING',
      desiredStatus: 'STOPPED',
      containerStatus: 'RUNNING',
    },
    { label: 'STOPPING', lastStatus: 'STOPPING', desiredStatus: 'STOPPED', containerStatus: 'RUNNING' },
    {
      label: 'DEPROVISIONING',
      lastStatus: 'DEPROVISIONING',
      desiredStatus: 'STOPPED',
      containerStatus: 'STOPPED',
    },
    { label: 'STOPPED', lastStatus: 'STOPPED', desiredStatus: 'STOPPED', containerStatus: 'STOPPED' },
  ],
  local: [
    {
      label: 'PROVISIONING',
      lastStatus: 'PROVISIONING',
      desiredStatus: 'RUNNING',
      containerStatus: 'PENDING',
    },
    { label: 'PENDING', lastStatus: 'PENDING', desiredStatus: 'RUNNING', containerStatus: 'PENDING' },
    {
      label: 'RUNNING (HEALTHY)',
      lastStatus: 'RUNNING',
      desiredStatus: 'RUNNING',
      healthStatus: 'HEALTHY',
      containerStatus: 'RUNNING',
    },
    { label: 'STOPPING', lastStatus: 'STOPPING', desiredStatus: 'STOPPED', containerStatus: 'RUNNING' },
    { label: 'STOPPED', lastStatus: 'STOPPED', desiredStatus: 'STOPPED', containerStatus: 'STOPPED' },
  ],
};

export const ecsEvent = (
  shape: Shape,
  environmentId: string,
  kind: EventKind,
  version: number,
  hostPort: number,
) => {
  const taskArn = taskArnFor(environmentId);
  const now = new Date().toISOString();
  const running = kind.containerStatus === 'RUNNING';
  const stopped = kind.lastStatus === 'STOPPED';
  const stopping = kind.desiredStatus === 'STOPPED';
  const eni = `eni-${environmentId.replaceAll('-', '').slice(0, 17)}`;
  const attachment = randomUUID();
  const fargate = shape === 'fargate';
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': 'ECS Task State Change',
    source: 'aws.ecs',
    account: '000000000000',
    time: now,
    region: 'us-east-1',
    resources: [taskArn],
    detail: {
      version,
      taskArn,
      clusterArn: BENCH_CLUSTER_ARN,
      lastStatus: kind.lastStatus,
      desiredStatus: kind.desiredStatus,
      startedBy: environmentId,
      group: `taskenv:${BENCH_ORG}`,
      ...(kind.healthStatus === undefined ? {} : { healthStatus: kind.healthStatus }),
      containers: [
        {
          name: 'web',
          lastStatus: kind.containerStatus,
          ...(kind.healthStatus === undefined ? {} : { healthStatus: kind.healthStatus }),
          ...(fargate
            ? { networkInterfaces: [{ attachmentId: attachment, privateIpv4Address: '10.0.0.9' }] }
            : {}),
          ...(!fargate && running
            ? { networkBindings: [{ bindIP: '127.0.0.1', containerPort: 8080, hostPort, protocol: 'tcp' }] }
            : {}),
          ...(stopped ? { exitCode: 143 } : {}),
        },
      ],
      attachments: fargate
        ? [
            {
              id: attachment,
              type: 'eni',
              status: stopped ? 'DELETED' : 'ATTACHED',
              details: [
                { name: 'subnetId', value: 'subnet-bench' },
                { name: 'networkInterfaceId', value: eni },
                { name: 'privateIPv4Address', value: '10.0.0.9' },
              ],
            },
          ]
        : [],
      createdAt: now,
      updatedAt: now,
      ...(stopping ? { stopCode: 'UserInitiated', stoppedReason: 'taskenv: deleted', stoppingAt: now } : {}),
      ...(stopped ? { stoppedAt: now } : {}),
    },
  };
};
