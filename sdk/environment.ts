/**
 * One environment as a handle: what create returned (the execute token included, which no later
 * read returns), and the data-plane calls on it. `await using env = await client.environments
 * .create(…)` tears it down when the scope ends, however it ends.
 */
import type { Environments, ExecuteOptions, WaitOptions } from './environments.ts';
import { NotFoundError } from './errors.ts';
import type {
  EnvironmentResponse,
  EnvironmentStatusResponse,
  ExecuteRequest,
  ExecuteResponse,
  KeepaliveResponse,
  LogsResponse,
  VerifyResponse,
} from './types.ts';

// Node 20.4+ defines it; older runtimes and some bundlers' targets do not. `Symbol.for` is the
// key TypeScript's own `await using` helper falls back to.
if (typeof Symbol.asyncDispose !== 'symbol') {
  Object.defineProperty(Symbol, 'asyncDispose', { value: Symbol.for('Symbol.asyncDispose') });
}

export interface CallOptions {
  readonly signal?: AbortSignal;
}

export class Environment implements AsyncDisposable {
  readonly #environments: Environments;
  #data: EnvironmentResponse;
  /** From the create answer (or its idempotent replay); null for a pooled environment's read. */
  readonly executeToken: string | null;

  constructor(environments: Environments, data: EnvironmentResponse, executeToken: string | null) {
    this.#environments = environments;
    this.#data = data;
    this.executeToken = executeToken;
  }

  get id(): string {
    return this.#data.id;
  }

  /** The environment as last read by this handle. */
  get data(): EnvironmentResponse {
    return this.#data;
  }

  get state(): EnvironmentResponse['state'] {
    return this.#data.state;
  }

  get serviceUrls(): EnvironmentResponse['service_urls'] {
    return this.#data.service_urls;
  }

  get instruction(): string | null {
    return this.#data.instruction;
  }

  /** Reads the full resource again. */
  async refresh(options: CallOptions = {}): Promise<EnvironmentResponse> {
    this.#data = await this.#environments.get(this.id, options);
    return this.#data;
  }

  status(options: CallOptions = {}): Promise<EnvironmentStatusResponse> {
    return this.#environments.status(this.id, options);
  }

  /** Polls until `ready` (see {@link Environments.waitUntilReady}) and keeps the ready resource. */
  async waitUntilReady(options: WaitOptions = {}): Promise<EnvironmentResponse> {
    this.#data = await this.#environments.waitUntilReady(this.id, options);
    return this.#data;
  }

  /** Runs `command` (as `/bin/sh -c`) and resolves with its result, polling when it outlives the server's wait. */
  async execute(
    command: string | ExecuteRequest,
    options: Omit<ExecuteOptions, 'executeToken'> = {},
  ): Promise<ExecuteResponse> {
    const body = typeof command === 'string' ? { command } : command;
    if (this.executeToken === null) {
      throw new TypeError(
        `environment ${this.id} has no execute token: only the create answer carries it (pooled environments have none)`,
      );
    }
    return this.#environments.execute(this.id, body, { ...options, executeToken: this.executeToken });
  }

  verify(answer?: string, options: CallOptions = {}): Promise<VerifyResponse> {
    return this.#environments.verify(this.id, answer === undefined ? {} : { answer }, options);
  }

  logs(options: { service?: string; tail?: number } & CallOptions = {}): Promise<LogsResponse> {
    return this.#environments.logs(this.id, options);
  }

  keepalive(extendSeconds: number, options: CallOptions = {}): Promise<KeepaliveResponse> {
    return this.#environments.keepalive(this.id, extendSeconds, options);
  }

  /** Tears it down (idempotent on the server). */
  async delete(options: CallOptions = {}): Promise<EnvironmentResponse> {
    this.#data = await this.#environments.delete(this.id, options);
    return this.#data;
  }

  /** Scope exit: tear down; an environment already gone is not an error. */
  async [Symbol.asyncDispose](): Promise<void> {
    try {
      await this.delete();
    } catch (error) {
      if (!(error instanceof NotFoundError)) throw error;
    }
  }
}
