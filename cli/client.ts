/**
 * A small typed client for the taskenv HTTP API (`docs/api.md`). It only speaks the wire contract:
 * no retries and no response rewriting, so `--json` output is exactly what the API answered.
 */

import {
  type CreateEnvironmentRequest,
  createdKeyResponseSchema,
  type EnvironmentListResponse,
  type EnvironmentResponse,
  type EnvironmentStatusResponse,
  type ExecuteResponse,
  type ExecutionAcceptedResponse,
  type ExecutionResponse,
  environmentListResponseSchema,
  environmentResponseSchema,
  environmentStatusResponseSchema,
  executeResponseSchema,
  executionAcceptedResponseSchema,
  executionResponseSchema,
  keepaliveResponseSchema,
  keyListResponseSchema,
  type LogsResponse,
  logsResponseSchema,
  type PoolResponse,
  poolListResponseSchema,
  poolResponseSchema,
  type SecretResponse,
  secretListResponseSchema,
  secretResponseSchema,
  type TaskListResponse,
  type TaskVersionResponse,
  taskListResponseSchema,
  taskVersionResponseSchema,
  type VerifyResponse,
  verifyResponseSchema,
} from '#domain/api-schemas';
import * as z from '#shared/zod';
import packageJson from '../package.json' with { type: 'json' };
import type {
  CreatedKeyResponse,
  CreateKeyRequest,
  ExecuteRequest,
  KeepaliveResponse,
  KeyListResponse,
  PoolListResponse,
  PutSecretRequest,
  SecretListResponse,
} from '../sdk/types.ts';
import { ApiError, ConnectionError, InterruptedError, toEnvelope } from './api-errors.ts';
import { type HttpAnswer, send } from './http.ts';
import { isLoopbackUrl, type Settings } from './settings.ts';

export { ApiError, ConnectionError, type Envelope, InterruptedError } from './api-errors.ts';

export const CLIENT_VERSION: string = packageJson.version;

export interface ListEnvironmentsOptions {
  readonly states?: readonly string[];
  readonly projectId?: string;
  readonly page?: number;
  readonly limit?: number;
}

type Query = readonly (readonly [string, string])[];

interface RequestOptions {
  readonly body?: unknown;
  readonly query?: Query;
  readonly idempotencyKey?: string | undefined;
  readonly headers?: Readonly<Record<string, string>>;
  /** Told the status of a successful answer (POST execute tells 200 from 202 by it). */
  readonly onStatus?: (status: number) => void;
}

/** The body of POST execute as the CLI sends it (`docs/api.md`, "Execute"). */
export type ExecuteRequestBody = Pick<ExecuteRequest, 'command' | 'timeout_sec' | 'service' | 'env'>;

export interface ApiClientOptions {
  readonly settings: Pick<Settings, 'apiUrl' | 'apiKey' | 'org' | 'workspace'>;
  /** Aborts every request in flight; the CLI wires Ctrl-C to it. */
  readonly signal?: AbortSignal | undefined;
  /** Per request; a hung server must not hang the CLI. */
  readonly timeoutMs?: number;
}

const DEFAULT_TIMEOUT_MS = 30_000;

const segment = encodeURIComponent;

export class ApiClient {
  readonly #settings: ApiClientOptions['settings'];
  readonly #signal: AbortSignal | undefined;
  readonly #timeoutMs: number;

  constructor({ settings, signal, timeoutMs = DEFAULT_TIMEOUT_MS }: ApiClientOptions) {
    this.#settings = settings;
    this.#signal = signal;
    this.#timeoutMs = timeoutMs;
  }

