/**
 * How environments end and what survives: expiry, a task that crashes at start, a task with two
 * services, and a restart of the whole stack over the same data dir. Every test creates what it
 * checks, so they pass in any order and alone; waits poll with deadlines.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { environmentListResponseSchema } from '#domain/api-schemas';
import {
  apiRequest,
  createEnvironment,
  environmentsUrl,
  makeTempDir,
  parseBody,
  pollStatus,
  serviceUrl,
  stackPerFile,
  stacksOfFile,
} from '#test/support/e2e';

const currentStack = stackPerFile('lifecycle');

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
});

describe('a restart of the local stack over the same data dir', () => {
  let dataDir: Awaited<ReturnType<typeof makeTempDir>> | undefined;
  afterAll(async () => {
    await dataDir?.remove();
  });
  const startStack = stacksOfFile();

  it('still lists the earlier environments, ends what lost its processes, and the saved key works', async () => {
    // Prepare: a stack of its own with one ready and one failed environment, stopped and started again
    dataDir = await makeTempDir('lifecycle-restart');
    const before = (await startStack(dataDir.path)).stack;
    const ready = await createEnvironment(before, { task_ref: 'hello-http', inputs: { name: 'restart' } });
    const failed = await createEnvironment(before, { task_ref: 'crash-on-start' });
    await pollStatus(before, ready.id, ['ready'], { timeoutMs: 30_000 });
    await pollStatus(before, failed.id, ['failed'], { timeoutMs: 30_000 });
    await before.stop();
    const after = (await startStack(dataDir.path)).stack;
    const savedKey = (await readFile(join(dataDir.path, 'api-key'), 'utf8')).trim();

    // Act
    const list = await apiRequest(`${environmentsUrl(after)}?limit=200`, savedKey);

    // Assess
    expect(after.apiKey).toBe(before.apiKey);
    expect(savedKey).toBe(before.apiKey);
    expect(list.status).toBe(200);
    const listed = parseBody(environmentListResponseSchema, list.body);
    expect(listed.environments.map((env) => env.id).sort()).toEqual([ready.id, failed.id].sort());
    // What lost its processes with the first stack is final now: nothing stays "ready" without one.
    expect(listed.environments.find((env) => env.id === failed.id)?.state).toBe('failed');
    expect(['torn_down', 'failed']).toContain(listed.environments.find((env) => env.id === ready.id)?.state);
  }, 180_000);
});
