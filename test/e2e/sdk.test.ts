/**
 * Both SDKs against the local stack: the TypeScript SDK in this process, the Python SDK as
 * `python3 -m unittest` (its unit suite, then its e2e suite pointed at this file's stack).
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { NotFoundError, Taskenv, ValidationError } from '#sdk/index';
import { REPO_ROOT, stackPerFile } from '#test/support/e2e';

const runningStack = stackPerFile('sdk');

const client = () => {
  const stack = runningStack();
  return new Taskenv({
    apiUrl: stack.apiUrl,
    apiKey: stack.apiKey,
    org: stack.org,
    workspace: stack.workspace,
    env: {},
  });
};

const python = (
  args: readonly string[],
  env: NodeJS.ProcessEnv,
): Promise<{ code: number | null; output: string }> =>
  new Promise((resolve, reject) => {
    const child = spawn('python3', args, {
      cwd: join(REPO_ROOT, 'clients', 'python'),
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, output }));
  });

const run = Math.random().toString(16).slice(2, 10);

describe('TypeScript SDK against the local stack', () => {
  it('publish → create with wait → execute → verify → logs → scope exit tears it down', async () => {
    // Prepare: a task whose verification passes once a file exists, published through the SDK
    const taskenv = client();
    const published = await taskenv.tasks.publish({
      name: `sdk-lifecycle-${run}`,
      version: '1.0.0',
      instruction: 'Create the file.',
      services: {
        box: { image: 'none', local: { command: ['/bin/sh', '-c', 'echo box up; exec sleep 3600'] } },
      },
      verification: { method: 'script', script: `test -f /tmp/sdk-solved-${run}`, timeout: 10 },
    });
    let id = '';

    // Act
    {
      await using env = await taskenv.environments.create(
        { task_ref: published.task_ref },
        { wait: { intervalMs: 50 } },
      );
      id = env.id;
      const before = await env.verify();
      const executed = await env.execute(`echo out; echo err >&2; touch /tmp/sdk-solved-${run}; exit 3`);
      const after = await env.verify();
      const logs = await env.logs({ tail: 50 });

      // Assess
      expect(env.state).toBe('ready');
      expect(before.passed).toBe(false);
      expect(executed).toMatchObject({ exit_code: 3, timed_out: false, truncated: false });
      expect(executed.output).toContain('out\n');
      expect(executed.output).toContain('err\n');
      expect(after).toMatchObject({ passed: true, method: 'script', exit_code: 0 });
      expect(logs.service).toBe('box');
      expect(logs.lines.map((line) => line.message)).toContain('box up');
    }

    // Assess: the scope's end tore it down
    expect((await taskenv.environments.get(id)).state).toBe('torn_down');
  });

  it('create with wait → reads → keepalive → scope exit tears it down', async () => {
    // Prepare
    const taskenv = client();
    let id = '';

    // Act
    {
      await using env = await taskenv.environments.create(
        { task_ref: 'hello-http', inputs: { name: 'sdk' }, project_id: 'sdk-e2e' },
        { wait: { intervalMs: 50 } },
      );
      id = env.id;

      // Assess: ready, reachable, listed, extendable
      expect(env.state).toBe('ready');
      expect(env.data.task_ref).toBe('local/hello-http@1.0.0');
      expect(env.executeToken).not.toBeNull();
      expect(env.instruction).toContain('Say hello to sdk.');
      const url = env.serviceUrls?.web?.url;
      expect(url).toBeDefined();
      expect((await fetch(url ?? '')).status).toBe(200);
      expect((await env.status()).state).toBe('ready');
      const listed: string[] = [];
      for await (const e of taskenv.environments.list({ projectId: 'sdk-e2e', limit: 1 })) listed.push(e.id);
      expect(listed).toContain(id);
      expect((await env.keepalive(120)).id).toBe(id);
    }

    // Assess: the scope's end tore it down
    expect((await taskenv.environments.get(id)).state).toBe('torn_down');
  });

  it('raises the API errors as typed classes carrying the envelope', async () => {
    // Prepare
    const taskenv = client();

    // Act
    const missing = await taskenv.environments.create({ task_ref: 'no-such-task' }).catch((e: unknown) => e);
    const invalid = await taskenv.environments
      .create({ task_ref: 'hello-http', inputs: { nope: 1 } })
      .catch((e: unknown) => e);

    // Assess
    expect(missing).toBeInstanceOf(NotFoundError);
    expect(missing).toMatchObject({ status: 404, envelope: { code: 404, type: 'not_found_error' } });
    expect(invalid).toBeInstanceOf(ValidationError);
    expect(invalid).toMatchObject({ status: 422, envelope: { type: 'validation_error' } });
  });
});

describe('Python SDK (python3, standard library only)', () => {
  it('passes its unit suite and its e2e suite against the local stack', { timeout: 120_000 }, async () => {
    // Prepare
    const stack = runningStack();
    const env = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      TASKENV_API_URL: stack.apiUrl,
      TASKENV_API_KEY: stack.apiKey,
      TASKENV_ORG: stack.org,
      TASKENV_WORKSPACE: stack.workspace,
    };

    // Act
    const unit = await python(['-m', 'unittest', 'discover', '-s', 'tests', '-t', '.'], env);
    const e2e = await python(['-m', 'unittest', 'discover', '-s', 'e2e', '-t', '.'], {
      ...env,
      TASKENV_E2E_RUN: run,
    });

    // Assess
    expect(unit.code, unit.output).toBe(0);
    expect(unit.output).toMatch(/Ran \d+ tests/);
    expect(e2e.code, e2e.output).toBe(0);
    expect(e2e.output).toMatch(/Ran 3 tests/);
  });
});
