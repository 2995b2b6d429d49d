/**
 * Bench only, never production code: a {@link ContainerRuntime} decorator that makes the
 * platform take `startMs` from RunTask to RUNNING, as Fargate does (20–47 s: image pull, ENI).
 * RunTask answers at once; the task's RUNNING event reaches `onRunning` `startMs` later.
 */
import type { ContainerRuntime, LaunchRequest, RuntimeTask } from '#ports/container-runtime';
import { localRunningEvent, localTask } from './ecs-event-kinds.ts';

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

/**
 * The RUNNING "ECS Task State Change" of a launched task, as the local runtimes emit it (healthy
 * once running: the wait is all platform start, and a task with a health check becomes ready on
 * this one event). Only RUNNING is delivered, at the version the runtime gives it after
 * PROVISIONING and PENDING.
 */
const runningEvent = (request: LaunchRequest, taskArn: string): unknown =>
  localRunningEvent(
    localTask(request.environmentId, request.org, request.task, { taskArn, firstHostPort: 20_000 }),
  );
