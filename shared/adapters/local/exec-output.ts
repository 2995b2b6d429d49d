import {
  type ExecOptions,
  type ExecResult,
  MAX_EXEC_OUTPUT_BYTES,
  TIMED_OUT_EXIT_CODE,
} from '#ports/container-runtime';

/**
 * The `/bin/sh -c` script an exec runs for `command`: its stderr joined to its stdout first, so
 * both reach us through one pipe in the order they were written. Read from two pipes (or from
 * the Docker engine, which copies each pipe on its own), an `err` written after an `out` could
 * arrive first. The join is a statement of its own on the command's line, so a line number in
 * the shell's messages is still the command's, and a syntax error in the command is reported
 * (on stderr, which is read too) before the join runs.
 */
export const execScript = (command: string): string => `exec 2>&1; ${command}`;

/**
 * The output of one command, stdout and stderr in the order their chunks arrived, keeping the
 * first `limit` bytes. Both local runtimes write into one of these, so `output`, `truncated`
 * and the decoding are the same whichever ran the command.
 */
export class CappedOutput {
  readonly #limit: number;
  readonly #chunks: Buffer[] = [];
  #size = 0;
  #truncated = false;

  constructor(limit: number = MAX_EXEC_OUTPUT_BYTES) {
    this.#limit = limit;
  }

  /** Appends a chunk; what goes past the limit is dropped and marks the output truncated. */
  write(chunk: Buffer): void {
    if (chunk.length === 0) return;
    const room = this.#limit - this.#size;
    if (room <= 0) {
      this.#truncated = true;
      return;
    }
    const kept = chunk.length > room ? chunk.subarray(0, room) : chunk;
    if (kept.length < chunk.length) this.#truncated = true;
    // A copy: stream chunks may be pooled buffers that are reused after the callback.
    this.#chunks.push(Buffer.from(kept));
    this.#size += kept.length;
  }

  get truncated(): boolean {
    return this.#truncated;
  }

  /**
   * The kept bytes as UTF-8, invalid sequences replaced by U+FFFD. A character cut by the limit
   * is dropped rather than replaced, so a truncated output ends on whole characters.
   */
  text(): string {
    const bytes = Buffer.concat(this.#chunks, this.#size);
    const end = this.#truncated ? wholeCharacterEnd(bytes) : bytes.length;
    return new TextDecoder('utf-8', { fatal: false }).decode(bytes.subarray(0, end));
  }
}

/**
 * The end of one exec, the same for every driver: `kill` at `options.timeoutSec` or when
 * `options.signal` aborts, then the result once `exited` gives the command's exit code
 * ({@link TIMED_OUT_EXIT_CODE} after a timeout), with the output kept in `output`.
 */
export const awaitExec = async (
  options: ExecOptions,
  output: CappedOutput,
  started: number,
  kill: () => void,
  exited: () => Promise<number>,
): Promise<ExecResult> => {
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    kill();
  }, options.timeoutSec * 1000);
  const onAbort = () => kill();
  options.signal?.addEventListener('abort', onAbort, { once: true });
  if (options.signal?.aborted === true) kill();
  try {
    const exitCode = await exited();
    return {
      exitCode: timedOut ? TIMED_OUT_EXIT_CODE : exitCode,
      output: output.text(),
      truncated: output.truncated,
      timedOut,
      durationMs: Math.round(performance.now() - started),
    };
  } finally {
    clearTimeout(timer);
    options.signal?.removeEventListener('abort', onAbort);
  }
};

/** The length of `bytes` without a trailing, incomplete UTF-8 sequence. */
const wholeCharacterEnd = (bytes: Buffer): number => {
  // A UTF-8 sequence is at most 4 bytes: look back at most 3 for its lead byte.
  for (let back = 1; back <= Math.min(3, bytes.length); back += 1) {
    const byte = bytes[bytes.length - back] ?? 0;
    if ((byte & 0xc0) === 0x80) continue; // continuation byte
    const length = byte >= 0xf0 ? 4 : byte >= 0xe0 ? 3 : byte >= 0xc0 ? 2 : 1;
    return length > back ? bytes.length - back : bytes.length;
  }
  return bytes.length;
};
