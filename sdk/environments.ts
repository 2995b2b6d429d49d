/** `client.environments`: the workspace's environments and their data plane (`docs/api.md`). */
import { Environment } from './environment.ts';
import { EnvironmentFailedError, WaitTimeoutError } from './errors.ts';
import type { Query, Transport } from './http.ts';
import type {
  CreateEnvironmentRequest,
  EnvironmentListResponse,
  EnvironmentResponse,
  EnvironmentState,
  EnvironmentStatusResponse,
  ExecuteRequest,
  ExecuteResponse,
  ExecutionAcceptedResponse,
  ExecutionResponse,
  KeepaliveResponse,
  LogsResponse,
  VerifyRequest,
  VerifyResponse,
} from './types.ts';

export interface CallOptions {
  readonly signal?: AbortSignal;
}

export interface WaitOptions extends CallOptions {
  /** @default 600000 (10 min) */
  readonly timeoutMs?: number;
  /** First poll interval; grows to 2 s. @default 500 */
  readonly intervalMs?: number;
}

export interface CreateOptions extends CallOptions {
  /**
   * Resolve only once the environment is `ready` (true, or the wait's options). A `failed` or
   * `torn_down` end is an {@link EnvironmentFailedError}. @default false
   */
  readonly wait?: boolean | Omit<WaitOptions, 'signal'>;
  /** Sent as `Idempotency-Key`; one is generated when absent, so a retried create launches once. */
  readonly idempotencyKey?: string;
}

export interface ListOptions extends CallOptions {
  readonly state?: EnvironmentState | readonly EnvironmentState[];
  readonly projectId?: string;
  /** Page size, 1..200. @default 50 */
  readonly limit?: number;
}

export interface ExecuteOptions extends CallOptions {
  /** The `execute_token` of the create answer, sent as `X-Environment-Token`. */
  readonly executeToken: string;
  /** Polling interval when the command outlives the server's wait (202). @default 1000 */
  readonly pollIntervalMs?: number;
}

const sleep = (ms: number, signal: AbortSignal | undefined): Promise<void> =>
  new Promise((resolve, reject) => {
    const timer = setTimeout(done, ms);
    function done(): void {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }
    function onAbort(): void {
      clearTimeout(timer);
      reject(signal?.reason);
    }
    signal?.addEventListener('abort', onAbort, { once: true });
  });

export class Environments {
  readonly #transport: Transport;
  readonly #base: string;

  constructor(transport: Transport, workspacePath: string) {
    this.#transport = transport;
    this.#base = `${workspacePath}/environments`;
  }

