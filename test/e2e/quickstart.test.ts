/**
 * The first thing a user does: the reference API's "Provision task environment" request, sent
 * to the local stack with the printed key and the example task, then the environment's service,
 * instruction and teardown, on both runtimes (Docker when an engine answers: the example's image
 * is built locally, FROM scratch); and the API reference the stack serves.
 */
import { describe, expect, it } from 'vitest';
import { LABEL_ENVIRONMENT_ID } from '#adapters/local/docker-driver';
import { environmentResponseSchema } from '#domain/api-schemas';
import type { LocalStack } from '#local/stack';
import { routes } from '#shared/routes';
import { containersLabelled, dockerEngine } from '#test/support/docker';
import {
  apiRequest,
  createEnvironment,
  environmentsUrl,
  getEnvironment,
  goneWithin,
  parseBody,
  pollStatus,
  refusesWithin,
  serviceUrl,
  stackPerFile,
} from '#test/support/e2e';

const engine = await dockerEngine('test/e2e/quickstart.test.ts');

const runningStack = stackPerFile('quickstart');
const dockerStack = engine ? stackPerFile('quickstart-docker', { runtime: 'docker' }) : null;

/** What still runs of an environment's service once it is torn down: its process, or its container. */
const leftOver = async (runtime: 'process' | 'docker', id: string, pid: number | undefined) => {
  if (runtime === 'docker') return (await containersLabelled(LABEL_ENVIRONMENT_ID, id)).length > 0;
  return pid === undefined || !(await goneWithin(pid, 2_000));
};

const quickstart = async (stack: LocalStack, runtime: 'process' | 'docker') => {
  // Prepare: the seed's request (its fetch form), pointed at the local URL and key, task hello-http
  const url = environmentsUrl(stack);
  const options = {
    method: 'POST',
    headers: { Authorization: `Bearer ${stack.apiKey}`, 'Content-Type': 'application/json' },
    body: '{"inputs":{"name":"world"},"project_id":"example","task_ref":"hello-http","timeout_sec":600}',
  };
  const started = performance.now();

  // Act
  const response = await fetch(url, options);
  const created = parseBody(environmentResponseSchema, await response.json());
  const ready = await pollStatus(stack, created.id, ['ready'], { timeoutMs: 10_000, startedAt: started });
  const webUrl = serviceUrl(ready.status, 'web');
  const greeting = await fetch(webUrl);
  const greetingText = await greeting.text();
  const whoami = (await (await fetch(`${webUrl}/whoami`)).json()) as {
    environment_id: string;
    pid?: number;
  };
  const full = await getEnvironment(stack, created.id);

  // Assess: created, ready in under 5 s, the service answers, the instruction is filled in
  console.info(`quickstart (${runtime}): hello-http ready ${ready.elapsedMs.toFixed(0)} ms after the POST`);
  expect(stack.runtime).toBe(runtime);
  expect(response.status).toBe(201);
  expect(created).toMatchObject({
    state: 'building',
    project_id: 'example',
    task_ref: 'local/hello-http@1.0.0',
  });
  expect(ready.elapsedMs).toBeLessThan(5_000);
  expect(greeting.status).toBe(200);
  expect(greetingText).toBe('Hello from taskenv!\n');
  expect(whoami.environment_id).toBe(created.id);
  expect(full.state).toBe('ready');
  expect(full.instruction).toContain('Say hello to world.');
  expect(full.instruction).toContain(`The service at ${webUrl} answers a GET of / with a greeting`);
  expect(full.instruction).not.toContain('{{');

  // Act: tear it down
  const deleted = await apiRequest(`${url}/${created.id}`, stack.apiKey, { method: 'DELETE' });

  // Assess: torn_down, and the service's process (or container) and port are gone
  expect(deleted.status).toBe(200);
  expect(parseBody(environmentResponseSchema, deleted.body).state).toBe('torn_down');
  expect(await refusesWithin(webUrl, 2_000)).toBe(true);
  expect(await leftOver(runtime, created.id, whoami.pid)).toBe(false);
};

describe('the seed request against the local stack', () => {
  it('provisions hello-http as host processes, serves it, renders the instruction and tears it down', async () => {
    await quickstart(runningStack(), 'process');
  });

  // The image is built FROM scratch from examples/tasks/hello-http/image: no registry needed.
  it.runIf(dockerStack !== null)(
    'provisions hello-http as a container of its locally built image, serves it and tears it down',
    async () => {
      if (dockerStack === null) throw new Error('no Docker engine');
      await quickstart(dockerStack(), 'docker');
    },
    30_000,
  );
});

describe.runIf(dockerStack !== null)(
  'the other example tasks as containers of their locally built images',
  () => {
    const stack = () => {
      if (dockerStack === null) throw new Error('no Docker engine');
      return dockerStack();
    };

    it('serves two-service, whose page reads the API next to it on 127.0.0.1:8081 inside the task', async () => {
      // Act
      const created = await createEnvironment(stack(), { task_ref: 'two-service' });
      const ready = await pollStatus(stack(), created.id, ['ready'], { timeoutMs: 10_000 });
      const page = await fetch(serviceUrl(ready.status, 'web'));
      const api = await fetch(`${serviceUrl(ready.status, 'api')}/api/message`);

      // Assess
      expect(page.status).toBe(200);
      expect(await page.text()).toContain('<h1>Hello from the API</h1>');
      expect(await api.json()).toEqual({ message: 'Hello from the API' });
    }, 30_000);

    it('fails crash-on-start with the exit code of its container', async () => {
      // Act
      const created = await createEnvironment(stack(), { task_ref: 'crash-on-start' });
      const failed = await pollStatus(stack(), created.id, ['failed'], { timeoutMs: 10_000 });

      // Assess
      expect(failed.status.error).toContain('container app exited with code 3');
    }, 30_000);
  },
);

describe('the API reference', () => {
  it('serves /docs from the locally installed swagger-ui, with no remote script or stylesheet', async () => {
    // Prepare
    const stack = runningStack();

    // Act
    const response = await fetch(`${stack.apiUrl}/docs`);
    const html = await response.text();

    // Assess
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/html/);
    expect(html).toContain('swagger-ui');
    expect(html).toContain('SwaggerUIBundle(');
    expect(html).not.toMatch(/<script[^>]*\ssrc\s*=\s*["']?(https?:)?\/\//i);
    expect(html).not.toMatch(/<link[^>]*\shref\s*=\s*["']?(https?:)?\/\//i);
  });

  it('publishes an OpenAPI 3.1 document listing every route of the route table, without a key', async () => {
    // Prepare
    const stack = runningStack();

    // Act
    const response = await fetch(`${stack.apiUrl}/api/v1/openapi.json`);
    const document = (await response.json()) as {
      openapi: string;
      paths: Record<string, Record<string, { operationId?: string }>>;
    };

    // Assess
    expect(response.status).toBe(200);
    expect(document.openapi).toBe('3.1.0');
    const listed = Object.entries(document.paths).flatMap(([path, operations]) =>
      Object.entries(operations).map(
        ([method, operation]) => `${method.toUpperCase()} ${path} ${operation.operationId}`,
      ),
    );
    const expected = routes.map((route) => `${route.method} ${route.path} ${route.operationId}`);
    expect(listed.sort()).toEqual(expected.sort());
  });
});
