import type { ExecutionJob, ExecutionRecord } from '#domain/execution';
import type { ExecutionDispatcher, ExecutionTerminator } from '#ports/execution-store';
import { type RunExecutionDeps, runExecution } from '#use-cases/run-execution';

/**
 * The local stack's continuation: every execution runs in this process to its end, whether or
 * not the request that started it still waits (a 202 leaves it running here). A DELETE of the
 * environment aborts its executions, which kills their commands.
 */
export class InProcessDispatcher implements ExecutionDispatcher, ExecutionTerminator {
  readonly #deps: RunExecutionDeps;
  readonly #running = new Map<string, Set<AbortController>>();
  readonly #onError: (error: unknown) => void;

  constructor(
    deps: RunExecutionDeps,
    { onError = () => undefined }: { onError?: (error: unknown) => void } = {},
  ) {
    this.#deps = deps;
    this.#onError = onError;
  }

  dispatch(job: ExecutionJob, _wait: AbortSignal): Promise<ExecutionRecord> {
    const controller = new AbortController();
    const ofEnvironment = this.#running.get(job.environmentId) ?? new Set<AbortController>();
    ofEnvironment.add(controller);
    this.#running.set(job.environmentId, ofEnvironment);
    const run = runExecution(job, this.#deps, controller.signal).finally(() => {
      ofEnvironment.delete(controller);
      if (ofEnvironment.size === 0) this.#running.delete(job.environmentId);
    });
    // Nobody may be waiting any more (a 202 was answered): its failure must still be seen.
    run.catch(this.#onError);
    return run;
  }

  async endRunning(environmentId: string): Promise<void> {
    for (const controller of this.#running.get(environmentId) ?? []) controller.abort();
  }

  /** How many executions run now (all environments). */
  get runningCount(): number {
    let count = 0;
    for (const set of this.#running.values()) count += set.size;
    return count;
  }

  /** Ends every execution (the local stack stops). */
  async endAll(): Promise<void> {
    for (const id of [...this.#running.keys()]) await this.endRunning(id);
  }
}
