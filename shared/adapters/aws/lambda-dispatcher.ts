import { InvokeCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import { type ExecutionJob, type ExecutionRecord, runningRecord } from '#domain/execution';
import type { Clock } from '#ports/clock';
import type { ExecutionDispatcher, ExecutionStore } from '#ports/execution-store';

/** Polling of the execution item: fast at first (most commands are short), then every 500 ms. */
const POLL_START_MS = 25;
const POLL_MAX_MS = 500;

/**
 * {@link ExecutionDispatcher} on AWS: the exec-worker function runs every command (invoked
 * asynchronously, so it outlives this request), and this side polls the execution's item until
 * it completes or the caller stops waiting. A live SSM session cannot be handed from one Lambda
 * to another, so the command runs in the worker from its first byte.
 */
export class LambdaDispatcher implements ExecutionDispatcher {
  readonly #lambda: LambdaClient;
  readonly #functionName: string;
  readonly #executions: ExecutionStore;
  readonly #clock: Clock;

  constructor(options: {
    lambda: LambdaClient;
    functionName: string;
    executions: ExecutionStore;
    clock: Clock;
  }) {
    this.#lambda = options.lambda;
    this.#functionName = options.functionName;
    this.#executions = options.executions;
    this.#clock = options.clock;
  }

  async dispatch(job: ExecutionJob, wait: AbortSignal): Promise<ExecutionRecord> {
    try {
      const response = await this.#lambda.send(
        new InvokeCommand({
          FunctionName: this.#functionName,
          InvocationType: 'Event',
          Payload: Buffer.from(JSON.stringify(job)),
        }),
      );
      if (response.StatusCode !== 202) throw new Error(`Invoke answered ${response.StatusCode}`);
    } catch (error) {
      const failed = await this.#executions.finish(
        runningRecord(job),
        {
          exitCode: null,
          output: '',
          truncated: false,
          timedOut: false,
          durationMs: 0,
          error: 'The command could not be handed to the exec worker',
        },
        this.#clock.now(),
      );
      if (failed === null) throw error;
      return failed;
    }
    for (let delay = POLL_START_MS; ; delay = Math.min(delay * 2, POLL_MAX_MS)) {
      await sleep(delay, wait);
      if (wait.aborted) return new Promise<never>(() => undefined);
      const current = await this.#executions.get(job.environmentId, job.executionId);
      if (current !== null && current.state === 'completed') return current;
    }
  }
}

const sleep = (ms: number, signal: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        resolve();
      },
      { once: true },
    );
  });