  get #workspacePath(): string {
    return `/api/v1/org/${segment(this.#settings.org)}/ws/${segment(this.#settings.workspace)}`;
  }

  #orgPath(org = this.#settings.org): string {
    return `/api/v1/org/${segment(org)}`;
  }

  createEnvironment(body: CreateEnvironmentRequest, idempotencyKey?: string): Promise<EnvironmentResponse> {
    return this.#request('POST', `${this.#workspacePath}/environments`, environmentResponseSchema, {
      body,
      idempotencyKey,
    });
  }

  listEnvironments(options: ListEnvironmentsOptions = {}): Promise<EnvironmentListResponse> {
    const query: [string, string][] = (options.states ?? []).map((state) => ['state', state]);
    if (options.projectId !== undefined) query.push(['project_id', options.projectId]);
    if (options.page !== undefined) query.push(['page', String(options.page)]);
    if (options.limit !== undefined) query.push(['limit', String(options.limit)]);
    return this.#request('GET', `${this.#workspacePath}/environments`, environmentListResponseSchema, {
      query,
    });
  }

  getEnvironment(id: string): Promise<EnvironmentResponse> {
    return this.#request(
      'GET',
      `${this.#workspacePath}/environments/${segment(id)}`,
      environmentResponseSchema,
    );
  }

  getEnvironmentStatus(id: string): Promise<EnvironmentStatusResponse> {
    return this.#request(
      'GET',
      `${this.#workspacePath}/environments/${segment(id)}/status`,
      environmentStatusResponseSchema,
    );
  }

  deleteEnvironment(id: string): Promise<EnvironmentResponse> {
    return this.#request(
      'DELETE',
      `${this.#workspacePath}/environments/${segment(id)}`,
      environmentResponseSchema,
    );
  }

  keepalive(id: string, extendSeconds: number): Promise<KeepaliveResponse> {
    return this.#request(
      'POST',
      `${this.#workspacePath}/environments/${segment(id)}/keepalive`,
      keepaliveResponseSchema,
      {
        body: { extend_seconds: extendSeconds },
      },
    );
  }

  /** POST execute: 200 with the result, or 202 with a running execution to poll. */
  async execute(
    id: string,
    body: ExecuteRequestBody,
    token: string,
  ): Promise<{ status: number; body: ExecuteResponse | ExecutionAcceptedResponse }> {
    let status = 0;
    const answer = await this.#request(
      'POST',
      `${this.#workspacePath}/environments/${segment(id)}/execute`,
      z.union([executeResponseSchema, executionAcceptedResponseSchema]),
      { body, headers: { 'X-Environment-Token': token }, onStatus: (s) => (status = s) },
    );
    return { status, body: answer };
  }

  getExecution(id: string, executionId: string): Promise<ExecutionResponse> {
    return this.#request(
      'GET',
      `${this.#workspacePath}/environments/${segment(id)}/executions/${segment(executionId)}`,
      executionResponseSchema,
    );
  }

  verify(id: string, answer: string | undefined): Promise<VerifyResponse> {
    return this.#request(
      'POST',
      `${this.#workspacePath}/environments/${segment(id)}/verify`,
      verifyResponseSchema,
      {
        body: answer === undefined ? {} : { answer },
      },
    );
  }

  logs(
    id: string,
    options: { service?: string | undefined; tail?: number | undefined } = {},
  ): Promise<LogsResponse> {
    const query: [string, string][] = [];
    if (options.service !== undefined) query.push(['service', options.service]);
    if (options.tail !== undefined) query.push(['tail', String(options.tail)]);
    return this.#request(
      'GET',
      `${this.#workspacePath}/environments/${segment(id)}/logs`,
      logsResponseSchema,
      {
        query,
      },
    );
  }

  publishTask(manifest: unknown): Promise<TaskVersionResponse> {
    return this.#request('POST', `${this.#orgPath()}/tasks`, taskVersionResponseSchema, { body: manifest });
  }

  listTasks(): Promise<TaskListResponse> {
    return this.#request('GET', `${this.#orgPath()}/tasks`, taskListResponseSchema);
  }

  /**
   * One task: `org` defaults to the configured org; `version` absent means the latest visible.
   * `@` stays literal: it is a legal path character and the API splits the segment on it.
   */
  getTask(
    name: string,
    options: { org?: string | undefined; version?: string | undefined } = {},
  ): Promise<TaskVersionResponse> {
    const version = options.version === undefined ? '' : `@${segment(options.version)}`;
    return this.#request(
      'GET',
      `${this.#orgPath(options.org)}/tasks/${segment(name)}${version}`,
      taskVersionResponseSchema,
    );
  }

  putSecret(id: string, body: PutSecretRequest): Promise<SecretResponse> {
    return this.#request('PUT', `${this.#workspacePath}/secrets/${segment(id)}`, secretResponseSchema, {
      body,
    });
  }

  listSecrets(): Promise<SecretListResponse> {
    return this.#request('GET', `${this.#workspacePath}/secrets`, secretListResponseSchema);
  }

  putPool(ref: string, size: number): Promise<PoolResponse> {
    return this.#request('PUT', `${this.#orgPath()}/pools/${segment(ref)}`, poolResponseSchema, {
      body: { size },
    });
  }

  listPools(): Promise<PoolListResponse> {
    return this.#request('GET', `${this.#orgPath()}/pools`, poolListResponseSchema);
  }

  async deletePool(ref: string): Promise<void> {
    await this.#send('DELETE', `${this.#orgPath()}/pools/${segment(ref)}`);
  }

  async deleteSecret(id: string): Promise<void> {
    await this.#send('DELETE', `${this.#workspacePath}/secrets/${segment(id)}`);
  }

  createKey(body: CreateKeyRequest): Promise<CreatedKeyResponse> {
    return this.#request('POST', `${this.#orgPath()}/keys`, createdKeyResponseSchema, { body });
  }

  listKeys(): Promise<KeyListResponse> {
    return this.#request('GET', `${this.#orgPath()}/keys`, keyListResponseSchema);
  }

  async revokeKey(id: string): Promise<void> {
    await this.#send('DELETE', `${this.#orgPath()}/keys/${segment(id)}`);
  }

  /**
   * One request whose 2xx body must match `schema` (the server's own response schema): an answer
   * that does not is an `invalid_response` error naming the field, not a value typed as what it
   * is not. What is returned is the body as sent, so `--json` prints exactly what the API said.
   */
  async #request<T>(
    method: string,
    path: string,
    schema: z.ZodMiniType<T>,
    options: RequestOptions = {},
  ): Promise<T> {
    const json = await this.#send(method, path, options);
    if (!matches(schema, json)) {
      const issue = schema.safeParse(json).error?.issues[0];
      throw new ApiError(0, {
        code: 0,
        detail: `the API's answer to ${method} ${path} does not match its schema${
          issue === undefined ? '' : ` at ${issue.path.join('.') || 'the body'}: ${issue.message}`
        }`,
        type: 'invalid_response',
      });
    }
    return json;
  }

  /** One request; its parsed JSON body (undefined for an empty one), or the error it answered. */
  async #send(method: string, path: string, options: RequestOptions = {}): Promise<unknown> {
    const url = new URL(`${this.#settings.apiUrl}${path}`);
    for (const [key, value] of options.query ?? []) url.searchParams.append(key, value);

    const headers: Record<string, string> = {
      Accept: 'application/json',
      'X-Taskenv-Client-Version': CLIENT_VERSION,
    };
    if (this.#settings.apiKey !== null) headers.Authorization = `Bearer ${this.#settings.apiKey}`;
    if (options.body !== undefined) headers['Content-Type'] = 'application/json';
    if (options.idempotencyKey !== undefined) headers['Idempotency-Key'] = options.idempotencyKey;
    Object.assign(headers, options.headers);

    const timeout = AbortSignal.timeout(this.#timeoutMs);
    const signal = this.#signal === undefined ? timeout : AbortSignal.any([this.#signal, timeout]);

    let response: HttpAnswer;
    try {
      response = await send(url, {
        method,
        headers,
        signal,
        ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
      });
    } catch (error) {
      if (this.#signal?.aborted === true) throw new InterruptedError();
      throw this.#connectionError(error, timeout.aborted);
    }
    const { text } = response;

    options.onStatus?.(response.status);
    const json = parseJson(text);
    if (!response.ok) throw new ApiError(response.status, toEnvelope(response, json));
    if (json === undefined && text.trim() !== '') {
      throw new ApiError(response.status, {
        code: response.status,
        detail: `the API answered ${method} ${url.pathname} with a body that is not JSON`,
        type: 'invalid_response',
      });
    }
    return json;
  }

  #connectionError(error: unknown, timedOut: boolean): ConnectionError {
    const base = this.#settings.apiUrl;
    if (timedOut) {
      return new ConnectionError(`no answer from ${base} within ${this.#timeoutMs / 1000}s`, {
        cause: error,
      });
    }
    const hint = isLoopbackUrl(base) ? ' — is `npm start` running?' : '';
    const reason = describeCause(error);
    return new ConnectionError(`cannot reach ${base}${hint}${reason === '' ? '' : ` (${reason})`}`, {
      cause: error,
    });
  }
}

const parseJson = (text: string): unknown => {
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
};

/** The socket error's code (ECONNREFUSED) is what a user can act on. */
const describeCause = (error: unknown): string => {
  if (error instanceof Error && 'code' in error && typeof error.code === 'string') return error.code;
  const cause = error instanceof Error ? error.cause : undefined;
  if (cause instanceof Error && 'code' in cause && typeof cause.code === 'string') return cause.code;
  if (cause instanceof Error) return cause.message;
  return error instanceof Error ? error.message : String(error);
};

/** Whether `value` satisfies `schema`; the value itself is kept (zod's parsed copy drops fields it does not know). */
const matches = <T>(schema: z.ZodMiniType<T>, value: unknown): value is T => schema.safeParse(value).success;
