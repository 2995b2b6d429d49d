import {
  ENDED_BY_DELETE_EXIT_CODE,
  type ExecutionJob,
  type ExecutionOutcome,
  type ExecutionRecord,
  outcomeFor,
  runningRecord,
} from '#domain/execution';
import type { Clock } from '#ports/clock';
import { type CommandRunner, ExecUnavailableError } from '#ports/container-runtime';
import type { ExecutionStore } from '#ports/execution-store';

export interface RunExecutionDeps {
  readonly runner: CommandRunner;
  readonly executions: ExecutionStore;
  readonly clock: Clock;
}

/**
 * Runs an accepted execution's command and records its outcome (giving its slot back): the
 * job of the local in-process continuation and of the exec-worker function alike.
 *
 * @param signal aborted by a DELETE of the environment: the command is killed, and the
 *   execution is recorded as ended ({@link ENDED_BY_DELETE_EXIT_CODE}).
 * @returns the completed record.
 */
export const runExecution = async (
  job: ExecutionJob,
  deps: RunExecutionDeps,
  signal?: AbortSignal,
): Promise<ExecutionRecord> => {
  const started = Date.now();
  let outcome: ExecutionOutcome;
  try {
    const result = await deps.runner.exec(job.taskArn, job.service, job.command, {
      timeoutSec: job.timeoutSec,
      env: job.env,
      ...(job.workdir === null ? {} : { workdir: job.workdir }),
      ...(signal === undefined ? {} : { signal }),
    });
    outcome = { ...result, error: null };
  } catch (error) {
    const durationMs = Date.now() - started;
    if (signal?.aborted === true) {
      outcome = {
        exitCode: ENDED_BY_DELETE_EXIT_CODE,
        output: '',
        truncated: false,
        timedOut: false,
        durationMs,
        error: null,
      };
    } else if (error instanceof ExecUnavailableError) {
      outcome = {
        exitCode: null,
        output: '',
        truncated: false,
        timedOut: false,
        durationMs,
        error: `The platform could not run the command: ${error.message}`,
      };
    } else {
      // Unexpected: still complete the item and free the slot, then let the caller see it.
      await record(job, deps, {
        exitCode: null,
        output: '',
        truncated: false,
        timedOut: false,
        durationMs,
        error: 'The command could not be run',
      });
      throw error;
    }
  }
  return record(job, deps, outcomeFor(job.purpose, outcome));
};

const record = async (
  job: ExecutionJob,
  deps: RunExecutionDeps,
  outcome: ExecutionOutcome,
): Promise<ExecutionRecord> => {
  const finished = await deps.executions.finish(runningRecord(job), outcome, deps.clock.now());
  if (finished === null) throw new Error(`Execution ${job.executionId} has no record`);
  return finished;
};
