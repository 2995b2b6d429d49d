/** `client.tasks`, `client.secrets`, `client.pools`, `client.keys` (`docs/api.md`). */
import type { RequestSpec, RetryMode, Transport } from './http.ts';
import type {
  CreatedKeyResponse,
  CreateKeyRequest,
  KeyListResponse,
  PoolListResponse,
  PoolResponse,
  PutSecretRequest,
  SecretListResponse,
  SecretResponse,
  TaskListResponse,
  TaskManifestInput,
  TaskVersionResponse,
} from './types.ts';

export interface CallOptions {
  readonly signal?: AbortSignal;
}

const segment = encodeURIComponent;

/** One call of these resources: the answer's body; retried as `retry` says (default `always`). */
const call = async <T>(
  transport: Transport,
  method: RequestSpec['method'],
  path: string,
  options: CallOptions,
  extra: { readonly body?: unknown; readonly retry?: RetryMode } = {},
): Promise<T> =>
  (
    await transport.request<T>({
      method,
      path,
      ...(extra.body === undefined ? {} : { body: extra.body }),
      retry: extra.retry ?? 'always',
      signal: options.signal,
    })
  ).body;

/** `name@version` as one path segment: `@` stays literal, the API splits the segment on it. */
const versionedSegment = (ref: string): string => {
  const at = ref.lastIndexOf('@');
  if (at <= 0) throw new TypeError(`'${ref}' must be name@version`);
  return `${segment(ref.slice(0, at))}@${segment(ref.slice(at + 1))}`;
};

export class Tasks {
  readonly #transport: Transport;
  readonly #org: string;

  constructor(transport: Transport, org: string) {
    this.#transport = transport;
    this.#org = org;
  }

  /** Publishes a version (the manifest as JSON); a name@version that exists is an `AlreadyExistsError`. */
  async publish(manifest: TaskManifestInput, options: CallOptions = {}): Promise<TaskVersionResponse> {
    // A repeat after a lost answer hits 409 rather than a second version, so `unsent` only.
    return call<TaskVersionResponse>(
      this.#transport,
      'POST',
      `/api/v1/org/${segment(this.#org)}/tasks`,
      options,
      {
        body: manifest,
        retry: 'unsent',
      },
    );
  }

  /** The org's tasks and the public ones. */
  async list(options: CallOptions = {}): Promise<TaskListResponse> {
    const path = `/api/v1/org/${segment(this.#org)}/tasks`;
    return call<TaskListResponse>(this.#transport, 'GET', path, options);
  }

  /** One version (`name@version`), or the latest visible one (`name`); `org` defaults to the client's. */
  async get(ref: string, options: CallOptions & { org?: string } = {}): Promise<TaskVersionResponse> {
    const name = ref.includes('@') ? versionedSegment(ref) : segment(ref);
    const path = `/api/v1/org/${segment(options.org ?? this.#org)}/tasks/${name}`;
    return call<TaskVersionResponse>(this.#transport, 'GET', path, options);
  }
}

export class Secrets {
  readonly #transport: Transport;
  readonly #base: string;

  constructor(transport: Transport, workspacePath: string) {
    this.#transport = transport;
    this.#base = `${workspacePath}/secrets`;
  }

  /** Creates or replaces; the answer never carries the value. */
  async put(id: string, body: PutSecretRequest, options: CallOptions = {}): Promise<SecretResponse> {
    const path = `${this.#base}/${segment(id)}`;
    return call<SecretResponse>(this.#transport, 'PUT', path, options, { body });
  }

  async list(options: CallOptions = {}): Promise<SecretListResponse> {
    return call<SecretListResponse>(this.#transport, 'GET', this.#base, options);
  }

  async delete(id: string, options: CallOptions = {}): Promise<void> {
    const path = `${this.#base}/${segment(id)}`;
    await call<unknown>(this.#transport, 'DELETE', path, options);
  }
}

export class Pools {
  readonly #transport: Transport;
  readonly #base: string;

  constructor(transport: Transport, org: string) {
    this.#transport = transport;
    this.#base = `/api/v1/org/${segment(org)}/pools`;
  }

  /** Keeps `size` (0..100) started environments of `name@version` waiting. */
  async set(ref: string, size: number, options: CallOptions = {}): Promise<PoolResponse> {
    const path = `${this.#base}/${versionedSegment(ref)}`;
    return call<PoolResponse>(this.#transport, 'PUT', path, options, { body: { size } });
  }

  async list(options: CallOptions = {}): Promise<PoolListResponse> {
    return call<PoolListResponse>(this.#transport, 'GET', this.#base, options);
  }

  async get(ref: string, options: CallOptions = {}): Promise<PoolResponse> {
    const path = `${this.#base}/${versionedSegment(ref)}`;
    return call<PoolResponse>(this.#transport, 'GET', path, options);
  }

  /** Stops its waiting tasks and removes it. */
  async delete(ref: string, options: CallOptions = {}): Promise<void> {
    const path = `${this.#base}/${versionedSegment(ref)}`;
    await call<unknown>(this.#transport, 'DELETE', path, options);
  }
}

export class Keys {
  readonly #transport: Transport;
  readonly #base: string;

  constructor(transport: Transport, org: string) {
    this.#transport = transport;
    this.#base = `/api/v1/org/${segment(org)}/keys`;
  }

  /** Creates a key; `key` is in this answer only. Not retried after it may have been sent: a repeat would mint a second key. */
  async create(body: CreateKeyRequest, options: CallOptions = {}): Promise<CreatedKeyResponse> {
    return call<CreatedKeyResponse>(this.#transport, 'POST', this.#base, options, { body, retry: 'unsent' });
  }

  async list(options: CallOptions = {}): Promise<KeyListResponse> {
    return call<KeyListResponse>(this.#transport, 'GET', this.#base, options);
  }

  /** Revokes it; it fails from the next request on. */
  async delete(id: string, options: CallOptions = {}): Promise<void> {
    const path = `${this.#base}/${segment(id)}`;
    await call<unknown>(this.#transport, 'DELETE', path, options);
  }
}
