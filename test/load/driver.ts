/**
 * The load run of issue 7 against a running local stack: `connections` clients, each a closed
 * loop of create → status → list → delete over its own keep-alive loopback connection, until
 * `durationSec` is up (an iteration under way finishes, so nothing is left live). Every request
 * is timed from send to the end of its body; every answer other than the expected status, and
 * every transport error, counts as an error of its operation. Afterwards every environment a
 * 201 named is read back from the table.
 */
import { Agent, request as httpRequest } from 'node:http';
import { environmentResponseSchema } from '#domain/api-schemas';
import type { EnvironmentStore } from '#ports/environment-store';
import { percentile, workspacePath } from '#test/load/stack-client';

export const operations = ['create', 'status', 'list', 'delete'] as const;
export type Operation = (typeof operations)[number];

export interface LoadOptions {
  readonly apiUrl: string;
  readonly apiKey: string;
  readonly org: string;
  readonly workspace: string;
  /** The task every create launches (cheap: see `sleepTask`). */
  readonly taskRef: string;
  readonly durationSec: number;
  readonly connections: number;
}

export interface LatencyStats {
  readonly count: number;
  readonly errors: number;
  readonly p50Ms: number;
  readonly p90Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  readonly meanMs: number;
}

export interface LoadResult {
  readonly durationSec: number;
  readonly connections: number;
  readonly iterations: number;
  readonly requests: number;
  readonly requestsPerSec: number;
  readonly errors: number;
  /** Up to 20 examples of what went wrong, `op: status body` or `op: error`. */
  readonly errorSamples: readonly string[];
  readonly overall: LatencyStats;
  readonly operations: Readonly<Record<Operation, LatencyStats>>;
  /** Ids a create answered 201 for. */
  readonly createdIds: readonly string[];
}

const EXPECTED: Readonly<Record<Operation, number>> = { create: 201, status: 200, list: 200, delete: 200 };

interface Sample {
  readonly op: Operation;
  readonly ms: number;
  readonly ok: boolean;
}

export const runLoad = async (options: LoadOptions): Promise<LoadResult> => {
  const { hostname, port } = new URL(options.apiUrl);
  const agent = new Agent({ keepAlive: true, maxSockets: options.connections });
  const base = workspacePath(options.org, options.workspace);
  const samples: Sample[] = [];
  const errorSamples: string[] = [];
  const createdIds: string[] = [];
  let iterations = 0;

  const call = async (op: Operation, method: string, path: string, body?: unknown) => {
    const started = performance.now();
    try {
      const reply = await send(agent, { hostname, port, method, path, apiKey: options.apiKey, body });
      const ms = performance.now() - started;
      const ok = reply.status === EXPECTED[op];
      samples.push({ op, ms, ok });
      if (!ok && errorSamples.length < 20)
        errorSamples.push(`${op}: ${reply.status} ${reply.raw.slice(0, 200)}`);
      return ok ? reply : null;
    } catch (error) {
      samples.push({ op, ms: performance.now() - started, ok: false });
      if (errorSamples.length < 20) errorSamples.push(`${op}: ${String(error)}`);
      return null;
    }
  };

  const client = async (deadline: number) => {
    while (performance.now() < deadline) {
      iterations += 1;
      const created = await call('create', 'POST', `${base}/environments`, {
        task_ref: options.taskRef,
        timeout_sec: 600,
      });
      if (created === null) continue;
      const { id } = environmentResponseSchema.parse(JSON.parse(created.raw));
      createdIds.push(id);
      await call('status', 'GET', `${base}/environments/${id}/status`);
      await call('list', 'GET', `${base}/environments?limit=20`);
      await call('delete', 'DELETE', `${base}/environments/${id}`);
    }
  };

  const started = performance.now();
  const deadline = started + options.durationSec * 1000;
  try {
    await Promise.all(Array.from({ length: options.connections }, () => client(deadline)));
  } finally {
    agent.destroy();
  }
  const durationSec = (performance.now() - started) / 1000;

  const stats = (of: readonly Sample[]): LatencyStats => {
    const sorted = of.map((s) => s.ms).sort((a, b) => a - b);
    const round = (n: number) => Math.round(n * 10) / 10;
    return {
      count: of.length,
      errors: of.filter((s) => !s.ok).length,
      p50Ms: round(percentile(sorted, 50)),
      p90Ms: round(percentile(sorted, 90)),
      p99Ms: round(percentile(sorted, 99)),
      maxMs: round(sorted[sorted.length - 1] ?? Number.NaN),
      meanMs: round(sorted.reduce((sum, ms) => sum + ms, 0) / Math.max(1, sorted.length)),
    };
  };
  const perOperation = Object.fromEntries(
    operations.map((op) => [op, stats(samples.filter((s) => s.op === op))]),
  ) as Record<Operation, LatencyStats>;
  return {
    durationSec: Math.round(durationSec * 10) / 10,
    connections: options.connections,
    iterations,
    requests: samples.length,
    requestsPerSec: Math.round((samples.length / durationSec) * 10) / 10,
    errors: samples.filter((s) => !s.ok).length,
    errorSamples,
    overall: stats(samples),
    operations: perOperation,
    createdIds,
  };
};

export interface Verification {
  readonly created: number;
  /** 201 ids with no record in the table. */
  readonly missing: readonly string[];
  /** 201 ids whose record is not `torn_down` (every one was deleted). */
  readonly notTornDown: readonly string[];
}

/** Reads every created environment back from the table (consistent reads, a few at a time). */
export const verifyCreated = async (
  ids: readonly string[],
  store: EnvironmentStore,
): Promise<Verification> => {
  const missing: string[] = [];
  const notTornDown: string[] = [];
  for (let i = 0; i < ids.length; i += 25) {
    const chunk = ids.slice(i, i + 25);
    const records = await Promise.all(chunk.map((id) => store.get(id)));
    for (const [index, record] of records.entries()) {
      const id = chunk[index] ?? '';
      if (record === null) missing.push(id);
      else if (record.state !== 'torn_down') notTornDown.push(`${id} ${record.state}`);
    }
  }
  return { created: ids.length, missing, notTornDown };
};

const send = (
  agent: Agent,
  request: { hostname: string; port: string; method: string; path: string; apiKey: string; body?: unknown },
): Promise<{ status: number; raw: string }> =>
  new Promise((resolve, reject) => {
    const payload = request.body === undefined ? undefined : JSON.stringify(request.body);
    const outgoing = httpRequest(
      {
        agent,
        hostname: request.hostname,
        port: request.port,
        method: request.method,
        path: request.path,
        headers: {
          authorization: `Bearer ${request.apiKey}`,
          ...(payload === undefined
            ? {}
            : { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(payload)) }),
        },
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () =>
          resolve({ status: response.statusCode ?? 0, raw: Buffer.concat(chunks).toString('utf8') }),
        );
        response.on('error', reject);
      },
    );
    outgoing.on('error', reject);
    outgoing.setTimeout(60_000, () => outgoing.destroy(new Error('no answer within 60 s')));
    outgoing.end(payload);
  });
