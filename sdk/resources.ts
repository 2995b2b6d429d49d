/** `client.tasks`, `client.secrets`, `client.pools`, `client.keys` (`docs/api.md`). */
import type { Transport } from './http.ts';
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
    const answer = await this.#transport.request<TaskVersionResponse>({
      method: 'POST',
      path: `/api/v1/org/${segment(this.#org)}/tasks`,
      body: manifest,
      retry: 'unsent',
      signal: options.signal,
    });
    return answer.body;
  }

  /** The org's tasks and the public ones. */
  async list(options: CallOptions = {}): Promise<TaskListResponse> {
    const path = `/api/v1/org/${segment(this.#org)}/tasks`;
    return (
      await this.#transport.request<TaskListResponse>({
        method: 'GET',
        path,
        retry: 'always',
        signal: options.signal,
      })
    ).body;
  }

  /** One version (`name@version`), or the latest visible one (`name`); `org` defaults to the client's. */
  async get(ref: string, options: CallOptions & { org?: string } = {}): Promise<TaskVersionResponse> {
    const name = ref.includes('@') ? versionedSegment(ref) : segment(ref);
    const path = `/api/v1/org/${segment(options.org ?? this.#org)}/tasks/${name}`;
    return (
      await this.#transport.request<TaskVersionResponse>({
        method: 'GET',
        path,
        retry: 'always',
        signal: options.signal,
      })
    ).body;
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
    return (
      await this.#transport.request<SecretResponse>({
        method: 'PUT',
        path,
        body,
        retry: 'always',
        signal: options.signal,
      })
    ).body;
  }

  async list(options: CallOptions = {}): Promise<SecretListResponse> {
    return (
      await this.#transport.request<SecretListResponse>({
        method: 'GET',
        path: this.#base,
        retry: 'always',
        signal: options.signal,
      })
    ).body;
  }

  async delete(id: string, options: CallOptions = {}): Promise<void> {
    const path = `${this.#base}/${segment(id)}`;
    await this.#transport.request<unknown>({
      method: 'DELETE',
      path,
      retry: 'always',
      signal: options.signal,
    });
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
    return (
      await this.#transport.request<PoolResponse>({
        method: 'PUT',
        path,
        body: { size },
        retry: 'always',
        signal: options.signal,
      })
    ).body;
  }

  async list(options: CallOptions = {}): Promise<PoolListResponse> {
    return (
      await this.#transport.request<PoolListResponse>({
        method: 'GET',
        path: this.#base,
        retry: 'always',
        signal: options.signal,
      })
    ).body;
  }

  async get(ref: string, options: CallOptions = {}): Promise<PoolResponse> {
    const path = `${this.#base}/${versionedSegment(ref)}`;
    return (
      await this.#transport.request<PoolResponse>({
        method: 'GET',
        path,
        retry: 'always',
        signal: options.signal,
      })
    ).body;
  }

  /** Stops its waiting tasks and removes it. */
  async delete(ref: string, options: CallOptions = {}): Promise<void> {
    const path = `${this.#base}/${versionedSegment(ref)}`;
    await this.#transport.request<unknown>({
      method: 'DELETE',
      path,
      retry: 'always',
      signal: options.signal,
    });
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
    return (
      await this.#transport.request<CreatedKeyResponse>({
        method: 'POST',
        path: this.#base,
        body,
        retry: 'unsent',
        signal: options.signal,
      })
    ).body;
  }

  async list(options: CallOptions = {}): Promise<KeyListResponse> {
    return (
      await this.#transport.request<KeyListResponse>({
        method: 'GET',
        path: this.#base,
        retry: 'always',
        signal: options.signal,
      })
    ).body;
  }

  /** Revokes it; it fails from the next request on. */
  async delete(id: string, options: CallOptions = {}): Promise<void> {
    const path = `${this.#base}/${segment(id)}`;
    await this.#transport.request<unknown>({
      method: 'DELETE',
      path,
      retry: 'always',
      signal: options.signal,
    });
  }
}
