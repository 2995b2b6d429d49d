/** `--wait`: poll an environment's status until it settles, and show how it is going. */
import type { EnvironmentStatusResponse } from '#domain/api-schemas';
import type { EnvironmentState } from '#domain/environment';
import { type ApiClient, InterruptedError } from './client.ts';

export type WaitOutcome =
  | { readonly kind: 'ready' | 'failed' | 'torn_down'; readonly status: EnvironmentStatusResponse }
  | { readonly kind: 'timeout'; readonly status: EnvironmentStatusResponse };

export interface WaitOptions {
  readonly timeoutMs: number;
  readonly signal?: AbortSignal | undefined;
  /** Called after every poll. */
  readonly onStatus?: (status: EnvironmentStatusResponse) => void;
}

/** Fast first polls catch the local stack's sub-second launches; the cap keeps ECS waits cheap. */
const FIRST_POLL_DELAY_MS = 250;
const MAX_POLL_DELAY_MS = 2_000;

const settled: Partial<Record<EnvironmentState, 'ready' | 'failed' | 'torn_down'>> = {
  ready: 'ready',
  failed: 'failed',
  torn_down: 'torn_down',
};

const sleep = (ms: number, signal: AbortSignal | undefined): Promise<void> =>
  new Promise((resolve, reject) => {
    if (signal?.aborted === true) {
      reject(new InterruptedError());
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(new InterruptedError());
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });

/**
 * Polls `/status` with backoff until the environment is `ready`, `failed` or `torn_down`, or
 * `timeoutMs` passes (then one last poll at the deadline decides). `paused` keeps waiting.
 *
 * @throws InterruptedError when `signal` fires; the environment is left as it is.
 */
export const waitForEnvironment = async (
  client: ApiClient,
  id: string,
  { timeoutMs, signal, onStatus }: WaitOptions,
): Promise<WaitOutcome> => {
  const deadline = Date.now() + timeoutMs;
  let delay = FIRST_POLL_DELAY_MS;
  for (;;) {
    const status = await client.getEnvironmentStatus(id);
    onStatus?.(status);
    const kind = settled[status.state];
    if (kind !== undefined) return { kind, status };
    const remaining = deadline - Date.now();
    if (remaining <= 0) return { kind: 'timeout', status };
    await sleep(Math.min(delay, remaining), signal);
    delay = Math.min(delay * 2, MAX_POLL_DELAY_MS);
  }
};

export interface ProgressStream {
  write(chunk: string): unknown;
  readonly isTTY?: boolean | undefined;
}

export interface Progress {
  update(state: string): void;
  /** Removes the live line, so whatever follows starts on a clean line. */
  stop(): void;
}

/** `building…` while it moves, `ready` once it stops. */
const label = (state: string): string => (Object.hasOwn(settled, state) ? state : `${state}…`);

const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
const TICK_MS = 100;
const CLEAR_LINE = '\r\u001b[2K';

/**
 * On a terminal, one line redrawn in place (`⠋ building… 3.2s`); elsewhere (CI logs, pipes) one
 * plain line per state change, so logs stay readable and free of control characters.
 */
export const createProgress = (stream: ProgressStream, now: () => number = Date.now): Progress => {
  const started = now();
  const elapsed = (): string => `${((now() - started) / 1000).toFixed(1)}s`;
  let state: string | null = null;

  if (stream.isTTY !== true) {
    return {
      update(next) {
        if (next === state) return;
        state = next;
        stream.write(`${label(next)} ${elapsed()}\n`);
      },
      stop() {},
    };
  }

  let frame = 0;
  const draw = (): void => {
    if (state === null) return;
    frame = (frame + 1) % FRAMES.length;
    stream.write(`${CLEAR_LINE}${FRAMES[frame] ?? ''} ${label(state)} ${elapsed()}`);
  };
  // The elapsed time keeps moving between polls, which may be seconds apart.
  const timer = setInterval(draw, TICK_MS);
  timer.unref();
  return {
    update(next) {
      state = next;
      draw();
    },
    stop() {
      clearInterval(timer);
      if (state !== null) stream.write(CLEAR_LINE);
    },
  };
};
