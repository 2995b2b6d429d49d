import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { CliIo } from '#cli/main';
import { main } from '#cli/main';
import type { EnvironmentResponse, EnvironmentStatusResponse } from '#domain/api-schemas';
import type { EnvironmentState } from '#domain/environment';
import { environmentResponse } from '#test/support/factories';
import packageJson from '../../../package.json' with { type: 'json' };

// A stand-in for the HTTP peer (docs/api.md): it records every request and answers from `route`.

interface RecordedRequest {
  readonly method: string;
  readonly path: string;
  readonly query: URLSearchParams;
  readonly headers: IncomingHttpHeaders;
  readonly body: unknown;
}

interface Reply {
  readonly status: number;
  readonly body?: unknown;
}

type Route = (request: RecordedRequest) => Reply;

const notFound = (detail: string): Reply => ({
  status: 404,
  body: { code: 404, detail, type: 'not_found_error' },
});

class FakeApi {
  readonly requests: RecordedRequest[] = [];
  route: Route = (request) => notFound(`No route for ${request.method} ${request.path}`);
  readonly #server: Server;

  private constructor(server: Server) {
    this.#server = server;
  }

  static async start(): Promise<FakeApi> {
    const server = createServer();
    const api = new FakeApi(server);
    server.on('request', (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const url = new URL(req.url ?? '/', 'http://fake');
        const text = Buffer.concat(chunks).toString('utf8');
        const request: RecordedRequest = {
          method: req.method ?? '',
          path: decodeURIComponent(url.pathname),
          query: url.searchParams,
          headers: req.headers,
          body: text === '' ? undefined : JSON.parse(text),
        };
        api.requests.push(request);
        const reply = api.route(request);
        res.writeHead(reply.status, reply.body === undefined ? {} : { 'content-type': 'application/json' });
        res.end(reply.body === undefined ? undefined : JSON.stringify(reply.body));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return api;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }
}

const ENV_ID = '0b6f1f6e-5f38-4d8e-9a51-9f2d1c1f3a10';
const BASE = '/api/v1/org/local/ws/default';

const environment = (overrides: Partial<EnvironmentResponse> = {}): EnvironmentResponse =>
  environmentResponse({ id: ENV_ID, ...overrides });

const readyEnvironment = (): EnvironmentResponse =>
  environment({
    state: 'ready',
    instruction: 'Say hello to world at http://127.0.0.1:40001',
    service_urls: {
      web: { url: 'http://127.0.0.1:40001', host: '127.0.0.1', port: 40001, protocol: 'http' },
    },
  });

const statusOf = (env: EnvironmentResponse): EnvironmentStatusResponse => ({
  id: env.id,
  state: env.state,
  expires_at: env.expires_at,
  error: env.error,
  service_urls: env.service_urls,
});

/**
 * An environment that moves through `states`, one per `/status` poll, staying on the last; the
 * POST answers `building` with the one-time execute token.
 */
const lifecycle = (states: readonly EnvironmentState[], error: string | null = null): Route => {
  let polls = 0;
  let current = environment();
  return (request) => {
    if (request.method === 'POST' && request.path === `${BASE}/environments`) {
      return { status: 201, body: environment({ execute_token: 'exec-token-once' }) };
    }
    if (request.method === 'GET' && request.path === `${BASE}/environments/${ENV_ID}/status`) {
      const state = states[Math.min(polls++, states.length - 1)] ?? 'building';
      current =
        state === 'ready'
          ? readyEnvironment()
          : environment({ state, error: state === 'failed' ? error : null });
      return { status: 200, body: statusOf(current) };
    }
    if (request.method === 'GET' && request.path === `${BASE}/environments/${ENV_ID}`) {
      return { status: 200, body: current };
    }
    return notFound(`No route for ${request.method} ${request.path}`);
  };
};

let api: FakeApi;
let dir: string;

beforeAll(async () => {
  api = await FakeApi.start();
});

afterAll(async () => {
  await api.close();
});

beforeEach(async () => {
  api.requests.length = 0;
  api.route = (request) => notFound(`No route for ${request.method} ${request.path}`);
  dir = await mkdtemp(join(tmpdir(), 'taskenv-cli-'));
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function* chunks(parts: readonly string[]): AsyncIterable<string> {
  yield* parts;
}

interface Captured {
  readonly io: CliIo;
  readonly out: { stdout: string; stderr: string };
}

/** An isolated CLI process: its own home (no user config), working dir and captured streams. */
const capture = (
  options: {
    env?: Record<string, string>;
    isTTY?: boolean;
    signal?: AbortSignal;
    stdin?: string;
    settings?: 'api' | 'none';
  } = {},
): Captured => {
  const out = { stdout: '', stderr: '' };
  const settings =
    options.settings === 'none' ? {} : { TASKENV_API_URL: api.url, TASKENV_API_KEY: 'tk_test' };
  const io: CliIo = {
    stdout: { write: (chunk: string) => (out.stdout += chunk) },
    stderr: { write: (chunk: string) => (out.stderr += chunk), isTTY: options.isTTY ?? false },
    env: { HOME: dir, ...settings, ...options.env },
    cwd: dir,
    ...(options.signal === undefined ? {} : { signal: options.signal }),
    ...(options.stdin === undefined ? {} : { stdin: chunks([options.stdin]) }),
  };
  return { io, out };
};

describe('taskenv env create', () => {
  it('posts the task ref, typed inputs, secrets, project and timeout with auth, version and idempotency headers', async () => {
    // Prepare
    api.route = lifecycle(['building']);
    await writeFile(join(dir, 'notes.txt'), 'from a file');
    const { io } = capture();

    // Act
    const code = await main(
      [
        'env',
        'create',
        'hello-http',
        '--input',
        'n=3',
        '--input',
        's=abc',
        '--input',
        'b=true',
        '--input',
        'notes=@notes.txt',
        '--secret',
        'db-pass',
        '--secret',
        'API_TOKEN',
        '--project-id',
        'p1',
        '--timeout-sec',
        '600',
        '--idempotency-key',
        'run-42',
      ],
      io,
    );

    // Assess
    expect(code).toBe(0);
    expect(api.requests).toHaveLength(1);
    const [request] = api.requests;
    expect(request?.method).toBe('POST');
    expect(request?.path).toBe('/api/v1/org/local/ws/default/environments');
    expect(request?.headers.authorization).toBe('Bearer tk_test');
    expect(request?.headers['content-type']).toBe('application/json');
    expect(request?.headers['x-taskenv-client-version']).toBe(packageJson.version);
    expect(request?.headers['idempotency-key']).toBe('run-42');
    expect(request?.body).toStrictEqual({
      task_ref: 'hello-http',
      inputs: { n: 3, s: 'abc', b: true, notes: 'from a file' },
      secret_ids: ['db-pass', 'API_TOKEN'],
      project_id: 'p1',
      timeout_sec: 600,
    });
  });

  it('sends only the task ref when nothing else is given', async () => {
    // Prepare
    api.route = lifecycle(['building']);
    const { io } = capture();

    // Act
    await main(['env', 'create', 'hello-http'], io);

    // Assess
    expect(api.requests[0]?.body).toStrictEqual({ task_ref: 'hello-http' });
    expect(api.requests[0]?.headers['idempotency-key']).toBeUndefined();
  });

  it('prints the new environment as key: value lines, with the one-time execute token', async () => {
    // Prepare
    api.route = lifecycle(['building']);
    const { io, out } = capture();

    // Act
    await main(['env', 'create', 'hello-http'], io);

    // Assess
    expect(out.stdout).toMatch(new RegExp(`^id: +${ENV_ID}$`, 'm'));
    expect(out.stdout).toMatch(/^state: +building$/m);
    expect(out.stdout).toMatch(/^execute token: +exec-token-once/m);
  });

  it('with --json prints only the API response as JSON', async () => {
    // Prepare
    api.route = lifecycle(['building']);
    const { io, out } = capture();

    // Act
    const code = await main(['env', 'create', 'hello-http', '--json'], io);

    // Assess
    expect(code).toBe(0);
    expect(JSON.parse(out.stdout)).toStrictEqual(environment({ execute_token: 'exec-token-once' }));
    expect(out.stderr).toBe('');
  });

  it('with --wait polls building → provisioning → ready and exits 0 with the ready environment', async () => {
    // Prepare
    api.route = lifecycle(['building', 'provisioning', 'ready']);
    const { io, out } = capture();

    // Act
    const code = await main(['env', 'create', 'hello-http', '--wait', '--json'], io);

    // Assess
    expect(code).toBe(0);
    const printed = JSON.parse(out.stdout) as EnvironmentResponse;
    expect(printed.state).toBe('ready');
    expect(printed.service_urls?.web?.url).toBe('http://127.0.0.1:40001');
    // Only the POST returns the token; the waited-for result must still carry it.
    expect(printed.execute_token).toBe('exec-token-once');
    const polls = api.requests.filter((r) => r.path.endsWith('/status'));
    expect(polls).toHaveLength(3);
    expect(
      out.stderr
        .split('\n')
        .filter(Boolean)
        .map((line) => line.split(' ')[0]),
    ).toStrictEqual(['building…', 'provisioning…', 'ready']);
  });

  it('with --wait on a terminal redraws one live line on stderr and keeps stdout pure JSON', async () => {
    // Prepare
    api.route = lifecycle(['building', 'ready']);
    const { io, out } = capture({ isTTY: true });

    // Act
    const code = await main(['env', 'create', 'hello-http', '--wait', '--json'], io);

    // Assess
    expect(code).toBe(0);
    const clearLine = '\r\u001b[2K';
    expect(out.stderr.startsWith(clearLine)).toBe(true);
    expect(out.stderr.split(clearLine)).toContainEqual(
      expect.stringMatching(/^[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏] building… \d+\.\ds$/),
    );
    expect(out.stderr).not.toContain('\n');
    expect(JSON.parse(out.stdout)).toMatchObject({ state: 'ready' });
  });

  it('with --wait prints the service URLs and the rendered instruction when ready', async () => {
    // Prepare
    api.route = lifecycle(['provisioning', 'ready']);
    const { io, out } = capture();

    // Act
    const code = await main(['env', 'create', 'hello-http', '--wait'], io);

    // Assess
    expect(code).toBe(0);
    expect(out.stdout).toMatch(/^services:\n {2}web {2}http:\/\/127\.0\.0\.1:40001$/m);
    expect(out.stdout).toContain('instruction:\n  Say hello to world at http://127.0.0.1:40001');
  });

  it('with --wait exits 1 and prints the error when the environment fails', async () => {
    // Prepare
    api.route = lifecycle(['building', 'failed'], 'Essential container exited (exit code 3)');
    const { io, out } = capture();

    // Act
    const code = await main(['env', 'create', 'crashes', '--wait'], io);

    // Assess
    expect(code).toBe(1);
    expect(out.stderr).toContain(
      `error: environment ${ENV_ID} failed: Essential container exited (exit code 3)`,
    );
  });

  it('with --wait exits 1 when the environment is torn down before it is ready', async () => {
    // Prepare
    api.route = lifecycle(['provisioning', 'torn_down']);
    const { io, out } = capture();

    // Act
    const code = await main(['env', 'create', 'hello-http', '--wait', '--json'], io);

    // Assess
    expect(code).toBe(1);
    expect(JSON.parse(out.stdout)).toMatchObject({ state: 'torn_down' });
  });

  it('with --wait exits 3 once --wait-timeout passes', async () => {
    // Prepare
    api.route = lifecycle(['provisioning']);
    const { io, out } = capture();
    const started = Date.now();

    // Act
    const code = await main(['env', 'create', 'slow', '--wait', '--wait-timeout', '0.4'], io);

    // Assess
    expect(code).toBe(3);
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(out.stderr).toContain(`error: gave up after 0.4s waiting for ${ENV_ID} (still provisioning)`);
    // What was created stays usable: the one-time token is not lost.
    expect(out.stdout).toContain('exec-token-once');
  });

  it('exits 130 on Ctrl-C during --wait without deleting the environment', async () => {
    // Prepare
    const controller = new AbortController();
    const inner = lifecycle(['provisioning']);
    api.route = (request) => {
      if (request.path.endsWith('/status')) controller.abort();
      return inner(request);
    };
    const { io, out } = capture({ signal: controller.signal });

    // Act
    const code = await main(['env', 'create', 'hello-http', '--wait'], io);

    // Assess
    expect(code).toBe(130);
    expect(api.requests.map((r) => r.method)).not.toContain('DELETE');
    expect(out.stdout).toContain('exec-token-once');
    expect(out.stderr).toContain(`${ENV_ID} keeps running`);
  });

  it('exits 4 with the API detail for a task that does not exist', async () => {
    // Prepare
    api.route = () => notFound("Task 'nope' not found");
    const { io, out } = capture();

    // Act
    const code = await main(['env', 'create', 'nope'], io);

    // Assess
    expect(code).toBe(4);
    expect(out.stderr).toBe("error: Task 'nope' not found\n");
    expect(out.stdout).toBe('');
  });

  it('prints each field error of a 422 with its location', async () => {
    // Prepare
    api.route = () => ({
      status: 422,
      body: {
        code: 422,
        detail: 'Request validation failed',
        type: 'validation_error',
        errors: [{ loc: ['body', 'task_ref'], msg: "Version 'x' is not valid", type: 'invalid_task_ref' }],
      },
    });
    const { io, out } = capture();

    // Act
    const code = await main(['env', 'create', 'hello@x'], io);

    // Assess
    expect(code).toBe(4);
    expect(out.stderr).toBe("error: Request validation failed\n  body.task_ref: Version 'x' is not valid\n");
  });

  it('with --json prints the error envelope, and nothing else, on stdout', async () => {
    // Prepare
    const envelope = { code: 404, detail: "Task 'nope' not found", type: 'not_found_error' };
    api.route = () => ({ status: 404, body: envelope });
    const { io, out } = capture();

    // Act
    const code = await main(['env', 'create', 'nope', '--json'], io);

    // Assess
    expect(code).toBe(4);
    expect(JSON.parse(out.stdout)).toStrictEqual(envelope);
    expect(out.stderr).toBe('');
  });

  it('refuses --wait-timeout without --wait before sending anything', async () => {
    // Prepare
    const { io } = capture();

    // Act
    const code = await main(['env', 'create', 'hello-http', '--wait-timeout', '5'], io);

    // Assess
    expect(code).toBe(2);
    expect(api.requests).toHaveLength(0);
  });
});

describe('taskenv env (other commands)', () => {
  it('lists with repeated state filters and prints an aligned table', async () => {
    // Prepare
    const other = environment({
      id: '7d4a0c52-7c1e-4e57-8a7a-1b2f1c1e0b99',
      state: 'ready',
      project_id: 'p1',
    });
    api.route = () => ({
      status: 200,
      body: {
        environments: [environment(), other],
        page: 1,
        limit: 50,
        total: 2,
        total_pages: 1,
        has_next: false,
        has_previous: false,
      },
    });
    const { io, out } = capture();

    // Act
    const code = await main(['env', 'list', '--state', 'building', '--state', 'ready', '--limit', '10'], io);

    // Assess
    expect(code).toBe(0);
    expect(api.requests[0]?.path).toBe(`${BASE}/environments`);
    expect(api.requests[0]?.query.getAll('state')).toStrictEqual(['building', 'ready']);
    expect(api.requests[0]?.query.get('limit')).toBe('10');
    const lines = out.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^ID +STATE +TASK +PROJECT +CREATED +EXPIRES$/);
    // Aligned: every row's STATE column starts where the header's does.
    const stateColumn = lines[0]?.indexOf('STATE');
    expect(lines[1]?.indexOf('building')).toBe(stateColumn);
    expect(lines[2]?.indexOf('ready')).toBe(stateColumn);
    expect(lines[3]).toBe('page 1 of 1, 2 environments');
  });

  it('gets the status snapshot of one environment', async () => {
    // Prepare
    api.route = () => ({ status: 200, body: statusOf(readyEnvironment()) });
    const { io, out } = capture();

    // Act
    const code = await main(['env', 'status', ENV_ID, '--json'], io);

    // Assess
    expect(code).toBe(0);
    expect(api.requests[0]?.path).toBe(`${BASE}/environments/${ENV_ID}/status`);
    expect(JSON.parse(out.stdout)).toStrictEqual(statusOf(readyEnvironment()));
  });

  it('exits 4 with the detail when an environment is unknown', async () => {
    // Prepare
    api.route = () => notFound(`Environment '${ENV_ID}' not found`);
    const { io, out } = capture();

    // Act
    const code = await main(['env', 'get', ENV_ID], io);

    // Assess
    expect(code).toBe(4);
    expect(out.stderr).toContain(`error: Environment '${ENV_ID}' not found`);
  });

  it('waits for an existing environment', async () => {
    // Prepare
    api.route = lifecycle(['provisioning', 'ready']);
    const { io, out } = capture();

    // Act
    const code = await main(['env', 'wait', ENV_ID, '--json'], io);

    // Assess
    expect(code).toBe(0);
    expect(JSON.parse(out.stdout)).toMatchObject({ id: ENV_ID, state: 'ready' });
  });

  it('deletes an environment', async () => {
    // Prepare
    api.route = () => ({ status: 200, body: environment({ state: 'torn_down' }) });
    const { io, out } = capture();

    // Act
    const code = await main(['env', 'delete', ENV_ID], io);

    // Assess
    expect(code).toBe(0);
    expect(api.requests[0]?.method).toBe('DELETE');
    expect(api.requests[0]?.path).toBe(`${BASE}/environments/${ENV_ID}`);
    expect(out.stdout).toBe(`${ENV_ID} torn_down\n`);
  });

  it('extends an environment by 600 seconds unless told otherwise', async () => {
    // Prepare
    api.route = () => ({ status: 200, body: { id: ENV_ID, expires_at: '2026-01-01T00:25:00.000Z' } });
    const { io } = capture();

    // Act
    await main(['env', 'keepalive', ENV_ID], io);
    await main(['env', 'keepalive', ENV_ID, '--extend-seconds', '120'], io);

    // Assess
    expect(api.requests.map((r) => [r.method, r.path, r.body])).toStrictEqual([
      ['POST', `${BASE}/environments/${ENV_ID}/keepalive`, { extend_seconds: 600 }],
      ['POST', `${BASE}/environments/${ENV_ID}/keepalive`, { extend_seconds: 120 }],
    ]);
  });
});

describe('taskenv task', () => {
  const manifestYaml = [
    'name: hello-http',
    'version: 1.0.0',
    'instruction: Say hello to {{ name }} at {{ web_url }}',
    'inputs:',
    '  name: { type: string, default: world }',
    'services:',
    '  web:',
    '    image: public.ecr.aws/docker/library/node:20-alpine',
    '    ports: [8080]',
    '    local: { command: ["node", "server.js"] }',
    '',
  ].join('\n');

  it('push sends task.yaml as JSON to the org’s tasks', async () => {
    // Prepare
    await mkdir(join(dir, 'hello'));
    await writeFile(join(dir, 'hello', 'task.yaml'), manifestYaml);
    api.route = () => ({
      status: 201,
      body: {
        task_ref: 'local/hello-http@1.0.0',
        org: 'local',
        name: 'hello-http',
        version: '1.0.0',
        public: false,
        description: null,
        created_at: '2026-01-01T00:00:00.000Z',
        manifest: {},
      },
    });
    const { io, out } = capture();

    // Act
    const code = await main(['task', 'push', 'hello'], io);

    // Assess
    expect(code).toBe(0);
    expect(api.requests[0]?.method).toBe('POST');
    expect(api.requests[0]?.path).toBe('/api/v1/org/local/tasks');
    expect(api.requests[0]?.body).toStrictEqual({
      name: 'hello-http',
      version: '1.0.0',
      instruction: 'Say hello to {{ name }} at {{ web_url }}',
      inputs: { name: { type: 'string', default: 'world' } },
      services: {
        web: {
          image: 'public.ecr.aws/docker/library/node:20-alpine',
          ports: [8080],
          local: { command: ['node', 'server.js'] },
        },
      },
    });
    expect(out.stdout).toBe('published local/hello-http@1.0.0\n');
  });

  it('push exits 1 without a request when task.yaml is missing', async () => {
    // Prepare
    const { io, out } = capture();

    // Act
    const code = await main(['task', 'push', 'nowhere'], io);

    // Assess
    expect(code).toBe(1);
    expect(out.stderr).toMatch(/^error: cannot read .*nowhere\/task\.yaml \(ENOENT\)$/m);
    expect(api.requests).toHaveLength(0);
  });

  it('inspect asks the ref’s org for the exact version', async () => {
    // Prepare
    api.route = () => notFound("Task 'acme/web@1.2.0' not found");
    const { io, out } = capture();

    // Act
    const code = await main(['task', 'inspect', 'acme/web@1.2.0'], io);

    // Assess
    expect(code).toBe(4);
    expect(api.requests[0]?.path).toBe('/api/v1/org/acme/tasks/web@1.2.0');
    expect(out.stderr).toContain("error: Task 'acme/web@1.2.0' not found");
  });

  it('validate accepts a valid manifest without any request', async () => {
    // Prepare
    await writeFile(join(dir, 'task.yaml'), manifestYaml);
    const { io, out } = capture();

    // Act
    const code = await main(['task', 'validate', '.'], io);

    // Assess
    expect(code).toBe(0);
    expect(out.stdout).toBe('task.yaml: valid (hello-http@1.0.0)\n');
    expect(api.requests).toHaveLength(0);
  });

  it('validate exits 1 and lists each problem with its location', async () => {
    // Prepare
    const broken = manifestYaml
      .replace('version: 1.0.0', 'version: one')
      .replace('ports: [8080]', 'ports: [80, 80]');
    await writeFile(join(dir, 'task.yaml'), broken);
    const { io, out } = capture();

    // Act
    const code = await main(['task', 'validate', '.'], io);

    // Assess
    expect(code).toBe(1);
    expect(out.stderr).toContain('error: task.yaml is not a valid task manifest\n');
    expect(out.stderr).toMatch(/^ {2}version: .+$/m);
    expect(out.stderr).toMatch(/^ {2}services\.web\.ports\.1: Duplicate port 80$/m);
  });
});

describe('taskenv secret', () => {
  it('exits 4 naming the field when the API answers a body its schema does not allow', async () => {
    // Prepare: a list whose one secret has a numeric id
    api.route = () => ({ status: 200, body: { secrets: [{ id: 7, env_var: 'PW', preview: '****' }] } });
    const { io, out } = capture();

    // Act
    const code = await main(['secret', 'list'], io);

    // Assess
    expect(code).toBe(4);
    expect(out.stdout).toBe('');
    expect(out.stderr).toContain('does not match its schema at secrets.0.id');
  });

  it('set --from-file puts the file’s value (final newline dropped) and the env var', async () => {
    // Prepare
    await writeFile(join(dir, 'token.txt'), 's3cr3t-value\n');
    api.route = () => ({
      status: 200,
      body: {
        id: 'api-token',
        env_var: 'MY_TOKEN',
        preview: '****',
        created_at: '2026-01-01T00:00:00.000Z',
        updated_at: '2026-01-01T00:00:00.000Z',
      },
    });
    const { io, out } = capture();

    // Act
    const code = await main(
      ['secret', 'set', 'api-token', '--from-file', 'token.txt', '--env-var', 'MY_TOKEN'],
      io,
    );

    // Assess
    expect(code).toBe(0);
    expect(api.requests[0]?.method).toBe('PUT');
    expect(api.requests[0]?.path).toBe(`${BASE}/secrets/api-token`);
    expect(api.requests[0]?.body).toStrictEqual({ value: 's3cr3t-value', env_var: 'MY_TOKEN' });
    expect(out.stdout).not.toContain('s3cr3t');
  });

  it('set --from-stdin reads standard input', async () => {
    // Prepare
    api.route = () => ({
      status: 200,
      body: {
        id: 'pw',
        env_var: 'PW',
        preview: '****',
        created_at: '2026-01-01T00:00:00.000Z',
        updated_at: '2026-01-01T00:00:00.000Z',
      },
    });
    const { io } = capture({ stdin: 'hunter2\n' });

    // Act
    const code = await main(['secret', 'set', 'pw', '--from-stdin'], io);

    // Assess
    expect(code).toBe(0);
    expect(api.requests[0]?.body).toStrictEqual({ value: 'hunter2' });
  });

  it('set refuses two value sources at once', async () => {
    // Prepare
    const { io } = capture();

    // Act
    const code = await main(['secret', 'set', 'pw', '--value', 'a', '--from-stdin'], io);

    // Assess
    expect(code).toBe(2);
    expect(api.requests).toHaveLength(0);
  });

  it('delete answers --json with a document even though the API sends 204', async () => {
    // Prepare
    api.route = () => ({ status: 204 });
    const { io, out } = capture();

    // Act
    const code = await main(['secret', 'delete', 'pw', '--json'], io);

    // Assess
    expect(code).toBe(0);
    expect(api.requests[0]?.method).toBe('DELETE');
    expect(JSON.parse(out.stdout)).toStrictEqual({ id: 'pw', deleted: true });
  });
});

describe('settings', () => {
  it('takes flags over env over the config file over the local defaults', async () => {
    // Prepare
    api.route = () => ({ status: 200, body: { secrets: [] } });
    await writeFile(
      join(dir, 'config.json'),
      JSON.stringify({ api_url: api.url, api_key: 'key-config', org: 'org-config', workspace: 'ws-config' }),
    );
    await mkdir(join(dir, 'data'));
    await writeFile(join(dir, 'data', 'api-key'), 'key-local\n');
    const env = { TASKENV_CONFIG: join(dir, 'config.json'), TASKENV_DATA_DIR: 'data' };
    const { io } = capture({
      settings: 'none',
      env: { ...env, TASKENV_ORG: 'org-env', TASKENV_WORKSPACE: 'ws-env' },
    });

    // Act
    await main(['secret', 'list', '--workspace', 'ws-flag'], io);

    // Assess
    expect(api.requests[0]?.path).toBe('/api/v1/org/org-env/ws/ws-flag/secrets');
    expect(api.requests[0]?.headers.authorization).toBe('Bearer key-config');
  });

  it('falls back to the key the local stack wrote to its data dir', async () => {
    // Prepare
    api.route = () => ({ status: 200, body: { secrets: [] } });
    await mkdir(join(dir, '.taskenv'));
    await writeFile(join(dir, '.taskenv', 'api-key'), 'key-local\n');
    const { io } = capture({ settings: 'none', env: { TASKENV_API_URL: api.url } });

    // Act
    await main(['secret', 'list'], io);

    // Assess
    expect(api.requests[0]?.path).toBe('/api/v1/org/local/ws/default/secrets');
    expect(api.requests[0]?.headers.authorization).toBe('Bearer key-local');
  });

  it('a flag beats the environment for the API key', async () => {
    // Prepare
    api.route = () => ({ status: 200, body: { secrets: [] } });
    const { io } = capture();

    // Act
    await main(['secret', 'list', '--api-key', 'key-flag'], io);

    // Assess
    expect(api.requests[0]?.headers.authorization).toBe('Bearer key-flag');
  });

  it('exits 2 when the config file is not valid', async () => {
    // Prepare
    await writeFile(join(dir, 'config.json'), '{"apiUrl": "x"}');
    const { io, out } = capture({ env: { TASKENV_CONFIG: join(dir, 'config.json') } });

    // Act
    const code = await main(['env', 'list'], io);

    // Assess
    expect(code).toBe(2);
    expect(out.stderr).toMatch(/^error: config file .*config\.json is not valid/);
  });
});

describe('usage and connection errors', () => {
  it('exits 2 with a one-line hint on an unknown flag, sending nothing', async () => {
    // Prepare
    const { io, out } = capture();

    // Act
    const code = await main(['env', 'list', '--colour'], io);

    // Assess
    expect(code).toBe(2);
    expect(out.stderr).toBe("error: unknown option '--colour'\nRun 'taskenv env list --help' for usage.\n");
    expect(api.requests).toHaveLength(0);
  });

  it.each([
    [['env', 'frobnicate'], "error: unknown command 'env frobnicate'"],
    [['env', 'get'], 'error: missing <id>'],
    [['env', 'get', 'a', 'b'], "error: unexpected argument 'b'"],
    [
      ['env', 'create', 'x', '--timeout-sec', 'soon'],
      "error: --timeout-sec must be a whole number ≥ 1, got 'soon'",
    ],
  ])('exits 2 for %j', async (argv, message) => {
    // Prepare
    const { io, out } = capture();

    // Act
    const code = await main(argv, io);

    // Assess
    expect(code).toBe(2);
    expect(out.stderr.split('\n')[0]).toBe(message);
  });

  it.each([
    [['evn', 'list'], "error: unknown command 'evn'; did you mean 'env'?"],
    [['env', 'lst'], "error: unknown command 'env lst'; did you mean 'env list'?"],
    [['secret', 'sett', 'pw'], "error: unknown command 'secret sett'; did you mean 'secret set'?"],
    [['zzz'], "error: unknown command 'zzz'"],
  ])('suggests the nearest command for %j', async (argv, message) => {
    // Prepare
    const { io, out } = capture();

    // Act
    const code = await main(argv, io);

    // Assess
    expect(code).toBe(2);
    expect(out.stderr.split('\n')[0]).toBe(message);
  });

  it.each([
    [['env', 'lst', '--json'], "unknown command 'env lst'; did you mean 'env list'?"],
    [['env', 'list', '--colour', '--json'], "unknown option '--colour'"],
    [['env', 'get', '--json'], 'missing <id>'],
  ])('with --json answers a usage error as one JSON document on stdout: %j', async (argv, detail) => {
    // Prepare
    const { io, out } = capture();

    // Act
    const code = await main(argv, io);

    // Assess
    expect(code).toBe(2);
    expect(out.stderr).toBe('');
    expect(JSON.parse(out.stdout)).toMatchObject({ type: 'usage_error', detail });
    expect(api.requests).toHaveLength(0);
  });

  it('prints help for a command on --help and exits 0', async () => {
    // Prepare
    const { io, out } = capture();

    // Act
    const code = await main(['env', 'create', '-h'], io);

    // Assess
    expect(code).toBe(0);
    expect(out.stdout).toMatch(/^Usage: taskenv env create <ref> \[options\]$/m);
    expect(out.stdout).toContain('--wait-timeout SEC');
  });

  it('prints the version', async () => {
    // Prepare
    const { io, out } = capture();

    // Act
    const code = await main(['--version'], io);

    // Assess
    expect(code).toBe(0);
    expect(out.stdout).toBe(`${packageJson.version}\n`);
  });

  it('exits 4 with a clear message when nothing answers', async () => {
    // Prepare
    const closed = await FakeApi.start();
    const url = closed.url;
    await closed.close();
    const { io, out } = capture({ env: { TASKENV_API_URL: url } });

    // Act
    const code = await main(['env', 'list'], io);

    // Assess
    expect(code).toBe(4);
    expect(out.stderr).toMatch(new RegExp(`^error: cannot reach ${url} — is \`npm start\` running\\?`));
  });

  it('hints at the missing key when the API answers 401 and none is configured', async () => {
    // Prepare
    api.route = () => ({
      status: 401,
      body: { code: 401, detail: 'Authentication failed', type: 'authentication_error' },
    });
    const { io, out } = capture({ settings: 'none', env: { TASKENV_API_URL: api.url } });

    // Act
    const code = await main(['env', 'list'], io);

    // Assess
    expect(code).toBe(4);
    expect(api.requests[0]?.headers.authorization).toBeUndefined();
    expect(out.stderr).toContain('error: Authentication failed\nhint: no API key is set');
  });
});
