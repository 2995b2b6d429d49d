import type { ExecutionJob, ExecutionOutcome, ExecutionRecord } from '#domain/execution';

/** The latest `verify` result of an environment (`EnvironmentResponse.verification`). */
export interface VerificationResult {
  readonly passed: boolean;
  readonly verifiedAt: string;
}

/** What takes (and gives back) one of an environment's execution slots. */
export type ExecutionSlot = Pick<ExecutionRecord, 'environmentId' | 'id' | 'deadline'>;

/**
 * Persistence of executions and of the slots that bound how many run at once per environment.
 * An execution's record is written when its id is first handed out: at its end for a command
 * that finishes inside the sync window (one write), or as `running` when the window passes
 * (then again at its end). Until then only its slot exists, and nobody knows its id.
 */
export interface ExecutionStore {
  /**
   * Takes one of the environment's slots for `execution`, in one conditional write. Slots held
   * past their execution's deadline (a runner that died) do not count.
   * @throws TooManyExecutionsError when `maxRunning` executions already run.
   */
  start(
    execution: ExecutionSlot,
    options: { readonly maxRunning: number; readonly now: Date },
  ): Promise<void>;

  /** Gives back the slot of an execution refused after it was taken (it never ran, nothing is recorded). */
  release(execution: ExecutionSlot): Promise<void>;

  /**
   * Records `execution` (its running record) unless it already has a record.
   * @returns the record as now stored: `execution`, or the completed one when it finished first.
   */
  recordRunning(execution: ExecutionRecord): Promise<ExecutionRecord>;

  /**
   * Records the outcome of `execution` (its running record) and gives the slot back. Finishing
   * a completed execution changes nothing.
   * @returns the record as now stored.
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
