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
 * @param granted the taking of the execution's slot, when it may still be under way: the
 *   runner prepares the command meanwhile (`CommandRunner.prepare`, which runs nothing), and
 *   it runs only once the slot is taken. A refused slot rejects with its reason: nothing ran,
 *   nothing is recorded, and the slot was never held.
 * @returns the completed record.
 */
export const runExecution = async (
  job: ExecutionJob,
  deps: RunExecutionDeps,
  signal?: AbortSignal,
  granted?: Promise<void>,
): Promise<ExecutionRecord> => {
  const options = {
    timeoutSec: job.timeoutSec,
    env: job.env,
    ...(job.workdir === null ? {} : { workdir: job.workdir }),
    ...(signal === undefined ? {} : { signal }),
  };
  // Async, so even a runner that throws at once fails here, after the slot is settled.
  const prepared =
    granted === undefined
      ? null
      : (async () => deps.runner.prepare?.(job.taskArn, job.service, job.command, options))();
  // Its failure is read below, once the slot is taken; a refused slot leaves it unread.
  prepared?.catch(() => undefined);
  if (granted !== undefined) await granted;
  const started = Date.now();
  let outcome: ExecutionOutcome;
  try {
    // A DELETE while the slot was being taken: the command never starts.
    if (signal?.aborted === true) throw new Error('The environment was deleted before the command started');
    const ready = prepared === null ? undefined : await prepared;
    const result =
      ready === undefined
        ? await deps.runner.exec(job.taskArn, job.service, job.command, options)
        : await ready.run();
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
