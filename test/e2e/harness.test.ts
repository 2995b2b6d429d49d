/**
 * examples/harness (TypeScript and Python) against the local stack: N environments in parallel,
 * a table with one row each, and every environment torn down afterwards, also after Ctrl-C.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { Taskenv } from '#sdk/index';
import { type ApiTarget, REPO_ROOT, stackPerFile } from '#test/support/e2e';

const runningStack = stackPerFile('harness');

const HARNESSES = {
  // One process (tsx's loader in node itself), so Ctrl-C reaches the harness with no relay between.
  typescript: [process.execPath, '--import', 'tsx', join(REPO_ROOT, 'examples', 'harness', 'harness.ts')],
  python: ['python3', join(REPO_ROOT, 'examples', 'harness', 'harness.py')],
} as const;

const start = (which: keyof typeof HARNESSES, args: readonly string[], stack: ApiTarget): ChildProcess => {
  const [command, ...script] = HARNESSES[which];
  return spawn(command, [...script, ...args], {
    cwd: REPO_ROOT,
    env: {
      ...process.env,
      PYTHONPATH: join(REPO_ROOT, 'clients', 'python'),
      TASKENV_API_URL: stack.apiUrl,
      TASKENV_API_KEY: stack.apiKey,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
};

const finished = (child: ChildProcess): Promise<{ code: number | null; stdout: string; stderr: string }> =>
  new Promise((resolve) => {
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });

const environmentsOf = async (stack: ApiTarget, project: string) => {
  const client = new Taskenv({ apiUrl: stack.apiUrl, apiKey: stack.apiKey, env: {} });
  const all = [];
  for await (const env of client.environments.list({ projectId: project })) all.push(env);
  return all;
};

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/;

describe.each(['typescript', 'python'] as const)('the %s harness', (which) => {
  it('runs N environments in parallel, prints a row each, and tears them all down', {
    timeout: 90_000,
  }, async () => {
    // Prepare
    const stack = runningStack();
    const project = `harness-${which}`;

    // Act
    const run = await finished(
      start(which, ['--count', '3', '--project', project, '--command', 'ls /'], stack),
    );

    // Assess: a header and three rows, each a ready environment
    expect(run.code, run.stderr).toBe(0);
    const [header, ...rows] = run.stdout.trimEnd().split('\n');
    expect(header).toMatch(/^environment\s+state\s+exit\s+verify\s+output \/ error$/);
    expect(rows).toHaveLength(3);
    for (const row of rows) expect(row).toMatch(new RegExp(`^${UUID.source}\\s+ready\\s`));
    expect(run.stderr).toContain('tore down 3 of 3 environments');
    const envs = await environmentsOf(stack, project);
    expect(envs.map((e) => e.state)).toEqual(['torn_down', 'torn_down', 'torn_down']);
  });

  it('tears down every environment it made when interrupted', { timeout: 90_000 }, async () => {
    // Prepare
    const stack = runningStack();
    const project = `harness-${which}-sigint`;
    const child = start(which, ['--count', '2', '--project', project], stack);
    const done = finished(child);

    // Act: Ctrl-C once both environments exist
    const deadline = Date.now() + 30_000;
    while ((await environmentsOf(stack, project)).length < 2 && Date.now() < deadline) await sleep(20);
    child.kill('SIGINT');
    const run = await done;

    // Assess
    expect(run.stderr).toContain('tore down 2 of 2 environments');
    expect([0, 130]).toContain(run.code);
    const envs = await environmentsOf(stack, project);
    expect(envs.map((e) => e.state)).toEqual(['torn_down', 'torn_down']);
  });
});
