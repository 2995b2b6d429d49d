/**
 * Bench only, never production code: a {@link ContainerRuntime} decorator that makes the
 * platform take `startMs` from RunTask to RUNNING, as Fargate does (20–47 s: image pull, ENI).
 * RunTask answers at once; the task's RUNNING event reaches `onRunning` `startMs` later.
 */
import { randomUUID } from 'node:crypto';
import type { ContainerRuntime, LaunchRequest, RuntimeTask } from '#ports/container-runtime';

const CLUSTER_ARN = 'arn:aws:ecs:us-east-1:000000000000:cluster/taskenv-bench';

export class SlowStartRuntime implements ContainerRuntime {
  readonly #inner: ContainerRuntime;
  readonly #startMs: number;
  readonly #onRunning: (event: unknown) => Promise<void>;
  readonly #timers = new Set<NodeJS.Timeout>();

  constructor(
    inner: ContainerRuntime,
    options: { startMs: number; onRunning: (event: unknown) => Promise<void> },
  ) {
    this.#inner = inner;
    this.#startMs = options.startMs;
    this.#onRunning = options.onRunning;
  }

  register(task: Parameters<ContainerRuntime['register']>[0]) {
    return this.#inner.register(task);
  }

  async launch(request: LaunchRequest): Promise<{ taskArn: string }> {
    const launched = await this.#inner.launch(request);
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      void this.#onRunning(runningEvent(request, launched.taskArn));
    }, this.#startMs);
    this.#timers.add(timer);
    return launched;
  }

  stop(taskArn: string, reason: string) {
    return this.#inner.stop(taskArn, reason);
  }

  describe(taskArns: readonly string[]): Promise<RuntimeTask[]> {
    return this.#inner.describe(taskArns);
  }

  findByEnvironment(environmentId: string) {
    return this.#inner.findByEnvironment(environmentId);
  }

  listRunning() {
    return this.#inner.listRunning();
  }

  dispose(): void {
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
  }
}

/** The RUNNING "ECS Task State Change" of a launched task, as EventBridge delivers it. */
const runningEvent = (request: LaunchRequest, taskArn: string): unknown => {
  const now = new Date().toISOString();
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
      version: 2,
      taskArn,
      clusterArn: CLUSTER_ARN,
      lastStatus: 'RUNNING',
      desiredStatus: 'RUNNING',
      startedBy: request.environmentId,
      group: `taskenv:${request.org}`,
      // Healthy once running, as the local runtimes report it: the wait is all platform start,
      // and a task with a health check becomes ready on this one event.
      healthStatus: 'HEALTHY',
      containers: Object.keys(request.task.manifest.services).map((name) => ({
        name,
        lastStatus: 'RUNNING',
        healthStatus: 'HEALTHY',
      })),
      attachments: [],
      createdAt: now,
      updatedAt: now,
    },
  };
};
