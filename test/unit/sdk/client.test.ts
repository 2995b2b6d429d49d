/**
 * The TypeScript SDK's HTTP behaviour against a real HTTP server on loopback that answers per
 * `docs/api.md`: the requests it sends (paths, headers, bodies), its retries (429 with Retry-After,
 * 5xx, dropped connections), which calls it does not repeat, pagination, waiting, cancellation,
 * the typed errors, and teardown on scope exit.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  APIAbortError,
  APIError,
  BadGatewayError,
  ConflictError,
  EnvironmentFailedError,
  type EnvironmentResponse,
  InternalServerError,
  NotFoundError,
  RateLimitError,
  Taskenv,
} from '#sdk/index';
import { environmentResponse } from '#test/support/factories';

const ENV_ID = '0b6f3f0e-5d1a-4d7e-9a43-3b8f6c1d2e4f';
const WS = '/api/v1/org/local/ws/default';

interface Seen {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingMessage['headers'];
  readonly body: unknown;
}

type Reply = { status: number; body?: unknown; headers?: Record<string, string>; raw?: string } | 'drop';

/** A loopback server whose answers the test scripts, recording every request it got. */
const scriptedServer = () => {
  const seen: Seen[] = [];
  let answer: (request: Seen, index: number) => Reply = () => ({ status: 500 });
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const request = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: text === '' ? undefined : (JSON.parse(text) as unknown),
      };
      seen.push(request);
      const reply = answer(request, seen.length - 1);
      if (reply === 'drop') {
        req.socket.destroy();
        return;
      }
      const payload = reply.raw ?? (reply.body === undefined ? '' : JSON.stringify(reply.body));
      res.writeHead(reply.status, {
        ...(reply.body === undefined ? {} : { 'content-type': 'application/json' }),
        ...reply.headers,
      });
      res.end(payload);
    });
  });
  return {
    seen,
    script(fn: typeof answer) {
      answer = fn;
    },
    async start(): Promise<string> {
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
};

const environment = (overrides: Partial<EnvironmentResponse> = {}): EnvironmentResponse =>
  environmentResponse({
    id: ENV_ID,
    created_at: '2026-12-01T21:00:00.000Z',
    expires_at: '2026-12-01T21:15:00.000Z',
    ...overrides,
  });

const envelope = (code: number, type: string, detail: string) => ({ code, type, detail });

let server: ReturnType<typeof scriptedServer>;
let client: Taskenv;

beforeEach(async () => {
  server = scriptedServer();
  const apiUrl = await server.start();
  client = new Taskenv({ apiUrl, apiKey: 'tk_test', initialBackoffMs: 10, maxBackoffMs: 40, env: {} });
});

afterEach(async () => {
  await server.stop();
});

describe('retries', () => {
  it('retries a create answered 429, waiting the Retry-After, with the same generated Idempotency-Key', async () => {
    // Prepare
    server.script((_, index) =>
      index === 0
        ? {
            status: 429,
            body: envelope(429, 'rate_limit_error', 'slow down'),
            headers: { 'retry-after': '1' },
          }
        : { status: 201, body: environment({ execute_token: 'tok' }) },
    );
    const started = performance.now();

    // Act
    const env = await client.environments.create({ task_ref: 'hello-http', inputs: { name: 'world' } });

    // Assess
    expect(performance.now() - started).toBeGreaterThanOrEqual(990);
    expect(env.id).toBe(ENV_ID);
    expect(env.executeToken).toBe('tok');
    expect(server.seen).toHaveLength(2);
    const [first, second] = server.seen;
    expect(first?.method).toBe('POST');
    expect(first?.url).toBe(`${WS}/environments`);
    expect(first?.body).toEqual({ task_ref: 'hello-http', inputs: { name: 'world' } });
    expect(first?.headers.authorization).toBe('Bearer tk_test');
    expect(first?.headers['idempotency-key']).toMatch(/^[0-9a-f-]{36}$/);
    expect(second?.headers['idempotency-key']).toBe(first?.headers['idempotency-key']);
  });

  it('retries a read over a dropped connection and a 502', async () => {
    // Prepare
    server.script((_, index) =>
      index === 0
        ? 'drop'
        : index === 1
          ? { status: 502, raw: '<html>bad gateway</html>' }
          : { status: 200, body: environment() },
    );

    // Act
    const env = await client.environments.get(ENV_ID);

    // Assess
    expect(env.id).toBe(ENV_ID);
    expect(server.seen.map((r) => r.url)).toEqual(Array(3).fill(`${WS}/environments/${ENV_ID}`));
  });

  it('gives up after maxRetries with the typed error carrying the envelope', async () => {
    // Prepare
    server.script(() => ({ status: 500, body: envelope(500, 'internal_error', 'Internal server error') }));
    const strict = new Taskenv({
      apiUrl: client.apiUrl,
      apiKey: 'k',
      maxRetries: 2,
      initialBackoffMs: 1,
      env: {},
    });

    // Act
    const failure = strict.environments.status(ENV_ID).catch((error: unknown) => error);

    // Assess
    const error = await failure;
    expect(error).toBeInstanceOf(InternalServerError);
    expect(error).toMatchObject({
      status: 500,
      envelope: envelope(500, 'internal_error', 'Internal server error'),
    });
    expect(server.seen).toHaveLength(3);
  });

  it('does not repeat an execute the server may have run (500), but retries one it refused (429)', async () => {
    // Prepare
    server.script((request) =>
      request.url.endsWith('/environments')
        ? { status: 201, body: environment({ state: 'ready', execute_token: 'tok' }) }
        : { status: 500, body: envelope(500, 'internal_error', 'Internal server error') },
    );
    const env = await client.environments.create({ task_ref: 'hello-http' });

    // Act
    const failed = await env.execute('ls').catch((error: unknown) => error);
    const afterFailure = server.seen.length;
    server.script((_, index) =>
      index === afterFailure
        ? {
            status: 429,
            body: envelope(429, 'rate_limit_error', 'at most 8 executions'),
            headers: { 'retry-after': '0' },
          }
        : {
            status: 200,
            body: {
              id: 'x1',
              exit_code: 0,
              output: 'bin\n',
              truncated: false,
              timed_out: false,
              duration_ms: 3,
            },
          },
    );
    const result = await env.execute('ls');

    // Assess
    expect(failed).toBeInstanceOf(InternalServerError);
    expect(afterFailure).toBe(2); // the create, then one execute
    expect(result.output).toBe('bin\n');
    expect(server.seen).toHaveLength(afterFailure + 2);
  });

  it('stops waiting between attempts when the signal aborts', async () => {
    // Prepare
    server.script(() => ({
      status: 503,
      body: envelope(503, 'internal_error', 'busy'),
      headers: { 'retry-after': '30' },
    }));
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    const started = performance.now();

    // Act
    const error = await client.environments
      .get(ENV_ID, { signal: controller.signal })
      .catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(APIAbortError);
    expect(performance.now() - started).toBeLessThan(5_000);
    expect(server.seen).toHaveLength(1);
  });
});

describe('errors', () => {
  it.each([
    [404, 'not_found_error', NotFoundError],
    [409, 'conflict_error', ConflictError],
    [502, 'bad_gateway_error', BadGatewayError],
    [429, 'rate_limit_error', RateLimitError],
  ])('maps %i %s to its class', async (status, type, ErrorClass) => {
    // Prepare
    server.script(() => ({ status, body: envelope(status, type, `the ${type}`) }));
    const once = new Taskenv({ apiUrl: client.apiUrl, apiKey: 'k', maxRetries: 0, env: {} });

    // Act
    const error = await once.environments.get(ENV_ID).catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(ErrorClass);
    expect(error).toBeInstanceOf(APIError);
    expect(error).toMatchObject({ status, type, envelope: { code: status, type, detail: `the ${type}` } });
  });
});

describe('environments', () => {
  it('lists every page, fetching the next only while iteration goes on', async () => {
    // Prepare: 5 environments, 2 per page
    const all = Array.from({ length: 5 }, (_, i) =>
      environment({ id: `00000000-0000-4000-8000-00000000000${i}` }),
    );
    server.script((request) => {
      const page = Number(new URL(request.url, 'http://x').searchParams.get('page'));
      const environments = all.slice((page - 1) * 2, page * 2);
      return {
        status: 200,
        body: {
          environments,
          page,
          limit: 2,
          total: 5,
          total_pages: 3,
          has_next: page < 3,
          has_previous: page > 1,
        },
      };
    });

    // Act
    const ids: string[] = [];
    for await (const env of client.environments.list({ limit: 2, state: ['ready', 'building'] }))
      ids.push(env.id);

    // Assess
    expect(ids).toEqual(all.map((e) => e.id));
    expect(server.seen.map((r) => r.url)).toEqual(
      [1, 2, 3].map((p) => `${WS}/environments?state=ready&state=building&page=${p}&limit=2`),
    );
  });

  it('create with wait polls the status until ready and returns the full ready resource', async () => {
    // Prepare
    const states = ['building', 'provisioning', 'ready'] as const;
    let polls = 0;
    server.script((request) => {
      if (request.method === 'POST') return { status: 201, body: environment({ execute_token: 'tok' }) };
      if (request.url.endsWith('/status')) {
        const state = states[Math.min(polls++, 2)] ?? 'ready';
        return {
          status: 200,
          body: { id: ENV_ID, state, expires_at: null, error: null, service_urls: null },
        };
      }
      return { status: 200, body: environment({ state: 'ready', instruction: 'Say hello.' }) };
    });

    // Act
    const env = await client.environments.create({ task_ref: 'hello-http' }, { wait: { intervalMs: 5 } });

    // Assess
    expect(env.state).toBe('ready');
    expect(env.instruction).toBe('Say hello.');
    expect(env.executeToken).toBe('tok');
    expect(polls).toBe(3);
  });

  it('create with wait that ends failed throws EnvironmentFailedError and deletes what it made', async () => {
    // Prepare
    server.script((request) => {
      if (request.method === 'POST') return { status: 201, body: environment() };
      if (request.method === 'DELETE') return { status: 200, body: environment({ state: 'failed' }) };
      return {
        status: 200,
        body: { id: ENV_ID, state: 'failed', expires_at: null, error: 'image not found', service_urls: null },
      };
    });

    // Act
    const error = await client.environments
      .create({ task_ref: 'hello-http' }, { wait: true })
      .catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(EnvironmentFailedError);
    expect(error).toMatchObject({ state: 'failed', error: 'image not found' });
    expect(server.seen.at(-1)).toMatchObject({ method: 'DELETE', url: `${WS}/environments/${ENV_ID}` });
  });

  it('execute sends the token and polls a 202 through executions until it completes', async () => {
    // Prepare
    let polls = 0;
    server.script((request) => {
      if (request.method === 'POST' && request.url.endsWith('/environments')) {
        return { status: 201, body: environment({ state: 'ready', execute_token: 'tok-1' }) };
      }
      if (request.url.endsWith('/execute')) {
        return {
          status: 202,
          body: { id: 'ex-1', state: 'running', started_at: '2026-12-01T21:00:00Z' },
          headers: { location: 'x' },
        };
      }
      polls++;
      return {
        status: 200,
        body:
          polls < 2
            ? {
                id: 'ex-1',
                state: 'running',
                started_at: '2026-12-01T21:00:00Z',
                finished_at: null,
                exit_code: null,
                output: null,
                truncated: null,
                timed_out: null,
                duration_ms: null,
              }
            : {
                id: 'ex-1',
                state: 'completed',
                started_at: '2026-12-01T21:00:00Z',
                finished_at: '2026-12-01T21:00:30Z',
                exit_code: 3,
                output: 'done\n',
                truncated: false,
                timed_out: false,
                duration_ms: 30000,
              },
      };
    });
    const env = await client.environments.create({ task_ref: 'hello-http' });

    // Act
    const result = await env.execute(
      { command: 'sleep 30; echo done; exit 3', timeout_sec: 60 },
      { pollIntervalMs: 5 },
    );

    // Assess
    expect(result).toEqual({
      id: 'ex-1',
      exit_code: 3,
      output: 'done\n',
      truncated: false,
      timed_out: false,
      duration_ms: 30000,
    });
    const execute = server.seen.find((r) => r.url.endsWith('/execute'));
    expect(execute?.headers['x-environment-token']).toBe('tok-1');
    expect(execute?.body).toEqual({ command: 'sleep 30; echo done; exit 3', timeout_sec: 60 });
    expect(server.seen.filter((r) => r.url === `${WS}/environments/${ENV_ID}/executions/ex-1`)).toHaveLength(
      2,
    );
  });

  it('deletes the environment when an `await using` scope exits, also by an exception', async () => {
    // Prepare
    server.script((request) =>
      request.method === 'DELETE'
        ? { status: 200, body: environment({ state: 'torn_down' }) }
        : { status: 201, body: environment({ execute_token: 'tok' }) },
    );

    // Act
    const run = async () => {
      await using env = await client.environments.create({ task_ref: 'hello-http' });
      expect(env.id).toBe(ENV_ID);
      throw new Error('the harness crashed');
    };

    // Assess
    await expect(run()).rejects.toThrow('the harness crashed');
    expect(server.seen.map((r) => `${r.method} ${r.url}`)).toEqual([
      `POST ${WS}/environments`,
      `DELETE ${WS}/environments/${ENV_ID}`,
    ]);
  });
});

describe('tasks, secrets, pools, keys', () => {
  it('sends each call to its route', async () => {
    // Prepare
    server.script((request) => ({
      status: request.method === 'DELETE' ? 204 : 200,
      body: request.method === 'DELETE' ? undefined : {},
    }));

    // Act
    await client.tasks.publish({
      name: 'demo',
      version: '1.0.0',
      instruction: 'Look.',
      services: { web: { image: 'x' } },
    });
    await client.tasks.get('demo@1.0.0');
    await client.tasks.get('hello-http', { org: 'public' });
    await client.secrets.put('pw', { value: 's3cr3t' });
    await client.secrets.delete('pw');
    await client.pools.set('hello-http@1.0.0', 2);
    await client.pools.list();
    await client.pools.delete('hello-http@1.0.0');
    await client.keys.create({ name: 'ci', role: 'member', workspaces: ['default'] });
    await client.keys.delete('key-1');

    // Assess
    expect(server.seen.map((r) => `${r.method} ${r.url}`)).toEqual([
      'POST /api/v1/org/local/tasks',
      'GET /api/v1/org/local/tasks/demo@1.0.0',
      'GET /api/v1/org/public/tasks/hello-http',
      `PUT ${WS}/secrets/pw`,
      `DELETE ${WS}/secrets/pw`,
      'PUT /api/v1/org/local/pools/hello-http@1.0.0',
      'GET /api/v1/org/local/pools',
      'DELETE /api/v1/org/local/pools/hello-http@1.0.0',
      'POST /api/v1/org/local/keys',
      'DELETE /api/v1/org/local/keys/key-1',
    ]);
    expect(server.seen[5]?.body).toEqual({ size: 2 });
  });
});
