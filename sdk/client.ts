/**
 * `new Taskenv()`: the entry point of the TypeScript SDK. Settings come from the options, then
 * `TASKENV_API_URL` / `TASKENV_API_KEY` / `TASKENV_ORG` / `TASKENV_WORKSPACE`, then a running local
 * stack (`npm start`, found through the nearest `.taskenv/stack.json`), then the local defaults.
 */
import { Environments } from './environments.ts';
import { Transport } from './http.ts';
import { findLocalStack } from './local-stack.ts';
import { Keys, Pools, Secrets, Tasks } from './resources.ts';

export const SDK_VERSION = '0.1.0';

export interface TaskenvOptions {
  /** @default $TASKENV_API_URL, the running local stack, else http://127.0.0.1:8787 */
  readonly apiUrl?: string;
  /** @default $TASKENV_API_KEY, else the local stack's key (only sent to a loopback API) */
  readonly apiKey?: string;
  /** @default $TASKENV_ORG, else `local` */
  readonly org?: string;
  /** @default $TASKENV_WORKSPACE, else `default` */
  readonly workspace?: string;
  /** Retries after the first attempt on 429, 5xx and dropped connections. @default 3 */
  readonly maxRetries?: number;
  /** Per attempt. @default 60000 */
  readonly timeoutMs?: number;
  /** @default 500 */
  readonly initialBackoffMs?: number;
  /** @default 8000 */
  readonly maxBackoffMs?: number;
  /** Aborts every request of this client. */
  readonly signal?: AbortSignal;
  /** @default globalThis.fetch */
  readonly fetch?: typeof fetch;
  /** Where the local stack is looked for. @default process.cwd() */
  readonly cwd?: string;
  /** @default process.env */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);

const isLoopback = (url: string): boolean => {
  try {
    return LOOPBACK.has(new URL(url).hostname);
  } catch {
    return false;
  }
};

const present = (value: string | undefined): string | undefined =>
  value === undefined || value.trim() === '' ? undefined : value.trim();

export class Taskenv {
  readonly apiUrl: string;
  readonly org: string;
  readonly workspace: string;
  readonly environments: Environments;
  readonly tasks: Tasks;
  readonly secrets: Secrets;
  readonly pools: Pools;
  readonly keys: Keys;

  constructor(options: TaskenvOptions = {}) {
    const env = options.env ?? process.env;
    const explicitUrl = present(options.apiUrl) ?? present(env.TASKENV_API_URL);
    const explicitKey = present(options.apiKey) ?? present(env.TASKENV_API_KEY);
    const stack =
      explicitUrl !== undefined && explicitKey !== undefined
        ? null
        : findLocalStack(options.cwd ?? process.cwd(), env);
    this.apiUrl = (explicitUrl ?? stack?.apiUrl ?? 'http://127.0.0.1:8787').replace(/\/+$/, '');
    const apiKey = explicitKey ?? (isLoopback(this.apiUrl) ? (stack?.apiKey ?? null) : null);
    this.org = present(options.org) ?? present(env.TASKENV_ORG) ?? 'local';
    this.workspace = present(options.workspace) ?? present(env.TASKENV_WORKSPACE) ?? 'default';

    const transport = new Transport({
      baseUrl: this.apiUrl,
      apiKey,
      userAgent: `taskenv-sdk-typescript/${SDK_VERSION}`,
      maxRetries: options.maxRetries ?? 3,
      timeoutMs: options.timeoutMs ?? 60_000,
      initialBackoffMs: options.initialBackoffMs ?? 500,
      maxBackoffMs: options.maxBackoffMs ?? 8_000,
      maxRetryAfterMs: 60_000,
      fetch: options.fetch ?? globalThis.fetch,
      signal: options.signal,
    });
    const workspacePath = `/api/v1/org/${encodeURIComponent(this.org)}/ws/${encodeURIComponent(this.workspace)}`;
    this.environments = new Environments(transport, workspacePath);
    this.tasks = new Tasks(transport, this.org);
    this.secrets = new Secrets(transport, workspacePath);
    this.pools = new Pools(transport, this.org);
    this.keys = new Keys(transport, this.org);
  }
}
