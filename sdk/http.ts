/**
 * One request to the API, with the SDK's retry policy: 429, 5xx (500, 502, 503, 504) and
 * dropped connections are retried with exponential backoff and full jitter, waiting at least
 * what `Retry-After` asks; a fired `AbortSignal` stops at once, also between attempts.
 */
import {
  APIAbortError,
  APIConnectionError,
  type APIError,
  APITimeoutError,
  apiErrorFor,
  TaskenvError,
} from './errors.ts';
import type { ErrorEnvelope } from './types.ts';

export type Query = readonly (readonly [string, string | number | undefined])[];

/**
 * `always`: the request may be sent twice (reads, PUT, DELETE, creates with an idempotency key).
 * `unsent`: only where the server did not act on it: 429, 503 and connection refused.
 */
export type RetryMode = 'always' | 'unsent' | 'never';

export interface RequestSpec {
  readonly method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  readonly path: string;
  readonly query?: Query;
  readonly body?: unknown;
  readonly headers?: Readonly<Record<string, string>>;
  readonly retry: RetryMode;
  readonly signal?: AbortSignal | undefined;
}

export interface Answer<T> {
  readonly status: number;
  readonly headers: Headers;
  readonly body: T;
}

export interface TransportOptions {
  readonly baseUrl: string;
  readonly apiKey: string | null;
  readonly userAgent: string;
  /** Retries after the first attempt. @default 3 */
  readonly maxRetries: number;
  /** Per attempt. @default 60000 */
  readonly timeoutMs: number;
  /** First backoff; doubles per retry up to `maxBackoffMs`. @default 500 */
  readonly initialBackoffMs: number;
  /** @default 8000 */
  readonly maxBackoffMs: number;
  /** The longest `Retry-After` honoured; a longer one is an error for the caller to handle. @default 60000 */
  readonly maxRetryAfterMs: number;
  readonly fetch: typeof fetch;
  readonly signal: AbortSignal | undefined;
}

const RETRYABLE_ALWAYS = new Set([429, 500, 502, 503, 504]);
const RETRYABLE_UNSENT = new Set([429, 503]);

/** `Retry-After` in milliseconds: delta-seconds or an HTTP date; null when absent or unreadable. */
export const retryAfterMs = (headers: Headers, now = Date.now()): number | null => {
  const value = headers.get('retry-after')?.trim();
  if (value === undefined || value === '') return null;
  if (/^\d+(\.\d+)?$/.test(value)) return Number(value) * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? null : Math.max(0, date - now);
};

