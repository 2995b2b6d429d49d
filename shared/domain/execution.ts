/**
 * Executions: one command run inside an environment (`docs/api.md`, "Execute"), and the rules of
 * the data plane that do not depend on where the command runs.
 */
import * as z from '#shared/zod';
import { sha256Hex } from './digest.ts';

/** At most this many executions run at once in one environment; one more is a 429. */
export const MAX_RUNNING_EXECUTIONS = 8;

/** Execution items are deleted by DynamoDB's TTL this long after they started. */
export const EXECUTION_RETENTION_SEC = 24 * 3600;

/** How long POST execute waits for the command before answering 202 (deployment setting). */
export const DEFAULT_SYNC_WINDOW_MS = 20_000;

/** `verify`'s script output is capped at this many bytes (`docs/api.md`, "Verify"). */
export const MAX_VERIFY_OUTPUT_BYTES = 64 * 1024;

/** Exit code recorded for a command ended by a DELETE of its environment (killed, as SIGKILL reports it). */
export const ENDED_BY_DELETE_EXIT_CODE = 137;

export const executionStates = ['running', 'completed'] as const;
export type ExecutionState = (typeof executionStates)[number];

/**
 * What an execution's output is kept as. `command`: as the command wrote it. `digest`: only the
 * SHA-256 of the trimmed output (a verification flag file: the flag never lands in a record).
 * `verify-script`: the output capped at {@link MAX_VERIFY_OUTPUT_BYTES}.
 */
export const executionPurposes = ['command', 'digest', 'verify-script'] as const;
export type ExecutionPurpose = (typeof executionPurposes)[number];

/** An accepted execution: everything needed to run it, in the execute function or in a worker. */
export const executionJobSchema = z.object({
  environmentId: z.string(),
  executionId: z.string(),
  taskArn: z.string(),
  service: z.string(),
  command: z.string(),
  timeoutSec: z.int(),
  env: z.record(z.string(), z.string()),
  workdir: z.nullable(z.string()),
  purpose: z.enum(executionPurposes),
  startedAt: z.string(),
});
export type ExecutionJob = z.infer<typeof executionJobSchema>;

/** An execution as stored (`ENV#<id>` / `EXEC#<execution id>`). */
export interface ExecutionRecord {
  readonly environmentId: string;
  readonly id: string;
  readonly state: ExecutionState;
  readonly service: string;
  readonly purpose: ExecutionPurpose;
  readonly startedAt: string;
  /**
   * When the command is over at the latest (start + timeout + a grace): a slot still held past
   * it belongs to an execution whose runner died, and is given back.
   */
  readonly deadline: string;
  readonly finishedAt: string | null;
  readonly exitCode: number | null;
  readonly output: string | null;
  readonly truncated: boolean | null;
  readonly timedOut: boolean | null;
  readonly durationMs: number | null;
  /** Set when the platform could not run the command at all (a 502); safe to show. */
  readonly error: string | null;
}

/** What a finished command left, as recorded. */
export interface ExecutionOutcome {
  readonly exitCode: number | null;
  readonly output: string;
  readonly truncated: boolean;
  readonly timedOut: boolean;
  readonly durationMs: number;
  readonly error: string | null;
}

/** Seconds a runner may take past the command's own timeout (killing it, writing the result). */
export const EXECUTION_GRACE_SEC = 30;

export const executionDeadline = (startedAt: string, timeoutSec: number): string =>
  new Date(Date.parse(startedAt) + (timeoutSec + EXECUTION_GRACE_SEC) * 1000).toISOString();

/** The record of an accepted execution, before it finishes. */
export const runningRecord = (job: ExecutionJob): ExecutionRecord => ({
  environmentId: job.environmentId,
  id: job.executionId,
  state: 'running',
  service: job.service,
  purpose: job.purpose,
  startedAt: job.startedAt,
  deadline: executionDeadline(job.startedAt, job.timeoutSec),
  finishedAt: null,
  exitCode: null,
  output: null,
  truncated: null,
  timedOut: null,
  durationMs: null,
  error: null,
});

/** The first `maxBytes` bytes of `text` in UTF-8, never cutting a character in two. */
export const capUtf8 = (text: string, maxBytes: number): { text: string; truncated: boolean } => {
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length <= maxBytes) return { text, truncated: false };
  let end = maxBytes;
  // Step back over continuation bytes (10xxxxxx) so the cut falls between characters.
  while (end > 0 && ((bytes[end] ?? 0) & 0xc0) === 0x80) end--;
  return { text: bytes.subarray(0, end).toString('utf8'), truncated: true };
};

/** The outcome as kept for `purpose`: the flag file reduced to its digest, the script's output capped. */
export const outcomeFor = (purpose: ExecutionPurpose, outcome: ExecutionOutcome): ExecutionOutcome => {
  if (purpose === 'digest') {
    return { ...outcome, output: sha256Hex(outcome.output.trim()), truncated: false };
  }
  if (purpose === 'verify-script') {
    const capped = capUtf8(outcome.output, MAX_VERIFY_OUTPUT_BYTES);
    return { ...outcome, output: capped.text, truncated: outcome.truncated || capped.truncated };
  }
  return outcome;
};
