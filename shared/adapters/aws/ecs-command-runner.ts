import { randomBytes } from 'node:crypto';
import { type ECSClient, ECSServiceException, ExecuteCommandCommand } from '@aws-sdk/client-ecs';
import { shellQuote } from '#domain/verification';
import {
  type CommandRunner,
  type ExecOptions,
  type ExecResult,
  ExecUnavailableError,
  TIMED_OUT_EXIT_CODE,
} from '#ports/container-runtime';
import { runSession, type SocketFactory } from './ssm-session.ts';

/** Exit code when the session ended without the marker and without a timeout (the container went away). */
const LOST_EXIT_CODE = 255;

/**
 * The one shell line ECS Exec runs. ECS Exec is interactive only (a terminal), so the wrapper
 * turns off the terminal's `\n` → `\r\n`, applies the workdir and the extra variables, runs the
 * command and prints the marker with its exit status on a line of its own.
 */
export const wrapCommand = (
  command: string,
  options: Pick<ExecOptions, 'env' | 'workdir'>,
  marker: string,
): string => {
  const exports = Object.entries(options.env ?? {})
    .map(([name, value]) => `export ${name}=${shellQuote(value)}; `)
    .join('');
  const cd = options.workdir === undefined ? '' : `cd ${shellQuote(options.workdir)} || exit 1; `;
  const script = `stty -onlcr 2>/dev/null; ${cd}${exports}/bin/sh -c ${shellQuote(command)}; printf '\\n${marker}%d\\n' $?`;
  return `/bin/sh -c ${shellQuote(script)}`;
};

/**
 * {@link CommandRunner} on ECS Exec: `ExecuteCommand` (interactive, as ECS requires) on the
 * service's container, then the SSM session over WebSocket. Tasks are started with
 * `enableExecuteCommand`, and the task role holds the `ssmmessages` channel actions the agent
 * needs. Not run against a real account (docs/exec.md).
 */
export class EcsCommandRunner implements CommandRunner {
  readonly #ecs: ECSClient;
  readonly #clusterArn: string;
  readonly #socket: SocketFactory | undefined;

  constructor(options: { ecs: ECSClient; clusterArn: string; socket?: SocketFactory }) {
    this.#ecs = options.ecs;
    this.#clusterArn = options.clusterArn;
    this.#socket = options.socket;
  }

  async exec(taskArn: string, service: string, command: string, options: ExecOptions): Promise<ExecResult> {
    const started = Date.now();
    const marker = `__TASKENV_EXIT_${randomBytes(8).toString('hex')}__`;
    let session: { streamUrl?: string | undefined; tokenValue?: string | undefined } | undefined;
    try {
      const response = await this.#ecs.send(
        new ExecuteCommandCommand({
          cluster: this.#clusterArn,
          task: taskArn,
          container: service,
          interactive: true,
          command: wrapCommand(command, options, marker),
        }),
      );
      session = response.session;
    } catch (error) {
      // The agent not running, exec not enabled, the task gone: the platform cannot run it.
      if (error instanceof ECSServiceException && error.$fault === 'client') {
        throw new ExecUnavailableError(error.message, { cause: error });
      }
      throw error;
    }
    if (session?.streamUrl === undefined || session.tokenValue === undefined) {
      throw new ExecUnavailableError('ExecuteCommand returned no session');
    }
    const outcome = await runSession({
      streamUrl: session.streamUrl,
      tokenValue: session.tokenValue,
      marker,
      timeoutMs: options.timeoutSec * 1000,
      ...(options.signal === undefined ? {} : { signal: options.signal }),
      ...(this.#socket === undefined ? {} : { socket: this.#socket }),
    });
    if (outcome.aborted) throw new Error('The execution was ended');
    return {
      exitCode: outcome.timedOut ? TIMED_OUT_EXIT_CODE : (outcome.exitCode ?? LOST_EXIT_CODE),
      output: outcome.output,
      truncated: outcome.truncated,
      timedOut: outcome.timedOut,
      durationMs: Date.now() - started,
    };
  }
}
