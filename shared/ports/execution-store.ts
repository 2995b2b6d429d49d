import type { ExecutionJob, ExecutionOutcome, ExecutionRecord } from '#domain/execution';

/** The latest `verify` result of an environment (`EnvironmentResponse.verification`). */
export interface VerificationResult {
  readonly passed: boolean;
  readonly verifiedAt: string;
}

/** Persistence of executions and of the slots that bound how many run at once per environment. */
export interface ExecutionStore {
  /**
   * Records a running execution and takes one of the environment's slots, in one write. Slots
   * held past their execution's deadline (a runner that died) do not count.
   * @throws TooManyExecutionsError when `maxRunning` executions already run.
   */
  start(
    execution: ExecutionRecord,
    options: { readonly maxRunning: number; readonly now: Date },
  ): Promise<void>;

  /**
   * Records the outcome of `execution` (its running record) and gives the slot back, in one
   * write. Finishing a completed execution changes nothing.
   * @returns the record as now stored, or null when there is no such execution.
   */
  finish(
    execution: ExecutionRecord,
    outcome: ExecutionOutcome,
    finishedAt: Date,
  ): Promise<ExecutionRecord | null>;

  get(environmentId: string, executionId: string): Promise<ExecutionRecord | null>;

  /** Keeps the latest verify result on the environment item. */
  recordVerification(environmentId: string, result: VerificationResult): Promise<void>;
}

/**
 * How an accepted execution is run to its end. Locally the command runs in this process; on
 * AWS the exec-worker function runs it (a live SSM session cannot pass from one Lambda to
 * another), and this side waits on the item.
 */
export interface ExecutionDispatcher {
  /**
   * Runs `job` (or has it run) and resolves with the completed record once its result is stored.
   * Aborting `wait` only stops the waiting: the command goes on and its result still lands.
   */
  dispatch(job: ExecutionJob, wait: AbortSignal): Promise<ExecutionRecord>;
}

/** Ends the running executions of an environment (a DELETE of it). */
export interface ExecutionTerminator {
  endRunning(environmentId: string): Promise<void>;
}
