/**
 * How environments end and what survives: expiry, a task that crashes at start, a task with two
 * services, and a restart of the whole stack over the same data dir.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { environmentListResponseSchema } from '#domain/api-schemas';
import {
  apiRequest,
  createEnvironment,
  type E2eStack,
  environmentsUrl,
  makeTempDir,
  parseBody,
  pollStatus,
  serviceUrl,
  startE2eStack,
} from '#test/support/e2e';

let dataDir: Awaited<ReturnType<typeof makeTempDir>>;
/** The stack now serving; the restart test replaces it with a second one over the same data dir. */
let running: E2eStack | null = null;
/** Every environment this file created, so the restart test can look for all of them. */
const createdIds: string[] = [];

const currentStack = () => {
  if (running === null) throw new Error('no stack is running');
  return running.stack;
};

beforeAll(async () => {
  dataDir = await makeTempDir('lifecycle');
  running = await startE2eStack(dataDir.path);
});

afterAll(async () => {
  await running?.stack.stop();
  await dataDir?.remove();
});

describe('environment lifecycle on the local stack', () => {
  it('tears an environment down within 5 s of its expiry', async () => {
    // Prepare
    const stack = currentStack();

    // Act
    const created = await createEnvironment(stack, {
      task_ref: 'hello-http',
      inputs: { name: 'expiry' },
      timeout_sec: 2,
    });
    createdIds.push(created.id);
    const tornDown = await pollStatus(stack, created.id, ['torn_down'], {
      timeoutMs: 15_000,
      intervalMs: 100,
    });

    // Assess
    expect(created.expires_at).not.toBeNull();
    const expiresAt = Date.parse(created.expires_at ?? '');
    expect(expiresAt - Date.parse(created.created_at)).toBe(2_000);
    const lagMs = tornDown.observedAt - expiresAt;
    console.info(`lifecycle: torn_down observed ${lagMs} ms after expires_at`);
    expect(lagMs).toBeGreaterThanOrEqual(0);
    expect(lagMs).toBeLessThan(5_000);
  });

  it('fails an environment whose service exits at start, with the exit code in the error', async () => {
    // Prepare
    const stack = currentStack();

    // Act
    const created = await createEnvironment(stack, { task_ref: 'crash-on-start' });
    createdIds.push(created.id);
    const failed = await pollStatus(stack, created.id, ['failed'], { timeoutMs: 10_000 });

    // Assess
    expect(failed.status.service_urls).toBeNull();
    expect(failed.status.error).toContain('container app exited with code 3');
    expect(failed.status.error).toContain(
      `; its logs: GET /api/v1/org/${stack.org}/ws/${stack.workspace}/environments/${created.id}/logs?service=app`,
    );
  });

  it('serves both services of a two-service environment', async () => {
    // Prepare
    const stack = currentStack();

    // Act
    const created = await createEnvironment(stack, { task_ref: 'two-service' });
    createdIds.push(created.id);
    const ready = await pollStatus(stack, created.id, ['ready'], { timeoutMs: 10_000 });
    const webUrl = serviceUrl(ready.status, 'web');
    const apiUrl = serviceUrl(ready.status, 'api');
    const web = await fetch(webUrl);
    const page = await web.text();
    const api = await fetch(`${apiUrl}/api/message`);
    const message = (await api.json()) as { message: string };

    // Assess
    expect(Object.keys(ready.status.service_urls ?? {}).sort()).toEqual(['api', 'web']);
    expect(webUrl).not.toBe(apiUrl);
    expect(web.status).toBe(200);
    expect(api.status).toBe(200);
    expect(message.message).toBe('Hello from the API');
    // The page reads its message from the API next to it, so they agree.
    expect(page).toContain(`<h1>${message.message}</h1>`);
  });

  it('still lists earlier environments after a restart over the same data dir, and the saved key works', async () => {
    // Prepare: stop the stack and start a new one on the same data dir
    const before = currentStack();
    await before.stop();
    running = null;
    running = await startE2eStack(dataDir.path);
    const after = currentStack();
    const savedKey = (await readFile(join(dataDir.path, 'api-key'), 'utf8')).trim();

    // Act
    const list = await apiRequest(`${environmentsUrl(after)}?limit=200`, savedKey);

    // Assess
    expect(after.apiKey).toBe(before.apiKey);
    expect(savedKey).toBe(before.apiKey);
    expect(list.status).toBe(200);
    const listed = parseBody(environmentListResponseSchema, list.body);
    expect(listed.environments.map((env) => env.id).sort()).toEqual([...createdIds].sort());
    // The restart reconciled what lost its processes: nothing stays "ready" without a process.
    expect(
      listed.environments.filter((env) => env.state === 'ready' || env.state === 'provisioning'),
    ).toEqual([]);
  });
});