  #path(id: string, tail = ''): string {
    return `${this.#base}/${encodeURIComponent(id)}${tail}`;
  }

  /**
   * Provisions an environment. Retries are safe: the request carries an `Idempotency-Key`, so
   * the server answers a repeat with the first answer (execute token included) and launches once.
   */
  async create(body: CreateEnvironmentRequest, options: CreateOptions = {}): Promise<Environment> {
    const created = await this.#transport.request<EnvironmentResponse>({
      method: 'POST',
      path: this.#base,
      body,
      headers: { 'Idempotency-Key': options.idempotencyKey ?? globalThis.crypto.randomUUID() },
      retry: 'always',
      signal: options.signal,
    });
    const environment = new Environment(this, created.body, created.body.execute_token);
    if (options.wait === undefined || options.wait === false) return environment;
    const waitOptions = options.wait === true ? {} : options.wait;
    try {
      await environment.waitUntilReady({
        ...waitOptions,
        ...(options.signal === undefined ? {} : { signal: options.signal }),
      });
    } catch (error) {
      // Nobody holds a handle to it yet: a wait that did not end in `ready` must not leak it.
      await this.delete(environment.id).catch(() => undefined);
      throw error;
    }
    return environment;
  }

  async get(id: string, options: CallOptions = {}): Promise<EnvironmentResponse> {
    return (await this.#get<EnvironmentResponse>(this.#path(id), options)).body;
  }

  async status(id: string, options: CallOptions = {}): Promise<EnvironmentStatusResponse> {
    return (await this.#get<EnvironmentStatusResponse>(this.#path(id, '/status'), options)).body;
  }

  /** One page (1-based), newest first. */
  async page(page: number, options: ListOptions = {}): Promise<EnvironmentListResponse> {
    const states = options.state === undefined ? [] : [options.state].flat();
    const query: Query = [
      ...states.map((state) => ['state', state] as const),
      ['project_id', options.projectId],
      ['page', page],
      ['limit', options.limit],
    ];
    return (await this.#get<EnvironmentListResponse>(this.#base, options, query)).body;
  }

  /** Every environment matching the filter, newest first, fetching pages as iteration goes. */
  async *list(options: ListOptions = {}): AsyncGenerator<EnvironmentResponse, void, undefined> {
    for (let page = 1; ; page++) {
      const answer = await this.page(page, options);
      yield* answer.environments;
      if (!answer.has_next) return;
    }
  }

  async keepalive(id: string, extendSeconds: number, options: CallOptions = {}): Promise<KeepaliveResponse> {
    const answer = await this.#transport.request<KeepaliveResponse>({
      method: 'POST',
      path: this.#path(id, '/keepalive'),
      body: { extend_seconds: extendSeconds },
      retry: 'always',
      signal: options.signal,
    });
    return answer.body;
  }

  /** Tears it down; idempotent, so a retry or a second call answers the same `torn_down` resource. */
  async delete(id: string, options: CallOptions = {}): Promise<EnvironmentResponse> {
    const answer = await this.#transport.request<EnvironmentResponse>({
      method: 'DELETE',
      path: this.#path(id),
      retry: 'always',
      signal: options.signal,
    });
    return answer.body;
  }

  /**
   * Polls `…/status` until `ready`, then reads the full resource (`ready` means every health
   * probe passed and `service_urls` is set). `failed`/`torn_down` → {@link EnvironmentFailedError},
   * out of time → {@link WaitTimeoutError}.
   */
  async waitUntilReady(id: string, options: WaitOptions = {}): Promise<EnvironmentResponse> {
    const timeoutMs = options.timeoutMs ?? 600_000;
    const started = Date.now();
    let interval = options.intervalMs ?? 500;
    for (;;) {
      const status = await this.status(id, options);
      if (status.state === 'ready') return this.get(id, options);
      if (status.state === 'failed' || status.state === 'torn_down') {
        throw new EnvironmentFailedError(id, status.state, status.error);
      }
      const waited = Date.now() - started;
      if (waited >= timeoutMs) throw new WaitTimeoutError(id, status.state, waited);
      await sleep(Math.min(interval, timeoutMs - waited), options.signal);
      interval = Math.min(2_000, interval * 1.5);
    }
  }

  /**
   * Runs a command in a `ready` environment. A command still running after the server's wait
   * (202) is polled through `…/executions/{id}` until it completes. Only refusals the server did
   * not act on (429, 503, connection refused) are retried: a command is not run twice.
   */
  async execute(id: string, body: ExecuteRequest, options: ExecuteOptions): Promise<ExecuteResponse> {
    const answer = await this.#transport.request<ExecuteResponse | ExecutionAcceptedResponse>({
      method: 'POST',
      path: this.#path(id, '/execute'),
      body,
      headers: { 'X-Environment-Token': options.executeToken },
      retry: 'unsent',
      signal: options.signal,
    });
    if (answer.status !== 202) return answer.body as ExecuteResponse;
    const interval = options.pollIntervalMs ?? 1_000;
    const accepted = answer.body as ExecutionAcceptedResponse;
    for (;;) {
      await sleep(interval, options.signal);
      const execution = await this.execution(id, accepted.id, options);
      if (execution.state === 'completed') return completed(execution);
    }
  }

  async execution(id: string, executionId: string, options: CallOptions = {}): Promise<ExecutionResponse> {
    const path = this.#path(id, `/executions/${encodeURIComponent(executionId)}`);
    return (await this.#get<ExecutionResponse>(path, options)).body;
  }

  /** Runs the task's verification; `answer` is for `flag` tasks without a `path`. */
  async verify(id: string, body: VerifyRequest = {}, options: CallOptions = {}): Promise<VerifyResponse> {
    const answer = await this.#transport.request<VerifyResponse>({
      method: 'POST',
      path: this.#path(id, '/verify'),
      body,
      retry: 'unsent',
      signal: options.signal,
    });
    return answer.body;
  }

  async logs(
    id: string,
    options: { service?: string; tail?: number } & CallOptions = {},
  ): Promise<LogsResponse> {
    const query: Query = [
      ['service', options.service],
      ['tail', options.tail],
    ];
    return (await this.#get<LogsResponse>(this.#path(id, '/logs'), options, query)).body;
  }

  #get<T>(path: string, options: CallOptions, query?: Query) {
    return this.#transport.request<T>({
      method: 'GET',
      path,
      retry: 'always',
      signal: options.signal,
      ...(query === undefined ? {} : { query }),
    });
  }
}

/** A completed execution in the shape of the 200 answer. */
const completed = (execution: ExecutionResponse): ExecuteResponse => ({
  id: execution.id,
  exit_code: execution.exit_code ?? 0,
  output: execution.output ?? '',
  truncated: execution.truncated ?? false,
  timed_out: execution.timed_out ?? false,
  duration_ms: execution.duration_ms ?? 0,
});
