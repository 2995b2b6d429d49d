/**
 * What the chaos, fuzz and load runs share: an HTTP client for a running local stack that
 * times every call, the tiny tasks they launch, the canonical error envelope as a schema, and a
 * census of the processes those tasks started.
 */

import { execFile } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { promisify } from 'node:util';
import { z } from 'zod';
import { errorTypeByStatus } from '#domain/errors';
import type { TaskManifestInput } from '#domain/manifest';

export interface Reply {
  readonly status: number;
  readonly headers: Headers;
  /** The parsed JSON body; the raw text when it is not JSON; null when empty. */
  readonly body: unknown;
  readonly raw: string;
  /** Wall time from sending the request to the end of the response body. */
  readonly ms: number;
}

export interface RequestOptions {
  /** Serialised as JSON with `content-type: application/json`. */
  readonly json?: unknown;
  /** Sent as it is. */
  readonly rawBody?: string;
  readonly headers?: Readonly<Record<string, string>>;
  /** Send the stack's API key. @default true */
  readonly auth?: boolean;
}

/** Calls a local stack over loopback HTTP with its admin API key. */
export class ApiClient {
  readonly baseUrl: string;
  readonly #apiKey: string;

  constructor(baseUrl: string, apiKey: string) {
    this.baseUrl = baseUrl;
    this.#apiKey = apiKey;
  }

  async request(method: string, path: string, options: RequestOptions = {}): Promise<Reply> {
    const headers: Record<string, string> = {};
    if (options.auth ?? true) headers.authorization = `Bearer ${this.#apiKey}`;
    let body: string | undefined;
    if (options.json !== undefined) {
      body = JSON.stringify(options.json);
      headers['content-type'] = 'application/json';
    }
    if (options.rawBody !== undefined) body = options.rawBody;
    Object.assign(headers, options.headers);
    const started = performance.now();
    const response = await fetch(`${this.baseUrl}${path}`, {
      method,
      headers,
      ...(body === undefined ? {} : { body }),
    });
    const raw = await response.text();
    const ms = performance.now() - started;
    return { status: response.status, headers: response.headers, body: parseBody(raw), raw, ms };
  }
}

const parseBody = (raw: string): unknown => {
  if (raw === '') return null;
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    return raw;
  }
};

/** A positive integer from the environment (`CHAOS_ENVIRONMENTS=500`), else `fallback`; anything else throws. */
export const positiveIntEnv = (name: string, fallback: number): number => {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value <= 0)
    throw new Error(`${name} must be a positive integer, got '${raw}'`);
  return value;
};

const fieldErrorSchema = z.strictObject({
  loc: z.array(z.union([z.string(), z.number()])),
  msg: z.string(),
  type: z.string(),
});

/** The canonical envelope, exactly: no other key, `errors` on 422 only. */
export const envelopeSchema = z.union([
  z.strictObject({
    code: z.literal(422),
    detail: z.string(),
    type: z.literal('validation_error'),
    errors: z.array(fieldErrorSchema),
  }),
  z
    .strictObject({ code: z.number().int(), detail: z.string(), type: z.string() })
    .refine((e) => e.code !== 422),
]);

/**
 * Why `reply` is not the envelope its status demands, or null when it is. A 2xx passes.
 * `HEAD` answers carry no body by definition, so only their status is checked.
 */
export const envelopeProblem = (
  reply: Pick<Reply, 'status' | 'body' | 'raw'>,
  method = 'GET',
): string | null => {
  if (reply.status < 300) return null;
  const expectedType = errorTypeByStatus[reply.status];
  if (expectedType === undefined) return `status ${reply.status} is not one of the API's statuses`;
  if (method === 'HEAD') return null;
  const parsed = envelopeSchema.safeParse(reply.body);
  if (!parsed.success) return `not the envelope: ${reply.raw.slice(0, 300)}`;
  if (parsed.data.code !== reply.status) return `code ${parsed.data.code} under status ${reply.status}`;
  if (parsed.data.type !== expectedType) return `type ${parsed.data.type} under status ${reply.status}`;
  return null;
};

export const workspacePath = (org: string, workspace: string): string => `/api/v1/org/${org}/ws/${workspace}`;

/**
 * A task whose one service is `sleep <seconds>`: no port, so it is running as soon as it is
 * spawned, and one cheap process per environment. The odd duration marks the run's processes.
 */
export const sleepTask = (name: string, seconds: number): TaskManifestInput => ({
  name,
  version: '1.0.0',
  description: 'One sleeping process: the cheapest task the process runtime can run.',
  instruction: 'Nothing to do in {{ environment_id }}.',
  services: {
    main: {
      image: 'public.ecr.aws/docker/library/busybox:1.36',
      command: ['sleep', String(seconds)],
      local: { command: ['sleep', String(seconds)] },
    },
  },
  timeout: { default_sec: 600, max_sec: 3600 },
});

/**
 * `examples/tasks/hello-http` with an extra argument (ignored by the server) that marks the
 * run's processes: a port and a health path to wait for, and service URLs to publish.
 */
export const httpTask = (name: string, marker: string): TaskManifestInput => ({
  name,
  version: '1.0.0',
  description: 'hello-http, marked for the process census.',
  instruction: 'Fetch {{ web_url }}.',
  services: {
    web: {
      image: 'public.ecr.aws/docker/library/node:20-alpine',
      ports: [8080],
      health: { path: '/healthz', port: 8080 },
      local: { command: ['node', 'examples/tasks/hello-http/server.mjs', marker] },
    },
  },
  timeout: { default_sec: 600, max_sec: 3600 },
});

/** A `sleep` duration no other process on the machine is likely to use (about 50 to 60 days). */
export const markerSeconds = (): number => 4_300_000 + randomInt(1_000_000);

const execFileAsync = promisify(execFile);

/** Command lines of the processes (any user's) whose command line contains one of `needles`. */
export const processesMatching = async (needles: readonly string[]): Promise<string[]> => {
  const { stdout } = await execFileAsync('ps', ['-A', '-o', 'pid=,args='], { maxBuffer: 16 * 1024 * 1024 });
  return stdout
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => needles.some((needle) => line.includes(needle)));
};

/** Runs `work` over `items` with at most `concurrency` in flight; results in input order. */
export const pool = async <T, R>(
  items: readonly T[],
  concurrency: number,
  work: (item: T, index: number) => Promise<R>,
): Promise<R[]> => {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next;
      next += 1;
      results[index] = await work(items[index] as T, index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
  return results;
};

/** Nearest-rank percentile of an ascending-sorted list; NaN when empty. */
export const percentile = (sorted: readonly number[], p: number): number => {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1] ?? Number.NaN;
};