const sleep = (ms: number, signal: AbortSignal | undefined): Promise<void> =>
  new Promise((resolve, reject) => {
    if (signal?.aborted === true) {
      reject(new APIAbortError({ cause: signal.reason }));
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(new APIAbortError({ cause: signal?.reason }));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });

const parseJson = (text: string): unknown => {
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
};

const isEnvelope = (value: unknown): value is ErrorEnvelope =>
  typeof value === 'object' &&
  value !== null &&
  typeof (value as { code?: unknown }).code === 'number' &&
  typeof (value as { detail?: unknown }).detail === 'string' &&
  typeof (value as { type?: unknown }).type === 'string';

/** A body that is not the envelope (a proxy's page): a stand-in, so every error has one shape. */
const standInEnvelope = (status: number, statusText: string): ErrorEnvelope => ({
  code: status,
  detail: `HTTP ${status}${statusText === '' ? '' : ` ${statusText}`}`,
  type: status === 429 ? 'rate_limit_error' : status >= 500 ? 'internal_error' : 'invalid_request_error',
});

/** The socket error undici wraps in `cause` (ECONNREFUSED, ECONNRESET …). */
const causeCode = (error: unknown): string | undefined => {
  const cause = error instanceof Error ? error.cause : undefined;
  return cause instanceof Error && 'code' in cause && typeof cause.code === 'string' ? cause.code : undefined;
};

export class Transport {
  readonly #options: TransportOptions;

  constructor(options: TransportOptions) {
    this.#options = options;
  }

  get baseUrl(): string {
    return this.#options.baseUrl;
  }

  async request<T>(spec: RequestSpec): Promise<Answer<T>> {
    const signal = anySignal([this.#options.signal, spec.signal]);
    for (let attempt = 0; ; attempt++) {
      const outcome = await this.#attempt<T>(spec, signal);
      if (!('retryable' in outcome)) return outcome;
      const retriesLeft = attempt < this.#options.maxRetries;
      const allowed =
        spec.retry === 'always' ||
        (spec.retry === 'unsent' &&
          (outcome.error instanceof APIConnectionError
            ? outcome.unsent
            : RETRYABLE_UNSENT.has(outcome.error.status)));
      if (!retriesLeft || !allowed || !outcome.retryable) throw outcome.error;
      const backoff = Math.min(this.#options.maxBackoffMs, this.#options.initialBackoffMs * 2 ** attempt);
      const asked = outcome.error instanceof APIConnectionError ? null : retryAfterMs(outcome.error.headers);
      if (asked !== null && asked > this.#options.maxRetryAfterMs) throw outcome.error;
      await sleep(Math.max(asked ?? 0, Math.random() * backoff), signal);
    }
  }

  async #attempt<T>(
    spec: RequestSpec,
    signal: AbortSignal | undefined,
  ): Promise<
    | Answer<T>
    | { retryable: boolean; error: APIError; unsent?: undefined }
    | { retryable: boolean; error: APIConnectionError; unsent: boolean }
  > {
    const url = new URL(`${this.#options.baseUrl}${spec.path}`);
    for (const [key, value] of spec.query ?? []) {
      if (value !== undefined) url.searchParams.append(key, String(value));
    }
    const headers: Record<string, string> = {
      Accept: 'application/json',
      'User-Agent': this.#options.userAgent,
      ...spec.headers,
    };
    if (this.#options.apiKey !== null) headers.Authorization = `Bearer ${this.#options.apiKey}`;
    if (spec.body !== undefined) headers['Content-Type'] = 'application/json';

    const timeout = AbortSignal.timeout(this.#options.timeoutMs);
    let response: Response;
    let text: string;
    try {
      response = await this.#options.fetch(url, {
        method: spec.method,
        headers,
        signal: anySignal([signal, timeout]) ?? timeout,
        ...(spec.body === undefined ? {} : { body: JSON.stringify(spec.body) }),
      });
      text = await response.text();
    } catch (error) {
      if (signal?.aborted === true) throw new APIAbortError({ cause: signal.reason });
      if (timeout.aborted) {
        return {
          retryable: true,
          unsent: false,
          error: new APITimeoutError(
            `no answer from ${url.origin} within ${this.#options.timeoutMs} ms (${spec.method} ${url.pathname})`,
            { cause: error },
          ),
        };
      }
      const code = causeCode(error);
      return {
        retryable: true,
        unsent: code === 'ECONNREFUSED',
        error: new APIConnectionError(
          `cannot reach ${url.origin} (${spec.method} ${url.pathname}${code === undefined ? '' : `: ${code}`})`,
          { cause: error },
        ),
      };
    }
    const body = parseJson(text);
    if (!response.ok) {
      const envelope = isEnvelope(body) ? body : standInEnvelope(response.status, response.statusText);
      return {
        retryable: RETRYABLE_ALWAYS.has(response.status),
        error: apiErrorFor(response.status, envelope, response.headers),
      };
    }
    if (body === undefined && text.trim() !== '') {
      throw new TaskenvError(`the API answered ${spec.method} ${url.pathname} with a body that is not JSON`);
    }
    return { status: response.status, headers: response.headers, body: body as T };
  }
}

/** `AbortSignal.any` of the signals given (Node 20.3+), or the one signal, or none. */
const anySignal = (signals: readonly (AbortSignal | undefined)[]): AbortSignal | undefined => {
  const present = signals.filter((s): s is AbortSignal => s !== undefined);
  if (present.length <= 1) return present[0];
  return AbortSignal.any(present);
};
