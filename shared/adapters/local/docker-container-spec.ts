/**
 * What a service's container is created with: its image, command and environment (the only
 * place secrets go), the labels that tell this stack's containers from others', the task's
 * shared network namespace with every port published on 127.0.0.1, and the hardening defaults.
 */
import type Docker from 'dockerode';
import type { DockerRef } from './docker-engine.ts';
import type { ServicePlan, TaskPlan } from './runtime-driver.ts';

/** Labels on every container (no secret is ever in one). */
export const LABEL_ENVIRONMENT_ID = 'taskenv.environment-id';
export const LABEL_TASK_ARN = 'taskenv.task-arn';
export const LABEL_STACK = 'taskenv.stack';
export const LABEL_SERVICE = 'taskenv.service';

/** Hardening defaults: at most this many processes per container. */
const PIDS_LIMIT = 512;

/** Capabilities of Docker's default set a task has no use for. */
const DROPPED_CAPABILITIES = ['NET_RAW', 'MKNOD', 'AUDIT_WRITE', 'SETFCAP'];

/** The create options of `service`'s container; `owner` is the task's first container, null for it. */
export const containerSpec = (
  plan: TaskPlan,
  service: ServicePlan,
  owner: DockerRef | null,
  stack: string,
): Docker.ContainerCreateOptions => {
  const { definition } = service;
  const { cpu, memory } = plan.task.manifest.resources;
  const published = plan.services.flatMap((s) => s.bindings);
  const taskId = plan.taskArn.slice(plan.taskArn.lastIndexOf('/') + 1);
  return {
    name: `taskenv-${taskId.slice(0, 12)}-${service.name}`,
    Image: definition.image,
    ...(definition.command === undefined ? {} : { Cmd: [...definition.command] }),
    // The only place secrets go: never a label, the name, or a log line of ours.
    Env: Object.entries({ ...definition.env, ...plan.variables }).map(([name, value]) => `${name}=${value}`),
    Labels: {
      [LABEL_ENVIRONMENT_ID]: plan.environmentId,
      [LABEL_TASK_ARN]: plan.taskArn,
      [LABEL_STACK]: stack,
      [LABEL_SERVICE]: service.name,
    },
    ...(owner === null
      ? { ExposedPorts: Object.fromEntries(published.map((b) => [`${b.containerPort}/tcp`, {}])) }
      : {}),
    HostConfig: {
      // The first container owns the namespace and publishes every port of the task.
      ...(owner === null
        ? {
            PortBindings: Object.fromEntries(
              [...new Set(published.map((b) => b.containerPort))].map((port) => [
                `${port}/tcp`,
                published
                  .filter((b) => b.containerPort === port)
                  .map((b) => ({ HostIp: '127.0.0.1', HostPort: String(b.hostPort) })),
              ]),
            ),
          }
        : { NetworkMode: `container:${owner.containerId}` }),
      Memory: memory * 1024 * 1024,
      // No swap beyond the memory limit, so the limit is what the task gets.
      MemorySwap: memory * 1024 * 1024,
      NanoCpus: Math.round((cpu / 1024) * 1e9),
      PidsLimit: PIDS_LIMIT,
      SecurityOpt: ['no-new-privileges:true'],
      CapDrop: DROPPED_CAPABILITIES,
      // An init as PID 1 forwards the stop signal and reaps what the service leaves behind.
      Init: true,
      Binds: [],
      Privileged: false,
      RestartPolicy: { Name: 'no' },
    },
  };
};
